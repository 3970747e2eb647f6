//! Where an event gets its id: a [`Publisher`] numbers each event and
//! queues it for the hub (through its [`Handle`]), or for the store first.
//!
//! Ids must reach the hub in increasing order, since every stream shows them
//! in the order the hub writes them. So taking the next id and queueing the
//! event happen as one step, under one small lock: whichever thread takes id
//! 6 queues its event after the thread that took id 5.
//!
//! The event is encoded here, on the publishing thread, before the lock is
//! taken (see [`crate::wire::encoded`]), and its encoded size is reserved in
//! the hub's [`QueueBudget`]: when the queue holds its bound in bytes, the
//! publisher waits for room, and gives up after [`HUB_QUEUE_WAIT`].
//!
//! Without `--data-dir` the event is queued for the hub and the publisher
//! answers its client with the id at once; the hub takes the event in its
//! next round. With `--data-dir` it is queued for the log writer (see
//! [`crate::store::writer`]) instead, and the publisher waits until the event
//! is stored before answering.
//!
//! An event with an idempotency key is checked against the recent keys
//! under the same lock (see [`crate::ingest::idempotency`]).
//!
//! Cloning a `Publisher` is cheap (it shares the lock and the queue), and
//! clones can be used from any number of threads.

use std::sync::{Arc, Mutex, PoisonError};

use crossbeam_channel::Sender;

use crate::clock::millis_since_epoch;
use crate::event::{Event, EventId};
use crate::hub::Command;
use crate::hub::handle::Handle;
use crate::hub::queue_budget::QueueBudget;
use crate::hub::state::ledger::StateFull;
use crate::ingest::idempotency::{Claim, KeyIndex};
use crate::ingest::state_keys::StateKeys;
use crate::limits::{HUB_QUEUE_WAIT, HUB_REPLY_TIMEOUT, STORE_TIMEOUT};
use crate::store::not_stored::NotStored;
use crate::store::scale_out::Bus;
use crate::store::writer::WriterRequest;
use crate::wire::encoded::EncodedEvent;

/// Why an event was not published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublishError {
    /// The server is stopping, or stuck.
    Unavailable,
    /// The hub's queue stayed full for [`HUB_QUEUE_WAIT`]: try again soon.
    Busy,
    /// The event log (or Redis) could not store it; says why.
    NotStored(NotStored),
    /// A publish with the same idempotency key is still being stored.
    InProgress,
    /// The event would add a key past `--state-keys` or `--state-bytes`.
    StateFull(StateFull),
}

impl std::fmt::Display for PublishError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PublishError::Unavailable => f.write_str("the server is not answering"),
            PublishError::Busy => f.write_str("the server is busy: try again in a moment"),
            PublishError::NotStored(reason) => write!(f, "{reason}"),
            PublishError::InProgress => {
                f.write_str("a publish with this Idempotency-Key is still in progress")
            }
            PublishError::StateFull(full) => f.write_str(full.reason()),
        }
    }
}

impl std::error::Error for PublishError {}

/// Why a keyed publish is refused with `--redis`.
pub const STATE_NOT_SHARED: &str = "keys (key=, delete=, ttl=) are not shared through --redis yet: publish without a key, or run one herald";

/// A handle for publishing events to one server's subscribers.
#[derive(Clone)]
pub struct Publisher {
    hub: Handle,
    /// The log writer, when there is an event log.
    store: Option<Sender<WriterRequest>>,
    /// The next id to give; held while the event is queued.
    next_id: Arc<Mutex<EventId>>,
    /// The bound on the bytes queued for the hub.
    budget: Arc<QueueBudget>,
    /// The Redis stream, when instances share one: it gives the ids.
    redis: Option<Bus>,
    /// The recent idempotency keys (not used with Redis, which keeps them).
    keys: Arc<Mutex<KeyIndex>>,
    /// Which state keys have a value (see [`crate::ingest::state_keys`]).
    state_keys: StateKeys,
}

impl Publisher {
    /// A publisher whose first event gets `first_id`. With `store`, events
    /// go through the log writer; with `redis`, through the Redis stream,
    /// which gives the ids and brings the events back to the hub through
    /// the stream's reader. `keys` holds the idempotency keys already seen.
    pub(crate) fn new(
        hub: Handle,
        store: Option<Sender<WriterRequest>>,
        redis: Option<Bus>,
        first_id: EventId,
        budget: Arc<QueueBudget>,
        keys: KeyIndex,
        state_keys: StateKeys,
    ) -> Publisher {
        Publisher {
            hub,
            store,
            next_id: Arc::new(Mutex::new(first_id)),
            budget,
            redis,
            keys: Arc::new(Mutex::new(keys)),
            state_keys,
        }
    }

    /// Broadcasts `event` and returns the id it was given. Ids increase
    /// with every call, from any thread.
    ///
    /// ```
    /// use herald::{Config, Event, Server};
    ///
    /// let server = Server::bind(Config { addr: "127.0.0.1:0".into(), ..Config::default() })?;
    /// let publisher = server.publisher();
    /// let first = publisher.publish(Event::new("one")?)?;
    /// let second = publisher.publish(Event::new("two")?.event("chat")?.topic("ops")?)?;
    /// assert_eq!(second, first + 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`PublishError::Busy`] if the hub's queue stays full for
    /// [`HUB_QUEUE_WAIT`]; [`PublishError::Unavailable`] if the server is
    /// stuck or stopping; [`PublishError::NotStored`] if the event log could
    /// not store the event; [`PublishError::InProgress`] if an event with
    /// the same idempotency key is being stored right now.
    pub fn publish(&self, event: Event) -> Result<EventId, PublishError> {
        if let Some(bus) = &self.redis {
            if event.keyed().is_some() {
                // Checked against what this instance's reader has seen of
                // every instance's keys; the reader keeps the ledger.
                let encoded = EncodedEvent::new(&event, millis_since_epoch());
                let keying = StateKeys::keying(&event, &encoded);
                self.state_keys
                    .admit(keying.as_ref())
                    .map_err(PublishError::StateFull)?;
            }
            // The Redis reader encodes and reserves as it brings it back.
            return bus.publish(&event).map_err(PublishError::NotStored);
        }
        let key = event.idempotency_key_value().map(str::to_string);
        let encoded = EncodedEvent::new(&event, millis_since_epoch());
        let keying = StateKeys::keying(&event, &encoded);
        let reserved = self
            .budget
            .reserve(encoded.size_bytes(), HUB_QUEUE_WAIT)
            .ok_or(PublishError::Busy)?;
        // Nothing in this block can panic, so the lock is never poisoned; if
        // it were, the id inside would still be right.
        let mut next_id = self.next_id.lock().unwrap_or_else(PoisonError::into_inner);
        let id = *next_id;
        if let Some(key) = &key {
            match self.keys().claim(key, id) {
                Claim::New => {}
                Claim::Published(first) => return Ok(first),
                Claim::InFlight => return Err(PublishError::InProgress),
            }
        }
        let before = match self.state_keys.admit_and_record(id, keying.as_ref()) {
            Ok(before) => before,
            Err(full) => {
                drop(next_id);
                return self.settle(key, Err(PublishError::StateFull(full)));
            }
        };
        let Some(store) = &self.store else {
            let command = Command::Publish {
                id,
                event: encoded,
                reserved,
            };
            let sent = self.hub.send(command);
            let sent = sent.map_err(|_| PublishError::Unavailable);
            match sent {
                Ok(()) => *next_id = id + 1,
                Err(_) => self.state_keys.undo(id, keying.as_ref(), before),
            }
            drop(next_id);
            return self.settle(key, sent.map(|()| id));
        };
        let (reply, outcome) = crossbeam_channel::bounded(1);
        let request = WriterRequest::Event {
            id,
            event: Box::new(event),
            encoded,
            reserved,
            reply,
        };
        let sent = store.send_timeout(request, HUB_REPLY_TIMEOUT);
        if sent.is_ok() {
            *next_id = id + 1;
        }
        drop(next_id);
        let stored = match sent.map(|()| outcome.recv_timeout(STORE_TIMEOUT)) {
            Ok(Ok(Ok(()))) => Ok(id),
            Ok(Ok(Err(reason))) => Err(PublishError::NotStored(reason)),
            Ok(Err(_)) | Err(_) => Err(PublishError::Unavailable),
        };
        if stored.is_err() {
            self.state_keys.undo(id, keying.as_ref(), before);
        }
        self.settle(key, stored)
    }

    /// The ledger of state keys.
    pub fn state_keys(&self) -> &StateKeys {
        &self.state_keys
    }

    /// The recent idempotency keys.
    fn keys(&self) -> std::sync::MutexGuard<'_, KeyIndex> {
        self.keys.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Remembers the key this publish claimed if it worked, forgets it if
    /// not (so that a retry publishes); passes the outcome on.
    fn settle(
        &self,
        key: Option<String>,
        outcome: Result<EventId, PublishError>,
    ) -> Result<EventId, PublishError> {
        if let Some(key) = key {
            match outcome {
                Ok(_) => self.keys().settle(&key),
                Err(_) => self.keys().forget(&key),
            }
        }
        outcome
    }

    /// With Redis: whether it is up, and ms since its reader heard from it.
    pub fn redis_state(&self) -> Option<(bool, u64)> {
        let bus = self.redis.as_ref()?;
        Some((bus.is_up(), bus.reader_lag_ms()))
    }

    /// The bytes of events waiting for the hub now.
    pub fn queued_bytes(&self) -> usize {
        self.budget.in_use()
    }

    /// Asks the log writer or the Redis reader (if any) to sync and end,
    /// before the hub is asked to; the events they hold reach the hub first.
    pub(crate) fn stop(&self) {
        if let Some(bus) = &self.redis {
            bus.stop();
        }
        if let Some(store) = &self.store {
            let _ = store.send_timeout(WriterRequest::Stop, HUB_REPLY_TIMEOUT);
        }
    }
}
