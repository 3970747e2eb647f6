//! What other threads ask of one stream, beside events: a WebSocket's own
//! frames (a pong, an answer to a publish, the closing handshake), sent by
//! its reader thread, and the end of a stream the app no longer allows,
//! asked by the auth watch.
//!
//! Only the hub writes a subscriber's socket, so these come to it as
//! commands too, and go out after the events already written: a frame
//! never cuts into an event.

use std::time::Instant;

use super::{Ending, Hub};
use crate::hub::listener::{Delivery, StreamKind};
use crate::limits::BACKLOG_RETRY_INTERVAL;
use crate::wire::sse;
use crate::wire::websocket::frame::{self, close_code};

impl Hub {
    /// Writes a WebSocket reader's frame to its listener; with `close`,
    /// writes what the socket takes now and drops the listener.
    pub(super) fn send_frame(&mut self, key: u64, bytes: &[u8], close: bool) {
        self.send_batch();
        let Some(at) = self.index.place(key) else {
            return;
        };
        let listener = &mut self.listeners[at];
        let delivery = listener.send_own(bytes, &self.history, self.max_backlog);
        if close {
            // The reader asked for this close and ends anyway: it reads
            // what the client still sends for a moment, so that the close
            // frame is not wiped out by a reset.
            self.take_listener(at).close_writing();
        } else if delivery != Delivery::Kept {
            self.remove_listener(at);
        } else {
            let listener = &self.listeners[at];
            if listener.has_backlog() && self.schedule.next_retry.is_none() {
                self.schedule.next_retry = Some(Instant::now() + BACKLOG_RETRY_INTERVAL);
            }
        }
    }

    /// Ends one stream after the event it is in, with a last word on why.
    pub(super) fn end_stream(&mut self, key: u64, ending: Ending) {
        self.send_batch();
        let Some(at) = self.index.place(key) else {
            return;
        };
        let listener = &mut self.listeners[at];
        let last_word = match (listener.kind(), ending) {
            (StreamKind::EventStream, Ending::Revoked) => sse::revoked_event(),
            (StreamKind::EventStream, Ending::Unavailable) => sse::unavailable_event("auth"),
            (StreamKind::WebSocket, Ending::Revoked) => frame::close(close_code::REVOKED),
            (StreamKind::WebSocket, Ending::Unavailable) => {
                frame::close(close_code::TRY_AGAIN_LATER)
            }
        };
        listener.queue_own(&last_word);
        listener.finish(&self.history);
        self.remove_listener(at);
    }
}
