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
            let mut slices = [IoSlice::new(&[]); 2 * MAX_EVENTS_PER_WRITEV + 2];
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
    /// events it wants. [`advance`] walks the same order.
    ///
    /// [`advance`]: Listener::advance
    fn gather<'h>(
        &'h self,
        history: &'h History,
        end: Seq,
        mut budget: usize,
        slices: &mut [IoSlice<'h>],
    ) -> usize {
        let mut count = 0;
        let mut push = |bytes: &'h [u8], count: &mut usize| {
            let bytes = &bytes[..bytes.len().min(budget)];
            if !bytes.is_empty() {
                slices[*count] = IoSlice::new(bytes);
                *count += 1;
                budget -= bytes.len();
            }
        };
        let mut seq = self.next;
        if self.sent_of_next > 0 {
            if let Some(stored) = history.get(seq) {
                let [prefix, body] = stored.parts(self.kind);
                let skip = self.sent_of_next;
                push(prefix.get(skip..).unwrap_or(&[]), &mut count);
                push(&body[skip.saturating_sub(prefix.len())..], &mut count);
            }
            seq += 1;
        }
        push(&self.own, &mut count);
        let mut events = 0;
        let before_end = end.saturating_sub(seq) as usize;
        for stored in history.from(seq).take(before_end) {
            if events == MAX_EVENTS_PER_WRITEV {
                break;
            }
            if self.wants(stored.topic()) {
                let [prefix, body] = stored.parts(self.kind);
                push(prefix, &mut count);
                push(body, &mut count);
                events += 1;
            }
        }
        count
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
        let own = written.min(self.own.len());
        self.own.drain(..own);
        if self.own.is_empty() {
            // Give the memory back: an idle listener holds no buffer.
            self.own = Vec::new();
        }
        written -= own;
        while written > 0 {
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
                return;
            }
            written -= len;
            self.next += 1;
        }
    }
}
