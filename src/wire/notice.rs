//! herald's own notices to a subscriber, as opposed to the events it relays.
//!
//! A notice is a named event with no id (so it never moves the subscriber's
//! last event id) whose data is a small JSON object. The event stream and the
//! WebSocket carry the same notice in their own framing (see
//! [`crate::wire::sse::missed_event`] and
//! [`crate::wire::websocket::missed_frame`]); the name and the JSON live here
//! once.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::event::EventId;
use crate::limits::{REFUSED_STREAM_RETRY_MAX_MS, REFUSED_STREAM_RETRY_MIN_MS};

/// The notice a subscriber gets when the events it asked to resume from are
/// no longer all held; documented in the README.
pub const MISSED_EVENT_TYPE: &str = "herald-missed";

/// The notice that the server cannot take the subscriber now (full, or
/// the auth hook not answering): come back in a few seconds.
pub const UNAVAILABLE_EVENT_TYPE: &str = "herald-unavailable";

/// The marker after a snapshot of the keyed values (`state=1`): what came
/// before it is the state as of `last_id`, what follows is live.
pub const STATE_EVENT_TYPE: &str = "herald-state";

/// The type of the event that removes a key's value (`delete=1`, or the
/// end of its `ttl`).
pub const DELETE_EVENT_TYPE: &str = "herald-delete";

/// The notice that the app no longer allows this stream.
pub const REVOKED_EVENT_TYPE: &str = "herald-revoked";

/// The data of the unavailable notice.
pub fn reason_data(reason: &str) -> String {
    // Reasons are herald's own words, never a client's: nothing to escape.
    format!("{{\"reason\":\"{reason}\"}}")
}

/// A reconnect delay between the bounds in `limits.rs`, different for each
/// refusal. The clock's nanoseconds are random enough to spread a crowd of
/// tabs; nothing depends on them being unpredictable.
pub fn jittered_retry_ms() -> u64 {
    let span = REFUSED_STREAM_RETRY_MAX_MS - REFUSED_STREAM_RETRY_MIN_MS;
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| u64::from(since.subsec_nanos()));
    REFUSED_STREAM_RETRY_MIN_MS + nanos % (span + 1)
}

/// The data of the state marker: the newest id at the snapshot.
pub fn state_data(last_id: EventId) -> String {
    format!("{{\"last_id\":{last_id}}}")
}

/// The data of the missed notice: the id asked after, and the oldest held.
pub fn missed_data(asked_after: EventId, oldest_held: Option<EventId>) -> String {
    let oldest = oldest_held.map_or("null".to_string(), |id| id.to_string());
    format!("{{\"last_event_id\":{asked_after},\"oldest_held\":{oldest}}}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_missed_notice_says_what_was_asked_and_what_is_held() {
        assert_eq!(
            missed_data(5, Some(9)),
            r#"{"last_event_id":5,"oldest_held":9}"#
        );
        assert_eq!(
            missed_data(5, None),
            r#"{"last_event_id":5,"oldest_held":null}"#
        );
    }
}
