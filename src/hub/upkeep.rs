//! The hub's upkeep between rounds: heartbeats, the sweep for hung-up
//! subscribers, and retries for sockets that were full.
//!
//! None of these carries an event; they keep streams alive through proxies,
//! give back the slots of tabs that closed, and drain backlogs. They run on
//! the hub thread, like everything that touches the listener list.

use std::time::{Duration, Instant};

use super::Hub;
use crate::hub::history::History;
use crate::hub::listener::{Delivery, Listener, StreamKind};
use crate::limits::{
    BACKLOG_RETRY_INTERVAL, HEARTBEAT_CHECKS_PER_INTERVAL, SWEEP_INTERVAL, SWEEP_SLICES,
    UPKEEP_MAX_DELAY,
};
use crate::wire::{sse, websocket};

/// When each duty is due.
pub(super) struct Schedule {
    /// `--heartbeat` divided by [`HEARTBEAT_CHECKS_PER_INTERVAL`].
    pub(super) heartbeat_check_interval: Duration,
    pub(super) next_heartbeat_check: Instant,
    /// Looks for silence so far, to ping WebSockets on every last one.
    pub(super) heartbeat_checks: u64,
    pub(super) next_sweep: Instant,
    /// Where the next slice of the sweep starts in the listener list.
    pub(super) sweep_at: usize,
    /// When to retry listeners with a backlog; `None` while none has one.
    pub(super) next_retry: Option<Instant>,
}

impl Schedule {
    /// The first looks, one interval from now.
    pub(super) fn new(heartbeat: Duration) -> Schedule {
        let heartbeat_check_interval = heartbeat / u32::from(HEARTBEAT_CHECKS_PER_INTERVAL);
        let now = Instant::now();
        Schedule {
            heartbeat_check_interval,
            next_heartbeat_check: now + heartbeat_check_interval,
            heartbeat_checks: 0,
            next_sweep: now + SWEEP_INTERVAL / SWEEP_SLICES as u32,
            sweep_at: 0,
            next_retry: None,
        }
    }
}

impl Hub {
    /// The duties that are due: retries, a slice of the sweep, a look for
    /// silence. While the hub is `busy` (events are waiting, or a round is
    /// under way), the sweep and the looks wait for it, but never more
    /// than [`UPKEEP_MAX_DELAY`].
    pub(super) fn upkeep(&mut self, busy: bool) {
        let now = Instant::now();
        if self.schedule.next_retry.is_some_and(|retry| retry <= now) {
            self.retry_backlogs();
        }
        let late = |due: Instant| due + UPKEEP_MAX_DELAY <= now;
        if self.schedule.next_sweep <= now && (!busy || late(self.schedule.next_sweep)) {
            self.sweep_slice();
            self.schedule.next_sweep = now + SWEEP_INTERVAL / SWEEP_SLICES as u32;
        }
        // After the sweep, so a list sent now leaves out who it found gone.
        self.presence_upkeep(now);
        if self.schedule.next_heartbeat_check <= now
            && (!busy || late(self.schedule.next_heartbeat_check))
        {
            self.check_heartbeats();
            // On a fixed beat, so the looks do not drift apart; after a
            // long stall, from now.
            self.schedule.next_heartbeat_check += self.schedule.heartbeat_check_interval;
            if self.schedule.next_heartbeat_check <= now {
                self.schedule.next_heartbeat_check = now + self.schedule.heartbeat_check_interval;
            }
        }
    }

    /// When the next duty is due, for the hub to wake by: a heartbeat
    /// check, a retry, presence's next list. The sweep waits for a check,
    /// unless presence lists must show soon who has left.
    pub(super) fn next_duty(&self) -> Instant {
        let sweep = self.presence.has_watchers();
        let sweep = sweep.then_some(self.schedule.next_sweep);
        [self.schedule.next_retry, self.presence.wake_at(), sweep]
            .into_iter()
            .flatten()
            .fold(self.schedule.next_heartbeat_check, Instant::min)
    }

    /// One pass over the listeners for the upkeep (heartbeats, retries):
    /// `write` to each, then drop those whose socket failed or that fell
    /// too far behind (counted), and retry soon while any has bytes
    /// waiting. A round's events go through `broadcast` instead.
    pub(super) fn write_to_each(
        &mut self,
        mut write: impl FnMut(&mut Listener, &History, usize) -> Delivery,
    ) {
        let mut backlogged = false;
        let mut at = 0;
        while at < self.listeners.len() {
            let listener = &mut self.listeners[at];
            let delivery = write(listener, &self.history, self.max_backlog);
            backlogged |= listener.has_backlog();
            match delivery {
                Delivery::Kept => at += 1,
                // The last listener takes this place, and is written next.
                ended => self.drop_listener(at, ended),
            }
        }
        self.schedule_retry(backlogged);
    }

    /// One of the looks for silence, [`HEARTBEAT_CHECKS_PER_INTERVAL`] per
    /// `--heartbeat`: a comment to every stream silent for a whole
    /// interval's looks (one that carried events needs none), and on every
    /// last look a ping to every WebSocket. One that fails is removed. With
    /// 10,000 busy streams this is 10,000 checks, not writes.
    pub(super) fn check_heartbeats(&mut self) {
        self.schedule.heartbeat_checks = self.schedule.heartbeat_checks.wrapping_add(1);
        // A WebSocket is pinged every interval: its pong is how its reader
        // knows the peer is still there.
        let ping = (self.schedule.heartbeat_checks)
            .is_multiple_of(u64::from(HEARTBEAT_CHECKS_PER_INTERVAL));
        self.write_to_each(|listener, history, max_backlog| match listener.kind() {
            StreamKind::WebSocket if ping => {
                listener.send_own(websocket::PING, history, max_backlog)
            }
            StreamKind::WebSocket => Delivery::Kept,
            // One that is behind is not silent: it has bytes on the way.
            StreamKind::EventStream if listener.needs_heartbeat() && !listener.has_backlog() => {
                listener.send_own(sse::HEARTBEAT, history, max_backlog)
            }
            StreamKind::EventStream => Delivery::Kept,
        });
    }

    /// Removes the hung-up listeners in the next slice of the list. The
    /// order of listeners does not matter, so a removal swaps in the last.
    pub(super) fn sweep_slice(&mut self) {
        let count = self.listeners.len().div_ceil(SWEEP_SLICES);
        let mut at = self.schedule.sweep_at;
        for _ in 0..count {
            if at >= self.listeners.len() {
                at = 0;
                break;
            }
            if self.listeners[at].hung_up() {
                self.remove_listener(at);
            } else {
                at += 1;
            }
        }
        self.schedule.sweep_at = at;
        if at == 0 {
            // A whole pass is done: stop encoding for WebSocket listeners
            // once none is left.
            self.round.batch.with_websocket = self.index.websockets() > 0;
        }
    }

    /// Writes what is waiting for listeners whose sockets were full.
    pub(super) fn retry_backlogs(&mut self) {
        self.write_to_each(|listener, history, max_backlog| listener.flush(history, max_backlog));
    }

    pub(super) fn note_backlog(&mut self, listener: &Listener) {
        if listener.has_backlog() {
            self.retry_soon();
        }
    }

    /// A listener has bytes waiting: retry soon, if no retry is due.
    pub(super) fn retry_soon(&mut self) {
        if self.schedule.next_retry.is_none() {
            self.schedule.next_retry = Some(Instant::now() + BACKLOG_RETRY_INTERVAL);
        }
    }

    pub(super) fn schedule_retry(&mut self, backlogged: bool) {
        self.schedule.next_retry = backlogged.then(|| Instant::now() + BACKLOG_RETRY_INTERVAL);
    }
}
