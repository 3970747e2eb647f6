//! The batch: the events of one round of the hub, encoded once and laid end
//! to end, so each listener gets them all in one `write`.
//!
//! A listener without a topic filter is sent the whole batch as it is: the
//! same bytes for every such listener, nothing copied or allocated per
//! listener. A listener with a filter is sent the events it wants, gathered
//! into one reused buffer.

use std::ops::Range;

use crate::hub::history::Stored;
use crate::hub::listener::{Delivery, Listener, StreamKind};

/// The events of one round, encoded and laid end to end, once in each
/// encoding that some listener reads.
#[derive(Default)]
pub struct Batch {
    /// The events in the event-stream format.
    event_stream: Encoded,
    /// The events as WebSocket frames, while there are WebSocket listeners.
    websocket: Encoded,
    /// Whether to encode the round for WebSocket listeners too.
    pub with_websocket: bool,
    /// Reused to gather the events a filtering listener wants.
    scratch: Vec<u8>,
}

/// One encoding of a round's events.
#[derive(Default)]
struct Encoded {
    /// Every event's bytes, in order: what an unfiltered listener gets.
    bytes: Vec<u8>,
    /// Each event's topic and where its bytes lie in `bytes`.
    parts: Vec<(Option<Box<str>>, Range<usize>)>,
}

impl Encoded {
    fn push(&mut self, topic: Option<&str>, encode: impl FnOnce(&mut Vec<u8>)) {
        let start = self.bytes.len();
        encode(&mut self.bytes);
        self.parts
            .push((topic.map(Into::into), start..self.bytes.len()));
    }

    fn clear(&mut self) {
        self.bytes.clear();
        self.parts.clear();
    }
}

impl Batch {
    /// Adds one event, as the history stored it.
    pub fn add(&mut self, stored: &Stored) {
        self.event_stream
            .push(stored.topic(), |out| out.extend_from_slice(&stored.bytes));
        if self.with_websocket {
            self.websocket.push(stored.topic(), |out| {
                crate::wire::websocket::encode_event(stored.id, &stored.event, out)
            });
        }
    }

    /// Whether the round has no events.
    pub fn is_empty(&self) -> bool {
        self.event_stream.parts.is_empty()
    }

    /// Empties the batch for the next round, keeping its memory.
    pub fn clear(&mut self) {
        self.event_stream.clear();
        self.websocket.clear();
    }

    /// Writes the events `listener` wants, in its encoding, in one write.
    pub fn send_to(&mut self, listener: &mut Listener, max_backlog: usize) -> Delivery {
        let encoded = match listener.kind() {
            StreamKind::EventStream => &self.event_stream,
            StreamKind::WebSocket => &self.websocket,
        };
        if listener.wants_all() {
            return listener.send(&encoded.bytes, max_backlog);
        }
        self.scratch.clear();
        for (topic, range) in &encoded.parts {
            if listener.wants(topic.as_deref()) {
                self.scratch
                    .extend_from_slice(&encoded.bytes[range.clone()]);
            }
        }
        if self.scratch.is_empty() {
            return Delivery::Kept;
        }
        listener.send(&self.scratch, max_backlog)
    }
}
