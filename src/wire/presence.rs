//! The presence notice, `herald-presence`, in both framings: who is
//! listening to one topic (see `hub/presence/`).
//!
//! Like the other notices it has no id, so it never moves a subscriber's
//! last event id; its data is the topic's list as JSON:
//!
//! ```text
//! event: herald-presence
//! topic: ticket-7
//! data: {"topic":"ticket-7","users":[{"user":"anna","connections":2,"since":"…"}],"more":0,"anonymous":3}
//! ```

use crate::clock::rfc3339_millis;
use crate::wire::json;
use crate::wire::websocket::frame;

/// The notice's event type.
pub const PRESENCE_EVENT_TYPE: &str = "herald-presence";

/// One person in a list.
pub struct Person<'a> {
    /// The app's name for them (`user` in the hook's answer).
    pub user: &'a str,
    /// Their open streams on the topic: tabs, a SharedWorker, instances.
    pub connections: u32,
    /// When the first of those opened, in ms since 1970.
    pub since_ms: u64,
}

/// A topic's list as JSON: `people` in the order given, then how many more
/// there are unnamed and how many anonymous streams listen.
pub fn list_json(topic: &str, people: &[Person<'_>], more: usize, anonymous: usize) -> String {
    let mut out = String::with_capacity(64 + people.len() * 72);
    out.push_str("{\"topic\":");
    json::push_string(&mut out, topic);
    out.push_str(",\"users\":[");
    for (index, person) in people.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        out.push_str("{\"user\":");
        json::push_string(&mut out, person.user);
        let since = rfc3339_millis(person.since_ms);
        out.push_str(&format!(
            ",\"connections\":{},\"since\":\"{since}\"}}",
            person.connections
        ));
    }
    out.push_str(&format!("],\"more\":{more},\"anonymous\":{anonymous}}}"));
    out
}

/// The notice as event-stream lines, for `topic`'s list's JSON, with a
/// `topic:` line as an event of the topic has.
pub fn event_stream(topic: &str, list: &str) -> Vec<u8> {
    // The JSON is one line: names are labels, without line breaks.
    format!("event: {PRESENCE_EVENT_TYPE}\ntopic: {topic}\ndata: {list}\n\n").into_bytes()
}

/// The notice as a WebSocket text frame, shaped as an event's, with the
/// list's JSON as its data.
pub fn websocket(topic: &str, list: &str) -> Vec<u8> {
    let mut text = String::with_capacity(list.len() + topic.len() + 80);
    text.push_str("{\"id\":null,\"event\":\"");
    text.push_str(PRESENCE_EVENT_TYPE);
    text.push_str("\",\"topic\":");
    json::push_string(&mut text, topic);
    text.push_str(",\"time\":null,\"data\":");
    json::push_string(&mut text, list);
    text.push('}');
    let mut out = Vec::new();
    frame::encode(frame::TEXT, text.as_bytes(), &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_is_one_line_of_json_with_escaped_names() {
        let people = [Person {
            user: "anna \"a\"",
            connections: 2,
            since_ms: 0,
        }];
        let list = list_json("t", &people, 3, 5);
        assert_eq!(
            list,
            r#"{"topic":"t","users":[{"user":"anna \"a\"","connections":2,"since":"1970-01-01T00:00:00.000Z"}],"more":3,"anonymous":5}"#
        );
        let lines = String::from_utf8(event_stream("t", &list)).unwrap();
        assert_eq!(
            lines,
            format!("event: herald-presence\ntopic: t\ndata: {list}\n\n")
        );
    }
}
