//! `GET /events`: the start of an event stream.
//!
//! This handler only reads what the subscriber asks for, its topics
//! (`?topic=a&topic=b`, none for all) and where to resume (`Last-Event-ID`),
//! and prepares the response head. The connection then hands its socket to
//! the hub, which writes the head, the replay and every event after it.
//!
//! The response has no `Content-Length`: the stream ends when the
//! connection closes, so it says `Connection: close`. `Cache-Control:
//! no-cache` keeps caches from storing it, and `X-Accel-Buffering: no`
//! tells nginx not to buffer it.
//!
//! A browser's first `EventSource` request cannot set headers, so a page
//! that already knows its last id passes it as `?lastEventId=N`; when the
//! browser reconnects by itself it sends the `Last-Event-ID` header, which
//! then wins, as it is the more recent.

use crate::event::{EventId, is_label};
use crate::http::cors;
use crate::http::error::HttpError;
use crate::http::form::parse_form;
use crate::http::request::Request;
use crate::http::websocket_upgrade;
use crate::hub::listener::StreamKind;
use crate::limits::MAX_TOPICS_PER_LISTENER;
use crate::routes::Outcome;
use crate::wire::sse;

/// An event stream about to start.
pub struct StreamStart {
    /// Event stream (`/events`) or WebSocket (`/ws`).
    pub kind: StreamKind,
    /// The HTTP response head.
    pub response_head: Vec<u8>,
    /// The stream's opening lines (see [`sse::preamble`]).
    pub preamble: Vec<u8>,
    /// Resume after this id, if given.
    pub last_id: Option<EventId>,
    /// Only these topics; empty for all.
    pub topics: Vec<String>,
}

const STREAM_HEAD: &str = "HTTP/1.1 200 OK\r\n\
    Content-Type: text/event-stream\r\n\
    Cache-Control: no-cache\r\n\
    X-Accel-Buffering: no\r\n\
    Connection: close\r\n";

/// The response head, with `Access-Control-Allow-Origin` when one applies.
fn stream_head(allowed_origin: Option<String>) -> Vec<u8> {
    let mut head = STREAM_HEAD.as_bytes().to_vec();
    for (name, value) in cors::allow_headers(allowed_origin) {
        head.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    head.extend_from_slice(b"\r\n");
    head
}

/// Reads the subscriber's topics and last id. `allowed_origin` is the
/// `Access-Control-Allow-Origin` to send, if any.
///
/// # Errors
/// 400 for a malformed query, a bad topic, or too many topics.
pub fn handle(request: &Request, allowed_origin: Option<String>) -> Result<Outcome, HttpError> {
    let (topics, query_last_id) = topics_and_last_id(request)?;
    let last_id = request
        .head
        .last_event_id
        .as_deref()
        .or(query_last_id.as_deref())
        .and_then(parse_last_id);
    Ok(Outcome::Stream(StreamStart {
        kind: StreamKind::EventStream,
        response_head: stream_head(allowed_origin),
        preamble: sse::preamble(),
        last_id,
        topics,
    }))
}

/// `GET /ws`: the WebSocket handshake, with the same `?topic=` and
/// `?lastEventId=` as `/events` (a browser's `WebSocket` cannot set headers).
///
/// # Errors
/// 400 or 426 for a bad handshake (see [`crate::http::websocket_upgrade`]), and
/// the errors of [`handle`].
pub fn handle_websocket(request: &Request) -> Result<Outcome, HttpError> {
    let accept = websocket_upgrade::check(&request.head)?;
    let (topics, last_id) = topics_and_last_id(request)?;
    Ok(Outcome::Stream(StreamStart {
        kind: StreamKind::WebSocket,
        response_head: websocket_upgrade::switching_protocols(&accept),
        preamble: Vec::new(),
        last_id: last_id.as_deref().and_then(parse_last_id),
        topics,
    }))
}

/// The `topic` parameters (checked) and the `lastEventId` parameter.
fn topics_and_last_id(request: &Request) -> Result<(Vec<String>, Option<String>), HttpError> {
    let query = parse_form(request.head.query().as_bytes())
        .map_err(|error| HttpError::BadRequest(error.reason()))?;
    let mut topics: Vec<String> = Vec::new();
    let mut query_last_id = None;
    for (name, value) in query {
        match name.as_str() {
            "topic" if !is_label(&value) => {
                return Err(HttpError::BadRequest(
                    "topic must be 1 to 128 bytes without control characters",
                ));
            }
            "topic" if !topics.contains(&value) => topics.push(value),
            "lastEventId" => query_last_id = Some(value),
            _ => {}
        }
    }
    if topics.len() > MAX_TOPICS_PER_LISTENER {
        return Err(HttpError::BadRequest("too many topics"));
    }
    Ok((topics, query_last_id))
}

/// An empty id means "none". An id herald did not give out (not a number)
/// is taken as 0, the oldest possible: the subscriber is told it may have
/// missed events and gets all that is held.
fn parse_last_id(text: &str) -> Option<EventId> {
    if text.is_empty() {
        return None;
    }
    Some(text.parse().unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_ids() {
        assert_eq!(parse_last_id(""), None);
        assert_eq!(parse_last_id("42"), Some(42));
        assert_eq!(parse_last_id("abc"), Some(0));
    }
}
