//! Stage 2, routing: which endpoint answers a request, by its path and then
//! its method ([`route`]), and the endpoints themselves, one file each. What
//! they all may use is their [`context::Context`].
//!
//! | path | methods | handler |
//! |---|---|---|
//! | `/publish` | `POST` | [`publish`] (a JSON body: [`publish_json`]) |
//! | `/events` | `GET`, `HEAD` | [`subscribe`] |
//! | `/state` | `GET`, `HEAD` | [`state`] |
//! | `/presence` | `GET`, `HEAD` | [`presence`] |
//! | `/stats` | `GET`, `HEAD` | [`stats`] |
//! | `/metrics` | `GET`, `HEAD` | [`metrics`] |
//! | `/health` | `GET`, `HEAD` | [`health`] |
//! | `/ws` | `GET` (a WebSocket handshake) | [`subscribe::handle_websocket`] |
//! | anything else | `GET`, `HEAD` | [`page`] |
//!
//! The three API paths also answer `OPTIONS` (a browser's CORS preflight)
//! and carry `Access-Control-Allow-Origin` for the origins `--cors-origin`
//! allows (see [`crate::http::cors`]). A path that exists asked with the wrong
//! method is 405 with `Allow`; a path that does not exist is 404 whatever
//! the method.

use crate::http::cors;
use crate::http::error::HttpError;
use crate::http::request::Request;
use crate::http::response::Response;
use crate::routes::context::Context;
use crate::routes::subscribe::StreamStart;

pub mod context;
pub mod health;
pub mod metrics;
pub mod page;
pub mod presence;
pub mod publish;
pub mod publish_json;
pub mod state;
pub mod stats;
pub mod subscribe;

/// What the connection does next.
pub enum Outcome {
    /// Send this response.
    Respond(Response),
    /// Turn the connection into an event stream, handed to the hub.
    Stream(Box<StreamStart>),
}

impl From<Response> for Outcome {
    fn from(response: Response) -> Outcome {
        Outcome::Respond(response)
    }
}

/// Which endpoint answers a request: decided by its method and path alone,
/// so the table above is this one `match`, tested without a server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `POST /publish`.
    Publish,
    /// `GET /events` (and `HEAD`).
    Events,
    /// `GET /ws`.
    WebSocket,
    /// `GET /state` (and `HEAD`): the keyed values.
    State,
    /// `GET /presence` (and `HEAD`): who listens to some topics.
    Presence,
    /// `GET /stats` (and `HEAD`).
    Stats,
    /// `GET /metrics` (and `HEAD`): for a Prometheus server, not a page,
    /// so no CORS.
    Metrics,
    /// `GET /health` (and `HEAD`): whether herald can serve, for probes.
    Health,
    /// `OPTIONS` on an API path: a browser's CORS preflight.
    Preflight,
    /// Any other path: a file of the page, or 404.
    Page,
    /// The path exists, but not for this method: the `Allow` value.
    WrongMethod(&'static str),
}

/// The route for `method` on `path`.
pub fn route(method: &str, path: &str) -> Route {
    match (path, method) {
        ("/ws", "GET") => Route::WebSocket,
        ("/ws", _) => Route::WrongMethod("GET"),
        ("/publish" | "/events" | "/state" | "/presence" | "/stats", "OPTIONS") => Route::Preflight,
        ("/publish", "POST") => Route::Publish,
        ("/publish", _) => Route::WrongMethod("POST, OPTIONS"),
        ("/events", "GET" | "HEAD") => Route::Events,
        ("/stats", "GET" | "HEAD") => Route::Stats,
        ("/state", "GET" | "HEAD") => Route::State,
        ("/presence", "GET" | "HEAD") => Route::Presence,
        ("/events" | "/state" | "/presence" | "/stats", _) => {
            Route::WrongMethod("GET, HEAD, OPTIONS")
        }
        ("/metrics", "GET" | "HEAD") => Route::Metrics,
        ("/health", "GET" | "HEAD") => Route::Health,
        ("/metrics" | "/health", _) => Route::WrongMethod("GET, HEAD"),
        _ => Route::Page,
    }
}

/// Whether answers at `path` carry CORS headers: only the API's do, and
/// `/stats` not with `--auth-hook` (`with_hook`): its counts tell how much
/// is published on private topics, which a page of another origin need
/// not read.
fn is_api(path: &str, with_hook: bool) -> bool {
    match path {
        "/publish" | "/events" | "/state" | "/presence" => true,
        "/stats" => !with_hook,
        _ => false,
    }
}

/// Finds the handler for `request` and runs it.
pub fn dispatch(request: &Request, context: &Context) -> Outcome {
    let head = &request.head;
    let origin = if is_api(head.path(), context.access.is_some()) {
        context.allowed_origin(head)
    } else {
        None
    };
    let result = match route(&head.method, head.path()) {
        Route::Preflight => return cors::preflight(origin).into(),
        Route::Publish => publish::handle(request, context).map(Outcome::from),
        Route::Events => subscribe::handle(request, context, origin.clone()),
        Route::WebSocket => subscribe::handle_websocket(request, context),
        Route::State => state::handle(request, context).map(Outcome::from),
        Route::Presence => presence::handle(request, context).map(Outcome::from),
        Route::Stats => stats::handle(context).map(Outcome::from),
        Route::Metrics => metrics::handle(context).map(Outcome::from),
        Route::Health => health::handle(context).map(Outcome::from),
        Route::Page => page::handle(request, &context.site).map(Outcome::from),
        Route::WrongMethod(allow) => Err(HttpError::MethodNotAllowed(allow)),
    };
    match result {
        Ok(Outcome::Respond(mut response)) => {
            cors::add_headers(&mut response, origin);
            Outcome::Respond(response)
        }
        Ok(stream) => stream,
        Err(error) => {
            let mut response = Response::error(error);
            cors::add_headers(&mut response, origin);
            Outcome::Respond(response)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_path_and_method_has_its_route() {
        for (method, path, expected) in [
            ("POST", "/publish", Route::Publish),
            ("GET", "/publish", Route::WrongMethod("POST, OPTIONS")),
            ("GET", "/events", Route::Events),
            ("HEAD", "/events", Route::Events),
            ("POST", "/events", Route::WrongMethod("GET, HEAD, OPTIONS")),
            ("GET", "/stats", Route::Stats),
            ("GET", "/state", Route::State),
            ("POST", "/state", Route::WrongMethod("GET, HEAD, OPTIONS")),
            ("OPTIONS", "/state", Route::Preflight),
            ("GET", "/presence", Route::Presence),
            (
                "DELETE",
                "/presence",
                Route::WrongMethod("GET, HEAD, OPTIONS"),
            ),
            ("GET", "/metrics", Route::Metrics),
            ("POST", "/metrics", Route::WrongMethod("GET, HEAD")),
            ("GET", "/health", Route::Health),
            ("HEAD", "/health", Route::Health),
            ("POST", "/health", Route::WrongMethod("GET, HEAD")),
            ("DELETE", "/stats", Route::WrongMethod("GET, HEAD, OPTIONS")),
            ("GET", "/ws", Route::WebSocket),
            ("OPTIONS", "/ws", Route::WrongMethod("GET")),
            ("OPTIONS", "/publish", Route::Preflight),
            ("OPTIONS", "/events", Route::Preflight),
            ("GET", "/", Route::Page),
            ("POST", "/app.js", Route::Page),
            ("GET", "/events/", Route::Page),
            ("GET", "/PUBLISH", Route::Page),
        ] {
            assert_eq!(route(method, path), expected, "{method} {path}");
        }
    }

    #[test]
    fn only_the_api_opens_to_other_origins() {
        assert!(is_api("/events", false) && is_api("/publish", false) && is_api("/stats", false));
        assert!(!is_api("/ws", false) && !is_api("/", false) && !is_api("/herald.js", false));
        assert!(
            is_api("/events", true) && !is_api("/stats", true),
            "with the hook"
        );
    }
}
