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
    /// No connection to the server could be made.
    Unreachable {
        /// The URL tried.
        url: String,
        /// Where it came from: `--url`, `HERALD_URL` or the default.
        from: &'static str,
        /// Why.
        error: client::ClientError,
    },
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
            ClientError::Unreachable {
                url,
                from: "the default",
                error,
            } => write!(
                f,
                "cannot reach {url}, the default URL (give --url or set HERALD_URL): {error}"
            ),
            ClientError::Unreachable { url, from, error } => {
                write!(f, "cannot reach {url} (from {from}): {error}")
            }
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
    /// The URL as given, and where it came from.
    given: (String, &'static str),
    /// The path before `/events` and `/publish`, without a trailing `/`.
    prefix: String,
}

impl Server {
    /// The server at `http://HOST[:PORT][/PREFIX]`, a URL that came from
    /// `from` (`--url`, `HERALD_URL` or the default).
    pub fn at(text: &str, from: &'static str) -> Result<Server, ClientError> {
        let url = Url::parse(text)?;
        let prefix = url.path.trim_end_matches('/').to_string();
        let given = (text.to_string(), from);
        Ok(Server { url, given, prefix })
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
        let unreachable = |error| ClientError::Unreachable {
            url: self.given.0.clone(),
            from: self.given.1,
            error,
        };
        let addresses = self.url.addresses().map_err(unreachable)?;
        let mut stream = client::connect(&addresses, CLIENT_TIMEOUT).map_err(unreachable)?;
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
        assert_eq!(
            Server::at("http://127.0.0.1:8000", "--url").unwrap().prefix,
            ""
        );
        let behind = Server::at("http://intranet/herald/", "--url").unwrap();
        assert_eq!(behind.prefix, "/herald");
        let error = Server::at("https://x", "--url").err().unwrap();
        assert!(error.to_string().starts_with("bad --url: "), "{error}");
    }

    #[test]
    fn an_unreachable_server_is_named_with_where_its_url_came_from() {
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", closed.local_addr().unwrap());
        drop(closed);
        let server = Server::at(&url, "HERALD_URL").unwrap();
        let error = server
            .request(("GET", "/stats"), &[], b"", CLIENT_TIMEOUT)
            .err()
            .unwrap();
        let said = error.to_string();
        assert!(
            said.starts_with(&format!("cannot reach {url} (from HERALD_URL)")),
            "{said}"
        );
    }
}
