//! A listener's way through a snapshot of the keyed values (`state=1`, see
//! `hub/state/`): which value it is sending, and where in the history the
//! snapshot goes.
//!
//! The snapshot is sent at a seam: a place in the history, the end of it
//! when the stream started. Events before the seam (a replay, `recent=`)
//! go first, then every value and the `herald-state` marker, then the
//! events from the seam on. So a client that applies what it reads in
//! order ends with the current values, and nothing at the seam is missed
//! or sent twice. `catch_up` walks this order as it gathers and as it
//! moves on; this file holds the cursor it moves.

use std::sync::Arc;

use super::{Listener, StreamKind};
use crate::hub::history::Seq;
use crate::hub::state::Snapshot;

impl Listener {
    /// Sends it `snapshot` before the event at `at`, then `marker`.
    /// Before [`Listener::start_behind`], which counts it.
    pub fn start_with_snapshot(&mut self, snapshot: Arc<Snapshot>, at: Seq, marker: Vec<u8>) {
        self.snapshot = Some(Box::new(SnapshotCursor::new(snapshot, at, marker)));
    }

    /// The bytes of its snapshot still to send.
    pub(super) fn snapshot_bytes(&self) -> usize {
        let kind = self.kind;
        self.snapshot
            .as_ref()
            .map_or(0, |cursor| cursor.remaining(kind))
    }

    /// Whether it is in the middle of a value of its snapshot.
    pub(super) fn in_snapshot_value(&self) -> bool {
        self.snapshot
            .as_ref()
            .is_some_and(|cursor| cursor.sent_of_next > 0)
    }
}

/// Where a listener is in its snapshot.
pub(super) struct SnapshotCursor {
    snapshot: Arc<Snapshot>,
    /// The place in the history the snapshot is sent before.
    pub(super) at: Seq,
    /// The marker after the values, in the listener's encoding.
    marker: Box<[u8]>,
    /// The item being sent: a value's index, or the values' count for the
    /// marker.
    pub(super) next: usize,
    /// How much of that item is written.
    pub(super) sent_of_next: usize,
}

impl SnapshotCursor {
    /// A cursor at the start of `snapshot`, sent before the event at `at`,
    /// ending with `marker`.
    pub(super) fn new(snapshot: Arc<Snapshot>, at: Seq, marker: Vec<u8>) -> SnapshotCursor {
        SnapshotCursor {
            snapshot,
            at,
            marker: marker.into_boxed_slice(),
            next: 0,
            sent_of_next: 0,
        }
    }

    /// The bytes of item `index` in `kind`'s encoding, in two parts; `None`
    /// past the marker.
    pub(super) fn item(&self, index: usize, kind: StreamKind) -> Option<[&[u8]; 2]> {
        let values = self.snapshot.values();
        match values.get(index) {
            Some(stored) => Some(stored.parts(kind)),
            None if index == values.len() => Some([&self.marker, &[]]),
            None => None,
        }
    }

    /// The bytes still to send, the marker included: all of them, before
    /// the first write (summed once per snapshot, not once per stream).
    pub(super) fn remaining(&self, kind: StreamKind) -> usize {
        let values = self.snapshot.values();
        let sent: usize = values[..self.next.min(values.len())]
            .iter()
            .map(|stored| stored.len(kind))
            .sum();
        let marker = if self.is_done() { 0 } else { self.marker.len() };
        self.snapshot.len(kind) - sent + marker - self.sent_of_next
    }

    /// Moves on by `written` bytes of whole items (after the rest of a
    /// started one, which the caller has taken off); what is left over.
    pub(super) fn advance(&mut self, mut written: usize, kind: StreamKind) -> usize {
        while written > 0 {
            let Some([prefix, body]) = self.item(self.next, kind) else {
                break;
            };
            let len = prefix.len() + body.len();
            if written < len {
                self.sent_of_next = written;
                return 0;
            }
            written -= len;
            self.next += 1;
        }
        written
    }

    /// Moves on by `written` bytes, the first of them the rest of a
    /// started item; what is left over.
    pub(super) fn finish_started(&mut self, written: usize, kind: StreamKind) -> usize {
        if self.sent_of_next == 0 {
            return written;
        }
        let rest = self.item(self.next, kind).map_or(0, |[prefix, body]| {
            prefix.len() + body.len() - self.sent_of_next
        });
        if written < rest {
            self.sent_of_next += written;
            return 0;
        }
        self.sent_of_next = 0;
        self.next += 1;
        written - rest
    }

    /// Whether the marker is sent.
    pub(super) fn is_done(&self) -> bool {
        self.next > self.snapshot.values().len()
    }
}
