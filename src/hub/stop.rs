//! The hub's last round: every stream ends at an event boundary.
//!
//! When the server stops, a subscriber should lose nothing it was in the
//! middle of receiving: an event cut in half is one the browser never
//! shows, and a WebSocket client should hear why the stream ends (close
//! code 1001, "going away"). So the hub writes what is waiting, gives each
//! WebSocket its close frame, and keeps writing, for a bounded time, to
//! every stream still in the middle of an event or of its own bytes. Then
//! it closes them all. A browser reconnects with its last id, to this
//! server once it is back or to another.

use std::thread;
use std::time::Instant;

use super::Hub;
use crate::hub::listener::StreamKind;
use crate::limits::{BACKLOG_RETRY_INTERVAL, STOP_DRAIN_TIMEOUT};
use crate::wire::websocket::frame::{self, close_code};

impl Hub {
    /// Finishes every stream at an event boundary, then closes it.
    pub(super) fn close_all(&mut self) {
        self.send_batch();
        let goodbye = frame::close(close_code::GOING_AWAY);
        for listener in &mut self.listeners {
            if listener.kind() == StreamKind::WebSocket {
                listener.queue_own(&goodbye);
            }
        }
        let deadline = Instant::now() + STOP_DRAIN_TIMEOUT;
        loop {
            let mut unfinished = false;
            for listener in &mut self.listeners {
                unfinished |= !listener.finish(&self.history);
            }
            if !unfinished || Instant::now() >= deadline {
                break;
            }
            thread::sleep(BACKLOG_RETRY_INTERVAL);
        }
        self.index.clear();
        self.presence.clear();
        for listener in self.listeners.drain(..) {
            listener.close();
        }
    }
}
