//! The history: the last `--history` events, kept encoded for replay.
//!
//! A browser that loses its connection reconnects with `Last-Event-ID`, the
//! id of the last event it saw. The history answers "what came after that
//! id?" by a binary search, so a replay costs what it sends, not the size of
//! the history. Events are stored as the exact bytes that were sent live, so
//! a replay is a copy, not a new encoding.
//!
//! Ids are given by the [`crate::ingest::publisher::Publisher`], in order. They
//! start from the clock ([`crate::clock::micros_since_epoch`]), and grow
//! by one per event. A restarted server therefore starts above every id the
//! previous run gave out unless that run averaged more than a million events
//! a second, and a tab that reconnects to it is never taken for one that is
//! ahead.
//!
//! The history also knows how far back it reaches (`floor`: every event from
//! that id on is held). A subscriber asking to resume from before the floor
//! may have missed events, and is told so.

use std::collections::VecDeque;

use crate::event::{Event, EventId};
use crate::limits::HISTORY_PREALLOCATED_EVENTS;
use crate::wire::sse;

/// One event as sent: its id, the event (for its topic, and for WebSocket
/// subscribers, who get it in another encoding), and its event-stream bytes.
#[derive(Debug)]
pub struct Stored {
    /// The id it was given.
    pub id: EventId,
    /// The event.
    pub event: Event,
    /// Its encoding as an event-stream event.
    pub bytes: Box<[u8]>,
}

impl Stored {
    /// Its topic, for subscribers that filter.
    pub fn topic(&self) -> Option<&str> {
        self.event.topic_name()
    }
}

/// The recent events, oldest first.
pub struct History {
    events: VecDeque<Stored>,
    capacity: usize,
    /// Every event with an id from `floor` up to the newest is held.
    floor: EventId,
    next_id: EventId,
}

/// What a resuming subscriber is sent.
pub struct Replay<'a> {
    /// Set when some events after the asked-for id are no longer held.
    pub missed: bool,
    /// The held events after the asked-for id, oldest first.
    pub events: std::collections::vec_deque::Iter<'a, Stored>,
}

impl History {
    /// An empty history keeping `capacity` events, its ids starting at `first_id`.
    pub fn new(capacity: usize, first_id: EventId) -> History {
        History {
            events: VecDeque::with_capacity(capacity.min(HISTORY_PREALLOCATED_EVENTS)),
            capacity,
            floor: first_id,
            next_id: first_id,
        }
    }

    /// Keeps `event`, with its id (above every id pushed before), encoded.
    pub fn push(&mut self, id: EventId, event: Event) -> &Stored {
        self.next_id = id + 1;
        let mut bytes = Vec::with_capacity(event.data().len() + 32);
        sse::encode_event(id, &event, &mut bytes);
        if self.events.len() == self.capacity
            && let Some(oldest) = self.events.pop_front()
        {
            self.floor = oldest.id + 1;
        }
        self.events.push_back(Stored {
            id,
            event,
            bytes: bytes.into_boxed_slice(),
        });
        // Just pushed, so the history is not empty.
        &self.events[self.events.len() - 1]
    }

    /// The events after `last_id`, and whether some of them are gone.
    pub fn after(&self, last_id: EventId) -> Replay<'_> {
        let ahead = last_id >= self.next_id;
        let too_old = last_id.saturating_add(1) < self.floor;
        if ahead || too_old {
            return Replay {
                missed: true,
                events: self.events.iter(),
            };
        }
        let start = self.events.partition_point(|stored| stored.id <= last_id);
        Replay {
            missed: false,
            events: self.events.range(start..),
        }
    }

    /// The id of the oldest event held.
    pub fn oldest_id(&self) -> Option<EventId> {
        self.events.front().map(|stored| stored.id)
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
}

#[cfg(test)]
mod tests {
    use super::*;

    fn history_with(capacity: usize, count: usize) -> History {
        let mut history = History::new(capacity, 100);
        for i in 0..count {
            history.push(100 + i as u64, Event::new(format!("m{i}")).unwrap());
        }
        history
    }

    fn ids(replay: Replay<'_>) -> (bool, Vec<EventId>) {
        (
            replay.missed,
            replay.events.map(|stored| stored.id).collect(),
        )
    }

    #[test]
    fn events_are_kept_with_their_ids_and_encoding() {
        let history = history_with(10, 3);
        assert_eq!(ids(history.after(99)), (false, vec![100, 101, 102]));
        assert_eq!(
            &*history.after(101).events.next().unwrap().bytes,
            b"id: 102\ndata: m2\n\n"
        );
    }

    #[test]
    fn resuming_sends_exactly_what_came_after() {
        let history = history_with(10, 5);
        assert_eq!(ids(history.after(102)), (false, vec![103, 104]));
        assert_eq!(ids(history.after(104)), (false, vec![]));
    }

    #[test]
    fn asking_from_before_the_floor_says_missed() {
        let history = history_with(3, 5);
        assert_eq!(history.oldest_id(), Some(102));
        assert_eq!(ids(history.after(101)), (false, vec![102, 103, 104]));
        assert_eq!(ids(history.after(100)), (true, vec![102, 103, 104]));
        assert_eq!(ids(history.after(0)), (true, vec![102, 103, 104]));
    }

    #[test]
    fn a_client_from_an_earlier_run_or_ahead_is_told() {
        let history = history_with(3, 0);
        assert_eq!(ids(history.after(99)), (false, vec![]));
        assert_eq!(ids(history.after(50)), (true, vec![]));
        assert_eq!(ids(history.after(500)), (true, vec![]));
    }
}
