//! Asking the app: one `POST` to `--auth-hook`, and its answer read within
//! bounds.
//!
//! The request is HTTP/1.1 with `Connection: close`, a JSON body
//! `{"action":"listen","topics":["a"]}` and the forwarded credentials,
//! sent and read with herald's one HTTP client ([`crate::http::client`]).
//! The whole exchange (connect, send, read) has one deadline,
//! `--auth-hook-timeout`, and the answer one size bound,
//! [`AUTH_ANSWER_MAX_BYTES`]. The answer's body is framed by
//! `Content-Length`, by the chunked coding (which many frameworks use
//! when a handler does not set a length), or by the end of the connection.
//!
//! `200` with a valid grant allows, `401` and `403` refuse, and anything
//! else (no connection, too slow, another status, a body that is not the
//! answer) means the hook could not answer: a [`HookFailure`], which
//! herald never takes for a refusal.

use std::fmt;
use std::io::BufReader;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::access::credentials::Credentials;
use crate::access::grant::{Grant, GrantError, parse_grant};
use crate::http::client::{self, ClientError, Deadline, Url};
use crate::limits::AUTH_ANSWER_MAX_BYTES;
use crate::wire::json;

/// Where the hook is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookAddress {
    /// The URL, as given.
    pub url: Url,
    /// Its host's address, resolved when herald starts.
    pub addr: SocketAddr,
}

impl HookAddress {
    /// Reads an `http://HOST[:PORT]/PATH` URL, resolving HOST now.
    ///
    /// # Errors
    /// A [`HookAddressError`], for the usage message.
    pub fn parse(url: &str) -> Result<HookAddress, HookAddressError> {
        let url = Url::parse(url).map_err(HookAddressError)?;
        let addr = url.addresses().map_err(HookAddressError)?[0];
        Ok(HookAddress { url, addr })
    }
}

/// Why `--auth-hook` names no hook herald can ask.
#[derive(Debug)]
pub struct HookAddressError(ClientError);

impl fmt::Display for HookAddressError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "--auth-hook: {}", self.0)
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

/// Why the hook could not answer: never a refusal.
#[derive(Debug)]
pub enum HookFailure {
    /// Connecting, sending or reading failed, or took too long.
    Exchange(ClientError),
    /// It answered with a status that is neither a grant nor a refusal.
    Status(u16),
    /// Its `200` body is not the answer; says why.
    Answer(GrantError),
}

impl fmt::Display for HookFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HookFailure::Exchange(error) => write!(f, "{error}"),
            HookFailure::Status(status) => write!(f, "the hook answered {status}"),
            HookFailure::Answer(why) => write!(f, "the hook's answer: {why}"),
        }
    }
}

impl From<ClientError> for HookFailure {
    fn from(error: ClientError) -> Self {
        HookFailure::Exchange(error)
    }
}

/// Asks the hook whether the holder of `credentials` may do `action` with
/// `topics`, all within `timeout`.
///
/// # Errors
/// A [`HookFailure`] when it could not answer in time, or not readably.
pub fn ask(
    hook: &HookAddress,
    timeout: Duration,
    credentials: &Credentials,
    action: &str,
    topics: &[String],
) -> Result<HookAnswer, HookFailure> {
    let deadline = Instant::now() + timeout;
    let mut stream = client::connect(&[hook.addr], timeout)?;
    let (headers, body) = request(credentials, action, topics);
    let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let request_line = format!("POST {} HTTP/1.1", hook.url.path);
    client::write_request(&mut stream, &hook.url.host, &request_line, &headers, &body)?;
    let mut reader = BufReader::new(Deadline::new(stream, deadline));
    let head = client::read_response_head(&mut reader)?;
    match head.status {
        200 => {
            let body = client::read_body(&mut reader, &head, AUTH_ANSWER_MAX_BYTES)?;
            parse_grant(&body)
                .map(HookAnswer::Allowed)
                .map_err(HookFailure::Answer)
        }
        status @ (401 | 403) => Ok(HookAnswer::Refused(status)),
        status => Err(HookFailure::Status(status)),
    }
}

/// The request's headers (beside `Host` and `Content-Length`) and body.
fn request(
    credentials: &Credentials,
    action: &str,
    topics: &[String],
) -> (Vec<(&'static str, String)>, Vec<u8>) {
    let listed: Vec<String> = topics
        .iter()
        .map(|topic| json::string_or_null(Some(topic)))
        .collect();
    let body = format!(
        "{{\"action\":{},\"topics\":[{}]}}",
        json::string_or_null(Some(action)),
        listed.join(",")
    );
    let mut headers = vec![
        ("Content-Type", "application/json".to_string()),
        ("Connection", "close".to_string()),
        (
            "User-Agent",
            format!("herald/{}", env!("CARGO_PKG_VERSION")),
        ),
    ];
    headers.extend(credentials.headers());
    (headers, body.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::TcpListener;

    #[test]
    fn hook_urls() {
        let hook = HookAddress::parse("http://127.0.0.1:8001/herald/auth?x=1").unwrap();
        assert_eq!(hook.addr, "127.0.0.1:8001".parse().unwrap());
        assert_eq!(hook.url.host, "127.0.0.1:8001");
        assert_eq!(hook.url.path, "/herald/auth?x=1");
        assert_eq!(
            HookAddress::parse("http://127.0.0.1").unwrap().url.path,
            "/"
        );
        assert_eq!(
            HookAddress::parse("http://127.0.0.1").unwrap().addr.port(),
            80
        );
        assert!(HookAddress::parse("https://127.0.0.1/").is_err());
        assert!(HookAddress::parse("http:///x").is_err());
    }

    /// Asks a hook that answers `reply` and closes; the answer, and the
    /// request the hook read.
    fn ask_one(
        reply: &'static [u8],
        credentials: &Credentials,
    ) -> (Result<HookAnswer, HookFailure>, String) {
        let server = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/auth", server.local_addr().unwrap());
        let hook = HookAddress::parse(&url).unwrap();
        let app = std::thread::spawn(move || {
            let (mut stream, _) = server.accept().unwrap();
            let mut request = vec![0u8; 4096];
            let n = stream.read(&mut request).unwrap();
            stream.write_all(reply).unwrap();
            String::from_utf8_lossy(&request[..n]).into_owned()
        });
        let topics = ["a\"b".to_string()];
        let answer = ask(
            &hook,
            Duration::from_secs(5),
            credentials,
            "listen",
            &topics,
        );
        (answer, app.join().unwrap())
    }

    #[test]
    fn answers_are_read_by_status_and_framing() {
        let none = Credentials::default();
        let allowed = |reply| matches!(ask_one(reply, &none).0, Ok(HookAnswer::Allowed(_)));
        assert!(allowed(
            b"HTTP/1.1 200 OK\r\nContent-Length: 14\r\n\r\n{\"listen\":\"*\"}"
        ));
        assert!(allowed(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"lis\r\n9\r\nten\":\"*\"}\r\n0\r\n\r\n"
        ));
        assert!(allowed(b"HTTP/1.0 200 OK\r\n\r\n{\"listen\":\"*\"}"));
        assert!(matches!(
            ask_one(b"HTTP/1.1 403 Forbidden\r\n\r\n", &none).0,
            Ok(HookAnswer::Refused(403))
        ));
        for failing in [
            &b"HTTP/1.1 500 Oops\r\n\r\n"[..],
            b"HTTP/1.1 200 OK\r\n\r\nnot json",
            b"garbage\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n9\r\n{\"listen\"",
        ] {
            assert!(
                ask_one(failing, &none).0.is_err(),
                "{}",
                String::from_utf8_lossy(failing)
            );
        }
    }

    #[test]
    fn the_request_forwards_only_the_credentials() {
        let credentials = Credentials {
            cookie: Some("sessionid=abc".into()),
            forwarded_for: Some("10.0.0.1".into()),
            ..Credentials::default()
        };
        let (_, text) = ask_one(b"HTTP/1.1 403 Forbidden\r\n\r\n", &credentials);
        assert!(
            text.starts_with("POST /auth HTTP/1.1\r\nHost: 127.0.0.1:"),
            "{text}"
        );
        assert!(text.contains("Cookie: sessionid=abc\r\nX-Forwarded-For: 10.0.0.1\r\n"));
        assert!(!text.contains("Authorization"));
        assert!(
            text.ends_with("{\"action\":\"listen\",\"topics\":[\"a\\\"b\"]}"),
            "{text}"
        );
    }
}
