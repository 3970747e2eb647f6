//! The passes that write a round: the broadcast, a round's events to every
//! listener, with the events published while it runs joining it; and the
//! pass to the few listeners a round of topic events is for.
//!
//! With 10,000 listeners a pass is tens of milliseconds of `send`s, and the
//! last listener waits for all of it. An event published meanwhile would
//! wait for the pass to end and then for a whole pass of its own; when
//! events come about as fast as passes take, each would wait a little
//! longer than the one before, and the queue would grow for as long as
//! they kept coming. So the pass looks for new events every
//! [`PASS_LOOKS_EVERY_LISTENERS`] listeners, and those it finds join the
//! round: the listeners still ahead get them in the same write as the rest
//! (one `send` for both), and once the pass reaches the end of the list, a
//! second lap sends them to the listeners passed before they joined. No
//! event waits for a pass it is not part of, and the busier the hub, the
//! more events share each write.
//!
//! The list does not change during a pass: a listener that ends is removed
//! after both laps, so places stay put and the second lap knows what each
//! listener was sent. A command that is not a publish stops the looking:
//! it waits for the end of the pass, and the events published after it
//! stay queued behind it, so a subscriber that asked before an event was
//! published still gets that event.

use std::time::Instant;

use super::{Command, Hub};
use crate::hub::batch::Batch;
use crate::hub::history::History;
use crate::hub::listener::{Delivery, Listener};
use crate::limits::{BACKLOG_RETRY_INTERVAL, MAX_COMMANDS_PER_ROUND, PASS_LOOKS_EVERY_LISTENERS};

/// Whether events published during a pass may join it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum LateEvents {
    /// They join the round (the pass that ends a round of commands).
    Join,
    /// They wait: the pass runs for a command that must see the list as the
    /// events before it left it (a new subscriber, a frame, an ending).
    Wait,
}

/// A pass's bookkeeping: the listeners that ended, and whether any is
/// left with bytes waiting.
#[derive(Default)]
struct Pass {
    ended: Vec<(usize, Delivery)>,
    backlogged: bool,
}

impl Hub {
    /// Writes the round in `batch` to every listener; how many writes that
    /// took.
    pub(super) fn broadcast(&mut self, batch: &mut Batch, late: LateEvents) -> usize {
        let mut pass = Pass::default();
        // Where events joined, and how many the round had before.
        let mut joined: Vec<(usize, usize)> = Vec::new();
        let mut looking = late == LateEvents::Join;
        let listeners = self.listeners.len();
        for at in 0..listeners {
            if looking && at > 0 && at.is_multiple_of(PASS_LOOKS_EVERY_LISTENERS) {
                let before = batch.len();
                looking = self.take_in_events(batch);
                if batch.len() > before {
                    joined.push((at, before));
                }
            }
            self.write_from(batch, at, 0, &mut pass);
        }
        let writes = listeners + self.second_lap(batch, &joined, &mut pass);
        self.remove_ended(pass.ended);
        self.schedule_retry(pass.backlogged);
        writes
    }

    /// The events that joined, to the listeners passed before they did;
    /// how many writes that took.
    fn second_lap(
        &mut self,
        batch: &mut Batch,
        joined: &[(usize, usize)],
        pass: &mut Pass,
    ) -> usize {
        let Some(&(last_join, _)) = joined.last() else {
            return 0;
        };
        let ended_in_first_lap = pass.ended.len();
        let (mut ended_at, mut join) = (0, 0);
        let mut writes = 0;
        for at in 0..last_join {
            // The first join after this listener: it has the events before.
            while joined[join].0 <= at {
                join += 1;
            }
            if ended_at < ended_in_first_lap && pass.ended[ended_at].0 == at {
                ended_at += 1;
                continue;
            }
            self.write_from(batch, at, joined[join].1, pass);
            writes += 1;
        }
        writes
    }

    /// The round's events from the `from`th on, to the listener at `at`.
    fn write_from(&mut self, batch: &mut Batch, at: usize, from: usize, pass: &mut Pass) {
        let listener = &mut self.listeners[at];
        let delivery = batch.send_to(listener, &self.history, self.max_backlog, from);
        pass.backlogged |= listener.has_backlog();
        if delivery != Delivery::Kept {
            pass.ended.push((at, delivery));
        }
    }

    /// Takes the publishes waiting now into the round. False once the
    /// looking should stop: something else is next in the queue (it is
    /// kept for after the pass), or the round is full.
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
            match delivery {
                Delivery::TooSlow => self.dropped_too_slow += 1,
                Delivery::Overtaken => self.dropped_overtaken += 1,
                Delivery::Gone | Delivery::Kept => {}
            }
            self.remove_listener(at);
        }
    }
}
