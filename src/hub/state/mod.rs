//! Live state, a refinement beside the hub's path: each topic's current
//! value of each key, handed to a new stream before the live events.
//!
//! A publish with `key=K` is delivered like any event and also becomes the
//! value of `K` in its topic, replacing the one before; `delete=1` (or the
//! end of a `ttl=`) removes it. The hub keeps the values here, as it keeps
//! the history: the same encoded bytes every stream is sent, shared by
//! reference ([`Arc`]), never copied per stream.
//!
//! A stream that asks for `state=1` gets a [`Snapshot`]: every value its
//! topics hold, oldest id first, then the `herald-state` marker with the
//! newest id at that moment. The hub takes the snapshot and places the
//! stream in the history in one step, between two events, so the seam
//! loses and doubles nothing (how it is written, in
//! `listener/snapshot.rs`). Streams with the same topics that start
//! before the values change share one snapshot: 200 tabs opening a page
//! at once cost it once.
//!
//! Who may add keys, and when a `ttl` is up, is decided where events get
//! their ids, since a publish must be answered `507` before it is
//! acknowledged: the publisher keeps the [`ledger`] of keys for that. Here
//! the values only follow the events in the order the hub takes them, and
//! [`snapshot`] is what a stream is sent.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::event::{Change, EventId, Keyed};
use crate::hub::filter::TopicFilter;
use crossbeam_channel::Sender;

use crate::hub::Hub;
use crate::hub::history::{History, Seq, Stored};
use crate::hub::listener::{Listener, StreamKind};
use crate::limits::SNAPSHOTS_CACHED_MAX;
use crate::wire::encoded::EncodedEvent;
use crate::wire::state_marker;

pub mod ledger;
pub mod snapshot;

use ledger::{KeyName, write_name};
pub use snapshot::Snapshot;

/// Every current value, by key and in the order of their ids.
#[derive(Default)]
pub struct Values {
    /// Each value by the id of the event that set it: a snapshot's order.
    by_id: BTreeMap<EventId, Arc<Stored>>,
    /// The id of each key's value.
    by_key: HashMap<KeyName, EventId>,
    /// The values' memory, as the history counts it.
    bytes: usize,
    /// Snapshots taken since the values last changed, by filter: reused by
    /// the next streams with the same topics.
    snapshots: Vec<(TopicFilter, Arc<Snapshot>)>,
    /// Reused for each key's name, so that an update allocates none.
    name: String,
}

impl Values {
    /// Whether `event` is to be kept and sent: every event is, except the
    /// expiry of a value that was replaced before it came (the key holds a
    /// newer value than the one whose ttl ended). An expiry of a key with
    /// no value passes: it removes nothing, and after a restart the value
    /// it ended may be older than what was restored.
    pub fn is_news(&self, event: &EncodedEvent) -> bool {
        self.changes(event.keyed.as_deref(), event.topic.as_deref())
    }

    /// Whether `keyed`, of `topic`, changes a value (see [`Values::is_news`]).
    fn changes(&self, keyed: Option<&Keyed>, topic: Option<&str>) -> bool {
        match keyed {
            Some(Keyed {
                key,
                change: Change::Expire { of },
            }) => self.id_of(topic, key).is_none_or(|id| id == *of),
            _ => true,
        }
    }

    /// The values restored from an earlier run that are older than the
    /// history (each key's current one, oldest first).
    pub fn restored(values: Vec<(EventId, EncodedEvent)>) -> Values {
        let mut restored = Values::default();
        for (id, encoded) in values {
            restored.keep(&Stored::new(id, encoded));
        }
        restored
    }

    /// Follows the change the event at `seq` makes, if it is keyed.
    pub fn keep_from(&mut self, history: &History, seq: Seq) {
        if let Some(stored) = history.get(seq) {
            self.keep(stored);
        }
    }

    /// Follows the change `stored` makes, if it is keyed.
    pub fn keep(&mut self, stored: &Stored) {
        let Some(keyed) = stored.keyed() else {
            return;
        };
        if !self.changes(Some(keyed), stored.topic()) {
            return;
        }
        write_name(&mut self.name, stored.topic(), &keyed.key);
        let old = match (keyed.change, self.by_key.get_mut(self.name.as_str())) {
            (Change::Set { .. }, Some(id)) => Some(std::mem::replace(id, stored.id)),
            (Change::Set { .. }, None) => self.by_key.insert(self.name.as_str().into(), stored.id),
            (_, _) => self.by_key.remove(self.name.as_str()),
        };
        if let Some(value) = old.and_then(|old| self.by_id.remove(&old)) {
            self.bytes -= value.size_bytes();
        }
        if let Change::Set { .. } = keyed.change {
            self.bytes += stored.size_bytes();
            self.by_id.insert(stored.id, Arc::new(stored.clone()));
        }
        self.snapshots.clear();
    }

    /// The id of the event that set `key`'s value in `topic`, if it has one.
    fn id_of(&self, topic: Option<&str>, key: &str) -> Option<EventId> {
        let mut name = String::new();
        write_name(&mut name, topic, key);
        self.by_key.get(name.as_str()).copied()
    }

    /// The values `filter` wants, oldest id first, shared with any stream
    /// that asked with the same topics since the values last changed.
    pub fn snapshot(&mut self, filter: &TopicFilter) -> Arc<Snapshot> {
        if let Some((_, shared)) = self.snapshots.iter().find(|(f, _)| f == filter) {
            return Arc::clone(shared);
        }
        let values = self
            .by_id
            .values()
            .filter(|stored| filter.wants(stored.topic()))
            .cloned()
            .collect();
        let snapshot = Arc::new(Snapshot::new(values));
        if self.snapshots.len() == SNAPSHOTS_CACHED_MAX {
            self.snapshots.remove(0);
        }
        self.snapshots.push((filter.clone(), Arc::clone(&snapshot)));
        snapshot
    }

    /// How many keys have a value.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Whether no key has a value.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// The memory the values take, counted as the history counts events.
    pub fn size_bytes(&self) -> usize {
        self.bytes
    }
}

/// The answer to `GET /state`: the values, as of `last_id`.
pub struct StateAnswer {
    /// The newest id the values take in.
    pub last_id: EventId,
    /// The values the asker may see, oldest id first.
    pub snapshot: Arc<Snapshot>,
}

impl Hub {
    /// Starts `listener` with a snapshot at the end of the history, and the
    /// marker with the newest id.
    pub(super) fn start_with_snapshot(&self, listener: &mut Listener, snapshot: Arc<Snapshot>) {
        let last_id = self.history.last_given_id();
        let marker = match listener.kind() {
            StreamKind::EventStream => state_marker::event_stream(last_id),
            StreamKind::WebSocket => state_marker::websocket(last_id),
        };
        listener.start_with_snapshot(snapshot, self.history.end(), marker);
    }

    /// Sends the values `filter` wants, as of the newest event taken.
    pub(super) fn answer_state(&mut self, filter: &TopicFilter, reply: &Sender<StateAnswer>) {
        let answer = StateAnswer {
            last_id: self.history.last_given_id(),
            snapshot: self.values.snapshot(filter),
        };
        let _ = reply.send(answer);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Event;

    fn keep(values: &mut Values, history: &mut History, id: EventId, event: Event) {
        let encoded = EncodedEvent::new(&event, 0);
        if values.is_news(&encoded) {
            let seq = history.push(id, encoded);
            values.keep_from(history, seq);
        }
    }

    fn ids(snapshot: &Snapshot) -> Vec<EventId> {
        snapshot.values().iter().map(|stored| stored.id).collect()
    }

    #[test]
    fn a_key_holds_its_newest_value_until_deleted_or_expired() {
        let (mut values, mut history) = (Values::default(), History::new(10, usize::MAX, 1));
        let set = |text: &str, topic: &str, key: &str| {
            Event::from_parts(text, None, Some(topic))
                .unwrap()
                .key(key, None)
                .unwrap()
        };
        keep(&mut values, &mut history, 1, set("red", "builds", "main"));
        keep(&mut values, &mut history, 2, set("green", "builds", "dev"));
        keep(&mut values, &mut history, 3, set("green", "builds", "main"));
        keep(&mut values, &mut history, 4, Event::new("plain").unwrap());
        let everything = TopicFilter::everything();
        assert_eq!(ids(&values.snapshot(&everything)), [2, 3]);
        let expire_old = set("{}", "builds", "main")
            .with_change("main", Change::Expire { of: 1 })
            .unwrap();
        keep(&mut values, &mut history, 5, expire_old);
        assert_eq!(
            history.len(),
            4,
            "an expiry of a replaced value is not sent"
        );
        let delete = set("{}", "builds", "dev")
            .with_change("dev", Change::Delete)
            .unwrap();
        keep(&mut values, &mut history, 7, delete);
        let expire = set("{}", "builds", "main")
            .with_change("main", Change::Expire { of: 3 })
            .unwrap();
        keep(&mut values, &mut history, 8, expire);
        assert!(values.is_empty());
        assert_eq!(values.size_bytes(), 0);
    }

    #[test]
    fn streams_with_the_same_topics_share_a_snapshot_until_a_change() {
        let (mut values, mut history) = (Values::default(), History::new(10, usize::MAX, 1));
        let event = |topic: &str| {
            Event::from_parts("v", None, Some(topic))
                .unwrap()
                .key("k", None)
                .unwrap()
        };
        keep(&mut values, &mut history, 1, event("a"));
        keep(&mut values, &mut history, 2, event("b"));
        let only_a = TopicFilter::asked(vec!["a".into()]);
        let first = values.snapshot(&only_a);
        assert_eq!(ids(&first), [1]);
        assert!(Arc::ptr_eq(&first, &values.snapshot(&only_a)));
        keep(&mut values, &mut history, 3, event("a"));
        let after = values.snapshot(&only_a);
        assert_eq!(ids(&after), [3]);
        assert_eq!(ids(&first), [1], "a snapshot taken stays as it was");
    }

    /// A small random walk (xorshift), so the property test needs no crate.
    struct Walk(u64);

    impl Walk {
        fn below(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0 % n
        }
    }

    /// Any sequence of sets, deletes and expiries (of current and of
    /// replaced values) leaves the values a sequential model computes,
    /// and so does the ledger; and a stream that starts from a snapshot at
    /// any point and applies the events sent after it ends with the same.
    #[test]
    fn any_sequence_of_changes_ends_as_the_sequential_model() {
        use crate::hub::state::ledger::{Keying, Ledger};
        use std::collections::HashMap;
        let mut walk = Walk(0x9e37_79b9_7f4a_7c15);
        for _ in 0..300 {
            let (mut values, mut history) = (Values::default(), History::new(1000, usize::MAX, 1));
            let mut ledger = Ledger::new(usize::MAX, usize::MAX);
            let mut model: HashMap<(String, String), (EventId, String)> = HashMap::new();
            let mut ids_set = Vec::new();
            let seam = walk.below(40);
            let mut client: Option<HashMap<(String, String), EventId>> = None;
            for id in 1..=40 {
                if id == seam {
                    let snapshot = values.snapshot(&TopicFilter::everything());
                    let keys = snapshot.values().iter().map(|stored| {
                        let key = stored.keyed().unwrap().key.clone();
                        ((stored.topic().unwrap().to_string(), key), stored.id)
                    });
                    client = Some(keys.collect());
                }
                let topic = format!("t{}", walk.below(2));
                let key = format!("k{}", walk.below(3));
                let name = (topic.clone(), key.clone());
                let change = match walk.below(4) {
                    0 => Change::Delete,
                    1 if !ids_set.is_empty() => {
                        let of = ids_set[walk.below(ids_set.len() as u64) as usize];
                        Change::Expire { of }
                    }
                    _ => Change::Set {
                        ttl_seconds: Some(1).filter(|_| walk.below(2) == 0),
                    },
                };
                let event = Event::from_parts(&format!("v{id}"), None, Some(&topic))
                    .unwrap()
                    .with_change(&key, change)
                    .unwrap();
                match change {
                    Change::Set { .. } => {
                        ids_set.push(id);
                        model.insert(name.clone(), (id, format!("v{id}")));
                    }
                    Change::Delete => {
                        model.remove(&name);
                    }
                    Change::Expire { of } => {
                        if model.get(&name).is_some_and(|(current, _)| *current == of) {
                            model.remove(&name);
                        }
                    }
                }
                let encoded = EncodedEvent::new(&event, 0);
                let keying = Keying::of(&event, 1, 0).unwrap();
                // As the publisher does: an update in place, else the rest.
                if ledger.update(id, &keying).is_none() {
                    ledger.record(id, &keying);
                }
                if !values.is_news(&encoded) {
                    continue;
                }
                let seq = history.push(id, encoded);
                values.keep_from(&history, seq);
                if let Some(client) = client.as_mut() {
                    match change {
                        Change::Set { .. } => {
                            client.insert(name, id);
                        }
                        _ => {
                            client.remove(&name);
                        }
                    }
                }
            }
            let mut expected: Vec<EventId> = model.values().map(|(id, _)| *id).collect();
            expected.sort_unstable();
            assert_eq!(ids(&values.snapshot(&TopicFilter::everything())), expected);
            assert_eq!(ledger.len(), expected.len());
            if let Some(client) = client {
                let mut seen: Vec<EventId> = client.into_values().collect();
                seen.sort_unstable();
                assert_eq!(seen, expected, "a stream that started at {seam}");
            }
        }
    }
}
