//! The same live stream over WebSocket, at `GET /ws`.
//!
//! A WebSocket subscriber is a listener of the hub like an SSE one: same
//! topic filter, same replay, same bounded backlog, same drop when it stops
//! reading. Only the bytes differ: each event is one text frame holding
//! `{"id": …, "event": …, "topic": …, "data": …}`, encoded once per event
//! for all WebSocket listeners. The hub remains the only writer of the
//! socket, so a pong or an acknowledgement can never cut into an event.
//!
//! Unlike an SSE stream, a WebSocket talks back: pings, publishes, the
//! closing handshake. So the connection thread does not end after the
//! handshake: it stays as the socket's reader
//! ([`crate::server::websocket_reader`]), and sends its answers through the
//! hub. That thread is the price of a WebSocket subscriber (see the README
//! for the memory it costs). The handshake itself is HTTP, in
//! [`crate::http::websocket_upgrade`].
//!
//! - this file: an event, a notice or a ping as the frame a client reads;
//! - [`frame`]: the frame format (RFC 6455 §5), read and written;
//! - [`messages`]: from frames to messages, and the close each breach earns;
//! - [`sha1`] and [`base64`]: the handshake's `Sec-WebSocket-Accept`.

pub mod base64;
pub mod frame;
pub mod messages;
pub mod sha1;

use crate::clock::rfc3339_millis;
use crate::event::{Event, EventId};
use crate::wire::{json, notice};

/// The ping the hub sends every `--heartbeat`, with an empty payload.
pub const PING: &[u8] = &[0x80 | frame::PING, 0];

/// An event as a text frame:
/// `{"id":…,"event":…,"topic":…,"time":…,"data":…}`.
pub fn encode_event(id: EventId, event: &Event, accepted_ms: u64, out: &mut Vec<u8>) {
    let text = format!("{{\"id\":{id},{}", encode_body(event, accepted_ms));
    frame::encode(frame::TEXT, text.as_bytes(), out);
}

/// The JSON object for a notice (no id, no time), such as the missed one.
pub fn notice_json(event: &str, data: &str) -> String {
    format!(
        "{{\"id\":null,{}",
        body_json(Some(event), None, None, None, data)
    )
}

/// The event's JSON after `{"id":N,`: the part that does not depend on the
/// id (see [`crate::wire::encoded`]). `time` is when herald accepted it.
pub fn encode_body(event: &Event, accepted_ms: u64) -> String {
    encode_body_at(event, &rfc3339_millis(accepted_ms))
}

/// [`encode_body`], with the time already written out.
pub fn encode_body_at(event: &Event, time: &str) -> String {
    let key = event.keyed().map(|keyed| keyed.key.as_str());
    body_json(
        event.event_type(),
        event.topic_name(),
        key,
        Some(time),
        event.data(),
    )
}

/// Written into one buffer, sized for a message with nothing to escape: an
/// event is encoded on every publish, and each string made on the way
/// would cost an allocation.
/// A `key` is written only when there is one (see `hub/state/`), so an
/// event without one reads as it did before keys.
fn body_json(
    event: Option<&str>,
    topic: Option<&str>,
    key: Option<&str>,
    time: Option<&str>,
    data: &str,
) -> String {
    let names: usize = [event, topic, key]
        .iter()
        .flatten()
        .map(|name| name.len())
        .sum();
    let mut out = String::with_capacity(data.len() + names + 80);
    let key = key.map(|key| ("key", Some(key)));
    let fields = [("event", event), ("topic", topic)].into_iter();
    for (name, value) in fields.chain(key).chain([("time", time)]) {
        out.push('"');
        out.push_str(name);
        out.push_str("\":");
        json::push_string_or_null(&mut out, value);
        out.push(',');
    }
    out.push_str("\"data\":");
    json::push_string(&mut out, data);
    out.push('}');
    out
}

/// The "you missed some" notice, as on `/events`: an event of type
/// `herald-missed` with no id, whose data is the same JSON.
pub fn missed_frame(asked_after: EventId, oldest_held: Option<EventId>) -> Vec<u8> {
    let data = notice::missed_data(asked_after, oldest_held);
    let text = notice_json(notice::MISSED_EVENT_TYPE, &data);
    let mut out = Vec::new();
    frame::encode(frame::TEXT, text.as_bytes(), &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_frame_holds_its_json() {
        let mut out = Vec::new();
        let event = Event::new("say \"hi\"\n🎉").unwrap().topic("ops").unwrap();
        encode_event(7, &event, 1_796_160_942_123, &mut out);
        assert_eq!(out[0], 0x81);
        assert_eq!(
            std::str::from_utf8(&out[2..]).unwrap(),
            r#"{"id":7,"event":null,"topic":"ops","time":"2026-12-01T21:35:42.123Z","data":"say \"hi\"\n🎉"}"#
        );
    }
}
