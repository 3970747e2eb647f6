//! Which records of the event log hold a current value (see `hub/state/`),
//! so that a compaction keeps them and a restart restores them.
//!
//! Compaction keeps the records the history holds; a key's value may be
//! older than all of them (set once, a week ago) and must survive all the
//! same. So the log follows, as it appends, where each key's newest value
//! lies: a value replaces the key's place, a delete or an expiry of that
//! value removes it. At compaction the values older than the history are
//! copied first, in the order they were written, then the history; a
//! deleted or expired key's old record is simply not copied.

use std::collections::HashMap;

use crate::event::{Change, EventId, Keyed};
use crate::hub::state::ledger::{KeyName, write_name};

/// Where one record lies in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placed {
    /// The id of its event.
    pub id: EventId,
    /// Where its frame starts.
    pub offset: u64,
    /// Its frame and payload, in bytes.
    pub len: u64,
}

/// The place of each key's current value.
#[derive(Debug, Default)]
pub struct StateRecords {
    live: HashMap<KeyName, Placed>,
}

impl StateRecords {
    /// Follows the record at `placed`, of `topic`, with its change; the
    /// key's name and its place before, to [`StateRecords::put_back`] if
    /// the record is cut off after all.
    pub fn follow(
        &mut self,
        topic: Option<&str>,
        keyed: &Keyed,
        placed: Placed,
    ) -> (KeyName, Option<Placed>) {
        let mut name = String::new();
        write_name(&mut name, topic, &keyed.key);
        let name: KeyName = name.into_boxed_str();
        let before = self.live.get(&name).copied();
        match keyed.change {
            Change::Set { .. } => {
                self.live.insert(name.clone(), placed);
            }
            Change::Delete => {
                self.live.remove(&name);
            }
            Change::Expire { of } => {
                if before.is_some_and(|value| value.id == of) {
                    self.live.remove(&name);
                }
            }
        }
        (name, before)
    }

    /// Puts a key's place back as it was before a record that was cut off.
    pub fn put_back(&mut self, name: KeyName, before: Option<Placed>) {
        match before {
            Some(placed) => self.live.insert(name, placed),
            None => self.live.remove(&name),
        };
    }

    /// The values that lie before `offset` (and end by `len`, the file's
    /// length: a value cut off with a failed batch is gone), in file order.
    pub fn before(&self, offset: u64, len: u64) -> Vec<Placed> {
        let mut older: Vec<Placed> = self
            .live
            .values()
            .filter(|placed| placed.offset < offset && placed.offset + placed.len <= len)
            .copied()
            .collect();
        older.sort_by_key(|placed| placed.offset);
        older
    }

    /// Moves every place by `moved` after a compaction; a place it has no
    /// new one for is dropped.
    pub fn moved(&mut self, moved: impl Fn(&Placed) -> Option<u64>) {
        self.live.retain(|_, placed| match moved(placed) {
            Some(offset) => {
                placed.offset = offset;
                true
            }
            None => false,
        });
    }

    /// How many keys have a value.
    pub fn len(&self) -> usize {
        self.live.len()
    }

    /// Whether no key has a value.
    pub fn is_empty(&self) -> bool {
        self.live.is_empty()
    }
}
