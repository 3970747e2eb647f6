//! A whole request: its head and its body, read in full.
//!
//! This is what a handler gets. The connection reads the head with
//! [`crate::http::reader`], the body with [`crate::http::body`], and hands
//! both over together, so no handler ever touches the socket.

use crate::http::request_head::RequestHead;

/// A request, read whole.
pub struct Request {
    /// The parsed head.
    pub head: RequestHead,
    /// The body, read in full.
    pub body: Vec<u8>,
    /// The client's address, when the socket knows it.
    pub peer: Option<std::net::IpAddr>,
}

impl Request {
    /// Whether the method is `HEAD` (answered like `GET`, without the body).
    pub fn is_head_method(&self) -> bool {
        self.head.method == "HEAD"
    }
}
