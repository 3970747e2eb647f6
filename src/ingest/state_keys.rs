//! The publisher's side of live state (see `hub/state/`): the ledger of
//! keys, consulted and changed under the lock that gives ids.
//!
//! A keyed publish is checked against `--state-keys` and `--state-bytes`
//! and noted as it gets its id, in one look at the ledger, and undone if
//! it does not reach the hub or the log after all. The
//! [`Publisher`](crate::ingest::publisher::Publisher) calls one method for
//! each of those steps; an event without a key passes through all three
//! at the cost of a `None`.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::clock::millis_since_epoch;
use crate::event::{Event, EventId};
use crate::hub::history::Stored;
use crate::hub::state::ledger::{Entry, KeyName, Keying, Ledger, StateFull};
use crate::wire::encoded::EncodedEvent;

/// The ledger, shared by every clone of a publisher.
#[derive(Clone)]
pub struct StateKeys {
    ledger: Arc<Mutex<Ledger>>,
}

/// What a key's entry was before an event changed it, to put it back.
pub struct Before(Option<Entry>);

impl StateKeys {
    /// Wraps the ledger (restored from the store, or empty).
    pub fn new(ledger: Ledger) -> StateKeys {
        StateKeys {
            ledger: Arc::new(Mutex::new(ledger)),
        }
    }

    /// The ledger itself, for the Redis stream's reader, which follows
    /// every instance's keyed events into it.
    pub fn shared_ledger(&self) -> Arc<Mutex<Ledger>> {
        Arc::clone(&self.ledger)
    }

    /// What `event`, encoded as `encoded`, does to its key; `None` for an
    /// event without one.
    pub fn keying(event: &Event, encoded: &EncodedEvent) -> Option<Keying> {
        Keying::of(event, Stored::size_of(encoded), encoded.accepted_ms)
    }

    /// Whether the event may be published (see [`Ledger::admit`]).
    ///
    /// # Errors
    /// [`StateFull`] when it would add a key past a bound.
    pub fn admit(&self, keying: Option<&Keying>) -> Result<(), StateFull> {
        keying.map_or(Ok(()), |keying| self.ledger().admit(keying))
    }

    /// Admits the keyed event `id` and notes it, in one look at the ledger;
    /// what its key was before, to [`StateKeys::undo`] if it does not get
    /// through after all.
    ///
    /// # Errors
    /// [`StateFull`] when it would add a key past a bound.
    pub fn admit_and_record(
        &self,
        id: EventId,
        keying: Option<&Keying>,
    ) -> Result<Option<Before>, StateFull> {
        let Some(keying) = keying else {
            return Ok(None);
        };
        let mut ledger = self.ledger();
        if let Some(before) = ledger.update(id, keying) {
            return Ok(Some(Before(Some(before))));
        }
        ledger.admit(keying)?;
        Ok(Some(Before(ledger.record(id, keying))))
    }

    /// Puts the key back as it was, when the event `id` was not stored.
    pub fn undo(&self, id: EventId, keying: Option<&Keying>, before: Option<Before>) {
        if let (Some(keying), Some(Before(before))) = (keying, before) {
            self.ledger().undo(id, keying, before);
        }
    }

    /// The keys with a value, and the memory they take.
    pub fn size(&self) -> (usize, usize) {
        let ledger = self.ledger();
        (ledger.len(), ledger.size_bytes())
    }

    /// The values whose ttl is up now, `max` at most: each key's name and
    /// the id of the event that set it.
    pub fn due(&self, max: usize) -> Vec<(KeyName, EventId)> {
        self.ledger().due(millis_since_epoch(), max)
    }

    fn ledger(&self) -> MutexGuard<'_, Ledger> {
        // Nothing under this lock can panic; if it did, the counts inside
        // would still be whole.
        self.ledger.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
