//! Presence: who is listening to each topic, from the app's own login.
//!
//! A refinement beside the core path, which a first reading may skip.
//! Presence counts *people*, not connections: with `--auth-hook` the app's
//! answer names the `user`, and one user's three tabs are one entry with
//! `connections: 3`. A stream without a user (no hook, or the hook named
//! none) is counted only as `anonymous`; one whose answer said
//! `"presence": false` is not counted at all. Presence is per named
//! topic: a stream that takes every event is in no topic's list.
//!
//! The hub keeps the lists ([`Presence`], this file) and changes them as
//! streams join and leave: a few map updates per topic of the stream,
//! however many listen. What it sends (`sending`) is coalesced: a topic's
//! first change opens a window of `--presence-interval`, and at its end
//! the list goes to the topic's `presence=1` streams if it differs from
//! the one they last got. So a thousand people opening a room cost each
//! stream one event, and a join and leave inside the window cost nothing.
//! A new `presence=1` stream gets every one of its topics' lists first.
//!
//! With `--redis`, each instance shares its own entries and merges the
//! others' (`remote`), so the lists are the cluster's.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::Sender;

use crate::clock::millis_since_epoch;
use crate::limits::{PRESENCE_LIST_MAX_USERS, PRESENCE_MAX_NAMED};
use crate::wire::presence::{Person as ListedPerson, list_json};

pub mod remote;
mod sending;

pub use remote::RemoteTopics;

/// Who a stream is, for presence: the app's answer, or no answer.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Attendee {
    /// No user is known: counted, not named.
    #[default]
    Anonymous,
    /// The app's `user`.
    Named(Arc<str>),
    /// The app said `"presence": false`: in no list, not counted.
    Unlisted,
}

/// What a new stream brings to presence.
#[derive(Debug, Clone, Default)]
pub struct Joining {
    /// Who it is.
    pub attendee: Attendee,
    /// It asked for its topics' lists (`presence=1`).
    pub watching: bool,
}

/// A question or news for the hub about presence.
pub enum Ask {
    /// The lists of `topics` as JSON (`GET /presence`); without `names`,
    /// counted only.
    Lists {
        /// The topics asked for, as the app allows them.
        topics: Vec<String>,
        /// Whether the asker may see who is there.
        names: bool,
        /// Where the JSON is sent.
        reply: Sender<String>,
    },
    /// This instance's own entries as text, to share (`--redis`).
    Local {
        /// Where the text is sent.
        reply: Sender<String>,
    },
    /// The other instances' entries, which replace the last.
    Remote(RemoteTopics),
}

/// One person on one topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Person {
    connections: u32,
    /// When their first open stream on the topic joined, in ms since 1970.
    since_ms: u64,
}

/// The streams on one topic on this instance.
#[derive(Debug, Default)]
struct TopicPeople {
    people: HashMap<Arc<str>, Person>,
    anonymous: usize,
    /// Named streams past [`PRESENCE_MAX_NAMED`]: counted in `"more"`.
    unnamed: usize,
    /// Every local stream on the topic, the unlisted too.
    streams: usize,
    /// Of those, the ones that asked for the lists.
    watchers: usize,
    /// The list as last sent to the topic's streams.
    sent: Option<Box<str>>,
}

/// A named or unlisted stream, by its connection's key; anonymous ones
/// are counted, not kept.
enum Member {
    Named { user: Arc<str>, kept: bool },
    Unlisted,
}

/// Every topic's people, and the changes waiting to be sent.
pub struct Presence {
    interval: Duration,
    topics: HashMap<Box<str>, TopicPeople>,
    members: HashMap<u64, Member>,
    /// Keys of the streams that asked for presence events (`presence=1`).
    watchers: HashSet<u64>,
    /// Topics that changed, each with the end of its window, oldest first:
    /// one interval is added to each, so the queue stays in order.
    waiting: VecDeque<(Instant, Box<str>)>,
    waiting_topics: HashSet<Box<str>>,
    /// Named entries kept, over all topics, up to [`PRESENCE_MAX_NAMED`].
    named: usize,
    /// The other instances' entries (`--redis`).
    remote: RemoteTopics,
    /// Presence notices written to streams, for `/metrics`.
    events_sent: u64,
    /// When to look for closed streams of named people next.
    hangup_check_at: Instant,
    /// Reused: the keys of the streams a list goes to.
    scratch: Vec<u64>,
}

impl Presence {
    /// No one yet; lists change on streams at most every `interval`.
    pub fn new(interval: Duration) -> Presence {
        Presence {
            interval,
            topics: HashMap::new(),
            members: HashMap::new(),
            watchers: HashSet::new(),
            waiting: VecDeque::new(),
            waiting_topics: HashSet::new(),
            named: 0,
            remote: RemoteTopics::default(),
            events_sent: 0,
            hangup_check_at: Instant::now(),
            scratch: Vec::new(),
        }
    }

    /// Counts the stream `key` on `topics` as `attendee`; `watching`, it
    /// gets the lists' changes.
    pub fn join(&mut self, key: u64, topics: &[Box<str>], attendee: &Attendee, watching: bool) {
        if watching {
            self.watchers.insert(key);
        }
        let now_ms = millis_since_epoch();
        let kept = self.named + topics.len() <= PRESENCE_MAX_NAMED;
        for topic in topics {
            let people = topic_mut(&mut self.topics, topic);
            people.streams += 1;
            people.watchers += usize::from(watching);
            match attendee {
                Attendee::Anonymous => people.anonymous += 1,
                Attendee::Unlisted => {}
                Attendee::Named(_) if !kept => people.unnamed += 1,
                Attendee::Named(user) => {
                    let person = people.people.entry(user.clone()).or_insert(Person {
                        connections: 0,
                        since_ms: now_ms,
                    });
                    person.connections += 1;
                    if person.connections == 1 {
                        self.named += 1;
                    }
                }
            }
            self.changed(topic);
        }
        match attendee {
            Attendee::Anonymous => {}
            Attendee::Named(user) => {
                let user = user.clone();
                self.members.insert(key, Member::Named { user, kept });
            }
            Attendee::Unlisted => {
                self.members.insert(key, Member::Unlisted);
            }
        }
    }

    /// The stream `key` on `topics` has ended.
    pub fn leave(&mut self, key: u64, topics: &[Box<str>]) {
        let watching = self.watchers.remove(&key);
        let member = self.members.remove(&key);
        for topic in topics {
            let Some(people) = self.topics.get_mut(topic) else {
                continue;
            };
            people.streams -= 1;
            people.watchers -= usize::from(watching);
            match &member {
                None => people.anonymous -= 1,
                Some(Member::Unlisted) => {}
                Some(Member::Named { kept: false, .. }) => people.unnamed -= 1,
                Some(Member::Named { user, kept: true }) => {
                    if let Some(person) = people.people.get_mut(user) {
                        person.connections -= 1;
                        if person.connections == 0 {
                            people.people.remove(user);
                            self.named -= 1;
                        }
                    }
                }
            }
            if people.streams == 0 {
                self.topics.remove(topic);
            }
            self.changed(topic);
        }
    }

    /// `topic`'s list changed: its window opens, unless one is open.
    fn changed(&mut self, topic: &str) {
        if !self.waiting_topics.contains(topic) {
            self.waiting_topics.insert(topic.into());
            let due = Instant::now() + self.interval;
            self.waiting.push_back((due, topic.into()));
        }
    }

    /// The next topic whose window has ended by `now`, taken off the queue.
    fn next_due(&mut self, now: Instant) -> Option<Box<str>> {
        let (due, _) = self.waiting.front()?;
        if *due > now {
            return None;
        }
        let (_, topic) = self.waiting.pop_front()?;
        self.waiting_topics.remove(&topic);
        Some(topic)
    }

    /// When the hub must wake for presence: the first window's end, or
    /// the next look for closed streams of named people.
    pub fn wake_at(&self) -> Option<Instant> {
        let window = self.waiting.front().map(|(due, _)| *due);
        let look = (!self.members.is_empty()).then_some(self.hangup_check_at);
        window.into_iter().chain(look).min()
    }

    /// Whether any stream asked for the lists: then the hub sweeps for
    /// closed streams on time, not only at its heartbeat checks.
    pub fn has_watchers(&self) -> bool {
        !self.watchers.is_empty()
    }

    /// The keys of the named and unlisted streams, whose closing should
    /// show soon (see [`crate::limits::PRESENCE_HANGUP_CHECK_INTERVAL`]).
    fn member_keys(&self, out: &mut Vec<u64>) {
        out.clear();
        out.extend(self.members.keys());
    }

    /// `topic`'s list as JSON, this instance's and the others' together;
    /// without `names`, everyone is counted and no one named.
    pub fn list(&self, topic: &str, names: bool) -> String {
        let local = self.topics.get(topic);
        let remote = self.remote.get(topic);
        let mut people: Vec<ListedPerson<'_>> = Vec::new();
        let (mut more, mut anonymous) = (0, 0);
        if let Some(local) = local {
            people.extend(local.people.iter().map(|(user, person)| ListedPerson {
                user,
                connections: person.connections,
                since_ms: person.since_ms,
            }));
            more += local.unnamed;
            anonymous += local.anonymous;
        }
        if let Some(remote) = remote {
            remote.merge_into(&mut people);
            more += remote.more;
            anonymous += remote.anonymous;
        }
        people.sort_unstable_by(|a, b| (a.since_ms, a.user).cmp(&(b.since_ms, b.user)));
        if !names {
            more += people.len();
            people.clear();
        }
        if people.len() > PRESENCE_LIST_MAX_USERS {
            more += people.len() - PRESENCE_LIST_MAX_USERS;
            people.truncate(PRESENCE_LIST_MAX_USERS);
        }
        list_json(topic, &people, more, anonymous)
    }

    /// A new watcher of `topic` was sent `list`: when no other watches,
    /// that is the list every watcher has, and a window that ends with
    /// the same list sends nothing.
    fn opened_with(&mut self, topic: &str, list: &str) {
        if let Some(people) = self.topics.get_mut(topic)
            && people.watchers == 1
        {
            people.sent = Some(list.into());
        }
    }

    /// Named people kept, over all topics (one per person per topic).
    pub fn named(&self) -> usize {
        self.named
    }

    /// Presence notices written to streams so far.
    pub fn events_sent(&self) -> u64 {
        self.events_sent
    }

    /// Takes the other instances' entries, opening a window for each topic
    /// whose entries changed.
    pub fn set_remote(&mut self, remote: RemoteTopics) {
        let changed = self.remote.changed_topics(&remote);
        self.remote = remote;
        for topic in changed {
            self.changed(&topic);
        }
    }

    /// This instance's entries, for the others (see [`remote`]).
    pub fn export(&self) -> String {
        remote::export(self.topics.iter().map(|(topic, people)| {
            let listed = people
                .people
                .iter()
                .map(|(user, person)| (&**user, person.connections, person.since_ms));
            (&**topic, listed, people.unnamed, people.anonymous)
        }))
    }

    /// Forgets everyone (the hub is stopping).
    pub fn clear(&mut self) {
        *self = Presence::new(self.interval);
    }
}

/// `topic`'s entry, made when it has none (without a copy of the name
/// when it has one: a join on a busy topic allocates nothing).
fn topic_mut<'a>(
    topics: &'a mut HashMap<Box<str>, TopicPeople>,
    topic: &str,
) -> &'a mut TopicPeople {
    if !topics.contains_key(topic) {
        topics.insert(topic.into(), TopicPeople::default());
    }
    topics.get_mut(topic).expect("inserted above")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topics(names: &[&str]) -> Vec<Box<str>> {
        names.iter().map(|name| (*name).into()).collect()
    }

    fn named(user: &str) -> Attendee {
        Attendee::Named(user.into())
    }

    #[test]
    fn people_not_connections() {
        let mut presence = Presence::new(Duration::from_secs(1));
        let t = topics(&["t"]);
        for key in 1..=3 {
            presence.join(key, &t, &named("anna"), true);
        }
        presence.join(4, &t, &Attendee::Anonymous, false);
        presence.join(5, &t, &Attendee::Unlisted, false);
        let list = presence.list("t", true);
        assert!(list.contains(r#""user":"anna","connections":3"#), "{list}");
        assert!(list.ends_with(r#""more":0,"anonymous":1}"#), "{list}");
        assert_eq!(presence.named(), 1);
        for key in 1..=5 {
            presence.leave(key, &t);
        }
        assert_eq!(presence.list("t", true), list_json("t", &[], 0, 0));
        assert_eq!(presence.named(), 0);
        assert!(presence.topics.is_empty() && presence.members.is_empty());
        assert!(presence.watchers.is_empty());
    }

    #[test]
    fn past_the_bound_people_are_counted_not_named() {
        let mut presence = Presence::new(Duration::from_secs(1));
        let t = topics(&["t"]);
        for key in 0..PRESENCE_MAX_NAMED as u64 + 10 {
            presence.join(key, &t, &named(&format!("u{key}")), false);
        }
        assert_eq!(presence.named(), PRESENCE_MAX_NAMED);
        let list = presence.list("t", true);
        let more = PRESENCE_MAX_NAMED - PRESENCE_LIST_MAX_USERS + 10;
        assert!(
            list.ends_with(&format!("\"more\":{more},\"anonymous\":0}}")),
            "{}",
            &list[list.len() - 40..]
        );
        for key in 0..PRESENCE_MAX_NAMED as u64 + 10 {
            presence.leave(key, &t);
        }
        assert_eq!(presence.named(), 0);
        assert!(presence.topics.is_empty());
    }

    #[test]
    fn without_names_everyone_is_counted() {
        let mut presence = Presence::new(Duration::from_secs(1));
        presence.join(1, &topics(&["t"]), &named("anna"), false);
        assert_eq!(presence.list("t", false), list_json("t", &[], 1, 0));
    }

    #[test]
    fn a_topic_waits_one_window_however_often_it_changes() {
        let mut presence = Presence::new(Duration::from_millis(50));
        let t = topics(&["t"]);
        let started = Instant::now();
        for key in 0..200 {
            presence.join(key, &t, &Attendee::Anonymous, true);
        }
        assert_eq!(presence.waiting.len(), 1);
        assert!(presence.next_due(started).is_none());
        let due = presence.wake_at().unwrap();
        assert!(due >= started + Duration::from_millis(50));
        assert_eq!(presence.next_due(due).as_deref(), Some("t"));
        assert!(presence.wake_at().is_none());
    }
}
