//! The history: the recent events, encoded, which every stream is fed from.
//!
//! The history is the one copy of an event's bytes. A subscriber does not
//! get a copy of what it is sent: it holds a place in the history (see
//! [`crate::hub::listener`]) and is written from there as its socket
//! drains, whether it is live, catching up on a replay, or behind. So a
//! thousand subscribers asking for a replay of everything cost a thousand
//! places, not a thousand copies.
//!
//! It holds the last `--history` events, and no more than `--history-bytes`
//! of them (counted as [`Stored::size_bytes`]), dropping the oldest first;
//! the newest event is always held, however large, until the next one comes.
//!
//! Each event has a [`Seq`], its place: events are numbered as they are
//! pushed, so finding an event by its place is an index, not a search.
//! Finding where to resume after an event id (a browser's `Last-Event-ID`)
//! is a binary search, so a replay costs what it sends, not what is held.
//!
//! Ids are given by the [`crate::ingest::publisher::Publisher`], in order.
//! They start from the clock ([`crate::clock::micros_since_epoch`]), and
//! grow by one per event. A restarted server therefore starts above every id
//! the previous run gave out unless that run averaged more than a million
//! events a second, and a tab that reconnects to it is never taken for one
//! that is ahead.
//!
//! The history also knows how far back it reaches (`floor`: every event from
//! that id on is held). A subscriber asking to resume from before the floor
//! may have missed events, and is told so.

use std::collections::VecDeque;

use crate::event::{EventId, Keyed};
use crate::hub::listener::StreamKind;
use crate::limits::{HISTORY_PREALLOCATED_EVENTS, RECENT_SCAN_MAX_EVENTS};
use crate::wire::encoded::{EncodedEvent, Prefix};

/// An event's place in the history: 0 for the first event pushed since
/// start, one more for each after.
pub type Seq = u64;

/// One event as it is sent: its id, its topic, and its two encodings.
#[derive(Debug, Clone)]
pub struct Stored {
    /// The id it was given.
    pub id: EventId,
    event_stream_prefix: Prefix,
    websocket_prefix: Prefix,
    encoded: EncodedEvent,
}

impl Stored {
    /// The event with `id`, as the history holds it.
    pub fn new(id: EventId, encoded: EncodedEvent) -> Stored {
        Stored {
            id,
            event_stream_prefix: Prefix::event_stream(id),
            websocket_prefix: Prefix::websocket(id, encoded.websocket.len()),
            encoded,
        }
    }

    /// Its topic, for subscribers that filter.
    pub fn topic(&self) -> Option<&str> {
        self.encoded.topic.as_deref()
    }

    /// What it does to its key's value, if it is keyed.
    pub fn keyed(&self) -> Option<&Keyed> {
        self.encoded.keyed.as_deref()
    }

    /// When herald accepted it, in ms since 1970.
    pub fn accepted_ms(&self) -> u64 {
        self.encoded.accepted_ms
    }

    /// Its bytes in `kind`'s encoding, in two parts: write both, in order.
    pub fn parts(&self, kind: StreamKind) -> [&[u8]; 2] {
        match kind {
            StreamKind::EventStream => [
                self.event_stream_prefix.as_bytes(),
                &self.encoded.event_stream[..],
            ],
            StreamKind::WebSocket => [
                self.websocket_prefix.as_bytes(),
                &self.encoded.websocket[..],
            ],
        }
    }

    /// Appends it as a JSON object, as a WebSocket frame carries it
    /// (`{"id":…,"event":…,"topic":…,"key":…,"time":…,"data":…}`), for
    /// `GET /state`.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(format!("{{\"id\":{},", self.id).as_bytes());
        out.extend_from_slice(&self.encoded.websocket);
    }

    /// How many bytes it is in `kind`'s encoding.
    pub fn len(&self, kind: StreamKind) -> usize {
        let [prefix, body] = self.parts(kind);
        prefix.len() + body.len()
    }

    /// The memory it occupies, counted against `--history-bytes`.
    pub fn size_bytes(&self) -> usize {
        Stored::size_of(&self.encoded)
    }

    /// The memory an event encoded as `encoded` occupies once held: what
    /// a keyed value counts against `--state-bytes` before the hub has it.
    pub fn size_of(encoded: &EncodedEvent) -> usize {
        std::mem::size_of::<Stored>() - std::mem::size_of::<EncodedEvent>() + encoded.size_bytes()
    }
}

/// The recent events, oldest first.
pub struct History {
    events: VecDeque<Stored>,
    /// The place of `events[0]`.
    start: Seq,
    max_events: usize,
    max_bytes: usize,
    /// The sum of the held events' [`Stored::size_bytes`].
    bytes: usize,
    /// Every event with an id from `floor` up to the newest is held.
    floor: EventId,
    next_id: EventId,
}

/// Where a new stream asks to start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartAt {
    /// With the next event published.
    Live,
    /// After this id (`Last-Event-ID`): the events since then, then live.
    After(EventId),
    /// With the newest `n` held events it wants (`?recent=N`), then live.
    Recent(usize),
}

/// Where a resuming subscriber starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resume {
    /// Set when some events after the asked-for id are no longer held.
    pub missed: bool,
    /// The place of the first event to send it.
    pub from: Seq,
}

impl History {
    /// An empty history keeping at most `max_events` events and
    /// `max_bytes` of them, their ids starting at `first_id`.
    pub fn new(max_events: usize, max_bytes: usize, first_id: EventId) -> History {
        History {
            events: VecDeque::with_capacity(max_events.min(HISTORY_PREALLOCATED_EVENTS)),
            start: 0,
            max_events,
            max_bytes,
            bytes: 0,
            floor: first_id,
            next_id: first_id,
        }
    }

    /// Keeps the event with `id` (above every id pushed before); its place.
    /// The oldest events go, as many as the bounds require.
    pub fn push(&mut self, id: EventId, encoded: EncodedEvent) -> Seq {
        self.next_id = id + 1;
        let stored = Stored::new(id, encoded);
        self.bytes += stored.size_bytes();
        self.events.push_back(stored);
        while self.events.len() > 1
            && (self.events.len() > self.max_events || self.bytes > self.max_bytes)
        {
            self.drop_oldest();
        }
        self.end() - 1
    }

    fn drop_oldest(&mut self) {
        if let Some(oldest) = self.events.pop_front() {
            self.floor = oldest.id + 1;
            self.bytes -= oldest.size_bytes();
            self.start += 1;
        }
    }

    /// The event at `seq`, if it is still held.
    pub fn get(&self, seq: Seq) -> Option<&Stored> {
        let index = seq.checked_sub(self.start)?;
        self.events.get(usize::try_from(index).ok()?)
    }

    /// The place of the oldest event held (or of the next, when none is).
    pub fn start(&self) -> Seq {
        self.start
    }

    /// The place the next event will get: one past the newest.
    pub fn end(&self) -> Seq {
        self.start + self.events.len() as Seq
    }

    /// Where to resume after `last_id`, and whether some events are gone.
    /// An id from before the floor or ahead of every id given gets every
    /// event held, and the notice.
    pub fn resume_after(&self, last_id: EventId) -> Resume {
        let ahead = last_id >= self.next_id;
        let too_old = last_id.saturating_add(1) < self.floor;
        if ahead || too_old {
            return Resume {
                missed: true,
                from: self.start,
            };
        }
        let index = self.events.partition_point(|stored| stored.id <= last_id);
        Resume {
            missed: false,
            from: self.start + index as Seq,
        }
    }

    /// The place of the oldest of the newest `count` held events that
    /// `wants` (by topic), so that a stream starting there gets exactly
    /// those before the live ones. Looks at [`RECENT_SCAN_MAX_EVENTS`] at
    /// most, so a rare topic in a long history costs the hub a bounded scan.
    pub fn recent_start(&self, count: usize, wants: impl Fn(Option<&str>) -> bool) -> Seq {
        let mut found = 0;
        let mut from = self.end();
        for (back, stored) in self.events.iter().rev().enumerate() {
            if found == count || back == RECENT_SCAN_MAX_EVENTS {
                break;
            }
            if wants(stored.topic()) {
                found += 1;
                from = self.end() - 1 - back as Seq;
            }
        }
        from
    }

    /// The held events from `from` on, oldest first.
    pub fn from(&self, from: Seq) -> impl Iterator<Item = &Stored> {
        let index = from
            .saturating_sub(self.start)
            .min(self.events.len() as Seq);
        self.events.range(index as usize..)
    }

    /// The id of the oldest event held.
    pub fn oldest_id(&self) -> Option<EventId> {
        self.events.front().map(|stored| stored.id)
    }

    /// The id of the newest event given out, or the one before the first
    /// when none was: where a stream that starts now is, for a snapshot's
    /// `last_id` (see `hub/state/`).
    pub fn last_given_id(&self) -> EventId {
        self.next_id.saturating_sub(1)
    }

    /// The id of the newest event, if any was published.
    pub fn newest_id(&self) -> Option<EventId> {
        self.events.back().map(|stored| stored.id)
    }

    /// How many events are held.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// Whether no event is held.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// The memory the held events occupy, as counted against `--history-bytes`.
    pub fn size_bytes(&self) -> usize {
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Event;

    fn encoded(text: &str) -> EncodedEvent {
        EncodedEvent::new(&Event::new(text).unwrap(), 0)
    }

    fn history_with(max_events: usize, count: usize) -> History {
        let mut history = History::new(max_events, usize::MAX, 100);
        for i in 0..count {
            history.push(100 + i as u64, encoded(&format!("m{i}")));
        }
        history
    }

    /// Whether events are missed, and the ids sent, resuming after `last_id`.
    fn resumed(history: &History, last_id: EventId) -> (bool, Vec<EventId>) {
        let resume = history.resume_after(last_id);
        let ids = history.from(resume.from).map(|stored| stored.id).collect();
        (resume.missed, ids)
    }

    #[test]
    fn events_are_kept_with_their_ids_and_encoding() {
        let history = history_with(10, 3);
        assert_eq!(resumed(&history, 99), (false, vec![100, 101, 102]));
        let newest = history.get(2).unwrap();
        assert_eq!(
            newest.parts(StreamKind::EventStream).concat(),
            b"id: 102\ntime: 1970-01-01T00:00:00.000Z\ndata: m2\n\n"
        );
        assert_eq!(newest.len(StreamKind::EventStream), 49);
    }

    #[test]
    fn recent_starts_with_the_newest_wanted_events() {
        let mut history = History::new(10, usize::MAX, 100);
        for (i, topic) in ["a", "b", "a", "b", "a"].iter().enumerate() {
            let event = Event::new(format!("m{i}")).unwrap().topic(*topic).unwrap();
            history.push(100 + i as u64, EncodedEvent::new(&event, 0));
        }
        let ids = |from| {
            history
                .from(from)
                .map(|stored| stored.id)
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(history.recent_start(2, |_| true)), [103, 104]);
        let only_b = history.recent_start(2, |topic| topic == Some("b"));
        assert_eq!(ids(only_b), [101, 102, 103, 104], "from the older b on");
        assert_eq!(
            ids(history.recent_start(50, |_| true)).len(),
            5,
            "more than held"
        );
        assert_eq!(history.recent_start(0, |_| true), history.end());
        assert_eq!(history.recent_start(3, |_| false), history.end());
    }

    #[test]
    fn resuming_sends_exactly_what_came_after() {
        let history = history_with(10, 5);
        assert_eq!(resumed(&history, 102), (false, vec![103, 104]));
        assert_eq!(resumed(&history, 104), (false, vec![]));
    }

    #[test]
    fn asking_from_before_the_floor_says_missed() {
        let history = history_with(3, 5);
        assert_eq!(history.oldest_id(), Some(102));
        assert_eq!((history.start(), history.end()), (2, 5));
        assert!(history.get(1).is_none());
        assert_eq!(resumed(&history, 101), (false, vec![102, 103, 104]));
        assert_eq!(resumed(&history, 100), (true, vec![102, 103, 104]));
        assert_eq!(resumed(&history, 0), (true, vec![102, 103, 104]));
    }

    #[test]
    fn a_client_from_an_earlier_run_or_ahead_is_told() {
        let history = history_with(3, 0);
        assert_eq!(resumed(&history, 99), (false, vec![]));
        assert_eq!(resumed(&history, 50), (true, vec![]));
        assert_eq!(resumed(&history, 500), (true, vec![]));
    }

    #[test]
    fn the_bytes_held_are_bounded_but_the_newest_event_stays() {
        let one = Stored::new(1, encoded(&"x".repeat(1000))).size_bytes();
        let mut history = History::new(1000, 3 * one, 1);
        for id in 1..=10 {
            history.push(id, encoded(&"x".repeat(1000)));
            assert!(history.size_bytes() <= 3 * one);
        }
        assert_eq!((history.len(), history.oldest_id()), (3, Some(8)));
        history.push(11, encoded(&"x".repeat(10_000)));
        assert_eq!((history.len(), history.oldest_id()), (1, Some(11)));
    }
}
