//! herald as an HTTP/1.1 client: one way to send a request and read the
//! answer, for the two times herald is a client. The auth hook
//! (`access/hook.rs`) asks the app, and `herald publish` and `herald
//! listen` (`client/`) talk to a server.
//!
//! - [`Url`]: `http://HOST[:PORT][/PATH]`, plain TCP only;
//! - [`connect`] and [`write_request`]: a connection, one request on it;
//! - [`read_response_head`]: the status and headers, parsed by `httparse`,
//!   at most [`CLIENT_MAX_RESPONSE_HEAD_BYTES`];
//! - [`read_body`]: a body by `Content-Length`, by chunks ([`Chunked`]) or
//!   to the close, at most the size the caller allows;
//! - [`Deadline`]: a socket whose reads all end by one instant, for an
//!   exchange that must be over in time (the hook's `--auth-hook-timeout`),
//!   so a server that trickles its answer a byte at a time is still cut off.
//!
//! Every read is bounded in size, and every wait in time: by [`Deadline`],
//! or by the socket's read timeout, which the caller sets.

use std::fmt;
use std::io::{self, BufRead, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use crate::http::body::parse_chunk_size;
use crate::limits::{
    CLIENT_MAX_RESPONSE_HEAD_BYTES, CLIENT_MAX_RESPONSE_HEADERS, MAX_CHUNK_LINE_BYTES,
};

/// Where a server is: `http://HOST[:PORT][/PATH]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    /// `HOST[:PORT]` as written: the `Host` header.
    pub host: String,
    /// The path (and query), `/` when none was written.
    pub path: String,
}

/// What can go wrong as a client.
#[derive(Debug)]
pub enum ClientError {
    /// The URL is not one herald can use; says why.
    BadUrl(&'static str),
    /// The host has no address, or cannot be resolved.
    NoAddress(String),
    /// Connecting, writing or reading failed.
    Io(io::Error),
    /// The answer did not come in time.
    TimedOut,
    /// The answer is not HTTP as expected; says why.
    BadResponse(&'static str),
    /// The answer is larger than allowed.
    TooLarge,
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::BadUrl(why) => f.write_str(why),
            ClientError::NoAddress(host) => write!(f, "{host} has no address"),
            ClientError::Io(error) => write!(f, "{error}"),
            ClientError::TimedOut => f.write_str("no answer in time"),
            ClientError::BadResponse(why) => write!(f, "unexpected answer: {why}"),
            ClientError::TooLarge => f.write_str("the answer is too large"),
        }
    }
}

impl std::error::Error for ClientError {}

impl From<io::Error> for ClientError {
    fn from(error: io::Error) -> Self {
        match error.kind() {
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => ClientError::TimedOut,
            _ => ClientError::Io(error),
        }
    }
}

impl Url {
    /// Reads `http://HOST[:PORT][/PATH]`.
    ///
    /// # Errors
    /// [`ClientError::BadUrl`] for another scheme, no host, a host with a
    /// user or a query in it, or a path with a space or control character.
    pub fn parse(text: &str) -> Result<Url, ClientError> {
        let rest = text
            .strip_prefix("http://")
            .ok_or(ClientError::BadUrl("only http:// URLs are supported"))?;
        let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        if host.is_empty() || host.contains(['@', '?', '#', ' ']) {
            return Err(ClientError::BadUrl("the URL has no usable host"));
        }
        if path.chars().any(|c| c.is_control() || c == ' ') {
            return Err(ClientError::BadUrl(
                "the URL's path has a space or a control character",
            ));
        }
        Ok(Url {
            host: host.to_string(),
            path: if path.is_empty() { "/" } else { path }.to_string(),
        })
    }

    /// `HOST:PORT`, port 80 when the URL gives none.
    pub fn authority(&self) -> String {
        let has_port = match self.host.rfind(']') {
            Some(bracket) => self.host[bracket..].contains(':'),
            None => self.host.contains(':'),
        };
        match has_port {
            true => self.host.clone(),
            false => format!("{}:80", self.host),
        }
    }

    /// The host's addresses, resolved now.
    ///
    /// # Errors
    /// [`ClientError::NoAddress`] when it has none or cannot be resolved.
    pub fn addresses(&self) -> Result<Vec<SocketAddr>, ClientError> {
        let no_address = |why: String| ClientError::NoAddress(why);
        let addresses: Vec<SocketAddr> = self
            .authority()
            .to_socket_addrs()
            .map_err(|error| no_address(format!("{} ({error})", self.host)))?
            .collect();
        match addresses.is_empty() {
            true => Err(no_address(self.host.clone())),
            false => Ok(addresses),
        }
    }
}

/// Connects to the first of `addresses` that answers within `timeout`.
///
/// # Errors
/// The last address's failure.
pub fn connect(addresses: &[SocketAddr], timeout: Duration) -> Result<TcpStream, ClientError> {
    let mut last_error = ClientError::NoAddress("the host".into());
    for addr in addresses {
        match TcpStream::connect_timeout(addr, timeout) {
            Ok(stream) => {
                stream.set_write_timeout(Some(timeout))?;
                return Ok(stream);
            }
            Err(error) => last_error = error.into(),
        }
    }
    Err(last_error)
}

/// Writes one request: its line, `Host`, `headers`, `Content-Length` when
/// there is a body, and the body, in one write.
///
/// # Errors
/// [`ClientError::BadUrl`] when a header's value has a line break (it
/// would start a header of its own); the socket's failure.
pub fn write_request(
    out: &mut impl Write,
    host: &str,
    request_line: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<(), ClientError> {
    let mut request = format!("{request_line}\r\nHost: {host}\r\n");
    for (name, value) in headers {
        if value.contains(['\r', '\n']) {
            return Err(ClientError::BadUrl("a header value has a line break"));
        }
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    if !body.is_empty() {
        request.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    request.push_str("\r\n");
    let mut bytes = request.into_bytes();
    bytes.extend_from_slice(body);
    out.write_all(&bytes)?;
    Ok(())
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

    /// Whether the body is sent in chunks (any coding but `identity`).
    pub fn is_chunked(&self) -> bool {
        self.header("transfer-encoding")
            .is_some_and(|v| !v.eq_ignore_ascii_case("identity"))
    }
}

/// Reads a response's status line and headers, at most
/// [`CLIENT_MAX_RESPONSE_HEAD_BYTES`], and has `httparse` parse them.
///
/// # Errors
/// [`ClientError::BadResponse`] for a closed connection or no HTTP status
/// line, [`ClientError::TooLarge`] past the bound; the socket's failure.
pub fn read_response_head(reader: &mut impl BufRead) -> Result<ResponseHead, ClientError> {
    let mut bytes = Vec::new();
    loop {
        let start = bytes.len();
        let limit = (CLIENT_MAX_RESPONSE_HEAD_BYTES + 1 - start) as u64;
        if (&mut *reader).take(limit).read_until(b'\n', &mut bytes)? == 0 {
            return Err(ClientError::BadResponse("the connection closed"));
        }
        if bytes.len() > CLIENT_MAX_RESPONSE_HEAD_BYTES {
            return Err(ClientError::TooLarge);
        }
        if matches!(&bytes[start..], b"\r\n" | b"\n") {
            break;
        }
    }
    let mut headers = [httparse::EMPTY_HEADER; CLIENT_MAX_RESPONSE_HEADERS];
    let mut response = httparse::Response::new(&mut headers);
    let no_status = ClientError::BadResponse("no HTTP status line");
    match response.parse(&bytes) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) | Err(_) => return Err(no_status),
    }
    let status = response.code.ok_or(no_status)?;
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

/// Reads a whole body of at most `max_bytes`: by its length, by chunks, or
/// to the close.
///
/// # Errors
/// [`ClientError::TooLarge`] past `max_bytes`, [`ClientError::BadResponse`]
/// for a bad length or a body cut short; the socket's failure.
pub fn read_body(
    reader: &mut impl BufRead,
    head: &ResponseHead,
    max_bytes: usize,
) -> Result<Vec<u8>, ClientError> {
    let mut body = Vec::new();
    let over = max_bytes as u64 + 1;
    if head.is_chunked() {
        Chunked::new(reader).take(over).read_to_end(&mut body)?;
    } else if let Some(length) = head.header("content-length") {
        let length: usize = length
            .parse()
            .map_err(|_| ClientError::BadResponse("bad Content-Length"))?;
        if length > max_bytes {
            return Err(ClientError::TooLarge);
        }
        reader.take(length as u64).read_to_end(&mut body)?;
        if body.len() < length {
            return Err(ClientError::BadResponse("the body is cut short"));
        }
    } else {
        reader.take(over).read_to_end(&mut body)?;
    }
    if body.len() > max_bytes {
        return Err(ClientError::TooLarge);
    }
    Ok(body)
}

/// Undoes chunked transfer coding (RFC 9112 §7.1) on a response body.
pub struct Chunked<R> {
    input: R,
    /// Bytes left in the current chunk.
    left: u64,
    done: bool,
}

impl<R: BufRead> Chunked<R> {
    /// Reads the chunked body that follows in `input`.
    pub fn new(input: R) -> Chunked<R> {
        Chunked {
            input,
            left: 0,
            done: false,
        }
    }

    fn next_chunk(&mut self) -> io::Result<()> {
        let mut line = self.size_line()?;
        if line == b"\r\n" || line == b"\n" {
            // The line break that ends the previous chunk's data.
            line = self.size_line()?;
        }
        let bad = || io::Error::new(io::ErrorKind::InvalidData, "bad chunk size");
        if !line.ends_with(b"\r\n") {
            // A bare LF; the size's parser wants CRLF.
            line.pop();
            line.extend_from_slice(b"\r\n");
        }
        let (size, _) = parse_chunk_size(&line)
            .map_err(|_| bad())?
            .ok_or_else(bad)?;
        self.left = size as u64;
        self.done = self.left == 0;
        Ok(())
    }

    /// One line, with its end, at most [`MAX_CHUNK_LINE_BYTES`].
    fn size_line(&mut self) -> io::Result<Vec<u8>> {
        let mut line = Vec::new();
        let limit = MAX_CHUNK_LINE_BYTES as u64 + 1;
        (&mut self.input).take(limit).read_until(b'\n', &mut line)?;
        if !line.ends_with(b"\n") {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "chunk size line cut short or too long",
            ));
        }
        Ok(line)
    }
}

impl<R: BufRead> Read for Chunked<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Chunked<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.left == 0 && !self.done {
            self.next_chunk()?;
        }
        if self.done {
            return Ok(&[]);
        }
        let left = usize::try_from(self.left).unwrap_or(usize::MAX);
        let buf = self.input.fill_buf()?;
        if buf.is_empty() {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        Ok(&buf[..buf.len().min(left)])
    }

    fn consume(&mut self, amount: usize) {
        self.input.consume(amount);
        self.left -= amount as u64;
    }
}

/// A socket whose every read ends by one instant: its read timeout is set
/// to what is left before each read, and a read after it fails as timed
/// out.
pub struct Deadline {
    stream: TcpStream,
    at: Instant,
}

impl Deadline {
    /// Reads from `stream` until `at`.
    pub fn new(stream: TcpStream, at: Instant) -> Deadline {
        Deadline { stream, at }
    }
}

impl Read for Deadline {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.at.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::ErrorKind::TimedOut.into());
        }
        self.stream.set_read_timeout(Some(left))?;
        crate::socket_io::read_some(&mut self.stream, buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let url = Url::parse("http://127.0.0.1:8000").unwrap();
        assert_eq!(
            (url.host.as_str(), url.path.as_str()),
            ("127.0.0.1:8000", "/")
        );
        assert_eq!(url.authority(), "127.0.0.1:8000");
        let url = Url::parse("http://intranet/herald/auth?x=1").unwrap();
        assert_eq!(
            (url.host.as_str(), url.path.as_str()),
            ("intranet", "/herald/auth?x=1")
        );
        assert_eq!(url.authority(), "intranet:80");
        assert_eq!(
            Url::parse("http://[::1]:9000/").unwrap().authority(),
            "[::1]:9000"
        );
        assert_eq!(Url::parse("http://[::1]/").unwrap().authority(), "[::1]:80");
        for bad in [
            "https://x",
            "x:80",
            "http://",
            "http:///x",
            "http://user@x/",
            "http://x/a b",
        ] {
            assert!(Url::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn requests_carry_host_length_and_no_smuggled_header() {
        let mut out = Vec::new();
        write_request(&mut out, "h:1", "POST /p HTTP/1.1", &[("A", "b")], b"xyz").unwrap();
        assert_eq!(
            out,
            b"POST /p HTTP/1.1\r\nHost: h:1\r\nA: b\r\nContent-Length: 3\r\n\r\nxyz"
        );
        let smuggled = write_request(
            &mut Vec::new(),
            "h",
            "GET / HTTP/1.1",
            &[("A", "b\r\nC: d")],
            b"",
        );
        assert!(smuggled.is_err());
    }

    #[test]
    fn response_heads_and_bodies() {
        let mut input =
            &b"HTTP/1.1 403 Forbidden\r\nContent-Length: 12\r\nX-A: b\r\n\r\nwrong token\n"[..];
        let head = read_response_head(&mut input).unwrap();
        assert_eq!(head.status, 403);
        assert_eq!(head.header("x-a"), Some("b"));
        assert_eq!(read_body(&mut input, &head, 100).unwrap(), b"wrong token\n");
        let mut garbage = &b"garbage\r\n\r\n"[..];
        assert!(read_response_head(&mut garbage).is_err());
    }

    #[test]
    fn bodies_by_chunks_or_to_the_close_within_the_bound() {
        let chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n4\n abc\r\n0\r\n\r\n";
        let mut input = chunked.as_bytes();
        let head = read_response_head(&mut input).unwrap();
        assert_eq!(read_body(&mut input, &head, 100).unwrap(), b"hello abc");
        let mut input = chunked.as_bytes();
        let head = read_response_head(&mut input).unwrap();
        assert!(matches!(
            read_body(&mut input, &head, 4),
            Err(ClientError::TooLarge)
        ));
        let cut = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n9\r\nabc";
        let mut input = cut.as_bytes();
        let head = read_response_head(&mut input).unwrap();
        assert!(read_body(&mut input, &head, 100).is_err());
        let mut input = &b"HTTP/1.0 200 OK\r\n\r\nto the end"[..];
        let head = read_response_head(&mut input).unwrap();
        assert_eq!(read_body(&mut input, &head, 100).unwrap(), b"to the end");
        let mut input = &b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nx"[..];
        let head = read_response_head(&mut input).unwrap();
        assert!(matches!(
            read_body(&mut input, &head, 100),
            Err(ClientError::TooLarge)
        ));
    }
}
