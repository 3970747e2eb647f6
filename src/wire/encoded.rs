//! An event encoded once for every subscriber: its event-stream lines and
//! its WebSocket frame, made before the event reaches the hub.
//!
//! Encoding costs what the message is long (a message of 64 KiB made of line
//! breaks becomes 448 KiB of `data:` lines), so it is done once per event,
//! on the thread that publishes it (a connection, the log writer, the Redis
//! reader), never on the hub and never per subscriber. Every subscriber and
//! every replay is then sent the same bytes.
//!
//! Only the first few bytes of each encoding depend on the event's id, which
//! the publisher gives under its lock, and encoding a long message under
//! that lock would make every other publisher wait. So an event is encoded
//! in two parts: the body here, without the id, and a [`Prefix`] of a few
//! dozen bytes made once the id is known (`id: 17\n`; a frame header and
//! `{"id":17,`). A write sends the two together, in one `writev`.
//!
//! The parts are reference-counted, so that the hub's copy of a key's
//! current value (see `hub/state/`) shares the bytes the history holds
//! instead of copying them.

use std::sync::Arc;

use crate::clock::rfc3339_millis;
use crate::event::{Event, EventId, Keyed};
use crate::wire::sse;
use crate::wire::websocket::{self, frame};

/// An event's encodings, without its id.
#[derive(Debug, Clone)]
pub struct EncodedEvent {
    /// When herald accepted it, in ms since 1970 (in both encodings, and
    /// in the event log's record).
    pub accepted_ms: u64,
    /// Its topic, for subscribers that filter.
    pub topic: Option<Arc<str>>,
    /// What it does to its key's value, if it is keyed (see `hub/state/`).
    pub keyed: Option<Arc<Keyed>>,
    /// The event-stream lines after `id:`.
    pub event_stream: Arc<[u8]>,
    /// The frame's JSON after `{"id":N,`.
    pub websocket: Arc<[u8]>,
}

impl EncodedEvent {
    /// Encodes `event`, accepted at `accepted_ms`, for both kinds of stream.
    pub fn new(event: &Event, accepted_ms: u64) -> EncodedEvent {
        let time = rfc3339_millis(accepted_ms);
        let mut event_stream = Vec::with_capacity(event.data().len() + 48);
        sse::encode_body_at(event, &time, &mut event_stream);
        EncodedEvent {
            accepted_ms,
            topic: event.topic_name().map(Into::into),
            keyed: event.keyed_shared(),
            event_stream: event_stream.into(),
            websocket: websocket::encode_body_at(event, &time).into_bytes().into(),
        }
    }

    /// The bytes it occupies: what it counts against the hub's queue and
    /// the history.
    pub fn size_bytes(&self) -> usize {
        std::mem::size_of::<EncodedEvent>()
            + self.topic.as_ref().map_or(0, |topic| topic.len())
            + self
                .keyed
                .as_ref()
                .map_or(0, |keyed| std::mem::size_of::<Keyed>() + keyed.key.len())
            + self.event_stream.len()
            + self.websocket.len()
    }
}

/// The id-dependent start of an encoding, held inline: no allocation.
#[derive(Debug, Clone, Copy)]
pub struct Prefix {
    bytes: [u8; Prefix::MAX_BYTES],
    len: u8,
}

impl Prefix {
    /// A frame header (10 bytes at most), `{"id":` and a `u64` (20 digits
    /// at most) and a comma: 37 bytes; `id: ` and a `u64` and a line break
    /// is less.
    const MAX_BYTES: usize = 40;

    fn from_parts(parts: &[&[u8]]) -> Prefix {
        let mut prefix = Prefix {
            bytes: [0; Prefix::MAX_BYTES],
            len: 0,
        };
        for part in parts {
            let at = usize::from(prefix.len);
            prefix.bytes[at..at + part.len()].copy_from_slice(part);
            prefix.len += part.len() as u8;
        }
        prefix
    }

    /// `id: N\n`, before an event-stream body.
    pub fn event_stream(id: EventId) -> Prefix {
        let mut digits = [0; 20];
        Prefix::from_parts(&[b"id: ", decimal(id, &mut digits), b"\n"])
    }

    /// The text frame's header and `{"id":N,`, before a WebSocket body of
    /// `body_len` bytes.
    pub fn websocket(id: EventId, body_len: usize) -> Prefix {
        let mut digits = [0; 20];
        let id = decimal(id, &mut digits);
        let json_start: [&[u8]; 3] = [b"{\"id\":", id, b","];
        let json_len: usize = json_start.iter().map(|part| part.len()).sum();
        let mut header = [0; frame::MAX_HEADER_BYTES];
        let header = frame::header(frame::TEXT, json_len + body_len, &mut header);
        let [open, id, comma] = json_start;
        Prefix::from_parts(&[header, open, id, comma])
    }

    /// Its bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }
}

/// `n` in decimal, written into `digits`: a prefix is made for every event
/// the hub keeps, and `to_string` would allocate each time.
fn decimal(mut n: u64, digits: &mut [u8; 20]) -> &[u8] {
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &digits[start..];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_writes_every_digit() {
        for n in [0, 7, 10, 1_796_160_942_123, u64::MAX] {
            assert_eq!(decimal(n, &mut [0; 20]), n.to_string().as_bytes());
        }
    }

    fn joined(prefix: Prefix, body: &[u8]) -> Vec<u8> {
        [prefix.as_bytes(), body].concat()
    }

    #[test]
    fn prefix_and_body_make_the_whole_encoding() {
        let event = Event::from_parts("say \"hi\"\nthere", Some("chat"), Some("ops")).unwrap();
        let encoded = EncodedEvent::new(&event, 1_796_160_942_123);
        let id = u64::MAX;

        let mut sse_whole = Vec::new();
        sse::encode_event(id, &event, 1_796_160_942_123, &mut sse_whole);
        let sse_parts = joined(Prefix::event_stream(id), &encoded.event_stream);
        assert_eq!(sse_parts, sse_whole);

        let mut ws_whole = Vec::new();
        websocket::encode_event(id, &event, 1_796_160_942_123, &mut ws_whole);
        let ws_prefix = Prefix::websocket(id, encoded.websocket.len());
        assert_eq!(joined(ws_prefix, &encoded.websocket), ws_whole);
        assert_eq!(encoded.topic.as_deref(), Some("ops"));
    }

    #[test]
    fn a_long_frame_gets_the_long_header() {
        let event = Event::new("x".repeat(70_000)).unwrap();
        let encoded = EncodedEvent::new(&event, 0);
        let mut whole = Vec::new();
        websocket::encode_event(1, &event, 0, &mut whole);
        let prefix = Prefix::websocket(1, encoded.websocket.len());
        assert_eq!(prefix.as_bytes()[1], 127);
        assert_eq!(joined(prefix, &encoded.websocket), whole);
    }
}
