//! herald's own command-line client: `herald publish` and `herald listen`.
//!
//! This is the other side of the wire, written with std alone, on the same
//! HTTP client as the auth hook's ([`crate::http::client`]): a URL, one
//! request, the response head and body, and (in [`stream`]) a reader for
//! the event stream that follows the same WHATWG rules a browser does. It
//! speaks only what herald (or a proxy in front of it) answers: HTTP/1.1
//! over plain TCP, with bodies sized by `Content-Length`, chunked, or
//! ended by the close.
//!
//! - this file: where the server is, what can go wrong, one exchange;
//! - [`publish_command`]: `herald publish`, one message and its id;
//! - [`listen_command`]: `herald listen`, every event as it arrives;
//! - [`stream`]: the event-stream reader behind `herald listen`.

pub mod listen_command;
pub mod publish_command;
pub mod stream;

use std::fmt;
use std::io::{self, BufReader};
use std::net::TcpStream;
use std::time::Duration;

use crate::http::client::{self, ResponseHead, Url};
use crate::limits::{CLIENT_MAX_RESPONSE_HEAD_BYTES, CLIENT_TIMEOUT};

/// What can go wrong talking to a server.
#[derive(Debug)]
pub enum ClientError {
    /// The exchange failed: a bad URL, no connection, a bad answer.
    Http(client::ClientError),
    /// The server refused, with its status and reason.
    Refused {
        /// The status code.
        status: u16,
        /// The body of the answer, trimmed.
        reason: String,
    },
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::Http(client::ClientError::BadUrl(why)) => write!(f, "bad --url: {why}"),
            ClientError::Http(error) => write!(f, "{error}"),
            ClientError::Refused { status, reason } => write!(f, "{status} {reason}"),
        }
    }
}

impl From<client::ClientError> for ClientError {
    fn from(error: client::ClientError) -> Self {
        ClientError::Http(error)
    }
}

impl From<io::Error> for ClientError {
    fn from(error: io::Error) -> Self {
        ClientError::Http(error.into())
    }
}

/// The server at `--url`.
pub struct Server {
    url: Url,
    /// The path before `/events` and `/publish`, without a trailing `/`.
    prefix: String,
}

impl Server {
    /// The server at `http://HOST[:PORT][/PREFIX]`.
    pub fn at(url: &str) -> Result<Server, ClientError> {
        let url = Url::parse(url)?;
        let prefix = url.path.trim_end_matches('/').to_string();
        Ok(Server { url, prefix })
    }

    /// Sends `method` to `path` (after the prefix) and reads the answer's
    /// head; the reader then holds the body. Every read waits at most
    /// `read_timeout`.
    pub fn request(
        &self,
        method_and_path: (&str, &str),
        headers: &[(&str, &str)],
        body: &[u8],
        read_timeout: Duration,
    ) -> Result<(ResponseHead, BufReader<TcpStream>), ClientError> {
        let (method, path) = method_and_path;
        let mut stream = client::connect(&self.url.addresses()?, CLIENT_TIMEOUT)?;
        stream.set_read_timeout(Some(read_timeout))?;
        let request_line = format!("{method} {}{path} HTTP/1.1", self.prefix);
        client::write_request(&mut stream, &self.url.host, &request_line, headers, body)?;
        let mut reader = BufReader::new(stream);
        let head = client::read_response_head(&mut reader)?;
        Ok((head, reader))
    }
}

/// Reads a whole (short) body as text, trimmed.
pub fn read_text(
    reader: &mut BufReader<TcpStream>,
    head: &ResponseHead,
) -> Result<String, ClientError> {
    let body = client::read_body(reader, head, CLIENT_MAX_RESPONSE_HEAD_BYTES)?;
    Ok(String::from_utf8_lossy(&body).trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prefix_is_the_path_without_its_last_slash() {
        assert_eq!(Server::at("http://127.0.0.1:8000").unwrap().prefix, "");
        assert_eq!(
            Server::at("http://intranet/herald/").unwrap().prefix,
            "/herald"
        );
        let error = Server::at("https://x").err().unwrap();
        assert!(error.to_string().starts_with("bad --url: "), "{error}");
    }
}
