//! The passes that write a round: the broadcast, a round's events to every
//! listener, lap after lap while events published meanwhile join it; and
//! the pass to the few listeners a round of topic events is for.
//!
//! With 10,000 listeners a lap over the list is tens of milliseconds of
//! `send`s, and the last listener waits for all of it. An event published
//! meanwhile would wait for the lap to end and then for a whole lap of its
//! own; when events come about as fast as laps take, each would wait a
//! little longer than the one before, and the queue would grow for as long
//! as they kept coming. So the broadcast looks for new events every
//! [`PASS_LOOKS_EVERY_LISTENERS`] writes, and those it finds join the
//! round: the listeners still ahead get them in the same write as the rest
//! (one `send` for both), and the next lap brings them to the listeners
//! passed before they joined, while the events published during that lap
//! join it in turn. The broadcast ends after a lap that took in nothing. So
//! no event waits for more than one lap, however long the hub stays busy:
//! from where it joins, the lap under way reaches every listener once.
//!
//! Each listener's progress through the round (how many of its events it
//! has been sent) is kept beside the list, in the same places, so a
//! listener that ends can be removed at once, mid-lap: the last one takes
//! its place and its progress, and is written next. Between laps the hub
//! does its overdue upkeep, as between rounds, so a hub that stays in one
//! round for a long time still sweeps and sends heartbeats. A command that
//! is not a publish stops the looking: it waits for the end of the round,
//! and the events published after it stay queued behind it, so a
//! subscriber that asked before an event was published still gets that
//! event.

use std::time::Instant;

use super::{Command, Hub};
use crate::hub::batch::Batch;
use crate::hub::history::History;
use crate::hub::listener::{Delivery, Listener};
use crate::limits::{BACKLOG_RETRY_INTERVAL, MAX_COMMANDS_PER_ROUND, PASS_LOOKS_EVERY_LISTENERS};

/// Whether events published during a broadcast may join it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum LateEvents {
    /// They join the round (the broadcast that ends a round of commands).
    Join,
    /// They wait: the broadcast runs for a command that must see the list
    /// as the events before it left it (a new subscriber, a frame, an
    /// ending).
    Wait,
}

/// A broadcast's state across its laps.
struct Pass {
    /// Whether events published now may still join.
    looking: bool,
    /// Writes so far, to know when to look.
    writes: usize,
    /// Whether any listener written has bytes waiting.
    backlogged: bool,
}

impl Hub {
    /// Writes the round in `batch` to every listener, lap after lap while
    /// events join it (with [`LateEvents::Join`]).
    pub(super) fn broadcast(&mut self, batch: &mut Batch, late: LateEvents) {
        self.round_sent.clear();
        self.round_sent.resize(self.listeners.len(), 0);
        let mut pass = Pass {
            looking: late == LateEvents::Join,
            writes: 0,
            backlogged: false,
        };
        while self.lap(batch, &mut pass) {
            self.upkeep(true);
            // A retry the upkeep left waiting must not be called off below.
            pass.backlogged |= self.next_retry.is_some();
        }
        self.round_sent.clear();
        self.schedule_retry(pass.backlogged);
    }

    /// One lap over the list: each listener gets the round's events it has
    /// not been sent yet. Whether events joined during the lap (then some
    /// listeners passed before they did need another).
    fn lap(&mut self, batch: &mut Batch, pass: &mut Pass) -> bool {
        let started = Instant::now();
        let writes_before = pass.writes;
        let mut joined = false;
        let mut at = 0;
        while at < self.listeners.len() {
            let from = self.round_sent[at];
            if from == batch.len() {
                at += 1;
                continue;
            }
            if pass.looking
                && pass.writes > 0
                && pass.writes.is_multiple_of(PASS_LOOKS_EVERY_LISTENERS)
            {
                let before = batch.len();
                pass.looking = self.take_in_events(batch);
                joined |= batch.len() > before;
            }
            pass.writes += 1;
            let listener = &mut self.listeners[at];
            let delivery = batch.send_to(listener, &self.history, self.max_backlog, from);
            pass.backlogged |= listener.has_backlog();
            self.round_sent[at] = batch.len();
            match delivery {
                Delivery::Kept => at += 1,
                // The last listener takes this place, and is written next.
                ended => self.drop_listener(at, ended),
            }
        }
        self.round_times
            .observe(started.elapsed(), pass.writes - writes_before);
        joined
    }

    /// Takes the publishes waiting now into the round. False once the
    /// looking should stop: something else is next in the queue (it is
    /// kept for after the round), or the round is full.
    fn take_in_events(&mut self, batch: &mut Batch) -> bool {
        while batch.len() < MAX_COMMANDS_PER_ROUND {
            match self.commands.try_recv() {
                Ok(Command::Publish {
                    id,
                    event,
                    reserved,
                }) => {
                    self.keep_event(batch, id, event);
                    drop(reserved);
                }
                Ok(other) => {
                    self.deferred = Some(other);
                    return false;
                }
                Err(_) => return true,
            }
        }
        false
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
            if listener.has_backlog() && self.next_retry.is_none() {
                self.next_retry = Some(Instant::now() + BACKLOG_RETRY_INTERVAL);
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
