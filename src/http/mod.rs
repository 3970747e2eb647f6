//! Stage 4, HTTP/1.1: from bytes to a request, from a response to bytes.
//!
//! Nothing here knows what herald does with a request; the server reads with
//! it and the routes answer with it. The files, in the order a request
//! meets them:
//!
//! - [`reader`]: bytes from a socket, within a size and a time bound;
//! - [`request_head`]: the request line and headers, parsed by `httparse`;
//! - [`body`]: the body, by `Content-Length` or chunks, within `--max-body`;
//! - [`request`]: the head and the body together, as a handler gets them;
//! - [`form`]: decoding `a=1&b=2` (form bodies and query strings);
//! - [`cors`]: the headers that let pages of other origins read an answer;
//! - [`websocket_upgrade`]: the handshake that turns a request into a WebSocket;
//! - [`response`]: an answer, and the one function that writes it;
//! - [`error`]: every way a request can fail, and the status each becomes;
//! - [`client`]: the other way round, herald as a client (the auth hook,
//!   `herald publish` and `herald listen`).

pub mod body;
pub mod client;
pub mod cors;
pub mod error;
pub mod form;
pub mod reader;
pub mod request;
pub mod request_head;
pub mod response;
pub mod websocket_upgrade;
