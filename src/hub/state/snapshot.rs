//! A snapshot: the values one set of topics held at one moment, shared by
//! every stream that starts from it.
//!
//! It is a list of references to the values' encoded events, not a copy
//! of their bytes: a value replaced after the snapshot was taken stays
//! alive as long as a stream still has it to send, and no longer.

use std::sync::Arc;

use crate::hub::history::Stored;
use crate::hub::listener::StreamKind;

/// Values, oldest id first.
#[derive(Debug)]
pub struct Snapshot {
    values: Vec<Arc<Stored>>,
    /// Their bytes in each encoding, summed once for every stream.
    event_stream_bytes: usize,
    websocket_bytes: usize,
}

impl Snapshot {
    /// A snapshot of `values`, oldest id first.
    pub fn new(values: Vec<Arc<Stored>>) -> Snapshot {
        let sum = |kind| values.iter().map(|stored| stored.len(kind)).sum();
        Snapshot {
            event_stream_bytes: sum(StreamKind::EventStream),
            websocket_bytes: sum(StreamKind::WebSocket),
            values,
        }
    }

    /// Its values, oldest id first.
    pub fn values(&self) -> &[Arc<Stored>] {
        &self.values
    }

    /// The bytes of its values in `kind`'s encoding.
    pub fn len(&self, kind: StreamKind) -> usize {
        match kind {
            StreamKind::EventStream => self.event_stream_bytes,
            StreamKind::WebSocket => self.websocket_bytes,
        }
    }

    /// Whether it holds no value.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}
