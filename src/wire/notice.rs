//! herald's own notices to a subscriber, as opposed to the events it relays.
//!
//! A notice is a named event with no id (so it never moves the subscriber's
//! last event id) whose data is a small JSON object. The event stream and the
//! WebSocket carry the same notice in their own framing (see
//! [`crate::wire::sse::missed_event`] and
//! [`crate::wire::websocket::missed_frame`]); the name and the JSON live here
//! once.

use crate::event::EventId;

/// The notice a subscriber gets when the events it asked to resume from are
/// no longer all held; documented in the README.
pub const MISSED_EVENT_TYPE: &str = "herald-missed";

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
