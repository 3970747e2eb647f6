//! Everything that can go wrong with a request, and the status each becomes:
//! HTTP's own failures (a malformed or oversized request, a wrong method),
//! then the refusals of herald's routes (no token, the app said no, the
//! queue is full).
//!
//! Code that reads or handles a request returns an [`HttpError`]; the
//! connection loop turns it into a response through one `match` in
//! [`HttpError::status`]. The text a client sees is fixed by the server and
//! never echoes the client's input back.

use std::fmt;

/// A request that herald answers with an error status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpError {
    // ---- HTTP's own: the request could not be read or served ----
    /// 400: the request is malformed; the text says how.
    BadRequest(&'static str),
    /// 404: nothing is served at this path.
    NotFound,
    /// 405: the path exists, but not for this method; carries the `Allow` value.
    MethodNotAllowed(&'static str),
    /// 408: the head or the body did not arrive in time.
    RequestTimeout,
    /// 413: the body is larger than `--max-body`, which is this many bytes.
    PayloadTooLarge(usize),
    /// 414: the request target is longer than the limit.
    UriTooLong,
    /// 415: the body is neither a form nor plain text.
    UnsupportedMediaType,
    /// 426: a WebSocket version other than 13.
    UpgradeRequired,
    /// 431: the header section is too large or has too many lines.
    HeaderFieldsTooLarge,
    /// 501: a transfer coding other than `chunked`.
    NotImplemented,
    /// 505: an HTTP version other than 1.0 or 1.1.
    VersionNotSupported,
    // ---- herald's refusals, each as the status HTTP has for it ----
    /// 401: publishing needs a token and none was given.
    Unauthorized,
    /// 403: the token given is wrong.
    Forbidden,
    /// 401: the app (asked through `--auth-hook`) does not know this person.
    NotLoggedIn,
    /// 403: the app does not allow this; the text says what.
    Denied(&'static str),
    /// 409: a publish with the same `Idempotency-Key` is still in progress.
    Conflict(&'static str),
    /// 503: the server cannot take this now; the text says why.
    ServiceUnavailable(&'static str),
    /// 507: the keyed values are at their bound; the text names the flag.
    InsufficientStorage(&'static str),
}

impl HttpError {
    /// The status code sent for this error.
    pub fn status(self) -> u16 {
        match self {
            HttpError::BadRequest(_) => 400,
            HttpError::Unauthorized => 401,
            HttpError::Forbidden => 403,
            HttpError::NotLoggedIn => 401,
            HttpError::Denied(_) => 403,
            HttpError::NotFound => 404,
            HttpError::MethodNotAllowed(_) => 405,
            HttpError::RequestTimeout => 408,
            HttpError::Conflict(_) => 409,
            HttpError::PayloadTooLarge(_) => 413,
            HttpError::UriTooLong => 414,
            HttpError::UnsupportedMediaType => 415,
            HttpError::UpgradeRequired => 426,
            HttpError::HeaderFieldsTooLarge => 431,
            HttpError::NotImplemented => 501,
            HttpError::ServiceUnavailable(_) => 503,
            HttpError::InsufficientStorage(_) => 507,
            HttpError::VersionNotSupported => 505,
        }
    }

    /// The short plain-text reason sent as the body.
    pub fn reason(self) -> &'static str {
        match self {
            HttpError::BadRequest(why)
            | HttpError::ServiceUnavailable(why)
            | HttpError::Conflict(why)
            | HttpError::InsufficientStorage(why)
            | HttpError::Denied(why) => why,
            HttpError::NotLoggedIn => "log in to the app first",
            HttpError::Unauthorized => "publishing needs a token",
            HttpError::Forbidden => "wrong token",
            HttpError::NotFound => "not found",
            HttpError::MethodNotAllowed(_) => "method not allowed",
            HttpError::RequestTimeout => "request not received in time",
            HttpError::PayloadTooLarge(_) => {
                "the body is over --max-body: send less, or start herald with a larger --max-body"
            }
            HttpError::UriTooLong => "request target too long",
            HttpError::UnsupportedMediaType => {
                "send application/x-www-form-urlencoded, application/json or text/plain"
            }
            HttpError::UpgradeRequired => "only WebSocket version 13 is supported",
            HttpError::HeaderFieldsTooLarge => "request header section too large",
            HttpError::NotImplemented => "only the chunked transfer coding is supported",
            HttpError::VersionNotSupported => "only HTTP/1.0 and HTTP/1.1 are supported",
        }
    }
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.status(), self.reason())
    }
}

impl std::error::Error for HttpError {}
