//! The event-stream format: the bytes a browser's `EventSource` reads.
//!
//! WHATWG HTML, "Server-sent events", §9.2.5–9.2.6: a stream is UTF-8 text
//! made of lines. A line `field: value` sets a field of the event being
//! built; a line starting with `:` is a comment, ignored by the browser but
//! enough to keep a proxy from closing an idle connection; an empty line
//! dispatches the event. The fields herald writes:
//!
//! | line | what the browser does |
//! |---|---|
//! | `id: 17` | remembers 17, and sends it as `Last-Event-ID` when it reconnects |
//! | `event: chat` | dispatches the event as `chat` instead of `message` |
//! | `data: text` | appends `text` and a line break to the event's data |
//! | `retry: 2000` | waits 2000 ms before reconnecting after a drop |
//! | `topic: ops` | nothing: the spec tells browsers to ignore unknown fields; herald's own clients read it |
//! | `key: main` | nothing, as `topic:`: the key whose current value the event is |
//!
//! herald ends every line with LF alone and never writes a BOM. A message's
//! own line breaks (CRLF, CR or LF: the browser treats all three as one
//! break) each start a new `data:` line, so no message can end its event
//! early or add a field of its own.

use crate::clock::rfc3339_millis;
use crate::event::{Event, EventId};
use crate::limits::SSE_RETRY_MS;
use crate::wire::notice::{self, MISSED_EVENT_TYPE, REVOKED_EVENT_TYPE, UNAVAILABLE_EVENT_TYPE};

/// A comment line, written to every stream every `--heartbeat`.
pub const HEARTBEAT: &[u8] = b": heartbeat\n";

/// Appends one encoded event, accepted at `accepted_ms`, to `out`.
pub fn encode_event(id: EventId, event: &Event, accepted_ms: u64, out: &mut Vec<u8>) {
    field(out, "id", &id.to_string());
    encode_body(event, accepted_ms, out);
}

/// Appends every line of the event after its `id:` line, and the empty line
/// that ends it: the part of the encoding that does not depend on the id
/// (see [`crate::wire::encoded`]).
pub fn encode_body(event: &Event, accepted_ms: u64, out: &mut Vec<u8>) {
    encode_body_at(event, &rfc3339_millis(accepted_ms), out);
}

/// [`encode_body`], with the time already written out.
pub fn encode_body_at(event: &Event, time: &str, out: &mut Vec<u8>) {
    if let Some(event_type) = event.event_type() {
        field(out, "event", event_type);
    }
    if let Some(topic) = event.topic_name() {
        field(out, "topic", topic);
    }
    if let Some(keyed) = event.keyed() {
        // The key whose value this event is (see `hub/state/`).
        field(out, "key", &keyed.key);
    }
    // When herald accepted it: a replay shows when it happened, not when it
    // arrived. Browsers ignore fields they do not know, as `topic:`.
    field(out, "time", time);
    for line in lines(event.data()) {
        field(out, "data", line);
    }
    out.push(b'\n');
}

/// The first bytes of every stream: the reconnection delay, and a comment so
/// the browser (and any proxy) sees the stream live at once.
pub fn preamble() -> Vec<u8> {
    format!("retry: {SSE_RETRY_MS}\n: herald stream open\n\n").into_bytes()
}

/// The event that says "you missed some": sent before a replay that cannot
/// reach back to the id the subscriber asked for. It carries no `id:`, so the
/// browser's last event id is not changed by it.
pub fn missed_event(asked_after: EventId, oldest_held: Option<EventId>) -> Vec<u8> {
    let data = notice::missed_data(asked_after, oldest_held);
    format!("event: {MISSED_EVENT_TYPE}\ndata: {data}\n\n").into_bytes()
}

/// The end of a stream the server cannot carry now: a jittered `retry:`
/// and the `herald-unavailable` notice with `reason`. `EventSource` then
/// reconnects by itself (it would give up for good on an error status).
pub fn unavailable_event(reason: &str) -> Vec<u8> {
    let retry_ms = notice::jittered_retry_ms();
    let data = notice::reason_data(reason);
    format!("retry: {retry_ms}\nevent: {UNAVAILABLE_EVENT_TYPE}\ndata: {data}\n\n").into_bytes()
}

/// The end of a stream the app no longer allows.
pub fn revoked_event() -> Vec<u8> {
    let data = notice::reason_data("revoked");
    format!("event: {REVOKED_EVENT_TYPE}\ndata: {data}\n\n").into_bytes()
}

fn field(out: &mut Vec<u8>, name: &str, value: &str) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(value.as_bytes());
    out.push(b'\n');
}

/// Splits on CRLF, CR and LF, each counted as one line break.
fn lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let current = rest?;
        match current.find(['\r', '\n']) {
            None => {
                rest = None;
                Some(current)
            }
            Some(at) => {
                let skip = if current[at..].starts_with("\r\n") {
                    2
                } else {
                    1
                };
                rest = Some(&current[at + skip..]);
                Some(&current[..at])
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The encoding, without the `time:` line (its own test checks it).
    fn encoded(id: EventId, event: &Event) -> String {
        let mut out = Vec::new();
        encode_event(id, event, 0, &mut out);
        let text = String::from_utf8(out).unwrap();
        text.replacen("time: 1970-01-01T00:00:00.000Z\n", "", 1)
    }

    #[test]
    fn the_time_it_was_accepted_comes_before_the_data() {
        let event = Event::new("x").unwrap().topic("ops").unwrap();
        let mut out = Vec::new();
        encode_event(3, &event, 1_796_160_942_123, &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "id: 3\ntopic: ops\ntime: 2026-12-01T21:35:42.123Z\ndata: x\n\n"
        );
    }

    #[test]
    fn a_plain_message() {
        assert_eq!(
            encoded(7, &Event::new("hi").unwrap()),
            "id: 7\ndata: hi\n\n"
        );
    }

    #[test]
    fn type_and_topic_come_before_the_data() {
        let event = Event::new("x")
            .unwrap()
            .event("chat")
            .unwrap()
            .topic("ops")
            .unwrap();
        assert_eq!(
            encoded(1, &event),
            "id: 1\nevent: chat\ntopic: ops\ndata: x\n\n"
        );
    }

    #[test]
    fn every_kind_of_line_break_is_one_data_line() {
        let event = Event::new("a\nb\rc\r\nd").unwrap();
        assert_eq!(
            encoded(1, &event),
            "id: 1\ndata: a\ndata: b\ndata: c\ndata: d\n\n"
        );
    }

    #[test]
    fn empty_lines_are_kept() {
        let event = Event::new("a\n\nb\n").unwrap();
        assert_eq!(
            encoded(1, &event),
            "id: 1\ndata: a\ndata: \ndata: b\ndata: \n\n"
        );
        let event = Event::new("\r\n\r").unwrap();
        assert_eq!(encoded(1, &event), "id: 1\ndata: \ndata: \ndata: \n\n");
    }

    #[test]
    fn an_injection_attempt_stays_data() {
        let event = Event::new("a\n\nevent: evil\ndata: x").unwrap();
        assert_eq!(
            encoded(1, &event),
            "id: 1\ndata: a\ndata: \ndata: event: evil\ndata: data: x\n\n"
        );
    }

    #[test]
    fn leading_spaces_survive_the_one_space_browsers_strip() {
        assert_eq!(
            encoded(1, &Event::new(" x").unwrap()),
            "id: 1\ndata:  x\n\n"
        );
    }

    #[test]
    fn the_preamble_and_missed_event() {
        assert_eq!(preamble(), b"retry: 2000\n: herald stream open\n\n");
        assert_eq!(
            missed_event(5, Some(9)),
            b"event: herald-missed\ndata: {\"last_event_id\":5,\"oldest_held\":9}\n\n"
        );
        assert!(HEARTBEAT.starts_with(b":"));
    }
}
