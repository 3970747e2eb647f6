//! The batch: the events of one round of the hub, laid end to end, so each
//! listener that is not behind gets them all in one `write`.
//!
//! A listener without a topic filter is sent the whole batch as it is: the
//! same bytes for every such listener, copied once per round, not per
//! listener. A listener with a filter is sent the events it wants, gathered
//! into one reused buffer. A listener that is behind is not sent the batch:
//! it is written from the history when its socket takes more (see
//! [`crate::hub::listener`]), and only told how many bytes it now wants.
//!
//! Events may join a round while its pass is under way (see
//! `hub/broadcast.rs`); a listener passed before they joined is then
//! sent only those, from the place where they begin.

use crate::hub::history::{History, Seq};
use crate::hub::listener::{Delivery, Listener, RoundBytes, StreamKind};
use crate::limits::MAX_BYTES_PER_LISTENER_PER_LAP;

/// The events of one round, laid end to end, once in each encoding that
/// some listener reads.
#[derive(Default)]
pub struct Batch {
    /// The events in the event-stream format.
    event_stream: Encoded,
    /// The events as WebSocket frames, while there are WebSocket listeners.
    websocket: Encoded,
    /// Whether to lay out the round for WebSocket listeners too.
    pub with_websocket: bool,
    /// The place after the round's last event.
    end: Seq,
    /// Reused to gather the events a filtering listener wants.
    scratch: Encoded,
    /// Each event's topic, in order. Kept here, not looked up in the
    /// history: a round larger than the history pushes its own first
    /// events out of it before the round is written.
    topics: Vec<Option<Box<str>>>,
}

/// One encoding of a round's events.
#[derive(Default)]
struct Encoded {
    /// Every event's bytes, in order: what an unfiltered listener gets.
    bytes: Vec<u8>,
    /// Each event's place and length in `bytes`.
    events: Vec<(Seq, usize)>,
    /// Where each event starts in `bytes`.
    starts: Vec<usize>,
}

impl Encoded {
    fn push(&mut self, seq: Seq, parts: [&[u8]; 2]) {
        let start = self.bytes.len();
        for part in parts {
            self.bytes.extend_from_slice(part);
        }
        self.events.push((seq, self.bytes.len() - start));
        self.starts.push(start);
    }

    fn clear(&mut self) {
        self.bytes.clear();
        self.events.clear();
        self.starts.clear();
    }

    /// The events from the `from`th on (none, when there are no more), of
    /// which a listener is offered at most `MAX_BYTES_PER_LISTENER_PER_LAP`.
    fn round_bytes(&self, from: usize, end: Seq) -> RoundBytes<'_> {
        let start = self.starts.get(from).map_or(self.bytes.len(), |&at| at);
        let total = self.bytes.len() - start;
        let offered = total.min(MAX_BYTES_PER_LISTENER_PER_LAP);
        RoundBytes {
            bytes: &self.bytes[start..start + offered],
            total,
            events: self.events.get(from..).unwrap_or(&[]),
            end,
        }
    }
}

impl Batch {
    /// Adds the event at `seq`, just pushed to `history`.
    pub fn add(&mut self, history: &History, seq: Seq) {
        let Some(stored) = history.get(seq) else {
            return;
        };
        self.event_stream
            .push(seq, stored.parts(StreamKind::EventStream));
        if self.with_websocket {
            self.websocket
                .push(seq, stored.parts(StreamKind::WebSocket));
        }
        self.topics.push(stored.topic().map(Box::from));
        self.end = seq + 1;
    }

    /// The topic of each of the round's events, in order.
    pub fn topics(&self) -> &[Option<Box<str>>] {
        &self.topics
    }

    /// Whether the round has no events.
    pub fn is_empty(&self) -> bool {
        self.event_stream.events.is_empty()
    }

    /// How many events the round has.
    pub fn len(&self) -> usize {
        self.event_stream.events.len()
    }

    /// Empties the batch for the next round, keeping its memory.
    pub fn clear(&mut self) {
        self.event_stream.clear();
        self.websocket.clear();
        self.topics.clear();
    }

    /// Sends `listener` the events it wants of the round's `from`th on (0
    /// for the whole round): in one write if it is not behind; otherwise it
    /// only counts them, and is written from the history as its socket
    /// drains.
    pub fn send_to(
        &mut self,
        listener: &mut Listener,
        history: &History,
        max_backlog: usize,
        from: usize,
    ) -> Delivery {
        let encoded = match listener.kind() {
            StreamKind::EventStream => &self.event_stream,
            StreamKind::WebSocket => &self.websocket,
        };
        let Some(&(first, _)) = encoded.events.get(from) else {
            return Delivery::Kept;
        };
        if listener.has_backlog() {
            let wanted = if listener.wants_all() {
                encoded.round_bytes(from, self.end).total
            } else {
                wanted_bytes(encoded, &self.topics, listener, from)
            };
            listener.skip_to(first);
            listener.fall_behind(wanted);
            return listener.flush(history, max_backlog);
        }
        let wanted = if listener.wants_all() {
            encoded.round_bytes(from, self.end)
        } else {
            gather_wanted(
                encoded,
                &self.topics,
                listener,
                from,
                &mut self.scratch,
                self.end,
            )
        };
        listener.send_round(&wanted, max_backlog)
    }
}

/// The events of `encoded` from the `from`th on that `listener` wants.
fn wanted_events<'a>(
    encoded: &'a Encoded,
    topics: &'a [Option<Box<str>>],
    listener: &'a Listener,
    from: usize,
) -> impl Iterator<Item = (Seq, &'a [u8])> + 'a {
    let events = encoded.events.iter().zip(&encoded.starts).zip(topics);
    events
        .skip(from)
        .filter(|(_, topic)| listener.wants(topic.as_deref()))
        .map(|((&(seq, len), &start), _)| (seq, &encoded.bytes[start..start + len]))
}

/// How many bytes of the round's events from the `from`th on `listener`
/// wants: what it falls behind by when it is behind already.
fn wanted_bytes(
    encoded: &Encoded,
    topics: &[Option<Box<str>>],
    listener: &Listener,
    from: usize,
) -> usize {
    wanted_events(encoded, topics, listener, from)
        .map(|(_, bytes)| bytes.len())
        .sum()
}

/// Lays the events a filtering listener wants end to end in `scratch`:
/// every one listed, but only the first `MAX_BYTES_PER_LISTENER_PER_LAP`
/// bytes copied, since no more is offered to it in one lap.
fn gather_wanted<'s>(
    encoded: &Encoded,
    topics: &[Option<Box<str>>],
    listener: &Listener,
    from: usize,
    scratch: &'s mut Encoded,
    end: Seq,
) -> RoundBytes<'s> {
    scratch.clear();
    let mut total = 0;
    for (seq, bytes) in wanted_events(encoded, topics, listener, from) {
        let room = MAX_BYTES_PER_LISTENER_PER_LAP.saturating_sub(scratch.bytes.len());
        scratch
            .bytes
            .extend_from_slice(&bytes[..bytes.len().min(room)]);
        scratch.events.push((seq, bytes.len()));
        total += bytes.len();
    }
    RoundBytes {
        bytes: &scratch.bytes,
        total,
        events: &scratch.events,
        end,
    }
}
