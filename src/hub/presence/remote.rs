//! The other instances' presence entries, with `--redis` (see
//! `store/redis_presence.rs`, which carries them): each instance shares
//! its own as text and merges everyone else's into its lists.
//!
//! The text is one line per topic, then one per named person on it:
//!
//! ```text
//! T ticket-7<TAB>unnamed<TAB>anonymous
//! U anna<TAB>connections<TAB>since_ms
//! ```
//!
//! Topics and user names are labels (no control characters), so a tab
//! and a line break cannot occur inside them.

use std::collections::{HashMap, HashSet};

use crate::wire::presence::Person as ListedPerson;

/// One topic's entries on the other instances, summed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RemoteList {
    /// Each person's connections and earliest start, over the instances.
    people: HashMap<Box<str>, (u32, u64)>,
    /// Named streams they keep unnamed.
    pub more: usize,
    /// Their anonymous streams.
    pub anonymous: usize,
}

/// Every topic's entries on the other instances.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RemoteTopics {
    topics: HashMap<Box<str>, RemoteList>,
}

impl RemoteList {
    /// Adds these people to a topic's local ones: one entry per person,
    /// their connections summed, from the earliest start.
    pub(super) fn merge_into<'a>(&'a self, people: &mut Vec<ListedPerson<'a>>) {
        let mut places: HashMap<&str, usize> = HashMap::with_capacity(people.len());
        for (place, person) in people.iter().enumerate() {
            places.insert(person.user, place);
        }
        for (user, &(connections, since_ms)) in &self.people {
            match places.get(&**user) {
                Some(&place) => {
                    let person = &mut people[place];
                    person.connections += connections;
                    person.since_ms = person.since_ms.min(since_ms);
                }
                None => people.push(ListedPerson {
                    user,
                    connections,
                    since_ms,
                }),
            }
        }
    }
}

impl RemoteTopics {
    /// The entries of one topic, if another instance has any.
    pub fn get(&self, topic: &str) -> Option<&RemoteList> {
        self.topics.get(topic)
    }

    /// Adds one instance's shared text; lines it cannot read are skipped
    /// and counted (the text is another herald's, so there should be none).
    pub fn add_instance(&mut self, text: &str) -> usize {
        let mut unread = 0;
        let mut current: Option<&mut RemoteList> = None;
        for line in text.lines() {
            let fields: Vec<&str> = line.get(2..).unwrap_or("").split('\t').collect();
            match (line.get(..2), fields.as_slice()) {
                (Some("T "), [topic, unnamed, anonymous]) => {
                    let (Ok(unnamed), Ok(anonymous)) =
                        (unnamed.parse::<usize>(), anonymous.parse::<usize>())
                    else {
                        unread += 1;
                        current = None;
                        continue;
                    };
                    let list = self.topics.entry((*topic).into()).or_default();
                    list.more += unnamed;
                    list.anonymous += anonymous;
                    current = Some(list);
                }
                (Some("U "), [user, connections, since]) => {
                    let (Some(list), Ok(connections), Ok(since)) = (
                        current.as_deref_mut(),
                        connections.parse::<u32>(),
                        since.parse::<u64>(),
                    ) else {
                        unread += 1;
                        continue;
                    };
                    let entry = list.people.entry((*user).into()).or_insert((0, since));
                    entry.0 += connections;
                    entry.1 = entry.1.min(since);
                }
                _ => unread += 1,
            }
        }
        unread
    }

    /// The topics whose entries differ between `self` and `other`.
    pub fn changed_topics(&self, other: &RemoteTopics) -> Vec<Box<str>> {
        let names: HashSet<&Box<str>> = self.topics.keys().chain(other.topics.keys()).collect();
        names
            .into_iter()
            .filter(|topic| self.topics.get(*topic) != other.topics.get(*topic))
            .cloned()
            .collect()
    }
}

/// One instance's entries as the shared text: `(topic, people, unnamed,
/// anonymous)` for each topic, each person as `(user, connections,
/// since_ms)`.
pub fn export<'a, P>(topics: impl Iterator<Item = (&'a str, P, usize, usize)>) -> String
where
    P: Iterator<Item = (&'a str, u32, u64)>,
{
    let mut text = String::new();
    for (topic, people, unnamed, anonymous) in topics {
        text.push_str(&format!("T {topic}\t{unnamed}\t{anonymous}\n"));
        for (user, connections, since_ms) in people {
            text.push_str(&format!("U {user}\t{connections}\t{since_ms}\n"));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instances_add_up_and_garbage_is_skipped() {
        let one = export([("t", [("anna", 2, 50)].into_iter(), 1, 3)].into_iter());
        let two = "T t\t0\t2\nU anna\t1\t40\nU bo\t1\t60\nnonsense\nU x\ty\tz\n";
        let mut remote = RemoteTopics::default();
        assert_eq!(remote.add_instance(&one), 0);
        assert_eq!(remote.add_instance(two), 2);
        let list = remote.get("t").unwrap();
        assert_eq!((list.more, list.anonymous), (1, 5));
        assert_eq!(list.people.get("anna"), Some(&(3, 40)));
        assert_eq!(list.people.get("bo"), Some(&(1, 60)));
        assert_eq!(
            RemoteTopics::default().changed_topics(&remote),
            vec![Box::<str>::from("t")]
        );
        assert!(remote.changed_topics(&remote.clone()).is_empty());
    }
}
