//! Who wants which events: an index from topics to listeners, so that an
//! event for one person's topic costs the hub that person's listener, not
//! a pass over ten thousand.
//!
//! The hub keeps its listeners in one list, in no particular order (a
//! removal moves the last one into the gap). The index knows where each is
//! in that list, by its connection's key, and which keys want what:
//! every event (no topic filter), the public events (those without a
//! topic), or each topic. For a round of events, [`Index::targets`] lists
//! the places of the listeners that want some of it. When that is most of
//! the list (the common case of tabs that want everything), a plain pass
//! over the list is cheaper than the lookups, and the hub makes one.
//!
//! It also finds a WebSocket by its key for its reader's frames, and an
//! event stream for [`crate::hub::Command::End`].

use std::collections::{HashMap, HashSet};

use crate::hub::listener::{Listener, StreamKind};

/// Where the listeners are, and what each wants.
#[derive(Default)]
pub struct Index {
    /// Each listener's place in the hub's list, by key.
    places: HashMap<u64, usize>,
    /// Keys of the listeners that want every event.
    everything: HashSet<u64>,
    /// Keys of the listeners with a topic filter that also want the
    /// events without a topic.
    public: HashSet<u64>,
    /// Keys of the listeners that want each topic.
    by_topic: HashMap<Box<str>, HashSet<u64>>,
    websockets: usize,
}

impl Index {
    /// Notes `listener`, now at `place` in the list.
    pub fn add(&mut self, listener: &Listener, place: usize) {
        let key = listener.key();
        self.places.insert(key, place);
        if listener.wants_all() {
            self.everything.insert(key);
        } else {
            if listener.wants(None) {
                self.public.insert(key);
            }
            for topic in listener.topics() {
                self.by_topic.entry(topic.clone()).or_default().insert(key);
            }
        }
        if listener.kind() == StreamKind::WebSocket {
            self.websockets += 1;
        }
    }

    /// Forgets `listener`, just taken out of the list.
    pub fn remove(&mut self, listener: &Listener) {
        let key = listener.key();
        self.places.remove(&key);
        self.everything.remove(&key);
        self.public.remove(&key);
        for topic in listener.topics() {
            if let Some(keys) = self.by_topic.get_mut(topic) {
                keys.remove(&key);
                if keys.is_empty() {
                    self.by_topic.remove(topic);
                }
            }
        }
        if listener.kind() == StreamKind::WebSocket {
            self.websockets -= 1;
        }
    }

    /// The listener with `key` moved to `place`.
    pub fn moved(&mut self, key: u64, place: usize) {
        self.places.insert(key, place);
    }

    /// Where the listener with `key` is, if it is listening.
    pub fn place(&self, key: u64) -> Option<usize> {
        self.places.get(&key).copied()
    }

    /// The keys of the listeners that named `topic` (not those that want
    /// every event).
    pub fn wanting(&self, topic: &str) -> impl Iterator<Item = u64> + '_ {
        self.by_topic.get(topic).into_iter().flatten().copied()
    }

    /// How many of the listeners are WebSockets.
    pub fn websockets(&self) -> usize {
        self.websockets
    }

    /// Forgets everyone (the hub is stopping).
    pub fn clear(&mut self) {
        *self = Index::default();
    }

    /// Fills `out` with the places, in list order, of the listeners that
    /// want some of a round whose events have `topics`; false (and `out`
    /// unused) when that is half of the `listeners` or more, and a pass
    /// over the whole list is the cheaper way.
    pub fn targets(
        &self,
        topics: &[Option<Box<str>>],
        listeners: usize,
        out: &mut Vec<usize>,
    ) -> bool {
        out.clear();
        let half = listeners / 2;
        let public = topics.iter().any(Option::is_none);
        let broad = self.everything.len() + if public { self.public.len() } else { 0 };
        if broad > half {
            return false;
        }
        let mut keys: Vec<&HashSet<u64>> = vec![&self.everything];
        if public {
            keys.push(&self.public);
        }
        let mut seen_topics: Vec<&str> = Vec::new();
        for topic in topics.iter().flatten() {
            if seen_topics.contains(&&**topic) {
                continue;
            }
            seen_topics.push(topic);
            if let Some(wanting) = self.by_topic.get(topic) {
                keys.push(wanting);
            }
        }
        for key in keys.into_iter().flatten() {
            if let Some(&place) = self.places.get(key) {
                out.push(place);
            }
            if out.len() > half {
                return false;
            }
        }
        out.sort_unstable();
        out.dedup();
        true
    }
}
