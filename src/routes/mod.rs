//! Routing: which handler answers a request, by its path and then its method.
//!
//! | path | methods | handler |
//! |---|---|---|
//! | `/publish` | `POST` | [`crate::routes::publish`] |
//! | `/events` | `GET`, `HEAD` | [`crate::routes::subscribe`] |
//! | `/stats` | `GET`, `HEAD` | [`crate::routes::stats`] |
//! | `/ws` | `GET` (a WebSocket handshake) | [`crate::routes::subscribe::handle_websocket`] |
//! | anything else | `GET`, `HEAD` | [`crate::routes::page`] |
//!
//! The three API paths also answer `OPTIONS` (a browser's CORS preflight)
//! and carry `Access-Control-Allow-Origin` for the origins `--cors-origin`
//! allows (see [`crate::http::cors`]). A path that exists asked with the wrong
//! method is 405 with `Allow`; a path that does not exist is 404 whatever
//! the method.

use std::borrow::Cow;

use crate::http::cors;
use crate::http::error::HttpError;
use crate::http::request::Request;
use crate::http::response::{Header, Response};
use crate::routes::context::Context;
use crate::routes::subscribe::StreamStart;

pub mod context;
pub mod page;
pub mod publish;
pub mod stats;
pub mod subscribe;

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

/// Finds the handler for `request` and runs it.
pub fn dispatch(request: &Request, context: &Context) -> Outcome {
    let head = &request.head;
    let method = head.method.as_str();
    let path = head.path();
    if path == "/ws" {
        let result = match method {
            "GET" => subscribe::handle_websocket(request),
            _ => Err(HttpError::MethodNotAllowed("GET")),
        };
        return result.unwrap_or_else(|error| Outcome::Respond(Response::error(error)));
    }
    let api = matches!(path, "/publish" | "/events" | "/stats");
    if !api {
        return static_file(method, path, context)
            .unwrap_or_else(Response::error)
            .into();
    }
    let origin = cors::allowed_origin(&context.config.cors_origins, head.origin.as_deref());
    let result = match (path, method) {
        (_, "OPTIONS") => Ok(Outcome::Respond(cors::preflight(origin.clone()))),
        ("/publish", "POST") => publish::handle(request, context).map(Outcome::from),
        ("/publish", _) => Err(HttpError::MethodNotAllowed("POST, OPTIONS")),
        ("/events", "GET" | "HEAD") => subscribe::handle(request, origin.clone()),
        ("/stats", "GET" | "HEAD") => stats::handle(context).map(Outcome::from),
        _ => Err(HttpError::MethodNotAllowed("GET, HEAD, OPTIONS")),
    };
    match result {
        Ok(Outcome::Respond(mut response)) if method != "OPTIONS" => {
            cors::add_headers(&mut response, origin);
            Outcome::Respond(response)
        }
        Ok(outcome) => outcome,
        Err(error) => {
            let mut response = Response::error(error);
            cors::add_headers(&mut response, origin);
            Outcome::Respond(response)
        }
    }
}

fn static_file(method: &str, path: &str, context: &Context) -> Result<Response, HttpError> {
    let asset = context.site.lookup(path).ok_or(HttpError::NotFound)?;
    if method != "GET" && method != "HEAD" {
        return Err(HttpError::MethodNotAllowed("GET, HEAD"));
    }
    // The page is small and changes with each release: always revalidate.
    const REVALIDATE: &[Header] = &[("Cache-Control", Cow::Borrowed("no-cache"))];
    let mut response = Response::ok(asset.content_type, asset.bytes);
    response.headers = Cow::Borrowed(REVALIDATE);
    Ok(response)
}
