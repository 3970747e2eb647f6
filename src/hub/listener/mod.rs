//! One subscriber, as the hub holds it: a socket, its topics, and its place
//! in the history.
//!
//! The hub writes to thousands of these from one thread, so it must never
//! wait on any one of them. Each socket is non-blocking: a write takes what
//! the kernel's send buffer has room for and returns at once.
//!
//! A listener holds no copy of the events it is sent. It holds its place in
//! the [`History`]: the next event it is to get (`next`) and how much of that
//! one is written already. A live listener is written each round's events
//! as they come; a new one that asked for a replay, or one whose socket was
//! full, is behind, and the hub writes it from its place onwards, a
//! `writev` of many events at a time, whenever its socket takes more (how,
//! in `catch_up`, beside this file). A partly written event is always finished
//! before anything else is sent, so bytes leave in order and no event is
//! cut into.
//!
//! What is not an event (the response head, the missed notice, a heartbeat,
//! a WebSocket's pong or close) is the listener's own: a few bytes of its
//! own, sent at the next event boundary.
//!
//! A listener is behind by the bytes of the events it wants and has not
//! been sent, and its own bytes. Past `--max-backlog` (on top of the replay
//! it asked for, while it catches up), or once the events it still needs
//! have left the history, it is dropped. Its browser then reconnects with
//! `Last-Event-ID` and catches up from the history, so being dropped costs
//! it nothing but time.
//!
//! A listener that asked for the keyed values (`state=1`) also holds its
//! place in a shared snapshot of them until it is sent (`snapshot`, a
//! refinement a first reading may skip).
//!
//! An idle listener is this struct and a socket: no thread, and no buffer.

use std::io;
use std::net::Shutdown;

use crate::connection_slots::ConnectionSlot;
use crate::hub::filter::{self, TopicFilter};
use crate::hub::history::{History, Seq};
use crate::limits::{
    HANGUP_CHECK_MAX_READS, HEARTBEAT_CHECKS_PER_INTERVAL, LISTENER_SEND_BUFFER_BYTES,
    MAX_LISTENER_OWN_BYTES,
};
use crate::shared_socket::SharedSocket;
use crate::socket_io::{bound_send_buffer, read_some, write_now};

mod catch_up;
mod snapshot;

use snapshot::SnapshotCursor;

/// Which encoding a listener reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamKind {
    /// `GET /events`: the event-stream format.
    EventStream,
    /// `GET /ws`: WebSocket text frames of JSON.
    WebSocket,
}

/// A subscriber's socket, topic filter and place in the history.
pub struct Listener {
    stream: SharedSocket,
    kind: StreamKind,
    /// Topics this subscriber wants, unless `all_topics`.
    topics: Box<[Box<str>]>,
    /// It wants every event.
    all_topics: bool,
    /// It wants the events without a topic (see [`filter`]).
    public: bool,
    /// The place of the next event to send (or of the one being sent).
    next: Seq,
    /// How much of the event at `next` is written already.
    sent_of_next: usize,
    /// Bytes of its own (not events), sent at the next event boundary.
    own: Vec<u8>,
    /// The keyed values it asked for (`state=1`) and has not been sent all
    /// of yet (see `snapshot`); none for most listeners.
    snapshot: Option<Box<SnapshotCursor>>,
    /// The bytes it wants and has not been sent: own bytes and events.
    behind: usize,
    /// It is dropped when `behind` passes this: `--max-backlog`, plus the
    /// part of its replay it has not caught up on yet.
    allowance: usize,
    /// The hub's looks for silence since bytes were last sent (see
    /// [`HEARTBEAT_CHECKS_PER_INTERVAL`]): a stream that spoke lately needs
    /// no heartbeat.
    silent_checks: u8,
    /// Counts this connection towards `--max-clients` until dropped.
    slot: ConnectionSlot,
}

/// What became of a write to a listener.
#[derive(Debug, PartialEq, Eq)]
pub enum Delivery {
    /// Written, or left behind within the bound.
    Kept,
    /// The socket failed or the client went away: drop the listener.
    Gone,
    /// It fell more than its allowance behind: drop the listener and count it.
    TooSlow,
    /// The next event it needs has left the history: drop it and count it.
    Overtaken,
}

/// One round's events laid end to end in one encoding, and where each lies:
/// what a listener that is not behind is written in one `write`.
pub struct RoundBytes<'a> {
    /// The events' bytes, in order: the first
    /// [`MAX_BYTES_PER_LISTENER_PER_LAP`](crate::limits::MAX_BYTES_PER_LISTENER_PER_LAP)
    /// of them, all that one lap offers; the rest waits in the history.
    pub bytes: &'a [u8],
    /// The bytes of all the events, offered or not.
    pub total: usize,
    /// Each event's place and length, in the same order.
    pub events: &'a [(Seq, usize)],
    /// The place after the round's last event.
    pub end: Seq,
}

impl Listener {
    /// Wraps a socket that has not yet been sent anything: `own` (the
    /// response head and the stream's opening lines) goes first, then the
    /// events from `next` on. The socket is switched to non-blocking here.
    pub fn new(
        stream: SharedSocket,
        kind: StreamKind,
        filter: TopicFilter,
        slot: ConnectionSlot,
        own: Vec<u8>,
        next: Seq,
    ) -> io::Result<Listener> {
        stream.set_nonblocking(true)?;
        // A socket that never reads can then cost a lap only so much.
        bound_send_buffer(&stream, LISTENER_SEND_BUFFER_BYTES)?;
        Ok(Listener {
            stream,
            kind,
            topics: filter
                .topics
                .into_iter()
                .map(String::into_boxed_str)
                .collect(),
            all_topics: filter.all,
            public: filter.public,
            next,
            sent_of_next: 0,
            behind: own.len(),
            own,
            snapshot: None,
            allowance: 0,
            silent_checks: 0,
            slot,
        })
    }

    /// Counts what it is behind from the start (its opening, the replay
    /// and the snapshot it asked for), and allows that much on top of
    /// `max_backlog`.
    pub fn start_behind(&mut self, history: &History, max_backlog: usize) {
        let kind = self.kind;
        let replay: usize = history
            .from(self.next)
            .filter(|stored| self.wants(stored.topic()))
            .map(|stored| stored.len(kind))
            .sum();
        self.behind += replay + self.snapshot_bytes();
        self.allowance = self.behind.saturating_add(max_backlog);
    }

    /// Which encoding this listener reads.
    pub fn kind(&self) -> StreamKind {
        self.kind
    }

    /// The connection's key, by which its WebSocket reader names it.
    pub fn key(&self) -> u64 {
        self.slot.key()
    }

    /// Whether this listener wants events of `topic`.
    pub fn wants(&self, topic: Option<&str>) -> bool {
        filter::wants(&self.topics, self.all_topics, self.public, topic)
    }

    /// The topics it asked for (none when it wants every event).
    pub fn topics(&self) -> &[Box<str>] {
        &self.topics
    }

    /// When it has no event bytes waiting (only bytes of its own, or
    /// nothing), moves its place on to `seq`: the events before it were
    /// not for it. The hub writes a listener only when a round has some
    /// events it wants, so its place may be far behind.
    pub fn skip_to(&mut self, seq: Seq) {
        if self.behind == self.own.len() && self.sent_of_next == 0 {
            self.next = self.next.max(seq);
        }
    }

    /// Whether this listener takes every event (no topic filter).
    pub fn wants_all(&self) -> bool {
        self.all_topics
    }

    /// Whether it has bytes waiting: it is behind.
    pub fn has_backlog(&self) -> bool {
        self.behind > 0
    }

    /// How many bytes it is behind.
    pub fn behind_bytes(&self) -> usize {
        self.behind
    }

    /// Counts one more look at a silent stream; whether it has now been
    /// silent long enough to need a heartbeat.
    pub fn needs_heartbeat(&mut self) -> bool {
        self.silent_checks = self.silent_checks.saturating_add(1);
        self.silent_checks >= HEARTBEAT_CHECKS_PER_INTERVAL
    }

    /// Sends a round's events to a listener that is not behind: in one
    /// write, and what the socket does not take is left in the history for
    /// later. `wanted` are the events of the round it wants (all of them
    /// unless it filters), laid end to end.
    pub fn send_round(&mut self, wanted: &RoundBytes<'_>, max_backlog: usize) -> Delivery {
        debug_assert!(self.behind == 0);
        if wanted.total == 0 {
            // Nothing for it: it is at the end as it is.
            self.next = wanted.end;
            return Delivery::Kept;
        }
        self.silent_checks = 0;
        let written = match write_now(&self.stream, wanted.bytes) {
            Ok(n) => n,
            Err(_) => return Delivery::Gone,
        };
        self.next = wanted.end;
        self.behind = wanted.total - written;
        if written < wanted.total {
            // Find the event it stopped in; the rest waits in the history.
            let mut start = 0;
            for &(seq, len) in wanted.events {
                if written < start + len {
                    self.next = seq;
                    self.sent_of_next = written - start;
                    break;
                }
                start += len;
            }
        }
        self.allowance = max_backlog;
        self.check_bound()
    }

    /// Counts `bytes` more of events it wants, which came while it was
    /// behind; they are sent from the history when it catches up.
    pub fn fall_behind(&mut self, bytes: usize) {
        self.behind += bytes;
    }

    /// Adds bytes of its own (a heartbeat, a pong, a close), sent at the next
    /// event boundary, and writes what the socket takes.
    pub fn send_own(&mut self, bytes: &[u8], history: &History, max_backlog: usize) -> Delivery {
        self.queue_own(bytes);
        self.flush(history, max_backlog)
    }

    /// Adds bytes of its own, to be sent at the next event boundary.
    pub fn queue_own(&mut self, bytes: &[u8]) {
        self.own.extend_from_slice(bytes);
        self.behind += bytes.len();
    }

    /// Whether it may be closed without cutting anything in half: no event
    /// is partly written, and its own bytes are sent.
    pub fn at_boundary(&self) -> bool {
        self.sent_of_next == 0 && self.own.is_empty() && !self.in_snapshot_value()
    }

    /// Writes as much as the socket takes now of what it is behind on: the
    /// rest of a started event, its own bytes, then the events it wants from
    /// the history, many in one `writev`.
    pub fn flush(&mut self, history: &History, max_backlog: usize) -> Delivery {
        if self.behind == self.own.len() && self.sent_of_next == 0 {
            // No event is waiting: any events before the end are ones it
            // does not want.
            self.next = history.end();
        }
        if self.behind == 0 {
            return Delivery::Kept;
        }
        if self.behind > self.own.len() && self.next < history.start() {
            // An event it still needs has left the history.
            return Delivery::Overtaken;
        }
        if self.write_until(history, history.end()).is_none() {
            return Delivery::Gone;
        }
        self.allowance = self.allowance.min(self.behind.saturating_add(max_backlog));
        self.check_bound()
    }

    /// Writes the rest of the event it is in the middle of, if any, and its
    /// own bytes, but no other event: so that it can be closed at an event
    /// boundary. Whether it is at one now.
    pub fn finish(&mut self, history: &History) -> bool {
        if !self.at_boundary() && history.start() <= self.next {
            let end = self.next + Seq::from(self.sent_of_next > 0);
            let _ = self.write_until(history, end);
        }
        self.at_boundary()
    }

    fn check_bound(&self) -> Delivery {
        if self.behind > self.allowance || self.own.len() > MAX_LISTENER_OWN_BYTES {
            Delivery::TooSlow
        } else {
            Delivery::Kept
        }
    }

    /// Whether the client has closed its end. A subscriber sends nothing after
    /// its request, so a read that returns 0 bytes means it hung up; anything
    /// it does send is read and ignored.
    pub fn hung_up(&mut self) -> bool {
        if self.kind == StreamKind::WebSocket {
            // Its reader thread reads this socket, and tells the hub itself.
            return false;
        }
        let mut scratch = [0u8; 256];
        // A few reads at most: a client that keeps sending is not worth more.
        for _ in 0..HANGUP_CHECK_MAX_READS {
            match read_some(&mut &self.stream, &mut scratch) {
                Ok(0) => return true,
                Ok(_) => continue,
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => return false,
                Err(_) => return true,
            }
        }
        false
    }

    /// Ends the connection for both sides: a WebSocket's reader thread,
    /// which reads another handle to the same socket, sees the end and
    /// finishes too.
    pub fn close(self) {
        let _ = self.stream.shutdown(Shutdown::Both);
    }

    /// Stops writing (the client sees the end after what was written) but
    /// leaves reading to the WebSocket's reader, which closes the socket
    /// when it is done.
    pub fn close_writing(self) {
        let _ = self.stream.shutdown(Shutdown::Write);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connection_slots::ConnectionSlots;
    use crate::event::Event;
    use crate::wire::encoded::EncodedEvent;
    use std::io::Read;
    use std::net::{TcpListener, TcpStream};
    use std::sync::Arc;
    use std::time::Duration;

    #[test]
    fn an_idle_listener_is_a_small_struct() {
        // The README quotes this size; an idle subscriber costs it and a socket.
        assert!(
            std::mem::size_of::<Listener>() <= 112,
            "{}",
            std::mem::size_of::<Listener>()
        );
    }

    /// A listener on one end of a loopback connection, and the other end.
    fn listener_and_client(topics: &[&str], own: &[u8], next: Seq) -> (Listener, TcpStream) {
        let server = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(server.local_addr().unwrap()).unwrap();
        let (stream, _) = server.accept().unwrap();
        let slots = Arc::new(ConnectionSlots::default());
        let stream = SharedSocket::new(stream);
        let slot = slots.admit(&stream, 10).unwrap();
        let topics = TopicFilter::asked(topics.iter().map(|t| t.to_string()).collect());
        let listener = Listener::new(
            stream,
            StreamKind::EventStream,
            topics,
            slot,
            own.to_vec(),
            next,
        )
        .unwrap();
        client
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        (listener, client)
    }

    /// `count` events of `size` bytes each, every third on topic `b`.
    fn history(count: usize, size: usize) -> History {
        let mut history = History::new(count, usize::MAX, 1);
        for i in 0..count {
            let topic = if i % 3 == 2 { Some("b") } else { Some("a") };
            let text = format!("{i}:{}", "x".repeat(size));
            let event = Event::from_parts(&text, None, topic).unwrap();
            history.push(1 + i as u64, EncodedEvent::new(&event, 0));
        }
        history
    }

    fn encoded(history: &History, topic: Option<&str>) -> Vec<u8> {
        history
            .from(history.start())
            .filter(|stored| topic.is_none() || stored.topic() == topic)
            .flat_map(|stored| stored.parts(StreamKind::EventStream).concat())
            .collect()
    }

    /// Pushes `event` to the history and the round, as the hub does, and
    /// appends the bytes a listener of every event should get.
    fn publish_into(
        history: &mut History,
        batch: &mut crate::hub::batch::Batch,
        id: u64,
        event: &Event,
        expected: &mut Vec<u8>,
    ) {
        let seq = history.push(id, EncodedEvent::new(event, 0));
        let stored = history.get(seq).unwrap();
        expected.extend(stored.parts(StreamKind::EventStream).concat());
        batch.add(history, seq);
    }

    /// A round can be larger than the history (publishers outran the hub):
    /// its first events have left the history before it is written, and a
    /// listener with a topic filter still gets them, from the round.
    #[test]
    fn a_round_larger_than_the_history_reaches_a_filtering_listener() {
        let mut history = History::new(4, usize::MAX, 1);
        let (mut listener, mut client) = listener_and_client(&["a"], b"", history.start());
        let mut batch = crate::hub::batch::Batch::default();
        let mut expected = Vec::new();
        for id in 1..=10 {
            let event = Event::from_parts(&format!("event {id}"), None, Some("a")).unwrap();
            publish_into(&mut history, &mut batch, id, &event, &mut expected);
        }
        assert_eq!(
            batch.send_to(&mut listener, &history, 1024, 0),
            Delivery::Kept
        );
        let mut received = vec![0u8; expected.len()];
        client.read_exact(&mut received).unwrap();
        assert!(received == expected, "all ten, in order");
    }

    /// Rounds of eight events, as a burst brings them, to a listener whose
    /// reader is slow: with a topic filter or without, every byte arrives.
    #[test]
    fn rounds_arrive_whole_while_the_socket_fills() {
        for topics in [&[][..], &["a"][..]] {
            let mut history = History::new(100_000, usize::MAX, 1);
            let (mut listener, mut client) = listener_and_client(topics, b"", history.start());
            client.set_nonblocking(true).unwrap();
            let mut batch = crate::hub::batch::Batch::default();
            let (mut expected, mut received) = (Vec::new(), Vec::new());
            let mut chunk = vec![0u8; 4096];
            let mut id = 1;
            for round in 0..400 {
                for i in 0..8 {
                    let text = format!("{round}-{i}-{}", "x".repeat(700));
                    let event = Event::from_parts(&text, None, Some("a")).unwrap();
                    publish_into(&mut history, &mut batch, id, &event, &mut expected);
                    id += 1;
                }
                let delivery = batch.send_to(&mut listener, &history, usize::MAX, 0);
                assert_eq!(delivery, Delivery::Kept);
                batch.clear();
                if round % 2 == 0
                    && let Ok(n) = client.read(&mut chunk)
                {
                    received.extend_from_slice(&chunk[..n]);
                }
            }
            while received.len() < expected.len() {
                assert_eq!(listener.flush(&history, usize::MAX), Delivery::Kept);
                match client.read(&mut chunk) {
                    Ok(n) => received.extend_from_slice(&chunk[..n]),
                    Err(_) => std::thread::sleep(Duration::from_millis(1)),
                }
            }
            assert_eq!(received.len(), expected.len(), "{topics:?}");
            assert!(received == expected, "{topics:?}: the bytes differ");
        }
    }

    /// However large a round, one lap offers a listener at most
    /// `MAX_BYTES_PER_LISTENER_PER_LAP` (a socket that never reads costs
    /// the hub that much copying, not what the kernel would swallow); the
    /// rest follows from the history, whole and in order.
    #[test]
    fn a_lap_offers_a_listener_a_bounded_amount_and_the_rest_follows() {
        use crate::limits::MAX_BYTES_PER_LISTENER_PER_LAP;
        for topics in [&[][..], &["a"][..]] {
            let mut history = History::new(100, usize::MAX, 1);
            let (mut listener, mut client) = listener_and_client(topics, b"", history.start());
            let mut batch = crate::hub::batch::Batch::default();
            let mut expected = Vec::new();
            for id in 1..=20 {
                let text = format!("{id}:{}", "x".repeat(60_000));
                let event = Event::from_parts(&text, None, Some("a")).unwrap();
                publish_into(&mut history, &mut batch, id, &event, &mut expected);
            }
            let delivery = batch.send_to(&mut listener, &history, usize::MAX, 0);
            assert_eq!(delivery, Delivery::Kept);
            assert!(
                listener.behind_bytes() >= expected.len() - MAX_BYTES_PER_LISTENER_PER_LAP,
                "{topics:?}: {} of {} bytes offered in one lap",
                expected.len() - listener.behind_bytes(),
                expected.len()
            );
            let mut received = Vec::new();
            let mut chunk = vec![0u8; 65_536];
            while received.len() < expected.len() {
                let n = client.read(&mut chunk).unwrap();
                received.extend_from_slice(&chunk[..n]);
                assert_eq!(listener.flush(&history, usize::MAX), Delivery::Kept);
            }
            assert!(received == expected, "{topics:?}: the bytes differ");
        }
    }

    #[test]
    fn a_replay_far_larger_than_the_socket_arrives_whole_and_in_order() {
        // About 6 MB: many partial writes, some ending inside a prefix.
        let history = history(300, 20_000);
        let (mut listener, mut client) = listener_and_client(&[], b"HEAD", history.start());
        listener.start_behind(&history, 1024);
        let expected = [&b"HEAD"[..], &encoded(&history, None)].concat();
        assert_eq!(listener.behind_bytes(), expected.len());
        let mut received = Vec::new();
        let mut chunk = vec![0u8; 7_777];
        while listener.has_backlog() {
            assert_eq!(listener.flush(&history, 1024), Delivery::Kept);
            let n = client.read(&mut chunk).unwrap();
            received.extend_from_slice(&chunk[..n]);
        }
        while received.len() < expected.len() {
            let n = client.read(&mut chunk).unwrap();
            received.extend_from_slice(&chunk[..n]);
        }
        assert!(received == expected, "the bytes differ");
    }

    #[test]
    fn own_bytes_wait_for_the_end_of_the_event_being_written() {
        let history = history(60, 300_000);
        let (mut listener, mut client) = listener_and_client(&["b"], b"", history.start());
        listener.start_behind(&history, 1024);
        // Write until the socket is full, surely in the middle of an event.
        assert_eq!(listener.flush(&history, 1024), Delivery::Kept);
        assert!(!listener.at_boundary());
        assert_eq!(
            listener.send_own(b": ping\n", &history, 1024),
            Delivery::Kept
        );
        let expected = encoded(&history, Some("b"));
        let mut received = Vec::new();
        let mut chunk = vec![0u8; 65_536];
        while received.len() < expected.len() + b": ping\n".len() {
            let n = client.read(&mut chunk).unwrap();
            received.extend_from_slice(&chunk[..n]);
            assert_eq!(listener.flush(&history, 1024), Delivery::Kept);
        }
        let text = String::from_utf8(received).unwrap();
        let ping = text.find(": ping\n").expect("the ping was sent");
        assert!(
            ping > 0 && text[..ping].ends_with("\n\n"),
            "at an event boundary"
        );
        let events: String = text.replacen(": ping\n", "", 1);
        assert!(
            events.as_bytes() == expected,
            "every event, whole, in order"
        );
    }

    #[test]
    fn a_listener_whose_next_event_left_the_history_is_too_slow() {
        let mut history = history(3, 100);
        let (mut listener, _client) = listener_and_client(&[], b"", history.start());
        listener.start_behind(&history, 1024);
        // The socket takes these at once; then events it has not been sent
        // push the ones it needs out, before it is written again.
        assert_eq!(listener.flush(&history, 1024), Delivery::Kept);
        for id in 10..20 {
            let event = Event::new("y".repeat(100)).unwrap();
            let seq = history.push(id, EncodedEvent::new(&event, 0));
            let len = history.get(seq).unwrap().len(StreamKind::EventStream);
            listener.fall_behind(len);
        }
        assert_eq!(listener.flush(&history, usize::MAX), Delivery::Overtaken);
    }
}
