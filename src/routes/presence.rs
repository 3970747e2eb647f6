//! `GET /presence`: who listens to some topics now, as JSON, for an app
//! that renders "Anna and 3 others are here" before the page's stream
//! opens (see [`crate::hub::presence`]).
//!
//! ```text
//! GET /presence?topic=ticket-7
//! {"topics":[{"topic":"ticket-7","users":[{"user":"anna","connections":2,"since":"…"}],"more":0,"anonymous":1}]}
//! ```
//!
//! `topic` is repeatable and at least one is needed. With `--auth-hook`
//! the app decides as for a stream (the same question, the same cache): a
//! topic the person may not listen to is `403`, and the `--publish-token`
//! as a bearer token reads as the app's backend. Without the hook nobody
//! has a name herald could trust, so everyone is counted and no one named.

use crate::http::error::HttpError;
use crate::http::request::Request;
use crate::http::response::Response;
use crate::routes::context::Context;
use crate::routes::state::allowed_filter;
use crate::routes::subscribe::StreamQuery;

/// Answers with the lists of the topics asked for.
///
/// # Errors
/// 400 for a bad query or no topic; 401 or 403 when the app refuses; 503
/// when the app or the hub cannot answer.
pub fn handle(request: &Request, context: &Context) -> Result<Response, HttpError> {
    let topics = StreamQuery::of(request)?.topics;
    if topics.is_empty() {
        return Err(HttpError::BadRequest("name a topic: /presence?topic=T"));
    }
    // The app's answer may narrow nothing here: every topic was named, and
    // a topic it does not allow is refused before this.
    let topics = allowed_filter(request, context, topics)?.topics;
    let names = context.access.is_some();
    let json = context
        .hub
        .presence(topics, names)
        .map_err(|_| HttpError::ServiceUnavailable("the hub is not answering"))?;
    let mut response = Response::ok("application/json", json.into_bytes());
    response.add_header("Cache-Control", "no-store");
    Ok(response)
}
