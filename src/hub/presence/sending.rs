//! What the hub does with presence: count a stream as it joins and
//! leaves, send each changed list when its window ends, notice closed
//! tabs of named people soon, and answer `GET /presence`.
//!
//! A list is encoded once per change, in each framing, and the same bytes
//! go to every `presence=1` stream of the topic; a list equal to the one
//! last sent (a join and a leave in one window) is not sent.

use std::time::Instant;

use super::{Ask, Joining};
use crate::hub::Hub;
use crate::hub::listener::{Delivery, Listener, StreamKind};
use crate::limits::PRESENCE_HANGUP_CHECK_INTERVAL;
use crate::wire::presence;

impl Hub {
    /// Counts `listener` in its topics' lists; when it is watching, its
    /// topics' lists are queued to it first, itself included.
    pub(in crate::hub) fn join_presence(&mut self, listener: &mut Listener, joining: &Joining) {
        let Joining { attendee, watching } = joining;
        self.presence
            .join(listener.key(), listener.topics(), attendee, *watching);
        if !watching {
            return;
        }
        let mut lists = Vec::new();
        for topic in listener.topics() {
            let list = self.presence.list(topic, true);
            lists.extend(encode(listener.kind(), topic, &list));
            self.presence.opened_with(topic, &list);
            self.presence.events_sent += 1;
        }
        listener.queue_own(&lists);
    }

    /// Takes `listener`, which has ended, out of its topics' lists.
    pub(in crate::hub) fn leave_presence(&mut self, listener: &Listener) {
        self.presence.leave(listener.key(), listener.topics());
    }

    /// Presence's part of the upkeep: the lists whose window has ended,
    /// and the look for closed streams of named people.
    pub(in crate::hub) fn presence_upkeep(&mut self, now: Instant) {
        if self.presence.hangup_check_at <= now {
            self.presence.hangup_check_at = now + PRESENCE_HANGUP_CHECK_INTERVAL;
            self.remove_members_who_left();
        }
        while let Some(topic) = self.presence.next_due(now) {
            self.send_list(&topic);
        }
    }

    /// Sends `topic`'s list to its `presence=1` streams, unless they have
    /// it already.
    fn send_list(&mut self, topic: &str) {
        let list = self.presence.list(topic, true);
        let Some(people) = self.presence.topics.get_mut(topic) else {
            // No stream here listens to it.
            return;
        };
        if people.sent.as_deref() == Some(list.as_str()) {
            return;
        }
        people.sent = Some(list.clone().into_boxed_str());
        let event_stream = presence::event_stream(topic, &list);
        let websocket = presence::websocket(topic, &list);
        let mut keys = std::mem::take(&mut self.presence.scratch);
        keys.clear();
        let watchers = &self.presence.watchers;
        keys.extend(
            self.index
                .wanting(topic)
                .filter(|key| watchers.contains(key)),
        );
        for &key in &keys {
            let Some(at) = self.index.place(key) else {
                continue;
            };
            let listener = &mut self.listeners[at];
            let bytes = match listener.kind() {
                StreamKind::EventStream => &event_stream,
                StreamKind::WebSocket => &websocket,
            };
            let delivery = listener.send_own(bytes, &self.history, self.max_backlog);
            self.presence.events_sent += 1;
            let backlogged = listener.has_backlog();
            match delivery {
                Delivery::Kept if backlogged => self.retry_soon(),
                Delivery::Kept => {}
                ended => self.drop_listener(at, ended),
            }
        }
        self.presence.scratch = keys;
    }

    /// Removes the named (and unlisted) event streams whose clients have
    /// closed: the sweep of everyone takes a second, and a person who left
    /// should leave the lists sooner.
    fn remove_members_who_left(&mut self) {
        let mut keys = std::mem::take(&mut self.presence.scratch);
        self.presence.member_keys(&mut keys);
        for &key in &keys {
            if let Some(at) = self.index.place(key)
                && self.listeners[at].hung_up()
            {
                self.remove_listener(at);
            }
        }
        self.presence.scratch = keys;
    }

    /// Answers a question about presence, or takes the other instances'
    /// news.
    pub(in crate::hub) fn answer_presence(&mut self, ask: Ask) {
        match ask {
            Ask::Lists {
                topics,
                names,
                reply,
            } => {
                let lists: Vec<String> = topics
                    .iter()
                    .map(|topic| self.presence.list(topic, names))
                    .collect();
                let _ = reply.send(format!("{{\"topics\":[{}]}}\n", lists.join(",")));
            }
            Ask::Local { reply } => {
                let _ = reply.send(self.presence.export());
            }
            Ask::Remote(remote) => self.presence.set_remote(remote),
        }
    }
}

/// A list's notice in `kind`'s framing.
fn encode(kind: StreamKind, topic: &str, list: &str) -> Vec<u8> {
    match kind {
        StreamKind::EventStream => presence::event_stream(topic, list),
        StreamKind::WebSocket => presence::websocket(topic, list),
    }
}
