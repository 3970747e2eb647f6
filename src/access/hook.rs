//! Asking the app: one `POST` to `--auth-hook`, and its answer read within
//! bounds.
//!
//! The request is HTTP/1.1 with `Connection: close`, a JSON body
//! `{"action":"listen","topics":["a"]}` and the forwarded credentials.
//! The whole exchange (connect, send, read) has one deadline,
//! `--auth-hook-timeout`, and the answer one size bound,
//! [`AUTH_ANSWER_MAX_BYTES`]. The answer's body is framed by
//! `Content-Length`, by the chunked coding (which many frameworks use
//! when a handler does not set a length; read with the same code as a
//! chunked request), or by the end of the connection.
//!
//! `200` with a valid grant allows, `401` and `403` refuse, and anything
//! else (no connection, too slow, another status, a body that is not the
//! answer) means the hook could not answer: a temporary failure, which
//! herald never takes for a refusal.

use std::io::{self, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use crate::access::credentials::Credentials;
use crate::access::grant::{Grant, parse_grant};
use crate::http::body::read_body;
use crate::http::reader::Reader;
use crate::http::request_head::BodyFraming;
use crate::limits::{AUTH_ANSWER_MAX_BYTES, READ_CHUNK_BYTES};
use crate::socket_io::read_some;
use crate::wire::json;

/// Where the hook is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookAddress {
    /// The host and port to connect to, resolved when herald starts.
    pub addr: SocketAddr,
    /// The `Host` header: the URL's host and port as written.
    pub host: String,
    /// The path (and query) to `POST` to.
    pub path: String,
}

impl HookAddress {
    /// Reads an `http://HOST[:PORT]/PATH` URL, resolving HOST now.
    ///
    /// # Errors
    /// The reason, for the usage message.
    pub fn parse(url: &str) -> Result<HookAddress, String> {
        let rest = url
            .strip_prefix("http://")
            .ok_or("--auth-hook must be an http:// URL")?;
        let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let path = if path.is_empty() { "/" } else { path };
        if host.is_empty() || path.chars().any(|c| c.is_control() || c == ' ') {
            return Err("--auth-hook must be an http://HOST[:PORT]/PATH URL".into());
        }
        let with_port = if host
            .rsplit_once(':')
            .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
        {
            host.to_string()
        } else {
            format!("{host}:80")
        };
        let addr = std::net::ToSocketAddrs::to_socket_addrs(&with_port)
            .map_err(|error| format!("--auth-hook: cannot resolve {host}: {error}"))?
            .next()
            .ok_or_else(|| format!("--auth-hook: {host} has no address"))?;
        Ok(HookAddress {
            addr,
            host: host.to_string(),
            path: path.to_string(),
        })
    }
}

/// What the hook said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HookAnswer {
    /// `200` and a grant.
    Allowed(Grant),
    /// `401` or `403`.
    Refused(u16),
}

/// Asks the hook whether the holder of `credentials` may do `action` with
/// `topics`; `Err` with the reason when it could not answer in time.
pub fn ask(
    hook: &HookAddress,
    timeout: Duration,
    credentials: &Credentials,
    action: &str,
    topics: &[String],
) -> Result<HookAnswer, String> {
    let deadline = Instant::now() + timeout;
    let mut stream = TcpStream::connect_timeout(&hook.addr, timeout)
        .map_err(|error| format!("cannot connect to {}: {error}", hook.addr))?;
    stream
        .write_all(&request(hook, credentials, action, topics))
        .map_err(|error| format!("cannot send to the hook: {error}"))?;
    let reply = read_reply(&mut stream, deadline)?;
    interpret(&reply)
}

/// The request's bytes.
fn request(
    hook: &HookAddress,
    credentials: &Credentials,
    action: &str,
    topics: &[String],
) -> Vec<u8> {
    let listed: Vec<String> = topics
        .iter()
        .map(|topic| json::string_or_null(Some(topic)))
        .collect();
    let body = format!(
        "{{\"action\":{},\"topics\":[{}]}}",
        json::string_or_null(Some(action)),
        listed.join(",")
    );
    format!(
        "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\nUser-Agent: herald/{}\r\n{}\r\n{body}",
        hook.path,
        hook.host,
        body.len(),
        env!("CARGO_PKG_VERSION"),
        credentials.header_lines()
    )
    .into_bytes()
}

/// Reads until the answer is whole (by its length, or the connection's
/// end), the deadline passes, or it grows past the bound.
fn read_reply(stream: &mut TcpStream, deadline: Instant) -> Result<Vec<u8>, String> {
    let bound = AUTH_ANSWER_MAX_BYTES + 16 * 1024; // the body and a head
    let mut reply = Vec::new();
    let mut chunk = [0u8; READ_CHUNK_BYTES];
    loop {
        if let Some(whole) = whole_length(&reply)
            && reply.len() >= whole
        {
            reply.truncate(whole);
            return Ok(reply);
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err("the hook did not answer in time".into());
        }
        stream
            .set_read_timeout(Some(left))
            .map_err(|error| error.to_string())?;
        match read_some(stream, &mut chunk) {
            Ok(0) => return Ok(reply),
            Ok(n) => reply.extend_from_slice(&chunk[..n]),
            Err(error) if is_timeout(&error) => {
                return Err("the hook did not answer in time".into());
            }
            Err(error) => return Err(format!("reading the hook's answer: {error}")),
        }
        if reply.len() > bound {
            return Err("the hook's answer is too large".into());
        }
    }
}

fn is_timeout(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// The length of the whole answer, once its head is in and says it: by
/// `Content-Length`, or, for a chunked answer, once its chunks are all in.
fn whole_length(reply: &[u8]) -> Option<usize> {
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut response = httparse::Response::new(&mut headers);
    let httparse::Status::Complete(head_len) = response.parse(reply).ok()? else {
        return None;
    };
    if is_chunked(response.headers) {
        // Only the last chunk can end in "0\r\n\r\n"; decode to be sure.
        let body = &reply[head_len..];
        return (body.ends_with(b"0\r\n\r\n") && dechunk(body).is_ok()).then_some(reply.len());
    }
    let length = response
        .headers
        .iter()
        .find(|header| header.name.eq_ignore_ascii_case("content-length"))
        .and_then(|header| std::str::from_utf8(header.value).ok())
        .and_then(|value| value.trim().parse::<usize>().ok())?;
    Some(head_len + length)
}

fn is_chunked(headers: &[httparse::Header<'_>]) -> bool {
    headers.iter().any(|header| {
        header.name.eq_ignore_ascii_case("transfer-encoding")
            && !header.value.eq_ignore_ascii_case(b"identity")
    })
}

/// The body of a chunked answer that is all in hand.
fn dechunk(body: &[u8]) -> Result<Vec<u8>, String> {
    // The bytes are here already: no read waits, so any deadline will do.
    let no_wait = Instant::now() + Duration::from_secs(1);
    read_body(
        &mut Reader::new(body),
        BodyFraming::Chunked,
        AUTH_ANSWER_MAX_BYTES,
        no_wait,
    )
    .map_err(|_| "the hook's chunked answer is cut short, malformed or too large".to_string())
}

/// The status and body of a whole answer.
fn interpret(reply: &[u8]) -> Result<HookAnswer, String> {
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut response = httparse::Response::new(&mut headers);
    let head_len = match response.parse(reply) {
        Ok(httparse::Status::Complete(n)) => n,
        _ => return Err("the hook's answer is not HTTP".into()),
    };
    match response.code {
        Some(200) => {
            let body = match is_chunked(response.headers) {
                true => dechunk(&reply[head_len..])?,
                false => reply[head_len..].to_vec(),
            };
            if body.len() > AUTH_ANSWER_MAX_BYTES {
                return Err("the hook's answer is too large".into());
            }
            parse_grant(&body)
                .map(HookAnswer::Allowed)
                .map_err(|reason| format!("the hook's answer: {reason}"))
        }
        Some(status @ (401 | 403)) => Ok(HookAnswer::Refused(status)),
        Some(status) => Err(format!("the hook answered {status}")),
        None => Err("the hook's answer is not HTTP".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hook_urls() {
        let hook = HookAddress::parse("http://127.0.0.1:8001/herald/auth?x=1").unwrap();
        assert_eq!(hook.addr, "127.0.0.1:8001".parse().unwrap());
        assert_eq!(hook.host, "127.0.0.1:8001");
        assert_eq!(hook.path, "/herald/auth?x=1");
        assert_eq!(HookAddress::parse("http://127.0.0.1").unwrap().path, "/");
        assert_eq!(
            HookAddress::parse("http://127.0.0.1").unwrap().addr.port(),
            80
        );
        assert!(HookAddress::parse("https://127.0.0.1/").is_err());
        assert!(HookAddress::parse("http:///x").is_err());
    }

    #[test]
    fn answers_are_read_by_status() {
        let ok = b"HTTP/1.1 200 OK\r\nContent-Length: 14\r\n\r\n{\"listen\":\"*\"}";
        assert!(matches!(interpret(ok), Ok(HookAnswer::Allowed(_))));
        assert_eq!(
            interpret(b"HTTP/1.1 403 Forbidden\r\n\r\n"),
            Ok(HookAnswer::Refused(403))
        );
        assert!(interpret(b"HTTP/1.1 500 Oops\r\n\r\n").is_err());
        assert!(interpret(b"HTTP/1.1 200 OK\r\n\r\nnot json").is_err());
        assert!(interpret(b"garbage").is_err());
        assert_eq!(whole_length(ok), Some(ok.len()));
    }

    #[test]
    fn a_chunked_answer_is_whole_when_its_last_chunk_is_in() {
        let head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
        let whole = format!("{head}5\r\n{{\"lis\r\n9\r\nten\":\"*\"}}\r\n0\r\n\r\n");
        assert_eq!(whole_length(whole.as_bytes()), Some(whole.len()));
        assert!(matches!(
            interpret(whole.as_bytes()),
            Ok(HookAnswer::Allowed(_))
        ));
        // Data that happens to end like the last chunk is not the end.
        let early = format!("{head}5\r\nab0\r\n\r\n");
        assert_eq!(whole_length(early.as_bytes()), None);
        let cut = format!("{head}9\r\n{{\"listen\"");
        assert_eq!(whole_length(cut.as_bytes()), None);
        assert!(interpret(cut.as_bytes()).is_err());
    }

    #[test]
    fn the_request_forwards_only_the_credentials() {
        let hook = HookAddress::parse("http://127.0.0.1:9/auth").unwrap();
        let credentials = Credentials {
            cookie: Some("sessionid=abc".into()),
            forwarded_for: Some("10.0.0.1".into()),
            ..Credentials::default()
        };
        let text =
            String::from_utf8(request(&hook, &credentials, "listen", &["a\"b".into()])).unwrap();
        assert!(text.starts_with("POST /auth HTTP/1.1\r\nHost: 127.0.0.1:9\r\n"));
        assert!(text.contains("Cookie: sessionid=abc\r\nX-Forwarded-For: 10.0.0.1\r\n\r\n"));
        assert!(!text.contains("Authorization"));
        assert!(text.ends_with("{\"action\":\"listen\",\"topics\":[\"a\\\"b\"]}"));
    }
}
