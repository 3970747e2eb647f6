//! The hub's upkeep between rounds: heartbeats, the sweep for hung-up
//! subscribers, and retries for sockets that were full.
//!
//! None of these carries an event; they keep streams alive through proxies,
//! give back the slots of tabs that closed, and drain backlogs. They run on
//! the hub thread, like everything that touches the listener list.

use std::time::Instant;

use super::Hub;
use crate::hub::listener::{Delivery, Listener, StreamKind};
use crate::limits::{BACKLOG_RETRY_INTERVAL, HEARTBEAT_CHECKS_PER_INTERVAL, SWEEP_SLICES};
use crate::wire::{sse, websocket};

impl Hub {
    /// One of the looks for silence, [`HEARTBEAT_CHECKS_PER_INTERVAL`] per
    /// `--heartbeat`: a comment to every stream silent for a whole
    /// interval's looks (one that carried events needs none), and on every
    /// last look a ping to every WebSocket. One that fails is removed. With
    /// 10,000 busy streams this is 10,000 checks, not writes.
    pub(super) fn check_heartbeats(&mut self) {
        self.heartbeat_checks = self.heartbeat_checks.wrapping_add(1);
        // A WebSocket is pinged every interval: its pong is how its reader
        // knows the peer is still there.
        let ping = (self.heartbeat_checks).is_multiple_of(u64::from(HEARTBEAT_CHECKS_PER_INTERVAL));
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
        let mut at = self.sweep_at;
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
        self.sweep_at = at;
        if at == 0 {
            // A whole pass is done: stop encoding for WebSocket listeners
            // once none is left.
            self.batch.with_websocket = self.index.websockets() > 0;
        }
    }

    /// Writes what is waiting for listeners whose sockets were full.
    pub(super) fn retry_backlogs(&mut self) {
        self.write_to_each(|listener, history, max_backlog| listener.flush(history, max_backlog));
    }

    pub(super) fn note_backlog(&mut self, listener: &Listener) {
        if listener.has_backlog() && self.next_retry.is_none() {
            self.next_retry = Some(Instant::now() + BACKLOG_RETRY_INTERVAL);
        }
    }

    pub(super) fn schedule_retry(&mut self, backlogged: bool) {
        self.next_retry = backlogged.then(|| Instant::now() + BACKLOG_RETRY_INTERVAL);
    }
}
