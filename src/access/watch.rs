//! Streams whose answer expires: ask again, and end those the app no
//! longer allows.
//!
//! Every stream that passed the hook is handed here with its credentials
//! and when its answer expires. One thread keeps them in order of expiry
//! and, when one is due, asks again (through the cache, so a stream that
//! reconnected meanwhile costs nothing more):
//!
//! - still allowed, every topic it carries: watched again until the new
//!   answer expires;
//! - refused, or a topic it carries no longer allowed: the hub ends the
//!   stream with `herald-revoked` (a WebSocket with close 4403);
//! - the hook cannot answer: the stream is kept and asked again every
//!   [`AUTH_RECHECK_RETRY`], for at most one more ttl; then it is ended as
//!   temporarily unavailable, and its client comes back when it can.
//!
//! A stream that has ended is forgotten when it comes due (its connection
//! is no longer open); the list is also swept whenever it holds twice as
//! many as are open, so it stays bounded by the open connections.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};

use crate::access::credentials::Credentials;
use crate::access::grant::{Grant, Topics};
use crate::access::{Action, Asker, Decision};
use crate::connection_slots::ConnectionSlots;
use crate::hub::handle::Handle;
use crate::hub::{Command, Ending};
use crate::limits::{AUTH_RECHECK_RETRY, AUTH_WATCH_QUEUE_LEN};

/// One stream to watch.
pub struct Watched {
    /// Its connection's key.
    pub key: u64,
    /// What its client sent, to ask again with.
    pub credentials: Credentials,
    /// The topics it asked for (empty: all it may see).
    pub asked: Vec<String>,
    /// What it carries: `All`, or these topics.
    pub carried: Topics,
    /// When its answer expires.
    pub expires: Instant,
    /// How long the app's answer holds: the grace while it cannot answer.
    pub ttl: Duration,
}

/// The way to the watch thread.
#[derive(Clone)]
pub struct Watch(Sender<Watched>);

impl Watch {
    /// Starts the thread. It ends when every `Watch` is dropped.
    pub fn spawn(
        asker: Arc<Asker>,
        hub: Handle,
        connections: Arc<ConnectionSlots>,
    ) -> io::Result<Watch> {
        let (sender, receiver) = crossbeam_channel::bounded(AUTH_WATCH_QUEUE_LEN);
        let watcher = Watcher {
            asker,
            hub,
            connections,
            due: BinaryHeap::new(),
            streams: Vec::new(),
        };
        thread::Builder::new()
            .name("herald-auth-watch".into())
            .spawn(move || watcher.run(&receiver))?;
        Ok(Watch(sender))
    }

    /// Watches a stream that has just started. If the thread is swamped,
    /// the stream is not watched and lives until it ends by itself; it is
    /// not worth blocking a connection for.
    pub fn add(&self, watched: Watched) {
        let _ = self.0.try_send(watched);
    }
}

/// A watched stream and what its watch has come to.
struct Entry {
    watched: Watched,
    /// Set while the hook cannot answer: when to give up on it.
    give_up_at: Option<Instant>,
}

struct Watcher {
    asker: Arc<Asker>,
    hub: Handle,
    connections: Arc<ConnectionSlots>,
    /// (when due, index into `streams`), soonest first.
    due: BinaryHeap<Reverse<(Instant, usize)>>,
    /// The entries; `None` where one was finished.
    streams: Vec<Option<Entry>>,
}

impl Watcher {
    fn run(mut self, receiver: &Receiver<Watched>) {
        loop {
            let wait = self
                .due
                .peek()
                .map_or(Duration::from_secs(3600), |Reverse((at, _))| {
                    at.saturating_duration_since(Instant::now())
                });
            match receiver.recv_timeout(wait) {
                Ok(watched) => self.add(watched),
                Err(RecvTimeoutError::Timeout) => self.check_due(),
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
    }

    fn add(&mut self, watched: Watched) {
        if self.due.len() >= 2 * self.connections.open() + 64 {
            self.sweep();
        }
        let at = watched.expires;
        let index = match self.streams.iter().position(Option::is_none) {
            Some(free) => free,
            None => {
                self.streams.push(None);
                self.streams.len() - 1
            }
        };
        self.streams[index] = Some(Entry {
            watched,
            give_up_at: None,
        });
        self.due.push(Reverse((at, index)));
    }

    /// Forgets the streams that have ended.
    fn sweep(&mut self) {
        let connections = &self.connections;
        for slot in &mut self.streams {
            if slot
                .as_ref()
                .is_some_and(|entry| !connections.is_open(entry.watched.key))
            {
                *slot = None;
            }
        }
        let streams = &self.streams;
        self.due = self
            .due
            .drain()
            .filter(|Reverse((_, index))| streams[*index].is_some())
            .collect();
    }

    fn check_due(&mut self) {
        let now = Instant::now();
        while let Some(&Reverse((at, index))) = self.due.peek() {
            if at > now {
                return;
            }
            self.due.pop();
            let Some(entry) = self.streams[index].take() else {
                continue;
            };
            if let Some(next) = self.recheck(entry, now) {
                let at = next
                    .give_up_at
                    .map_or(next.watched.expires, |_| now + AUTH_RECHECK_RETRY);
                self.streams[index] = Some(next);
                self.due.push(Reverse((at, index)));
            }
        }
    }

    /// Asks again; the entry back if the stream goes on being watched.
    fn recheck(&self, mut entry: Entry, now: Instant) -> Option<Entry> {
        let key = entry.watched.key;
        if !self.connections.is_open(key) {
            return None;
        }
        let watched = &entry.watched;
        match self
            .asker
            .decide(&watched.credentials, Action::Listen, &watched.asked)
        {
            Decision::Allowed(grant, expires) if still_allows(&grant, watched) => {
                entry.watched.expires = expires;
                entry.give_up_at = None;
                Some(entry)
            }
            Decision::Allowed(..) | Decision::Refused(_) => {
                self.end(key, Ending::Revoked);
                None
            }
            Decision::Unavailable => {
                let grace = entry.watched.ttl.max(AUTH_RECHECK_RETRY);
                let give_up_at = *entry.give_up_at.get_or_insert(now + grace);
                if now >= give_up_at {
                    self.end(key, Ending::Unavailable);
                    return None;
                }
                Some(entry)
            }
        }
    }

    fn end(&self, key: u64, ending: Ending) {
        let _ = self.hub.send(Command::End { key, ending });
    }
}

/// Whether a new answer still covers all that the stream carries.
fn still_allows(grant: &Grant, watched: &Watched) -> bool {
    match &watched.carried {
        Topics::All => grant.listen == Topics::All,
        Topics::Only(topics) => topics.iter().all(|topic| grant.listen.allows(Some(topic))),
    }
}
