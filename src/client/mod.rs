//! herald's own command-line client: `herald publish` and `herald listen`.
//!
//! This is the other side of the wire, written with std alone: a URL
//! parser for `http://HOST:PORT/PREFIX`, a request writer, a response-head
//! reader, and (in [`stream`]) a reader for the event stream that follows
//! the same WHATWG rules a browser does. It speaks only what herald (or a
//! proxy in front of it) answers: HTTP/1.1 over plain TCP, with bodies sized
//! by `Content-Length`, chunked, or ended by the close.
//!
//! - this file: the server's URL, one request, and the response head;
//! - [`publish_command`]: `herald publish`, one message and its id;
//! - [`listen_command`]: `herald listen`, every event as it arrives;
//! - [`stream`]: the event-stream reader behind `herald listen`.

pub mod listen_command;
pub mod publish_command;
pub mod stream;

use std::fmt;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use crate::limits::{CLIENT_MAX_RESPONSE_HEAD_BYTES, CLIENT_MAX_RESPONSE_HEADERS, CLIENT_TIMEOUT};

/// Where herald is: `http://HOST[:PORT][/PREFIX]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    /// `HOST:PORT`, as sent in `Host` and used to connect.
    pub authority: String,
    /// The path before `/events` and `/publish`, without a trailing `/`.
    pub prefix: String,
}

/// What can go wrong talking to a server.
#[derive(Debug)]
pub enum ClientError {
    /// The URL is not one the client can use.
    BadUrl(String),
    /// The connection failed.
    Io(io::Error),
    /// The server's answer is not HTTP as expected.
    BadResponse(&'static str),
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
            ClientError::BadUrl(why) => write!(f, "bad --url: {why}"),
            ClientError::Io(error) => write!(f, "{error}"),
            ClientError::BadResponse(why) => write!(f, "unexpected answer: {why}"),
            ClientError::Refused { status, reason } => write!(f, "{status} {reason}"),
        }
    }
}

impl From<io::Error> for ClientError {
    fn from(error: io::Error) -> Self {
        ClientError::Io(error)
    }
}

impl Url {
    /// Parses `http://HOST[:PORT][/PREFIX]` (port 80 when none is given).
    pub fn parse(text: &str) -> Result<Url, ClientError> {
        let rest = text
            .strip_prefix("http://")
            .ok_or_else(|| ClientError::BadUrl("only http:// URLs are supported".into()))?;
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        if authority.is_empty() || authority.contains(['@', '?', '#', ' ']) {
            return Err(ClientError::BadUrl(format!("no usable host in '{text}'")));
        }
        let has_port = match authority.rfind(']') {
            Some(bracket) => authority[bracket..].contains(':'),
            None => authority.contains(':'),
        };
        let authority = if has_port {
            authority.to_string()
        } else {
            format!("{authority}:80")
        };
        let prefix = path.trim_end_matches('/');
        let prefix = if prefix.is_empty() {
            String::new()
        } else {
            format!("/{prefix}")
        };
        Ok(Url { authority, prefix })
    }

    /// Connects, with timeouts on connecting and on every read.
    pub fn connect(&self, read_timeout: Duration) -> Result<TcpStream, ClientError> {
        let addrs = self.authority.to_socket_addrs()?;
        let mut last_error = None;
        for addr in addrs {
            match TcpStream::connect_timeout(&addr, CLIENT_TIMEOUT) {
                Ok(stream) => {
                    stream.set_read_timeout(Some(read_timeout))?;
                    stream.set_write_timeout(Some(CLIENT_TIMEOUT))?;
                    return Ok(stream);
                }
                Err(error) => last_error = Some(error),
            }
        }
        Err(last_error.map_or(
            ClientError::BadUrl("the host has no address".into()),
            Into::into,
        ))
    }
}

/// A response head: status and headers (names lower-cased).
#[derive(Debug)]
pub struct ResponseHead {
    /// The status code.
    pub status: u16,
    /// The headers, names in lower case.
    pub headers: Vec<(String, String)>,
}

impl ResponseHead {
    /// The first value of header `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether the body is sent in chunks.
    pub fn is_chunked(&self) -> bool {
        self.header("transfer-encoding")
            .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
    }
}

/// Writes a request with the headers every request needs.
pub fn send_request(
    stream: &mut TcpStream,
    url: &Url,
    request_line: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<(), ClientError> {
    let mut request = format!("{request_line}\r\nHost: {}\r\n", url.authority);
    for (name, value) in headers {
        if value.contains(['\r', '\n']) {
            return Err(ClientError::BadUrl(format!("{name} has a line break")));
        }
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    if !body.is_empty() {
        request.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    request.push_str("\r\n");
    let mut bytes = request.into_bytes();
    bytes.extend_from_slice(body);
    stream.write_all(&bytes)?;
    Ok(())
}

/// Reads a response's status line and headers, at most
/// [`CLIENT_MAX_RESPONSE_HEAD_BYTES`], and has `httparse` parse them.
pub fn read_response_head(reader: &mut impl BufRead) -> Result<ResponseHead, ClientError> {
    let mut bytes = Vec::new();
    loop {
        let start = bytes.len();
        let limit = (CLIENT_MAX_RESPONSE_HEAD_BYTES + 1 - start) as u64;
        if (&mut *reader).take(limit).read_until(b'\n', &mut bytes)? == 0 {
            return Err(ClientError::BadResponse("the connection closed"));
        }
        if bytes.len() > CLIENT_MAX_RESPONSE_HEAD_BYTES {
            return Err(ClientError::BadResponse("response head too large"));
        }
        if matches!(&bytes[start..], b"\r\n" | b"\n") {
            break;
        }
    }
    let mut headers = [httparse::EMPTY_HEADER; CLIENT_MAX_RESPONSE_HEADERS];
    let mut response = httparse::Response::new(&mut headers);
    match response.parse(&bytes) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) | Err(_) => {
            return Err(ClientError::BadResponse("no HTTP status line"));
        }
    }
    let status = response
        .code
        .ok_or(ClientError::BadResponse("no HTTP status line"))?;
    let headers = response
        .headers
        .iter()
        .map(|header| {
            let value = String::from_utf8_lossy(header.value).trim().to_string();
            (header.name.to_ascii_lowercase(), value)
        })
        .collect();
    Ok(ResponseHead { status, headers })
}

/// Reads a whole (short) body: by length, by chunks, or to the close.
pub fn read_body(reader: &mut impl BufRead, head: &ResponseHead) -> Result<String, ClientError> {
    let mut body = Vec::new();
    let limit = CLIENT_MAX_RESPONSE_HEAD_BYTES as u64;
    if head.is_chunked() {
        stream::Chunked::new(reader)
            .take(limit)
            .read_to_end(&mut body)?;
    } else if let Some(length) = head.header("content-length") {
        let length: u64 = length
            .parse()
            .map_err(|_| ClientError::BadResponse("bad Content-Length"))?;
        reader.take(length.min(limit)).read_to_end(&mut body)?;
    } else {
        reader.take(limit).read_to_end(&mut body)?;
    }
    Ok(String::from_utf8_lossy(&body).trim().to_string())
}

/// A buffered reader over a connected stream.
pub fn buffered(stream: TcpStream) -> BufReader<TcpStream> {
    BufReader::new(stream)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let url = Url::parse("http://127.0.0.1:8000").unwrap();
        assert_eq!(
            (url.authority.as_str(), url.prefix.as_str()),
            ("127.0.0.1:8000", "")
        );
        let url = Url::parse("http://intranet/herald/").unwrap();
        assert_eq!(
            (url.authority.as_str(), url.prefix.as_str()),
            ("intranet:80", "/herald")
        );
        let url = Url::parse("http://[::1]:9000/").unwrap();
        assert_eq!(url.authority, "[::1]:9000");
        assert_eq!(Url::parse("http://[::1]/").unwrap().authority, "[::1]:80");
        for bad in ["https://x", "x:80", "http://", "http://user@x/"] {
            assert!(Url::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn response_heads() {
        let mut input =
            &b"HTTP/1.1 403 Forbidden\r\nContent-Length: 12\r\nX-A: b\r\n\r\nwrong token\n"[..];
        let head = read_response_head(&mut input).unwrap();
        assert_eq!(head.status, 403);
        assert_eq!(head.header("x-a"), Some("b"));
        assert_eq!(read_body(&mut input, &head).unwrap(), "wrong token");
        assert!(read_response_head(&mut &b"SSH-2.0\r\n"[..]).is_err());
    }
}
