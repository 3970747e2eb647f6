//! Routing: which handler answers a request, by its path and then its method.
//!
//! | path | methods | handler |
//! |---|---|---|
//! | `/publish` | `POST` | [`crate::publish`] |
//! | `/events` | `GET`, `HEAD` | [`crate::subscribe`] |
//! | `/stats` | `GET`, `HEAD` | [`crate::stats`] |
//! | anything else | `GET`, `HEAD` | [`crate::static_files`] |
//!
//! A path that exists answered with the wrong method is 405 with `Allow`; a
//! path that does not exist is 404 whatever the method.

use crate::head::Head;
use crate::http_error::HttpError;
use crate::publisher::Publisher;
use crate::response::Response;
use crate::server::Shared;
use crate::subscribe::StreamStart;
use crate::{publish, stats, subscribe};

/// A whole request: its head and its body.
pub struct Request {
    /// The parsed head.
    pub head: Head,
    /// The body, read in full.
    pub body: Vec<u8>,
}

impl Request {
    /// Whether this is a `HEAD` request (answered like `GET`, without body).
    pub fn is_head(&self) -> bool {
        self.head.method == "HEAD"
    }
}

/// What the connection does next.
pub enum Outcome {
    /// Send this response.
    Respond(Response),
    /// Turn the connection into an event stream, handed to the hub.
    Stream(StreamStart),
}

impl From<Response> for Outcome {
    fn from(response: Response) -> Outcome {
        Outcome::Respond(response)
    }
}

/// Finds the handler for `request` and runs it. `publisher` is the
/// connection's own way to the hub.
pub fn dispatch(request: &Request, shared: &Shared, publisher: &Publisher) -> Outcome {
    let method = request.head.method.as_str();
    let result = match request.head.path() {
        "/publish" => match method {
            "POST" => publish::handle(request, shared, publisher).map(Outcome::from),
            _ => Err(HttpError::MethodNotAllowed("POST")),
        },
        "/events" => match method {
            "GET" | "HEAD" => subscribe::handle(request),
            _ => Err(HttpError::MethodNotAllowed("GET, HEAD")),
        },
        "/stats" => match method {
            "GET" | "HEAD" => stats::handle(shared, publisher).map(Outcome::from),
            _ => Err(HttpError::MethodNotAllowed("GET, HEAD")),
        },
        path => static_file(method, path, shared).map(Outcome::from),
    };
    result.unwrap_or_else(|error| Outcome::Respond(Response::error(error)))
}

fn static_file(method: &str, path: &str, shared: &Shared) -> Result<Response, HttpError> {
    let asset = shared.site.lookup(path).ok_or(HttpError::NotFound)?;
    if method != "GET" && method != "HEAD" {
        return Err(HttpError::MethodNotAllowed("GET, HEAD"));
    }
    let mut response = Response::ok(asset.content_type, asset.bytes);
    // The page is small and changes with each release: always revalidate.
    response.add_header("Cache-Control", "no-cache");
    Ok(response)
}
