//! The pass that writes a round: each listener is sent the round's events
//! it wants, one `send` each, in one lap over the list; a listener whose
//! socket failed, or that fell too far behind, is removed on the way.
//!
//! That is the whole idea. Two refinements sit beside it, and a first
//! reading may skip both:
//!
//! - events published while a lap runs may join it, lap after lap, so
//!   that none waits for more than one (`late_events.rs`: it says when,
//!   and the measurement that called for it);
//! - a round of topic events goes only to the listeners who want some of
//!   it, found through the [`index`](crate::hub::index) (`write_to_some`,
//!   below), instead of a lap over everyone.
//!
//! Each listener's progress through the round (how many of its events it
//! has been sent) is kept beside the list, in the same places, so a
//! listener that ends can be removed at once, mid-lap: the last one takes
//! its place and its progress, and is written next.

use std::time::Instant;

use super::Hub;
use super::late_events::{LateEvents, Pass};
use crate::hub::batch::Batch;
use crate::hub::history::History;
use crate::hub::listener::{Delivery, Listener};
use crate::limits::BACKLOG_RETRY_INTERVAL;

impl Hub {
    /// Writes the round in `batch` to every listener: one lap, and more
    /// while events join it (with [`LateEvents::Join`]).
    pub(super) fn broadcast(&mut self, batch: &mut Batch, late: LateEvents) {
        self.round.sent.clear();
        self.round.sent.resize(self.listeners.len(), 0);
        let mut pass = Pass::new(late);
        while self.lap(batch, &mut pass) {
            self.upkeep(true);
            // A retry the upkeep left waiting must not be called off below.
            pass.backlogged |= self.schedule.next_retry.is_some();
        }
        self.round.sent.clear();
        self.schedule_retry(pass.backlogged);
    }

    /// One lap over the list: each listener gets the round's events it has
    /// not been sent yet. Whether events joined during the lap (then the
    /// listeners passed before they did need another).
    fn lap(&mut self, batch: &mut Batch, pass: &mut Pass) -> bool {
        let started = Instant::now();
        let writes_before = pass.writes;
        let mut joined = false;
        let mut at = 0;
        while at < self.listeners.len() {
            let from = self.round.sent[at];
            if from == batch.len() {
                at += 1;
                continue;
            }
            joined |= self.take_in_late_events(batch, pass);
            pass.writes += 1;
            let listener = &mut self.listeners[at];
            let delivery = batch.send_to(listener, &self.history, self.max_backlog, from);
            pass.backlogged |= listener.has_backlog();
            self.round.sent[at] = batch.len();
            match delivery {
                Delivery::Kept => at += 1,
                // The last listener takes this place, and is written next.
                ended => self.drop_listener(at, ended),
            }
        }
        self.counts
            .round_times
            .observe(started.elapsed(), pass.writes - writes_before);
        joined
    }

    /// Like [`Hub::write_to_each`], for the listeners at `places` only (in
    /// list order): those a round is for. Removals wait until the pass is
    /// done, last place first, so no place moves under the pass. Retries
    /// are only ever added here: listeners not in `places` may be waiting.
    pub(super) fn write_to_some(
        &mut self,
        places: &[usize],
        mut write: impl FnMut(&mut Listener, &History, usize) -> Delivery,
    ) {
        let mut ended = Vec::new();
        for &at in places {
            let listener = &mut self.listeners[at];
            let delivery = write(listener, &self.history, self.max_backlog);
            if listener.has_backlog() && self.schedule.next_retry.is_none() {
                self.schedule.next_retry = Some(Instant::now() + BACKLOG_RETRY_INTERVAL);
            }
            if delivery != Delivery::Kept {
                ended.push((at, delivery));
            }
        }
        self.remove_ended(ended);
    }

    /// Removes the listeners that ended in a pass, counting the drops; last
    /// place first, so that no place still to be removed moves.
    pub(super) fn remove_ended(&mut self, mut ended: Vec<(usize, Delivery)>) {
        ended.sort_unstable_by_key(|&(at, _)| at);
        for (at, delivery) in ended.into_iter().rev() {
            self.drop_listener(at, delivery);
        }
    }
}
