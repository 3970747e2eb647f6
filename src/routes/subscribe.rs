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
//! With `--auth-hook`, the app decides first (see [`crate::access::policy`]): a
//! refusal is `401` or `403` and not one byte of any event; a topic the
//! person may not listen to is `403`; no topic asked means every topic the
//! app allows, and the public events. When the app cannot answer, the
//! stream starts and ends at once with `herald-unavailable` (a WebSocket
//! with close 1013), so the client comes back by itself.
//!
//! A browser's first `EventSource` request cannot set headers, so a page
//! that already knows its last id passes it as `?lastEventId=N`; when the
//! browser reconnects by itself it sends the `Last-Event-ID` header, which
//! then wins, as it is the more recent.
//!
//! `?presence=1` asks for the stream's topics' presence lists first and
//! their changes after (see [`crate::hub::presence`]).
//!
//! A new subscriber with no last id may ask for `?recent=N`: the newest N
//! held events of its topics first, then live, so a page that just opened
//! shows what happened lately. With a last id, `recent` is ignored: the
//! replay after that id is what the subscriber is owed.

use crate::access::credentials::Credentials;
use crate::access::policy::{self, AllowedStream, StreamAdmission, StreamRefusal};
use crate::access::watch::Watched;
use crate::counters::TurnedAway;
use crate::event::{EventId, is_label};
use crate::http::cors;
use crate::http::error::HttpError;
use crate::http::form::{self, parse_form};
use crate::http::request::Request;
use crate::http::websocket_upgrade;
use crate::hub::filter::TopicFilter;
use crate::hub::history::StartAt;
use crate::hub::listener::StreamKind;
use crate::hub::presence::{Attendee, Joining};
use crate::limits::MAX_TOPICS_PER_LISTENER;
use crate::routes::Outcome;
use crate::routes::context::Context;
use crate::wire::sse;
use crate::wire::websocket::frame::{self, close_code};

/// An event stream about to start.
pub struct StreamStart {
    /// Event stream (`/events`) or WebSocket (`/ws`).
    pub kind: StreamKind,
    /// The HTTP response head.
    pub response_head: Vec<u8>,
    /// The stream's opening lines (see [`sse::preamble`]).
    pub preamble: Vec<u8>,
    /// Where in the history it starts.
    pub start: StartAt,
    /// It asked for the keyed values first (`state=1`).
    pub state: bool,
    /// Who it is (anonymous unless the app names it), and whether it
    /// asked for its topics' presence lists (`presence=1`).
    pub presence: Joining,
    /// The events it gets.
    pub filter: TopicFilter,
    /// Bytes to send after the head instead of a stream, then close: the
    /// app could not say whether this person may listen.
    pub end_at_once: Option<Vec<u8>>,
    /// With the hook: the stream's permission, to be checked again when it
    /// expires (its key is filled in by the connection).
    pub watch: Option<Watched>,
    /// With the hook: what the client sent, for a WebSocket's publishing.
    pub credentials: Option<Credentials>,
}

const STREAM_HEAD: &str = "HTTP/1.1 200 OK\r\n\
    Content-Type: text/event-stream\r\n\
    Cache-Control: no-cache\r\n\
    X-Accel-Buffering: no\r\n\
    Connection: close\r\n";

/// The response head, with `Access-Control-Allow-Origin` when one applies:
/// for every event stream, and for the closer's refusal of one.
pub fn stream_head(allowed_origin: Option<String>) -> Vec<u8> {
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
pub fn handle(
    request: &Request,
    context: &Context,
    allowed_origin: Option<String>,
) -> Result<Outcome, HttpError> {
    let asked = StreamQuery::of(request)?;
    let last_id = request
        .head
        .last_event_id
        .as_deref()
        .or(asked.last_id.as_deref())
        .and_then(parse_last_id);
    let topics = asked.topics.clone();
    let start = StreamStart {
        kind: StreamKind::EventStream,
        response_head: stream_head(allowed_origin),
        preamble: sse::preamble(),
        start: asked.start_at(last_id),
        state: asked.state,
        presence: asked.joining(),
        filter: TopicFilter::asked(topics.clone()),
        end_at_once: None,
        watch: None,
        credentials: None,
    };
    admit(start, request, context, topics).map(|start| Outcome::Stream(Box::new(start)))
}

/// Lets `start` through as the app allows (see [`policy::admit_stream`]):
/// shaped by its answer, ended at once when it cannot answer, or refused
/// with the status for the refusal.
fn admit(
    mut start: StreamStart,
    request: &Request,
    context: &Context,
    topics: Vec<String>,
) -> Result<StreamStart, HttpError> {
    let credentials = || Credentials::of(request);
    match policy::admit_stream(context.access.as_ref(), credentials, &topics) {
        Ok(StreamAdmission::AsAsked) => {}
        Ok(StreamAdmission::Allowed(allowed)) => {
            let AllowedStream {
                filter,
                watch,
                credentials,
                attendee,
            } = *allowed;
            start.filter = filter;
            start.presence.attendee = attendee;
            start.watch = Some(watch);
            start.credentials = Some(credentials);
        }
        Ok(StreamAdmission::ComeBackLater) => {
            context.counters.refused(TurnedAway::AuthDown);
            start.end_at_once = Some(match start.kind {
                StreamKind::EventStream => sse::unavailable_event("auth"),
                StreamKind::WebSocket => frame::close(close_code::TRY_AGAIN_LATER),
            });
        }
        Err(refusal) => {
            context.counters.refused(TurnedAway::Denied);
            return Err(match refusal {
                StreamRefusal::NotLoggedIn => HttpError::NotLoggedIn,
                _ => HttpError::Denied(refusal.reason()),
            });
        }
    }
    Ok(start)
}

/// `GET /ws`: the WebSocket handshake, with the same `?topic=` and
/// `?lastEventId=` as `/events` (a browser's `WebSocket` cannot set headers).
///
/// # Errors
/// 400 or 426 for a bad handshake (see [`crate::http::websocket_upgrade`]), and
/// the errors of [`handle`].
pub fn handle_websocket(request: &Request, context: &Context) -> Result<Outcome, HttpError> {
    let accept = websocket_upgrade::check(&request.head)?;
    let asked = StreamQuery::of(request)?;
    let topics = asked.topics.clone();
    let start = StreamStart {
        kind: StreamKind::WebSocket,
        response_head: websocket_upgrade::switching_protocols(&accept),
        preamble: Vec::new(),
        start: asked.start_at(asked.last_id.as_deref().and_then(parse_last_id)),
        state: asked.state,
        presence: asked.joining(),
        filter: TopicFilter::asked(topics.clone()),
        end_at_once: None,
        watch: None,
        credentials: None,
    };
    admit(start, request, context, topics).map(|start| Outcome::Stream(Box::new(start)))
}

/// What a subscriber's query string asks for.
pub(super) struct StreamQuery {
    /// The `topic` parameters, checked, without repeats.
    pub(super) topics: Vec<String>,
    /// The `lastEventId` parameter, as given.
    last_id: Option<String>,
    /// The `recent` parameter: how many held events to start with.
    recent: usize,
    /// The `state` parameter: the keyed values first.
    state: bool,
    /// The `presence` parameter: the topics' presence lists.
    presence: bool,
}

impl StreamQuery {
    /// Reads the query of `request`.
    pub(super) fn of(request: &Request) -> Result<StreamQuery, HttpError> {
        let query = parse_form(request.head.query().as_bytes())
            .map_err(|error| HttpError::BadRequest(error.reason()))?;
        let mut asked = StreamQuery {
            topics: Vec::new(),
            last_id: None,
            recent: 0,
            state: false,
            presence: false,
        };
        for (name, value) in query {
            match name.as_str() {
                "topic" if !is_label(&value) => {
                    return Err(HttpError::BadRequest(
                        "topic must be 1 to 128 bytes without control characters",
                    ));
                }
                "topic" if !asked.topics.contains(&value) => asked.topics.push(value),
                "lastEventId" => asked.last_id = Some(value),
                "recent" => asked.recent = parse_recent(&value)?,
                "state" => {
                    asked.state =
                        form::flag(&value).ok_or(HttpError::BadRequest("state must be 1 or 0"))?;
                }
                "presence" => {
                    asked.presence = form::flag(&value)
                        .ok_or(HttpError::BadRequest("presence must be 1 or 0"))?;
                }
                _ => {}
            }
        }
        if asked.topics.len() > MAX_TOPICS_PER_LISTENER {
            return Err(HttpError::BadRequest("too many topics"));
        }
        Ok(asked)
    }

    /// What it brings to presence: no name yet (the app's answer may give
    /// one), and whether it asked for the lists.
    fn joining(&self) -> Joining {
        Joining {
            attendee: Attendee::Anonymous,
            watching: self.presence,
        }
    }

    /// Where the stream starts: after `last_id` when there is one (the
    /// replay rules), else with the `recent` newest, else live.
    fn start_at(&self, last_id: Option<EventId>) -> StartAt {
        match (last_id, self.recent) {
            (Some(id), _) => StartAt::After(id),
            (None, 0) => StartAt::Live,
            (None, count) => StartAt::Recent(count),
        }
    }
}

/// `recent` is a count; one larger than the history is not an error (the
/// subscriber gets what is held), so a huge number is capped, not refused.
fn parse_recent(text: &str) -> Result<usize, HttpError> {
    if text.is_empty() || !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(HttpError::BadRequest("recent must be a number of events"));
    }
    Ok(text.parse().unwrap_or(usize::MAX))
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
    fn recent_is_a_count_and_a_huge_one_is_all() {
        assert_eq!(parse_recent("50"), Ok(50));
        assert_eq!(parse_recent("99999999999999999999999"), Ok(usize::MAX));
        assert!(parse_recent("-1").is_err());
        assert!(parse_recent("").is_err());
        assert!(parse_recent("5x").is_err());
    }

    #[test]
    fn last_ids() {
        assert_eq!(parse_last_id(""), None);
        assert_eq!(parse_last_id("42"), Some(42));
        assert_eq!(parse_last_id("abc"), Some(0));
    }
}
