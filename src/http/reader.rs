//! Bytes in: reading one request after another from a socket, within bounds.
//!
//! TCP delivers a stream of bytes, not requests: one `read` may return half a
//! request line, or two whole requests (pipelining). A [`Reader`] keeps the
//! bytes received but not yet used in its buffer, so a head split over many
//! packets is parsed once it is whole, and the bytes after one request are
//! kept for the next.
//!
//! Every read has a bound in time. An idle keep-alive connection waits at most
//! `--keepalive-timeout` for the next request and is then closed quietly; once
//! the first byte of a request has come, the whole head must follow within
//! `--header-timeout` (one deadline, not a timeout per read, so a client that
//! trickles one byte at a time is still cut off) and gets 408 if it does not.

use std::io::{self, Read};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::http::error::HttpError;
use crate::http::request_head::{RequestHead, parse_head};
use crate::limits::READ_CHUNK_BYTES;
use crate::shared_socket::SharedSocket;
use crate::socket_io::read_some;

/// How reading a request can end, other than with the request.
#[derive(Debug)]
pub enum ReadError {
    /// The client closed the connection, or an idle keep-alive connection
    /// timed out: nothing to answer.
    Closed,
    /// The socket failed: nothing to answer.
    Io(io::Error),
    /// The request is bad or late: answer with this status, then close.
    Http(HttpError),
}

impl From<HttpError> for ReadError {
    fn from(error: HttpError) -> Self {
        ReadError::Http(error)
    }
}

/// Why [`Reader::fill`] returned no bytes.
enum NoBytes {
    Closed,
    TimedOut,
    Failed(io::Error),
}

/// Where a [`Reader`] reads from: a socket, or in the tests below a script
/// of reads. All it needs beyond `Read` is a bound on how long one read waits.
pub trait Source: Read {
    /// Sets how long one `read` may wait (never zero: std refuses that).
    fn set_read_timeout(&mut self, timeout: Duration) -> io::Result<()>;
}

impl Source for SharedSocket {
    fn set_read_timeout(&mut self, timeout: Duration) -> io::Result<()> {
        TcpStream::set_read_timeout(self, Some(timeout))
    }
}

/// Bytes already in hand, such as an answer read whole: a read never waits.
impl Source for &[u8] {
    fn set_read_timeout(&mut self, _: Duration) -> io::Result<()> {
        Ok(())
    }
}

/// A socket and the bytes read from it but not used yet.
pub struct Reader<S = SharedSocket> {
    stream: S,
    /// Bytes received and not yet used.
    buf: Vec<u8>,
    /// Where each `read` lands before its bytes join `buf`: allocated once
    /// per connection, so a read costs a copy of what arrived, not a fresh
    /// zeroed buffer.
    chunk: Box<[u8]>,
    /// The read timeout last set on the socket, to skip a system call when
    /// it does not change (the common case: an idle keep-alive wait).
    timeout_set: Option<Duration>,
}

impl<S: Source> Reader<S> {
    /// Starts reading from a newly accepted connection.
    pub fn new(stream: S) -> Reader<S> {
        Reader {
            stream,
            buf: Vec::with_capacity(READ_CHUNK_BYTES),
            chunk: vec![0; READ_CHUNK_BYTES].into_boxed_slice(),
            timeout_set: None,
        }
    }

    /// The socket, to write responses to.
    pub fn stream(&self) -> &S {
        &self.stream
    }

    /// Gives up the socket (to hand it to the hub); unread bytes are dropped.
    pub fn into_stream(self) -> S {
        self.stream
    }

    /// Gives up the socket and the bytes read but not used (a WebSocket
    /// client may send its first frames right behind the handshake).
    pub fn into_parts(self) -> (S, Vec<u8>) {
        (self.stream, self.buf)
    }

    /// Reads the next request head.
    ///
    /// # Errors
    /// [`ReadError::Closed`] if the client closes or stays idle past
    /// `idle_timeout` before sending a byte; [`HttpError::RequestTimeout`] if
    /// the head is not complete within `head_timeout` of its first byte; the
    /// errors of [`parse_head`] for a bad head.
    pub fn read_request_head(
        &mut self,
        idle_timeout: Duration,
        head_timeout: Duration,
    ) -> Result<RequestHead, ReadError> {
        let mut deadline = None;
        loop {
            if self.buf.is_empty() {
                match self.fill(idle_timeout) {
                    Ok(()) => {}
                    Err(NoBytes::Failed(error)) => return Err(ReadError::Io(error)),
                    Err(_) => return Err(ReadError::Closed),
                }
                continue;
            }
            let deadline = *deadline.get_or_insert_with(|| Instant::now() + head_timeout);
            if let Some((head, used)) = parse_head(&self.buf)? {
                self.buf.drain(..used);
                return Ok(head);
            }
            self.fill_before(deadline)?;
        }
    }

    /// Takes exactly `n` bytes, reading more as needed before `deadline`.
    pub fn take_exact(&mut self, n: usize, deadline: Instant) -> Result<Vec<u8>, ReadError> {
        while self.buf.len() < n {
            self.fill_before(deadline)?;
        }
        Ok(self.buf.drain(..n).collect())
    }

    /// Takes what a push parser accepts from the start of the bytes
    /// received: `parse` answers `Ok(None)` for "not yet" and
    /// `Ok(Some((value, used)))` once it has a value from the first `used`
    /// bytes. More bytes are read until it decides, before `deadline`.
    ///
    /// # Errors
    /// The parser's error; 408 when `deadline` passes first.
    pub fn take_parsed<T>(
        &mut self,
        deadline: Instant,
        mut parse: impl FnMut(&[u8]) -> Result<Option<(T, usize)>, HttpError>,
    ) -> Result<T, ReadError> {
        loop {
            if let Some((value, used)) = parse(&self.buf)? {
                self.buf.drain(..used);
                return Ok(value);
            }
            self.fill_before(deadline)?;
        }
    }

    /// Takes one line ending in LF (the CR before it, if any, is dropped).
    ///
    /// # Errors
    /// 400 if no line end comes within `max_bytes`.
    pub fn take_line(&mut self, max_bytes: usize, deadline: Instant) -> Result<Vec<u8>, ReadError> {
        loop {
            if let Some(end) = self.buf.iter().position(|&b| b == b'\n') {
                let mut line: Vec<u8> = self.buf.drain(..=end).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(line);
            }
            if self.buf.len() > max_bytes {
                return Err(HttpError::BadRequest("line too long in chunked body").into());
            }
            self.fill_before(deadline)?;
        }
    }

    /// Reads more bytes, failing with 408 once `deadline` has passed.
    fn fill_before(&mut self, deadline: Instant) -> Result<(), ReadError> {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(HttpError::RequestTimeout.into());
        }
        match self.fill(left) {
            Ok(()) => Ok(()),
            Err(NoBytes::TimedOut) => Err(HttpError::RequestTimeout.into()),
            Err(NoBytes::Closed) => Err(ReadError::Closed),
            Err(NoBytes::Failed(error)) => Err(ReadError::Io(error)),
        }
    }

    /// One `read` of up to [`READ_CHUNK_BYTES`], waiting at most `timeout`.
    fn fill(&mut self, timeout: Duration) -> Result<(), NoBytes> {
        if self.timeout_set != Some(timeout) {
            // A zero timeout is an error for std; `fill_before` never passes one.
            self.stream
                .set_read_timeout(timeout)
                .map_err(NoBytes::Failed)?;
            self.timeout_set = Some(timeout);
        }
        match read_some(&mut self.stream, &mut self.chunk) {
            Ok(0) => Err(NoBytes::Closed),
            Ok(n) => {
                self.buf.extend_from_slice(&self.chunk[..n]);
                Ok(())
            }
            Err(error)
                if matches!(
                    error.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                Err(NoBytes::TimedOut)
            }
            Err(error) => Err(NoBytes::Failed(error)),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;

    use super::*;
    use crate::http::body::read_body;
    use crate::http::request_head::BodyFraming;

    /// What one `read` of the script does.
    enum Step {
        Bytes(Vec<u8>),
        /// The read timeout passes with nothing read.
        Silence,
    }

    /// A source that plays its steps in order, then reads as closed.
    struct Script(VecDeque<Step>);

    impl Read for Script {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            match self.0.pop_front() {
                None => Ok(0),
                Some(Step::Silence) => Err(io::ErrorKind::WouldBlock.into()),
                Some(Step::Bytes(bytes)) => {
                    buf[..bytes.len()].copy_from_slice(&bytes);
                    Ok(bytes.len())
                }
            }
        }
    }

    impl Source for Script {
        fn set_read_timeout(&mut self, _: Duration) -> io::Result<()> {
            Ok(())
        }
    }

    fn bytes(bytes: &[u8]) -> Step {
        Step::Bytes(bytes.to_vec())
    }

    fn reader(steps: Vec<Step>) -> Reader<Script> {
        Reader::new(Script(steps.into()))
    }

    const SECOND: Duration = Duration::from_secs(1);

    fn head(reader: &mut Reader<Script>) -> Result<RequestHead, ReadError> {
        reader.read_request_head(SECOND, SECOND)
    }

    fn status(result: Result<impl std::fmt::Debug, ReadError>) -> u16 {
        match result {
            Err(ReadError::Http(error)) => error.status(),
            other => panic!("expected an HTTP error, got {other:?}"),
        }
    }

    #[test]
    fn a_head_in_many_pieces_is_read_once_whole() {
        let mut reader = reader(vec![
            bytes(b"GE"),
            bytes(b"T /stats HT"),
            bytes(b"TP/1.1\r\nHost: x\r"),
            bytes(b"\n\r\n"),
        ]);
        let head = head(&mut reader).unwrap();
        assert_eq!((head.method.as_str(), head.path()), ("GET", "/stats"));
    }

    #[test]
    fn pipelined_requests_are_kept_for_the_next_read() {
        let mut reader = reader(vec![bytes(
            b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n",
        )]);
        assert_eq!(head(&mut reader).unwrap().path(), "/a");
        assert_eq!(head(&mut reader).unwrap().path(), "/b");
        assert!(matches!(head(&mut reader), Err(ReadError::Closed)));
    }

    #[test]
    fn an_idle_connection_closes_quietly_and_a_stalled_head_is_408() {
        let mut idle = reader(vec![Step::Silence]);
        assert!(matches!(head(&mut idle), Err(ReadError::Closed)));
        let mut stalled = reader(vec![bytes(b"GET / HT"), Step::Silence]);
        assert_eq!(status(head(&mut stalled)), 408);
        let mut cut = reader(vec![bytes(b"GET / HT")]);
        assert!(matches!(head(&mut cut), Err(ReadError::Closed)));
    }

    #[test]
    fn a_bad_head_is_its_status() {
        let mut reader = reader(vec![bytes(b"GET / HTTP/1.1\r\n\r\n")]);
        assert_eq!(status(head(&mut reader)), 400);
    }

    #[test]
    fn bodies_are_read_by_length_or_by_chunks_across_reads() {
        let deadline = Instant::now() + SECOND;
        let mut by_length = reader(vec![bytes(b"hel"), bytes(b"lo!extra")]);
        let body = read_body(&mut by_length, BodyFraming::Length(5), 100, deadline).unwrap();
        assert_eq!(body, b"hello");
        let mut chunked = reader(vec![
            bytes(b"5;ex"),
            bytes(b"t=1\r\nhel"),
            bytes(b"lo\r\n0\r\nTrailer: x\r\n\r\n"),
        ]);
        let body = read_body(&mut chunked, BodyFraming::Chunked, 100, deadline).unwrap();
        assert_eq!(body, b"hello");
    }

    #[test]
    fn body_limits_hold_however_the_bytes_arrive() {
        let deadline = Instant::now() + SECOND;
        let mut too_big = reader(vec![]);
        assert_eq!(
            status(read_body(
                &mut too_big,
                BodyFraming::Length(101),
                100,
                deadline
            )),
            413
        );
        let mut chunks_too_big = reader(vec![bytes(b"40\r\n")]);
        assert_eq!(
            status(read_body(
                &mut chunks_too_big,
                BodyFraming::Chunked,
                63,
                deadline
            )),
            413
        );
        let long_line = format!(
            "1;{}
x
0

",
            "e".repeat(2000)
        )
        .into_bytes();
        let mut whole = reader(vec![bytes(&long_line[..1500]), bytes(&long_line[1500..])]);
        assert_eq!(
            status(read_body(&mut whole, BodyFraming::Chunked, 100, deadline)),
            400
        );
        let mut slow = reader(vec![bytes(b"5\r\nhe"), Step::Silence]);
        assert_eq!(
            status(read_body(&mut slow, BodyFraming::Chunked, 100, deadline)),
            408
        );
    }
}
