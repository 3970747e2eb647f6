//! The batch: the events of one round of the hub, encoded once and laid end
//! to end, so each listener gets them all in one `write`.
//!
//! A listener without a topic filter is sent the whole batch as it is: the
//! same bytes for every such listener, nothing copied or allocated per
//! listener. A listener with a filter is sent the events it wants, gathered
//! into one reused buffer.

use std::ops::Range;

use crate::history::Stored;
use crate::listener::{Delivery, Listener};

/// The events of one round, encoded and laid end to end.
#[derive(Default)]
pub struct Batch {
    /// Every event's bytes, in order: what an unfiltered listener gets.
    bytes: Vec<u8>,
    /// Each event's topic and where its bytes lie in `bytes`.
    parts: Vec<(Option<Box<str>>, Range<usize>)>,
    /// Reused to gather the events a filtering listener wants.
    scratch: Vec<u8>,
}

impl Batch {
    /// Adds one event, as the history stored it.
    pub fn add(&mut self, stored: &Stored) {
        let start = self.bytes.len();
        self.bytes.extend_from_slice(&stored.bytes);
        self.parts
            .push((stored.topic.clone(), start..self.bytes.len()));
    }

    /// Whether the round has no events.
    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    /// Empties the batch for the next round, keeping its memory.
    pub fn clear(&mut self) {
        self.bytes.clear();
        self.parts.clear();
    }

    /// Writes the events `listener` wants, in one write.
    pub fn send_to(&mut self, listener: &mut Listener, max_backlog: usize) -> Delivery {
        if listener.wants_all() {
            return listener.send(&self.bytes, max_backlog);
        }
        self.scratch.clear();
        for (topic, range) in &self.parts {
            if listener.wants(topic.as_deref()) {
                self.scratch.extend_from_slice(&self.bytes[range.clone()]);
            }
        }
        if self.scratch.is_empty() {
            return Delivery::Kept;
        }
        listener.send(&self.scratch, max_backlog)
    }
}
