//! Idempotent publishing: the same `Idempotency-Key` twice is one event.
//!
//! A client that publishes and loses the answer (a timeout, a dropped
//! connection, a `503` from a proxy) cannot know whether herald took the
//! event. If it sends a key with the event, it may simply retry: herald
//! remembers which id each recent key got, and answers a retry with that
//! id, publishing nothing.
//!
//! A key is *claimed* when its event gets its id (under the publisher's id
//! lock, so two requests with one key cannot both be first) and *settled*
//! once the event is safely queued or stored; a failed publish forgets its
//! key, so that the retry publishes for real. A retry that arrives while the
//! first try is still being stored is told so ([`Claim::InFlight`], a `409`),
//! never given an id that might yet fail.
//!
//! The newest keys are kept, at most `capacity` (the history's size, capped
//! by [`crate::limits::IDEMPOTENCY_KEYS_MAX`]); with `--data-dir` they are
//! rebuilt from the log at start-up. With `--redis` this index is not used:
//! Redis itself checks the key, atomically for every instance (see
//! `store/redis_bus.rs`, under the cargo feature `redis`).
//!
//! A key belongs to whoever sent it ([`KeyOwner`]): the app's backend
//! (the `--publish-token`), the person the auth hook named, or else the
//! client's address. The same key from two owners is two publishes, so
//! nobody can learn whether a key of someone else's was used (and its id)
//! or have their own message silently taken for another's. What is kept
//! is [`owned_key`]: a digest of the owner and the key, of a fixed length.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;

use crate::event::EventId;
use crate::wire::websocket::sha1::sha1;

/// Who sent an idempotency key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyOwner<'a> {
    /// The app's backend, with the `--publish-token`.
    Backend,
    /// A person, as the auth hook named them (its `user`).
    User(&'a str),
    /// Anyone else: the client's address.
    Address(Option<IpAddr>),
}

/// The key as kept: `k` and the SHA-1 of the owner and the key, in hex
/// (41 visible characters, a valid key itself, so the event log and Redis
/// keep it as they keep any key).
pub fn owned_key(owner: KeyOwner<'_>, key: &str) -> String {
    let owner = match owner {
        KeyOwner::Backend => "backend".to_string(),
        KeyOwner::User(name) => format!("user:{name}"),
        KeyOwner::Address(Some(address)) => format!("address:{address}"),
        KeyOwner::Address(None) => "address:-".to_string(),
    };
    let digest = sha1(format!("{owner}\n{key}").as_bytes());
    let mut kept = String::with_capacity(41);
    kept.push('k');
    for byte in digest {
        kept.push_str(&format!("{byte:02x}"));
    }
    kept
}

/// What a key was found to be when its event asked for an id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// Not seen: this publish goes ahead with the id it was given.
    New,
    /// Published already, as this id: answer with it, publish nothing.
    Published(EventId),
    /// A publish with this key has its id but is not stored yet.
    InFlight,
}

/// The remembered keys, newest last.
#[derive(Debug, Default)]
pub struct KeyIndex {
    ids: HashMap<String, (EventId, bool)>,
    order: VecDeque<String>,
    capacity: usize,
}

impl KeyIndex {
    /// An index that remembers the newest `capacity` keys.
    pub fn new(capacity: usize) -> KeyIndex {
        KeyIndex {
            capacity: capacity.max(1),
            ..KeyIndex::default()
        }
    }

    /// Looks `key` up; if it is new, claims it for `id` (not yet settled).
    pub fn claim(&mut self, key: &str, id: EventId) -> Claim {
        match self.ids.get(key) {
            Some(&(id, true)) => return Claim::Published(id),
            Some(&(_, false)) => return Claim::InFlight,
            None => {}
        }
        if self.order.len() >= self.capacity
            && let Some(oldest) = self.order.pop_front()
        {
            self.ids.remove(&oldest);
        }
        self.ids.insert(key.to_string(), (id, false));
        self.order.push_back(key.to_string());
        Claim::New
    }

    /// The claimed publish of `key` is queued or stored: remember it.
    pub fn settle(&mut self, key: &str) {
        if let Some((_, settled)) = self.ids.get_mut(key) {
            *settled = true;
        }
    }

    /// The claimed publish of `key` failed: forget the key, so that a
    /// retry publishes.
    pub fn forget(&mut self, key: &str) {
        if self.ids.remove(key).is_some() {
            self.order.retain(|kept| kept != key);
        }
    }

    /// Remembers a key that is already published (from the log at start-up).
    pub fn remember(&mut self, key: &str, id: EventId) {
        if self.claim(key, id) == Claim::New {
            self.settle(key);
        }
    }

    /// How many keys are remembered.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_claimed_once_and_answers_with_its_id_once_settled() {
        let mut keys = KeyIndex::new(10);
        assert_eq!(keys.claim("k", 7), Claim::New);
        assert_eq!(keys.claim("k", 8), Claim::InFlight);
        keys.settle("k");
        assert_eq!(keys.claim("k", 9), Claim::Published(7));
    }

    #[test]
    fn a_failed_publish_forgets_its_key() {
        let mut keys = KeyIndex::new(10);
        assert_eq!(keys.claim("k", 7), Claim::New);
        keys.forget("k");
        assert_eq!(keys.claim("k", 8), Claim::New);
        assert_eq!(keys.len(), 1);
    }

    #[test]
    fn only_the_newest_keys_are_kept() {
        let mut keys = KeyIndex::new(3);
        for (n, key) in ["a", "b", "c", "d"].iter().enumerate() {
            keys.remember(key, n as EventId);
        }
        assert_eq!(keys.len(), 3);
        assert_eq!(keys.claim("a", 9), Claim::New, "the oldest was let go");
        assert_eq!(keys.claim("d", 9), Claim::Published(3));
    }
}
