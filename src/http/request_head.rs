//! The request head: from bytes to a [`RequestHead`] holding what herald needs to know.
//!
//! [`parse_head`] is a pure function over the bytes received so far. It asks
//! `httparse` to parse them; `httparse` answers "not yet" (`Partial`), "done,
//! after `n` bytes" (`Complete(n)`), or "malformed". `httparse` puts no bound on
//! size and time (its docs hand that to the caller): the size bounds are checked
//! here, and the time bound by [`crate::http::reader`].
//!
//! Then the few headers herald acts on are read into plain fields, and the
//! message framing is checked (RFC 9112 §6): a request that could be read two
//! ways (both `Content-Length` and `Transfer-Encoding`, two different lengths)
//! is refused, because a proxy in front of herald might read it the other way
//! ("request smuggling").

use crate::http::error::HttpError;
use crate::limits::{MAX_HEAD_BYTES, MAX_HEADERS, MAX_TARGET_BYTES};

/// What the request's head says, in the terms herald uses: HTTP's own
/// fields first, then the headers herald's routes decide by.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestHead {
    // ---- HTTP: the request line and the message framing ----
    /// `GET`, `POST`, …
    pub method: String,
    /// The request target as sent: path and query, still percent-encoded.
    pub target: String,
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    pub minor_version: u8,
    /// Whether the connection may carry another request after this one.
    pub keep_alive: bool,
    /// How the body is framed.
    pub body: BodyFraming,
    /// The media type of the body, lower-cased, without parameters.
    pub content_type: Option<String>,
    // ---- herald's: what the routes decide by ----
    /// Whether `Accept` names `text/html`: a browser's form post.
    pub accepts_html: bool,
    /// The `Last-Event-ID` header, sent by a reconnecting `EventSource`.
    pub last_event_id: Option<String>,
    /// The `Authorization` header.
    pub authorization: Option<String>,
    /// The `Idempotency-Key` header, without the quotes the IETF draft
    /// (a structured-field string) puts around it.
    pub idempotency_key: Option<String>,
    /// `Cookie` (several are joined with `; `), forwarded to `--auth-hook`.
    pub cookie: Option<String>,
    /// `X-Forwarded-For` (several are joined with `, `), forwarded to
    /// `--auth-hook` with the client's address appended.
    pub forwarded_for: Option<String>,
    /// The `Origin` header, sent by a page from another site.
    pub origin: Option<String>,
    /// The `Host` header, to tell a page's own origin from another's.
    pub host: Option<String>,
    // ---- the WebSocket handshake (RFC 6455 §4.2.1) ----
    /// The `Upgrade` header (`websocket` for a WebSocket handshake).
    pub upgrade: Option<String>,
    /// Whether `Connection` names `upgrade`.
    pub connection_upgrade: bool,
    /// `Sec-WebSocket-Version`.
    pub websocket_version: Option<String>,
    /// `Sec-WebSocket-Key`.
    pub websocket_key: Option<String>,
}

/// How the length of a request body is known (RFC 9112 §6.3).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum BodyFraming {
    /// No body.
    #[default]
    None,
    /// `Content-Length: n`.
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
}

impl RequestHead {
    /// The path part of the target, before any `?`.
    pub fn path(&self) -> &str {
        self.target
            .split_once('?')
            .map_or(&self.target, |(path, _)| path)
    }

    /// The query part of the target, after the `?` (empty if none).
    pub fn query(&self) -> &str {
        self.target.split_once('?').map_or("", |(_, query)| query)
    }
}

/// Parses a request head from the start of `buf`.
///
/// Returns `Ok(None)` while more bytes are needed, and `Ok(Some((head, n)))`
/// once the head is complete in the first `n` bytes.
///
/// # Errors
/// - 400 for a malformed request line or header (obsolete line folding included),
///   a missing `Host` in HTTP/1.1, or ambiguous framing;
/// - 414 when the request target is longer than [`MAX_TARGET_BYTES`];
/// - 431 when the head is longer than [`MAX_HEAD_BYTES`] or has more than
///   [`MAX_HEADERS`] lines;
/// - 501 for a transfer coding other than `chunked`;
/// - 505 for an HTTP version other than 1.0 and 1.1.
pub fn parse_head(buf: &[u8]) -> Result<Option<(RequestHead, usize)>, HttpError> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut headers);
    match request.parse(buf) {
        Ok(httparse::Status::Complete(n)) if n > MAX_HEAD_BYTES => {
            Err(HttpError::HeaderFieldsTooLarge)
        }
        Ok(httparse::Status::Complete(n)) => Ok(Some((interpret(&request)?, n))),
        Ok(httparse::Status::Partial) => check_partial(buf).map(|()| None),
        Err(httparse::Error::TooManyHeaders) => Err(HttpError::HeaderFieldsTooLarge),
        Err(httparse::Error::Version) if names_http_version(buf) => {
            Err(HttpError::VersionNotSupported)
        }
        Err(_) => Err(HttpError::BadRequest("malformed request head")),
    }
}

/// An incomplete head may already be too long to ever be accepted.
fn check_partial(buf: &[u8]) -> Result<(), HttpError> {
    let request_line_done = buf.contains(&b'\n');
    // "GET " before the target and " HTTP/1.1\r\n" after it: a little slack.
    if !request_line_done && buf.len() > MAX_TARGET_BYTES + 32 {
        return Err(HttpError::UriTooLong);
    }
    if buf.len() >= MAX_HEAD_BYTES {
        return Err(HttpError::HeaderFieldsTooLarge);
    }
    Ok(())
}

/// Whether the request line is well formed but for its version: exactly a
/// method, a target and `HTTP/d.d`, one space apart (RFC 9112 §3). Only then
/// is a version error an unsupported version (505) rather than a malformed
/// line (400).
fn names_http_version(buf: &[u8]) -> bool {
    let line = buf.split(|&b| b == b'\n').next().unwrap_or(buf);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let parts: Vec<&[u8]> = line.split(|&b| b == b' ').collect();
    let [method, target, version] = parts[..] else {
        return false;
    };
    let token = |part: &[u8]| !part.is_empty() && part.iter().all(|&b| b.is_ascii_graphic());
    let is_version = matches!(version, [b'H', b'T', b'T', b'P', b'/', major, b'.', minor]
        if major.is_ascii_digit() && minor.is_ascii_digit());
    token(method) && token(target) && is_version
}

fn interpret(request: &httparse::Request<'_, '_>) -> Result<RequestHead, HttpError> {
    // httparse fills these three in before it can report `Complete`.
    let (Some(method), Some(target), Some(minor_version)) =
        (request.method, request.path, request.version)
    else {
        return Err(HttpError::BadRequest("malformed request line"));
    };
    if target.len() > MAX_TARGET_BYTES {
        return Err(HttpError::UriTooLong);
    }
    let mut head = RequestHead {
        method: method.to_string(),
        target: target.to_string(),
        minor_version,
        keep_alive: minor_version == 1,
        ..RequestHead::default()
    };
    let mut framing = Framing::default();
    for header in request.headers.iter() {
        read_header(&mut head, &mut framing, header.name, header.value)?;
    }
    if framing.hosts > 1 {
        return Err(HttpError::BadRequest("two Host headers"));
    }
    if minor_version == 1 && framing.hosts != 1 {
        return Err(HttpError::BadRequest(
            "HTTP/1.1 needs exactly one Host header",
        ));
    }
    head.body = framing.resolve()?;
    Ok(head)
}

/// The framing headers as seen, checked together once all are read.
#[derive(Default)]
struct Framing {
    content_length: Option<u64>,
    transfer_encoding: Option<String>,
    hosts: usize,
}

impl Framing {
    fn resolve(self) -> Result<BodyFraming, HttpError> {
        match (self.content_length, self.transfer_encoding) {
            (Some(_), Some(_)) => Err(HttpError::BadRequest(
                "Content-Length and Transfer-Encoding together",
            )),
            (None, Some(coding)) if coding.eq_ignore_ascii_case("chunked") => {
                Ok(BodyFraming::Chunked)
            }
            (None, Some(_)) => Err(HttpError::NotImplemented),
            (Some(0), None) | (None, None) => Ok(BodyFraming::None),
            (Some(n), None) => Ok(BodyFraming::Length(n)),
        }
    }
}

fn read_header(
    head: &mut RequestHead,
    framing: &mut Framing,
    name: &str,
    value: &[u8],
) -> Result<(), HttpError> {
    let text = || {
        std::str::from_utf8(value)
            .map(str::trim)
            .map_err(|_| HttpError::BadRequest("header value is not UTF-8"))
    };
    if name.eq_ignore_ascii_case("content-length") {
        let length = parse_length(value)?;
        if framing.content_length.is_some_and(|seen| seen != length) {
            return Err(HttpError::BadRequest(
                "two different Content-Length headers",
            ));
        }
        framing.content_length = Some(length);
    } else if name.eq_ignore_ascii_case("transfer-encoding") {
        if framing.transfer_encoding.is_some() {
            return Err(HttpError::NotImplemented);
        }
        framing.transfer_encoding = Some(text()?.to_string());
    } else if name.eq_ignore_ascii_case("host") {
        framing.hosts += 1;
        head.host = Some(text()?.to_string());
    } else if name.eq_ignore_ascii_case("connection") {
        for option in text()?.split(',').map(str::trim) {
            if option.eq_ignore_ascii_case("close") {
                head.keep_alive = false;
            } else if option.eq_ignore_ascii_case("keep-alive") && head.minor_version == 0 {
                head.keep_alive = true;
            } else if option.eq_ignore_ascii_case("upgrade") {
                head.connection_upgrade = true;
            }
        }
    } else if name.eq_ignore_ascii_case("content-type") {
        let media_type = text()?.split(';').next().unwrap_or("").trim();
        head.content_type = Some(media_type.to_ascii_lowercase());
    } else if name.eq_ignore_ascii_case("accept") {
        head.accepts_html |= text()?.contains("text/html");
    } else if name.eq_ignore_ascii_case("last-event-id") {
        set_once(
            &mut head.last_event_id,
            text()?,
            "two Last-Event-ID headers",
        )?;
    } else if name.eq_ignore_ascii_case("idempotency-key") {
        let key = text()?;
        let unquoted = key.strip_prefix('"').and_then(|key| key.strip_suffix('"'));
        let two = "two Idempotency-Key headers";
        set_once(&mut head.idempotency_key, unquoted.unwrap_or(key), two)?;
    } else if name.eq_ignore_ascii_case("authorization") {
        set_once(
            &mut head.authorization,
            text()?,
            "two Authorization headers",
        )?;
    } else if name.eq_ignore_ascii_case("cookie") {
        join_into(&mut head.cookie, text()?, "; ");
    } else if name.eq_ignore_ascii_case("x-forwarded-for") {
        join_into(&mut head.forwarded_for, text()?, ", ");
    } else if name.eq_ignore_ascii_case("origin") {
        set_once(&mut head.origin, text()?, "two Origin headers")?;
    } else if name.eq_ignore_ascii_case("upgrade") {
        head.upgrade = Some(text()?.to_string());
    } else if name.eq_ignore_ascii_case("sec-websocket-version") {
        head.websocket_version = Some(text()?.to_string());
    } else if name.eq_ignore_ascii_case("sec-websocket-key") {
        head.websocket_key = Some(text()?.to_string());
    }
    Ok(())
}

/// Sets a header herald decides by, which a request may send once: two
/// could be read either way (a proxy may have checked the first, herald
/// would act on the last), so they are refused, as two lengths are.
fn set_once(field: &mut Option<String>, value: &str, two: &'static str) -> Result<(), HttpError> {
    if field.is_some() {
        return Err(HttpError::BadRequest(two));
    }
    *field = Some(value.to_string());
    Ok(())
}

/// Adds a repeated header's value to those before it (RFC 9110 §5.3;
/// `Cookie` is joined with `; `, RFC 6265 §5.4).
fn join_into(field: &mut Option<String>, value: &str, separator: &str) {
    match field {
        Some(joined) => {
            joined.push_str(separator);
            joined.push_str(value);
        }
        None => *field = Some(value.to_string()),
    }
}

/// `Content-Length` is one or more digits and nothing else (RFC 9110 §8.6).
fn parse_length(value: &[u8]) -> Result<u64, HttpError> {
    let bad = HttpError::BadRequest("invalid Content-Length");
    if value.is_empty() || !value.iter().all(u8::is_ascii_digit) {
        return Err(bad);
    }
    std::str::from_utf8(value)
        .ok()
        .and_then(|digits| digits.parse().ok())
        .ok_or(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Option<(RequestHead, usize)>, HttpError> {
        parse_head(text.as_bytes())
    }

    fn head(text: &str) -> RequestHead {
        parse(text).unwrap().unwrap().0
    }

    #[test]
    fn a_complete_head_says_where_it_ends() {
        let text = "GET /events?topic=a HTTP/1.1\r\nHost: x\r\nLast-Event-ID: 7\r\n\r\nNEXT";
        let (head, n) = parse(text).unwrap().unwrap();
        assert_eq!(&text[n..], "NEXT");
        assert_eq!(head.method, "GET");
        assert_eq!(head.path(), "/events");
        assert_eq!(head.query(), "topic=a");
        assert_eq!(head.last_event_id.as_deref(), Some("7"));
        assert!(head.keep_alive);
    }

    #[test]
    fn a_partial_head_asks_for_more() {
        assert_eq!(parse("GET / HTTP/1.1\r\nHo"), Ok(None));
        assert_eq!(parse(""), Ok(None));
    }

    #[test]
    fn keep_alive_follows_the_version_and_connection_header() {
        assert!(!head("GET / HTTP/1.0\r\n\r\n").keep_alive);
        assert!(head("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").keep_alive);
        assert!(!head("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").keep_alive);
    }

    #[test]
    fn framing() {
        let post = |headers: &str| parse(&format!("POST /p HTTP/1.1\r\nHost: x\r\n{headers}\r\n"));
        assert_eq!(
            post("Content-Length: 5\r\n").unwrap().unwrap().0.body,
            BodyFraming::Length(5)
        );
        assert_eq!(
            post("Transfer-Encoding: Chunked\r\n")
                .unwrap()
                .unwrap()
                .0
                .body,
            BodyFraming::Chunked
        );
        assert_eq!(
            post("Content-Length: 5\r\nContent-Length: 5\r\n")
                .unwrap()
                .unwrap()
                .0
                .body,
            BodyFraming::Length(5)
        );
        for bad in [
            "Content-Length: 5\r\nContent-Length: 6\r\n",
            "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",
            "Content-Length: -1\r\n",
            "Content-Length: 1e3\r\n",
            "Content-Length: 99999999999999999999999\r\n",
        ] {
            assert_eq!(post(bad).unwrap_err().status(), 400, "{bad}");
        }
        assert_eq!(
            post("Transfer-Encoding: gzip\r\n").unwrap_err().status(),
            501
        );
    }

    #[test]
    fn limits_and_versions_have_their_statuses() {
        let long_target = format!(
            "GET /{} HTTP/1.1\r\nHost: x\r\n\r\n",
            "a".repeat(MAX_TARGET_BYTES)
        );
        assert_eq!(parse(&long_target).unwrap_err().status(), 414);
        let unfinished_line = format!("GET /{}", "a".repeat(MAX_TARGET_BYTES + 100));
        assert_eq!(parse(&unfinished_line).unwrap_err().status(), 414);
        let many = format!(
            "GET / HTTP/1.1\r\nHost: x\r\n{}\r\n",
            "A: b\r\n".repeat(MAX_HEADERS)
        );
        assert_eq!(parse(&many).unwrap_err().status(), 431);
        let big = format!(
            "GET / HTTP/1.1\r\nHost: x\r\nA: {}",
            "b".repeat(MAX_HEAD_BYTES)
        );
        assert_eq!(parse(&big).unwrap_err().status(), 431);
        assert_eq!(parse("GET / HTTP/2.0\r\n\r\n").unwrap_err().status(), 505);
        assert_eq!(parse("G E T / HTTP/1.1\r\n\r\n").unwrap_err().status(), 400);
        assert_eq!(parse("GET / HTTP/10.0\r\n\r\n").unwrap_err().status(), 400);
        assert_eq!(parse("GET / FTP/1.1\r\n\r\n").unwrap_err().status(), 400);
    }

    #[test]
    fn malformed_heads_are_400() {
        for bad in [
            "GARBAGE\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: x\r\nFolded: a\r\n b\r\n\r\n",
            "GET / HTTP/1.1\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: x\r\nBad Name: v\r\n\r\n",
        ] {
            assert_eq!(parse(bad).unwrap_err().status(), 400, "{bad:?}");
        }
    }

    #[test]
    fn form_posts_from_browsers_are_recognised() {
        let h = head(
            "POST /publish HTTP/1.1\r\nHost: x\r\nAccept: text/html,*/*\r\n\
             Content-Type: application/x-www-form-urlencoded; charset=UTF-8\r\n\r\n",
        );
        assert!(h.accepts_html);
        assert_eq!(
            h.content_type.as_deref(),
            Some("application/x-www-form-urlencoded")
        );
    }

    #[test]
    fn the_request_line_is_checked_piece_by_piece() {
        let at_limit = format!(
            "GET /{} HTTP/1.1\r\nHost: x\r\n\r\n",
            "a".repeat(MAX_TARGET_BYTES - 1)
        );
        assert_eq!(head(&at_limit).target.len(), MAX_TARGET_BYTES);
        for bad in [
            "GET\r\n\r\n",
            "GET /\r\n\r\n",
            "GET / HTTP/1.1 extra\r\nHost: x\r\n\r\n",
            "G(T / HTTP/1.1\r\nHost: x\r\n\r\n",
        ] {
            assert_eq!(parse(bad).unwrap_err().status(), 400, "{bad:?}");
        }
        assert_eq!(head("HEAD / HTTP/1.0\r\n\r\n").minor_version, 0);
    }

    #[test]
    fn header_values_are_checked_and_read() {
        let bad_utf8 = b"GET / HTTP/1.1\r\nHost: x\r\nOrigin: \xff\r\n\r\n";
        assert_eq!(parse_head(bad_utf8).unwrap_err().status(), 400);
        let twice = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\
                     Transfer-Encoding: chunked\r\n\r\n";
        assert_eq!(parse(twice).unwrap_err().status(), 501);
        assert_eq!(
            parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n\r\n")
                .unwrap_err()
                .status(),
            400
        );
        let upgrade = head(
            "GET /ws HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, Upgrade\r\n\
             Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\
             Sec-WebSocket-Key: k\r\nAuthorization: Bearer t\r\n\r\n",
        );
        assert!(upgrade.connection_upgrade && upgrade.keep_alive);
        assert_eq!(upgrade.upgrade.as_deref(), Some("websocket"));
        assert_eq!(upgrade.websocket_version.as_deref(), Some("13"));
        assert_eq!(upgrade.websocket_key.as_deref(), Some("k"));
        assert_eq!(upgrade.authorization.as_deref(), Some("Bearer t"));
    }
}
