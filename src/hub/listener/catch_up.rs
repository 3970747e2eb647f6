//! Writing a listener that is behind from the shared history: what is
//! next for it (the rest of a started event, its own bytes, the events it
//! wants) gathered into a few `writev` slices straight from the history's
//! bytes, and its place moved on by what the socket took.
//!
//! Nothing is copied per listener: the slices point into the one encoded
//! copy of each event (see [`crate::hub::history`]), and a write the socket
//! takes only in part leaves the listener mid-event, to be finished first
//! next time.

use std::io::IoSlice;

use super::Listener;
use crate::hub::history::{History, Seq};
use crate::limits::{MAX_BYTES_PER_LISTENER_PER_LAP, MAX_EVENTS_PER_WRITEV, MAX_WRITEVS_PER_FLUSH};
use crate::socket_io::write_vectored_now;

impl Listener {
    /// Writes what is to be sent next, up to the event at `end`, with
    /// `writev`s of a few events each for as long as the socket takes them
    /// whole (at most [`MAX_WRITEVS_PER_FLUSH`]), and moves its place on.
    /// `None` if the socket failed.
    ///
    /// The slices are few so that a listener whose socket is full, which
    /// is most of them in a burst, costs a small array and one refused
    /// call per round, not the set-up of a large one.
    pub(super) fn write_until(&mut self, history: &History, end: Seq) -> Option<()> {
        self.silent_checks = 0;
        let mut budget = MAX_BYTES_PER_LISTENER_PER_LAP;
        for _ in 0..MAX_WRITEVS_PER_FLUSH {
            // Two started events at most (one in the history, one of a snapshot),
            // its own bytes, and the whole events.
            let mut slices = [IoSlice::new(&[]); 2 * MAX_EVENTS_PER_WRITEV + 5];
            let count = self.gather(history, end, budget, &mut slices);
            if count == 0 {
                break;
            }
            let gathered: usize = slices[..count].iter().map(|slice| slice.len()).sum();
            let written = write_vectored_now(&self.stream, &slices[..count]).ok()?;
            self.advance(written, history);
            budget -= written;
            if written < gathered || budget == 0 {
                break;
            }
        }
        Some(())
    }

    /// Fills `slices` with what is to be sent next, in order, `budget`
    /// bytes at most: the rest of a started event, its own bytes, the
    /// events it wants (with a snapshot, if it has one, at its seam).
    /// [`advance`] walks the same order.
    ///
    /// [`advance`]: Listener::advance
    fn gather<'h>(
        &'h self,
        history: &'h History,
        end: Seq,
        budget: usize,
        slices: &mut [IoSlice<'h>],
    ) -> usize {
        let mut gathering = Gathering {
            slices,
            count: 0,
            budget,
            events: 0,
        };
        let mut seq = self.next;
        if self.sent_of_next > 0 {
            if let Some(stored) = history.get(seq) {
                gathering.push_rest(stored.parts(self.kind), self.sent_of_next);
            }
            seq += 1;
        }
        let mut item = 0;
        if let Some(cursor) = self.snapshot.as_deref() {
            item = cursor.next;
            if cursor.sent_of_next > 0 {
                if let Some(parts) = cursor.item(item, self.kind) {
                    gathering.push_rest(parts, cursor.sent_of_next);
                }
                item += 1;
            }
        }
        gathering.push(&self.own);
        let Some(cursor) = self.snapshot.as_deref() else {
            self.gather_events(history, seq, end, &mut gathering);
            return gathering.count;
        };
        if !self.gather_events(history, seq, cursor.at.min(end), &mut gathering) || end < cursor.at
        {
            return gathering.count;
        }
        while let Some(parts) = cursor.item(item, self.kind) {
            if !gathering.push_event(parts) {
                return gathering.count;
            }
            item += 1;
        }
        self.gather_events(history, cursor.at, end, &mut gathering);
        gathering.count
    }

    /// Gathers the events it wants from `from` up to `to`; whether all of
    /// them fit.
    fn gather_events<'h>(
        &self,
        history: &'h History,
        from: Seq,
        to: Seq,
        gathering: &mut Gathering<'_, 'h>,
    ) -> bool {
        let before_end = to.saturating_sub(from) as usize;
        for stored in history.from(from).take(before_end) {
            if self.wants(stored.topic()) && !gathering.push_event(stored.parts(self.kind)) {
                return false;
            }
        }
        true
    }

    /// Moves its place on by `written` bytes, in the order of [`gather`].
    ///
    /// [`gather`]: Listener::gather
    fn advance(&mut self, mut written: usize, history: &History) {
        self.behind -= written;
        if self.sent_of_next > 0 {
            let rest = history
                .get(self.next)
                .map_or(0, |stored| stored.len(self.kind) - self.sent_of_next);
            if written < rest {
                self.sent_of_next += written;
                return;
            }
            written -= rest;
            self.sent_of_next = 0;
            self.next += 1;
        }
        if let Some(cursor) = self.snapshot.as_deref_mut() {
            written = cursor.finish_started(written, self.kind);
        }
        let own = written.min(self.own.len());
        self.own.drain(..own);
        if self.own.is_empty() {
            // Give the memory back: an idle listener holds no buffer.
            self.own = Vec::new();
        }
        written -= own;
        let Some(seam) = self.snapshot.as_deref().map(|cursor| cursor.at) else {
            self.advance_events(written, history, Seq::MAX);
            return;
        };
        written = self.advance_events(written, history, seam);
        if self.next < seam {
            return;
        }
        if let Some(cursor) = self.snapshot.as_deref_mut() {
            written = cursor.advance(written, self.kind);
            if !cursor.is_done() {
                return;
            }
        }
        // The snapshot is sent: let it go.
        self.snapshot = None;
        self.advance_events(written, history, Seq::MAX);
    }

    /// Moves its place on by `written` bytes of whole events before `to`;
    /// what is left over.
    fn advance_events(&mut self, mut written: usize, history: &History, to: Seq) -> usize {
        while written > 0 && self.next < to {
            let Some(stored) = history.get(self.next) else {
                break;
            };
            if !self.wants(stored.topic()) {
                self.next += 1;
                continue;
            }
            let len = stored.len(self.kind);
            if written < len {
                self.sent_of_next = written;
                return 0;
            }
            written -= len;
            self.next += 1;
        }
        written
    }
}

/// The slices of one `writev` being filled, within a byte budget and
/// [`MAX_EVENTS_PER_WRITEV`] whole events.
struct Gathering<'s, 'h> {
    slices: &'s mut [IoSlice<'h>],
    count: usize,
    budget: usize,
    events: usize,
}

impl<'h> Gathering<'_, 'h> {
    /// Adds `bytes`, as much of them as the budget leaves.
    fn push(&mut self, bytes: &'h [u8]) {
        let bytes = &bytes[..bytes.len().min(self.budget)];
        if !bytes.is_empty() {
            self.slices[self.count] = IoSlice::new(bytes);
            self.count += 1;
            self.budget -= bytes.len();
        }
    }

    /// Adds what is left of an event of two parts after its first `skip`
    /// bytes.
    fn push_rest(&mut self, [prefix, body]: [&'h [u8]; 2], skip: usize) {
        self.push(prefix.get(skip..).unwrap_or(&[]));
        self.push(body.get(skip.saturating_sub(prefix.len())..).unwrap_or(&[]));
    }

    /// Adds a whole event of two parts; false when the `writev` holds as
    /// many as it may.
    fn push_event(&mut self, [prefix, body]: [&'h [u8]; 2]) -> bool {
        if self.events == MAX_EVENTS_PER_WRITEV {
            return false;
        }
        self.push(prefix);
        self.push(body);
        self.events += 1;
        true
    }
}
