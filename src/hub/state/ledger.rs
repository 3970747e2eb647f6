//! The ledger of keys: which keys have a value, how much each takes, and
//! when each expires, kept where events get their ids.
//!
//! A publish that would add a key past `--state-keys` or `--state-bytes`
//! must be refused (`507`) before it is acknowledged, and the hub takes
//! events only after that. So the [`Publisher`] keeps this ledger beside
//! the hub's [`Values`](super::Values), and changes it under the lock
//! that gives ids: it sees every keyed event in id order, as the hub will.
//! (With Redis, where the stream gives the ids, the stream's reader keeps
//! it as events come back from every instance.)
//!
//! It also knows when each `ttl` is up: [`Ledger::due`] lists the values
//! whose time has come, for `ingest/expiry.rs` to publish their
//! `herald-delete`.
//!
//! [`Publisher`]: crate::ingest::publisher::Publisher

use std::collections::{BTreeMap, HashMap};

use crate::event::{Change, Event, EventId, Keyed};
use crate::hub::history::Stored;
use crate::wire::encoded::EncodedEvent;

/// A key's name: its topic (empty for the public events, which no topic's
/// name is) and the key, apart by a NUL, which neither may hold. One
/// string, so that a lookup can be made from a borrowed one.
pub type KeyName = Box<str>;

/// Writes the name of `key` in `topic` into `out` (cleared first).
pub fn write_name(out: &mut String, topic: Option<&str>, key: &str) {
    out.clear();
    out.push_str(topic.unwrap_or(""));
    out.push('\0');
    out.push_str(key);
}

/// The topic and the key a name is made of.
pub fn split_name(name: &str) -> (Option<&str>, &str) {
    let (topic, key) = name.split_once('\0').unwrap_or(("", name));
    ((!topic.is_empty()).then_some(topic), key)
}

/// What the ledger knows of one value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// The id of the event that set it.
    pub id: EventId,
    /// Its memory, as the hub counts it.
    pub bytes: usize,
    /// When it expires, in ms since 1970, if it has a ttl.
    pub expires_ms: Option<u64>,
}

/// A keyed event as the ledger sees it: its key's name, its change, its
/// size once held, and when it was accepted.
#[derive(Debug, Clone)]
pub struct Keying {
    name: KeyName,
    change: Change,
    bytes: usize,
    accepted_ms: u64,
}

impl Keying {
    /// What `event`, accepted at `accepted_ms` and `bytes` once held, does
    /// to its key; `None` for an event without one.
    pub fn of(event: &Event, bytes: usize, accepted_ms: u64) -> Option<Keying> {
        let keyed = event.keyed()?;
        Some(Keying {
            name: name(event.topic_name(), &keyed.key),
            change: keyed.change,
            bytes,
            accepted_ms,
        })
    }

    /// The same, from the parts an event carries.
    pub fn from_parts(
        topic: Option<&str>,
        keyed: &Keyed,
        bytes: usize,
        accepted_ms: u64,
    ) -> Keying {
        Keying {
            name: name(topic, &keyed.key),
            change: keyed.change,
            bytes,
            accepted_ms,
        }
    }
}

/// Why a publish may not add its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateFull {
    /// `--state-keys` keys have values already.
    Keys,
    /// The values would take more than `--state-bytes`.
    Bytes,
}

impl StateFull {
    /// The reason given to the client, naming the flag.
    pub fn reason(self) -> &'static str {
        match self {
            StateFull::Keys => {
                "too many keys: delete some, or start herald with a larger --state-keys"
            }
            StateFull::Bytes => {
                "the keyed values take --state-bytes already: delete some, or start herald with a larger --state-bytes"
            }
        }
    }
}

/// Every key with a value, and the bounds on them.
#[derive(Debug, Default)]
pub struct Ledger {
    entries: HashMap<KeyName, Entry>,
    /// The values with a ttl, by when they expire.
    expiries: BTreeMap<(u64, EventId), KeyName>,
    bytes: usize,
    max_keys: usize,
    max_bytes: usize,
}

impl Ledger {
    /// An empty ledger for at most `max_keys` keys of `max_bytes` in all.
    pub fn new(max_keys: usize, max_bytes: usize) -> Ledger {
        Ledger {
            max_keys,
            max_bytes,
            ..Ledger::default()
        }
    }

    /// Follows `events`, restored from an earlier run, oldest first. The
    /// bounds are not applied to them: what was stored is kept.
    pub fn follow_restored<'a>(
        &mut self,
        events: impl Iterator<Item = &'a (EventId, EncodedEvent)>,
    ) {
        for (id, encoded) in events {
            if let Some(keyed) = encoded.keyed.as_deref() {
                let bytes = Stored::size_of(encoded);
                let topic = encoded.topic.as_deref();
                let keying = Keying::from_parts(topic, keyed, bytes, encoded.accepted_ms);
                self.record(*id, &keying);
            }
        }
    }

    /// Whether the keyed event may be published. Only a value for a key
    /// without one can be refused: updates and deletes always pass, so a
    /// full ledger never stops a page from showing that something ended.
    pub fn admit(&self, keying: &Keying) -> Result<(), StateFull> {
        let is_new = !self.entries.contains_key(&keying.name);
        if !matches!(keying.change, Change::Set { .. }) || !is_new {
            return Ok(());
        }
        if self.entries.len() >= self.max_keys {
            return Err(StateFull::Keys);
        }
        if self.bytes + keying.bytes > self.max_bytes {
            return Err(StateFull::Bytes);
        }
        Ok(())
    }

    /// Follows a new value of a key that has one already, in one lookup
    /// (the common case, a status that changes), and passes whatever the
    /// bounds: what the entry was, or `None` when it is not that case.
    pub fn update(&mut self, id: EventId, keying: &Keying) -> Option<Entry> {
        let Change::Set { ttl_seconds } = keying.change else {
            return None;
        };
        let slot = self.entries.get_mut(&keying.name)?;
        let ttl_ms = ttl_seconds.map(|ttl| u64::from(ttl) * 1000);
        let entry = Entry {
            id,
            bytes: keying.bytes,
            expires_ms: ttl_ms.map(|ttl| keying.accepted_ms + ttl),
        };
        let before = std::mem::replace(slot, entry);
        self.bytes = self.bytes - before.bytes + entry.bytes;
        if let Some(at) = before.expires_ms {
            self.expiries.remove(&(at, before.id));
        }
        if let Some(at) = entry.expires_ms {
            self.expiries.insert((at, id), keying.name.clone());
        }
        Some(before)
    }

    /// Whether `key` in `topic` has a value.
    #[cfg(test)]
    fn has(&self, topic: Option<&str>, key: &str) -> bool {
        self.entries.contains_key(&name(topic, key))
    }

    /// Follows the keyed event `id`; what its key's entry was before, to
    /// [`Ledger::undo`] it if the event is not stored after all.
    pub fn record(&mut self, id: EventId, keying: &Keying) -> Option<Entry> {
        let before = self.entries.get(&keying.name).copied();
        match keying.change {
            Change::Set { ttl_seconds } => {
                let ttl_ms = ttl_seconds.map(|ttl| u64::from(ttl) * 1000);
                let entry = Entry {
                    id,
                    bytes: keying.bytes,
                    expires_ms: ttl_ms.map(|ttl| keying.accepted_ms + ttl),
                };
                self.put(&keying.name, Some(entry));
            }
            Change::Delete => self.put(&keying.name, None),
            Change::Expire { of } if before.is_some_and(|entry| entry.id == of) => {
                self.put(&keying.name, None);
            }
            Change::Expire { .. } => {}
        }
        before
    }

    /// Puts the entry back as it was before the event `id` changed it,
    /// unless a later event has changed it since.
    pub fn undo(&mut self, id: EventId, keying: &Keying, before: Option<Entry>) {
        let now = self.entries.get(&keying.name).map(|entry| entry.id);
        let still_ours = match now {
            Some(now) => now == id,
            None => before.is_some(),
        };
        if still_ours {
            self.put(&keying.name, before);
        }
    }

    /// Replaces the entry of `name` (none removes it), keeping the sums.
    /// The name is copied only for a key new to the ledger or a ttl.
    fn put(&mut self, name: &KeyName, entry: Option<Entry>) {
        let old = match (entry, self.entries.get_mut(name)) {
            (Some(entry), Some(slot)) => Some(std::mem::replace(slot, entry)),
            (Some(entry), None) => self.entries.insert(name.clone(), entry),
            (None, _) => self.entries.remove(name),
        };
        if let Some(old) = old {
            self.bytes -= old.bytes;
            if let Some(at) = old.expires_ms {
                self.expiries.remove(&(at, old.id));
            }
        }
        if let Some(entry) = entry {
            self.bytes += entry.bytes;
            if let Some(at) = entry.expires_ms {
                self.expiries.insert((at, entry.id), name.clone());
            }
        }
    }

    /// The values expired at `now_ms`, soonest first, `max` at most: each
    /// key's name and the id of the event that set it.
    pub fn due(&self, now_ms: u64, max: usize) -> Vec<(KeyName, EventId)> {
        self.expiries
            .range(..=(now_ms, EventId::MAX))
            .take(max)
            .map(|(&(_, id), name)| (name.clone(), id))
            .collect()
    }

    /// How many keys have a value.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no key has a value.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The memory the values take, as the hub counts it.
    pub fn size_bytes(&self) -> usize {
        self.bytes
    }
}

fn name(topic: Option<&str>, key: &str) -> KeyName {
    let mut name = String::with_capacity(topic.map_or(0, str::len) + 1 + key.len());
    write_name(&mut name, topic, key);
    name.into_boxed_str()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keying(topic: Option<&str>, key: &str, change: Change, bytes: usize, at: u64) -> Keying {
        let keyed = Keyed {
            key: key.into(),
            change,
        };
        Keying::from_parts(topic, &keyed, bytes, at)
    }

    fn set(key: &str, bytes: usize) -> Keying {
        let change = Change::Set { ttl_seconds: None };
        keying(Some("t"), key, change, bytes, 0)
    }

    #[test]
    fn new_keys_stop_at_the_bounds_but_updates_and_deletes_pass() {
        let mut ledger = Ledger::new(2, 1000);
        ledger.record(1, &set("a", 400));
        ledger.record(2, &set("b", 400));
        assert_eq!(ledger.admit(&set("c", 1)), Err(StateFull::Keys));
        assert_eq!(ledger.admit(&set("a", 900)), Ok(()));
        let public = keying(None, "a", Change::Set { ttl_seconds: None }, 1, 0);
        assert_eq!(
            ledger.admit(&public),
            Err(StateFull::Keys),
            "another topic's a"
        );
        let delete = keying(Some("t"), "b", Change::Delete, 0, 0);
        assert_eq!(ledger.admit(&delete), Ok(()));
        ledger.record(3, &delete);
        assert_eq!((ledger.len(), ledger.size_bytes()), (1, 400));
        assert_eq!(ledger.admit(&set("c", 601)), Err(StateFull::Bytes));
        assert_eq!(ledger.admit(&set("c", 600)), Ok(()));
    }

    #[test]
    fn a_ttl_comes_due_unless_the_value_was_replaced() {
        let mut ledger = Ledger::new(10, 1000);
        let with_ttl = |key, ttl| {
            let change = Change::Set {
                ttl_seconds: Some(ttl),
            };
            keying(Some("t"), key, change, 10, 1_000)
        };
        ledger.record(1, &with_ttl("a", 2));
        ledger.record(2, &with_ttl("b", 5));
        assert!(ledger.due(2_999, 10).is_empty());
        let due = ledger.due(3_000, 10);
        assert_eq!(due, [("t\0a".into(), 1)]);
        assert_eq!(split_name(&due[0].0), (Some("t"), "a"));
        assert_eq!(split_name("\0a"), (None, "a"));
        ledger.record(3, &set("a", 10));
        assert!(ledger.due(10_000, 10).iter().all(|(_, id)| *id == 2));
        let stale = keying(Some("t"), "a", Change::Expire { of: 1 }, 0, 3_000);
        ledger.record(4, &stale);
        assert!(
            ledger.has(Some("t"), "a"),
            "a newer value outlives the old ttl"
        );
        let expire_b = keying(Some("t"), "b", Change::Expire { of: 2 }, 0, 6_000);
        ledger.record(5, &expire_b);
        assert!(!ledger.has(Some("t"), "b"));
        assert!(ledger.due(u64::MAX, 10).is_empty());
    }

    #[test]
    fn an_update_in_place_keeps_the_sums_and_the_ttls() {
        let mut ledger = Ledger::new(1, 100);
        let with_ttl = Change::Set {
            ttl_seconds: Some(1),
        };
        ledger.record(1, &keying(Some("t"), "a", with_ttl, 10, 0));
        let before = ledger.update(2, &set("a", 500)).unwrap();
        assert_eq!(before.id, 1);
        assert_eq!(ledger.size_bytes(), 500, "an update passes past the bytes");
        assert!(
            ledger.due(u64::MAX, 10).is_empty(),
            "the old ttl went with it"
        );
        assert!(
            ledger.update(3, &set("b", 1)).is_none(),
            "a new key is not an update"
        );
        ledger.update(4, &keying(Some("t"), "a", with_ttl, 5, 1_000));
        assert_eq!(ledger.due(2_000, 10), [("t\0a".into(), 4)]);
    }

    #[test]
    fn an_event_not_stored_is_undone() {
        let mut ledger = Ledger::new(10, 1000);
        let before = ledger.record(1, &set("a", 10));
        ledger.undo(1, &set("a", 10), before);
        assert!(ledger.is_empty());
        ledger.record(2, &set("a", 10));
        let before = ledger.record(3, &set("a", 20));
        ledger.record(4, &set("a", 30));
        ledger.undo(3, &set("a", 20), before);
        assert_eq!(ledger.size_bytes(), 30, "a later event stays");
    }
}
