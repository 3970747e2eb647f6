//! The open connections: how many there are, and a way to close them all.
//!
//! Every accepted connection takes a [`ConnectionSlot`], one of
//! `--max-clients`, and gives it back when it closes; a subscriber's slot
//! travels with its socket into the hub. The count is what `--max-clients`
//! limits and what `/stats` shows as `connections`.
//!
//! Streams may take all but a few of them ([`reserved_for_requests`]):
//! a page full of tabs must never leave the app's backend unable to
//! publish, nor a load balancer unable to ask `/health`. A connection
//! that asks for a stream becomes one with [`ConnectionSlot::become_stream`],
//! which refuses once streams hold their share.
//!
//! [`reserved_for_requests`]: crate::limits::reserved_for_requests
//!
//! While a connection has a thread reading from it, a second handle to its
//! socket is kept here, so that [`ConnectionSlots::close_all`] can end those
//! threads at once when the server shuts down: a thread waiting for the next
//! request on an idle keep-alive connection would otherwise wait out its
//! timeout. Subscribers need no such handle, as the hub closes their sockets
//! itself.

use std::collections::HashMap;
use std::net::Shutdown;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::shared_socket::SharedSocket;

/// The open connections of one server.
#[derive(Default)]
pub struct ConnectionSlots {
    open: AtomicUsize,
    /// Of the open connections, the streams.
    streams: AtomicUsize,
    next_key: AtomicU64,
    /// Every open connection's key, with its socket while a thread reads
    /// it (a subscriber's socket is the hub's).
    reading: Mutex<HashMap<u64, Option<SharedSocket>>>,
    /// Signalled whenever a connection closes.
    closed: Condvar,
}

impl ConnectionSlots {
    /// How many connections are open, subscribers included.
    pub fn open(&self) -> usize {
        self.open.load(Ordering::Acquire)
    }

    /// How many of them are streams.
    pub fn streams(&self) -> usize {
        self.streams.load(Ordering::Acquire)
    }

    /// Takes a slot for `stream` if fewer than `max` are taken.
    pub fn admit(self: &Arc<Self>, stream: &SharedSocket, max: usize) -> Option<ConnectionSlot> {
        self.open
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < max).then_some(n + 1)
            })
            .ok()?;
        let key = self.next_key.fetch_add(1, Ordering::Relaxed);
        self.reading().insert(key, Some(stream.clone()));
        Some(ConnectionSlot {
            connections: Arc::clone(self),
            key,
        })
    }

    /// Shuts down every socket that a connection thread is reading, so each
    /// of those threads sees the end of its stream and finishes.
    pub fn close_all(&self) {
        for stream in self.reading().values().flatten() {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }

    /// Waits until no connection is open, at most `limit`; true if none is.
    pub fn wait_until_all_closed(&self, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        let mut reading = self.reading();
        while self.open() > 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            reading = match self.closed.wait_timeout(reading, left) {
                Ok((guard, _)) => guard,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
        true
    }

    /// Whether the connection with `key` is still open.
    pub fn is_open(&self, key: u64) -> bool {
        self.reading().contains_key(&key)
    }

    fn reading(&self) -> MutexGuard<'_, HashMap<u64, Option<SharedSocket>>> {
        // The map is only inserted into and removed from; a thread that
        // panicked while holding it left it whole.
        self.reading.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One of the `--max-clients` places, held for as long as a connection is
/// open; dropping it frees the place.
pub struct ConnectionSlot {
    connections: Arc<ConnectionSlots>,
    /// The key, and in its top bit ([`STREAM_BIT`]) whether the connection
    /// counts among the streams: a subscriber's slot lives in its
    /// `Listener`, whose size is what an idle subscriber costs.
    key: u64,
}

/// Set in a slot's key once it counts as a stream; keys count up from 0,
/// and never reach it.
const STREAM_BIT: u64 = 1 << 63;

impl ConnectionSlot {
    /// A key no other open connection of this server has.
    pub fn key(&self) -> u64 {
        self.key & !STREAM_BIT
    }

    fn is_stream(&self) -> bool {
        self.key & STREAM_BIT != 0
    }

    /// Counts this connection as a stream if fewer than `max_streams` are;
    /// whether it now is one.
    pub fn become_stream(&mut self, max_streams: usize) -> bool {
        if self.is_stream() {
            return true;
        }
        let counted = self
            .connections
            .streams
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < max_streams).then_some(n + 1)
            })
            .is_ok();
        if counted {
            self.key |= STREAM_BIT;
        }
        counted
    }

    /// The connection's socket goes to the hub, which closes it when the
    /// server stops: forget it here.
    pub fn stop_reading(&self) {
        if let Some(stream) = self.connections.reading().get_mut(&self.key()) {
            *stream = None;
        }
    }
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        let mut reading = self.connections.reading();
        reading.remove(&self.key());
        if self.is_stream() {
            self.connections.streams.fetch_sub(1, Ordering::AcqRel);
        }
        self.connections.open.fetch_sub(1, Ordering::AcqRel);
        drop(reading);
        self.connections.closed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{TcpListener, TcpStream};

    #[test]
    fn streams_are_counted_until_their_share_and_given_back() {
        let server = TcpListener::bind("127.0.0.1:0").unwrap();
        let slots = Arc::new(ConnectionSlots::default());
        let admit = || {
            let _client = TcpStream::connect(server.local_addr().unwrap()).unwrap();
            let (stream, _) = server.accept().unwrap();
            slots.admit(&SharedSocket::new(stream), 10).unwrap()
        };
        let (mut first, mut second, mut third) = (admit(), admit(), admit());
        assert!(first.become_stream(2) && second.become_stream(2));
        assert!(!third.become_stream(2), "two streams hold their share");
        assert_eq!((slots.open(), slots.streams()), (3, 2));
        assert!(first.key() != second.key(), "keys stay the connection's");
        drop(first);
        assert_eq!((slots.open(), slots.streams()), (2, 1));
        assert!(third.become_stream(2), "a place came back");
    }
}
