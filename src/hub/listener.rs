//! One subscriber, as the hub holds it: a socket, its topics, and its backlog.
//!
//! The hub writes to thousands of these from one thread, so it must never
//! wait on any one of them. Each socket is non-blocking: a write takes what
//! the kernel's send buffer has room for and returns at once. What did not
//! fit waits in this listener's own backlog and goes out first the next time,
//! so bytes leave in order and an event that was only partly written is always
//! finished before the next one starts.
//!
//! A subscriber that stops reading lets its backlog grow; past `--max-backlog`
//! it is dropped. Its browser then reconnects with `Last-Event-ID` and
//! catches up from the history, so being dropped costs it nothing but time.
//!
//! An idle listener is this struct and a socket: no thread, and no heap
//! buffer until a write is left over.

use std::io;
use std::net::TcpStream;

use crate::connection_slots::ConnectionSlot;
use crate::limits::{HANGUP_CHECK_MAX_READS, HEARTBEAT_CHECKS_PER_INTERVAL};
use crate::socket_io::{read_some, write_now};

/// Which encoding a listener reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamKind {
    /// `GET /events`: the event-stream format.
    EventStream,
    /// `GET /ws`: WebSocket text frames of JSON.
    WebSocket,
}

/// A subscriber's socket, topic filter and unsent bytes.
pub struct Listener {
    stream: TcpStream,
    kind: StreamKind,
    /// Topics this subscriber wants; empty means all events.
    topics: Box<[Box<str>]>,
    /// Bytes accepted for this subscriber but not yet taken by the socket.
    backlog: Vec<u8>,
    /// The backlog may grow to this before the listener is dropped. It starts
    /// large enough for the replay (which the history already bounds) and
    /// falls back to `--max-backlog` once the replay has gone out.
    allowance: usize,
    /// The hub's looks for silence since bytes were last sent (see
    /// [`HEARTBEAT_CHECKS_PER_INTERVAL`]): a stream that spoke lately needs
    /// no heartbeat.
    silent_checks: u8,
    /// Counts this connection towards `--max-clients` until dropped.
    slot: ConnectionSlot,
}

/// What became of a write to a listener.
#[derive(Debug, PartialEq, Eq)]
pub enum Delivery {
    /// Written, or queued within the bound.
    Kept,
    /// The socket failed or the client went away: drop the listener.
    Gone,
    /// The backlog passed its bound: drop the listener and count it.
    TooSlow,
}

impl Listener {
    /// Wraps a socket that already received the response head. The socket
    /// is switched to non-blocking here.
    pub fn new(
        stream: TcpStream,
        kind: StreamKind,
        topics: Vec<String>,
        max_backlog: usize,
        slot: ConnectionSlot,
    ) -> io::Result<Listener> {
        stream.set_nonblocking(true)?;
        Ok(Listener {
            stream,
            kind,
            topics: topics.into_iter().map(String::into_boxed_str).collect(),
            backlog: Vec::new(),
            allowance: max_backlog,
            silent_checks: 0,
            slot,
        })
    }

    /// Which encoding this listener reads.
    pub fn kind(&self) -> StreamKind {
        self.kind
    }

    /// The connection's key, by which its WebSocket reader names it.
    pub fn key(&self) -> u64 {
        self.slot.key()
    }

    /// Whether this listener wants events of `topic`.
    pub fn wants(&self, topic: Option<&str>) -> bool {
        self.topics.is_empty() || topic.is_some_and(|t| self.topics.iter().any(|want| **want == *t))
    }

    /// Whether this listener takes every event (no topic filter).
    pub fn wants_all(&self) -> bool {
        self.topics.is_empty()
    }

    /// Whether bytes are waiting for the socket.
    pub fn has_backlog(&self) -> bool {
        !self.backlog.is_empty()
    }

    /// Lets the backlog hold a replay of `replay_bytes` on top of the bound.
    pub fn allow_replay(&mut self, replay_bytes: usize) {
        self.allowance += replay_bytes;
    }

    /// Counts one more look at a silent stream; whether it has now been
    /// silent long enough to need a heartbeat.
    pub fn needs_heartbeat(&mut self) -> bool {
        self.silent_checks = self.silent_checks.saturating_add(1);
        self.silent_checks >= HEARTBEAT_CHECKS_PER_INTERVAL
    }

    /// Sends `bytes` after whatever is waiting, without blocking.
    pub fn send(&mut self, bytes: &[u8], max_backlog: usize) -> Delivery {
        self.silent_checks = 0;
        if self.backlog.is_empty() {
            match write_now(&mut self.stream, bytes) {
                Ok(n) if n == bytes.len() => return Delivery::Kept,
                Ok(n) => self.backlog.extend_from_slice(&bytes[n..]),
                Err(_) => return Delivery::Gone,
            }
        } else {
            self.backlog.extend_from_slice(bytes);
            if let Delivery::Gone = self.flush(max_backlog) {
                return Delivery::Gone;
            }
        }
        if self.backlog.len() > self.allowance {
            Delivery::TooSlow
        } else {
            Delivery::Kept
        }
    }

    /// Writes as much of the backlog as the socket takes now.
    pub fn flush(&mut self, max_backlog: usize) -> Delivery {
        if self.backlog.is_empty() {
            return Delivery::Kept;
        }
        match write_now(&mut self.stream, &self.backlog) {
            Ok(n) if n == self.backlog.len() => {
                // Give the memory back: an idle listener holds no buffer.
                self.backlog = Vec::new();
                self.allowance = max_backlog;
                Delivery::Kept
            }
            Ok(n) => {
                self.backlog.drain(..n);
                Delivery::Kept
            }
            Err(_) => Delivery::Gone,
        }
    }

    /// Whether the client has closed its end. A subscriber sends nothing after
    /// its request, so a read that returns 0 bytes means it hung up; anything
    /// it does send is read and ignored.
    pub fn hung_up(&mut self) -> bool {
        if self.kind == StreamKind::WebSocket {
            // Its reader thread reads this socket, and tells the hub itself.
            return false;
        }
        let mut scratch = [0u8; 256];
        // A few reads at most: a client that keeps sending is not worth more.
        for _ in 0..HANGUP_CHECK_MAX_READS {
            match read_some(&mut self.stream, &mut scratch) {
                Ok(0) => return true,
                Ok(_) => continue,
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => return false,
                Err(_) => return true,
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_idle_listener_is_a_small_struct() {
        // The README quotes this size; an idle subscriber costs it and a socket.
        assert!(
            std::mem::size_of::<Listener>() <= 80,
            "{}",
            std::mem::size_of::<Listener>()
        );
    }
}
