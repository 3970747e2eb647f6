//! Bytes out: a response as data, and the one function that writes it.
//!
//! Every answer herald gives, apart from the event stream itself, is a
//! [`Response`]: a status, a content type, a few extra headers and a body
//! known in full. [`Response::write_to`] adds the headers every response
//! carries (`Content-Length`, `Connection`) so no handler can forget them, and
//! leaves the body out for `HEAD`.

use std::borrow::Cow;
use std::io::{self, Write};

use crate::http::error::HttpError;

/// A complete answer to one request.
#[derive(Debug)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The `Content-Type` header.
    pub content_type: &'static str,
    /// Headers beyond those every response has: most responses have none or
    /// a fixed few, borrowed from a constant; adding one makes a list of
    /// this response's own.
    pub headers: Cow<'static, [Header]>,
    /// The body, sent whole with its `Content-Length`.
    pub body: Cow<'static, [u8]>,
}

/// One header line: its name and its value.
pub type Header = (&'static str, Cow<'static, str>);

impl Response {
    /// A `200 OK` with this body.
    pub fn ok(content_type: &'static str, body: impl Into<Cow<'static, [u8]>>) -> Response {
        Response {
            status: 200,
            content_type,
            headers: Cow::Borrowed(&[]),
            body: body.into(),
        }
    }

    /// A `200 OK` with a plain-text body.
    pub fn text(body: String) -> Response {
        Response::ok(TEXT_PLAIN, body.into_bytes())
    }

    /// A `204 No Content`, which has no body and no `Content-Length`.
    pub fn no_content() -> Response {
        Response {
            status: 204,
            content_type: TEXT_PLAIN,
            headers: Cow::Borrowed(&[]),
            body: Cow::Borrowed(b""),
        }
    }

    /// A `303 See Other` that sends a browser back to `location` after a form post.
    pub fn see_other(location: String) -> Response {
        Response {
            status: 303,
            content_type: TEXT_PLAIN,
            headers: Cow::Owned(vec![("Location", location.into())]),
            body: Cow::Borrowed(b"see other\n"),
        }
    }

    /// The answer for an error: its status and its fixed reason as plain text.
    pub fn error(error: HttpError) -> Response {
        let mut response = Response {
            status: error.status(),
            content_type: TEXT_PLAIN,
            headers: Cow::Borrowed(&[]),
            body: format!("{}\n", error.reason()).into_bytes().into(),
        };
        if let HttpError::PayloadTooLarge(limit) = error {
            // The limit is the server's own, so it may be said.
            response.body = format!("{} (it is {limit} bytes)\n", error.reason())
                .into_bytes()
                .into();
        }
        match error {
            HttpError::MethodNotAllowed(allow) => response.add_header("Allow", allow),
            HttpError::Unauthorized | HttpError::NotLoggedIn => {
                response.add_header("WWW-Authenticate", "Bearer")
            }
            HttpError::UpgradeRequired => response.add_header("Sec-WebSocket-Version", "13"),
            HttpError::ServiceUnavailable(_) => {
                response.add_header("Retry-After", crate::limits::RETRY_AFTER_S.to_string())
            }
            _ => {}
        }
        response
    }

    /// Adds one header line.
    pub fn add_header(&mut self, name: &'static str, value: impl Into<Cow<'static, str>>) {
        self.headers.to_mut().push((name, value.into()));
    }

    /// Writes the status line, the headers and (unless `without_body`) the body,
    /// in one `write_all` so a small response leaves in one packet.
    /// Returns the number of bytes written.
    pub fn write_to(
        &self,
        out: &mut impl Write,
        scratch: &mut Vec<u8>,
        without_body: bool,
        keep_alive: bool,
    ) -> io::Result<usize> {
        scratch.clear();
        // Writing into a Vec cannot fail, so these results are always Ok.
        let _ = write!(
            scratch,
            "HTTP/1.1 {} {}\r\n",
            self.status,
            reason_phrase(self.status)
        );
        // RFC 9110 §8.6: a 204 carries neither a length nor a body.
        if self.status != 204 {
            let _ = write!(
                scratch,
                "Content-Type: {}\r\nContent-Length: {}\r\n",
                self.content_type,
                self.body.len()
            );
        }
        for (name, value) in self.headers.iter() {
            let _ = write!(scratch, "{name}: {value}\r\n");
        }
        let connection = if keep_alive { "keep-alive" } else { "close" };
        let _ = write!(scratch, "Connection: {connection}\r\n\r\n");
        if !without_body {
            scratch.extend_from_slice(&self.body);
        }
        out.write_all(scratch)?;
        Ok(scratch.len())
    }
}

/// `text/plain`, the type of every short answer.
pub const TEXT_PLAIN: &str = "text/plain; charset=utf-8";

/// The reason phrase for each status herald sends (RFC 9110 §15).
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        101 => "Switching Protocols",
        200 => "OK",
        204 => "No Content",
        303 => "See Other",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        413 => "Content Too Large",
        414 => "URI Too Long",
        415 => "Unsupported Media Type",
        426 => "Upgrade Required",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        507 => "Insufficient Storage",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(response: &Response, without_body: bool, keep_alive: bool) -> String {
        let mut out = Vec::new();
        let n = response
            .write_to(&mut out, &mut Vec::new(), without_body, keep_alive)
            .unwrap();
        assert_eq!(n, out.len());
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_response_has_status_type_length_and_connection() {
        let text = written(&Response::text("42\n".into()), false, true);
        assert_eq!(
            text,
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n\
             Content-Length: 3\r\nConnection: keep-alive\r\n\r\n42\n"
        );
    }

    #[test]
    fn head_keeps_the_length_but_not_the_body() {
        let text = written(&Response::ok("text/html", &b"<p>hi</p>"[..]), true, false);
        assert!(text.contains("Content-Length: 9\r\n"));
        assert!(text.ends_with("Connection: close\r\n\r\n"));
    }

    #[test]
    fn errors_carry_their_extra_headers() {
        let text = written(
            &Response::error(HttpError::MethodNotAllowed("GET, HEAD")),
            false,
            true,
        );
        assert!(text.starts_with("HTTP/1.1 405 Method Not Allowed\r\n"));
        assert!(text.contains("Allow: GET, HEAD\r\n"));
        let text = written(&Response::error(HttpError::Unauthorized), false, true);
        assert!(text.contains("WWW-Authenticate: Bearer\r\n"));
    }
}
