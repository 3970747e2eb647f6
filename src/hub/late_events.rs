//! A refinement of the broadcast (`broadcast.rs`): events published while
//! a lap runs join the round, instead of waiting for it to end.
//!
//! Why: with 10,000 listeners a lap over the list is 80–100 ms of `send`s
//! on this project's machine, as long as the gap between events at 10 a
//! second. An event published meanwhile waited for the lap to end and
//! then for a whole lap of its own; each waited a little longer than the
//! one before, and the queue grew for as long as they kept coming (the
//! 10k fan-out's p99 moved between 0.8× and 1.6× the floor's from run to
//! run; with joining, herald's pass is the floor's: `benches/README.md`).
//!
//! How: every [`PASS_LOOKS_EVERY_LISTENERS`] writes the lap looks for new
//! publishes, and those it finds join the round: the listeners still ahead
//! get them in the same `send` as the rest, and the next lap brings them
//! to the listeners passed before they joined, while the events published
//! during that lap join it in turn. The broadcast ends after a lap that
//! took in nothing, so no event waits for more than one lap. Between laps
//! the hub does its overdue upkeep, as between rounds.
//!
//! A command that is not a publish stops the looking: it waits for the
//! end of the round, and the events published after it stay queued behind
//! it, so a subscriber that asked before an event was published still
//! gets that event.

use super::{Command, Hub};
use crate::hub::batch::Batch;
use crate::limits::{MAX_COMMANDS_PER_ROUND, PASS_LOOKS_EVERY_LISTENERS};

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
pub(super) struct Pass {
    /// Whether events published now may still join.
    looking: bool,
    /// Writes so far, to know when to look.
    pub(super) writes: usize,
    /// Whether any listener written has bytes waiting.
    pub(super) backlogged: bool,
}

impl Pass {
    pub(super) fn new(late: LateEvents) -> Pass {
        Pass {
            looking: late == LateEvents::Join,
            writes: 0,
            backlogged: false,
        }
    }
}

impl Hub {
    /// When it is time to look, takes the publishes waiting now into the
    /// round; whether any joined.
    pub(super) fn take_in_late_events(&mut self, batch: &mut Batch, pass: &mut Pass) -> bool {
        let time_to_look =
            pass.writes > 0 && pass.writes.is_multiple_of(PASS_LOOKS_EVERY_LISTENERS);
        if !pass.looking || !time_to_look {
            return false;
        }
        let before = batch.len();
        pass.looking = self.take_in_events(batch);
        batch.len() > before
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
                    self.round.deferred = Some(other);
                    return false;
                }
                Err(_) => return true,
            }
        }
        false
    }
}
