//! Stage 7, the hub: one thread that owns every subscriber and the history.
//!
//! - this file: the thread, its [`Command`]s, and a round;
//! - [`handle`]: how other threads send it commands;
//! - [`history`]: the recent events, encoded: the one copy of their bytes;
//! - [`batch`]: one round's events, laid end to end for one write each;
//! - `broadcast`: the passes that write a round, to every listener (lap
//!   after lap, while events published meanwhile join) or to those a topic
//!   round is for;
//! - [`listener`]: one subscriber's socket, topics and place in the history;
//! - [`filter`]: which events a subscriber's topics take in;
//! - [`index`]: where each listener is in the list, and who wants a topic;
//! - [`queue_budget`]: the bound on the bytes waiting for the hub;
//! - [`round_times`]: how long each round's pass over the listeners takes;
//! - `upkeep`: heartbeats, the sweep for hang-ups, and retries;
//! - `stop`: the last writes and the close of every stream at shutdown.
//!
//! Connection threads never touch a subscriber's socket or the history. They
//! send the hub a [`Command`] over one `crossbeam-channel` and, where they
//! need an answer (the stats), wait for it on a channel of their own. Only
//! the hub thread reads or changes the listener list, so there is no lock to
//! take, nothing to poison, and two things that must happen as one step do:
//! a new subscriber gets its replay and joins the list between two events,
//! so nothing is missed or sent twice at the seam.
//!
//! Each round the hub takes every command that is waiting (up to a bound),
//! keeps each new event in the history (encoded already, by whoever
//! published it: see [`crate::wire::encoded`]), and then writes the whole
//! batch to each listener in one `write`: one system call per listener per
//! lap over the list, however many events arrived together (events that
//! come during a lap join the round, see `broadcast`). Writes never block
//! (see [`listener`]); a listener whose socket fails is removed, one that
//! falls too far behind is dropped and counted.
//!
//! Between rounds (and between the laps of a long one) the hub does three
//! duties: every second it removes the listeners whose client hung up (so
//! their connection slots come back; a tenth of the list every tenth of a
//! second), four times per `--heartbeat` it sends a comment to every stream
//! that has been silent for a whole `--heartbeat` (so none is silent
//! longer), and while some listener has bytes waiting it retries them every
//! few milliseconds.

use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};

use crate::config::Config;
use crate::connection_slots::ConnectionSlot;
use crate::event::EventId;
use crate::hub::batch::Batch;
use crate::hub::broadcast::LateEvents;
use crate::hub::filter::TopicFilter;
use crate::hub::handle::Handle;
use crate::hub::history::{History, StartAt};
use crate::hub::index::Index;
use crate::hub::listener::{Delivery, Listener, StreamKind};
use crate::hub::queue_budget::Reservation;
use crate::hub::round_times::RoundTimes;
use crate::limits::{
    BACKLOG_RETRY_INTERVAL, HEARTBEAT_CHECKS_PER_INTERVAL, HUB_QUEUE_MAX_COMMANDS,
    MAX_COMMANDS_PER_ROUND, SWEEP_INTERVAL, SWEEP_SLICES, UPKEEP_MAX_DELAY,
};
use crate::shared_socket::SharedSocket;
use crate::wire::encoded::EncodedEvent;
use crate::wire::sse;
use crate::wire::websocket;
use crate::wire::websocket::frame::{self, close_code};

pub mod batch;
mod broadcast;
pub mod filter;
pub mod handle;
pub mod history;
pub mod index;
pub mod listener;
pub mod queue_budget;
pub mod round_times;
mod stop;
mod upkeep;

/// What a connection thread asks of the hub.
pub enum Command {
    /// Keep `event` and send it. Ids arrive in increasing order: the
    /// [`crate::ingest::publisher::Publisher`] takes an id and queues its event as
    /// one step.
    Publish {
        /// The id the publisher gave it.
        id: EventId,
        /// The event to broadcast, encoded.
        event: EncodedEvent,
        /// Its place in the queue's byte budget, given back once the hub
        /// has taken it.
        reserved: Reservation,
    },
    /// Add a subscriber.
    Subscribe(Subscription),
    /// Answer with the current numbers.
    Stats {
        /// Where the numbers are sent.
        reply: Sender<HubStats>,
    },
    /// Write `bytes` (a WebSocket control frame or answer) to the listener
    /// whose connection has `key`, after what it already has; with `close`,
    /// then close it. Sent by a WebSocket's reader thread.
    Frame {
        /// The listener's connection key.
        key: u64,
        /// The frame to write.
        bytes: Vec<u8>,
        /// Whether to close the connection after it.
        close: bool,
    },
    /// End the stream whose connection has `key`, telling its client why.
    /// Sent by the auth watch when the app no longer allows the stream.
    End {
        /// The listener's connection key.
        key: u64,
        /// Why it ends.
        ending: Ending,
    },
    /// Write what is waiting, close every stream, and end the hub thread.
    Shutdown,
}

/// Why the hub ends one stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// The app no longer allows it: `herald-revoked`, or WebSocket close 4403.
    Revoked,
    /// The app cannot say whether it still allows it: `herald-unavailable`
    /// (come back soon), or WebSocket close 1013.
    Unavailable,
}

/// A new subscriber, handed over with its socket by the connection thread,
/// which then ends.
pub struct Subscription {
    /// The socket; the hub writes `opening` to it first.
    pub stream: SharedSocket,
    /// The response head and the stream's opening lines, not yet written.
    pub opening: Vec<u8>,
    /// Where in the history it starts.
    pub start: StartAt,
    /// The events it wants.
    pub filter: TopicFilter,
    /// Keeps counting towards `--max-clients` while the stream is open.
    pub slot: ConnectionSlot,
    /// Event stream or WebSocket.
    pub kind: StreamKind,
}

/// The hub's numbers, for `/stats` and `/metrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HubStats {
    /// Open event streams, of both kinds.
    pub listeners: usize,
    /// Of those, WebSockets.
    pub websockets: usize,
    /// Events published since start.
    pub published: u64,
    /// Listeners dropped because they fell too far behind, both reasons.
    pub dropped: u64,
    /// Of those, the ones more than `--max-backlog` behind.
    pub dropped_too_slow: u64,
    /// Of those, the ones whose next event left the history first.
    pub dropped_overtaken: u64,
    /// Events held for replay.
    pub history: usize,
    /// The memory those events occupy, as `--history-bytes` counts it.
    pub history_bytes: usize,
    /// Bytes the listeners are behind on, summed: what they are owed.
    pub behind_bytes: usize,
    /// The newest event's id.
    pub last_id: Option<EventId>,
    /// How long the rounds took.
    pub round_times: RoundTimes,
}

/// Starts the hub thread; returns the [`Handle`] that sends it commands,
/// and the thread. `first_id` is the id the first new event will get (see
/// [`crate::hub::history`]); `restored` are events kept from an earlier
/// run (the event log, or Redis), oldest first, to hold for replay.
pub fn spawn(
    config: &Config,
    first_id: EventId,
    restored: Vec<(EventId, EncodedEvent)>,
) -> std::io::Result<(Handle, JoinHandle<()>)> {
    let (sender, receiver) = crossbeam_channel::bounded(HUB_QUEUE_MAX_COMMANDS);
    let oldest = restored.first().map_or(first_id, |(id, _)| *id);
    let mut history = History::new(config.history, config.history_bytes, oldest);
    for (id, event) in restored {
        history.push(id, event);
    }
    let hub = Hub {
        commands: receiver,
        listeners: Vec::new(),
        index: Index::default(),
        targets: Vec::new(),
        history,
        batch: Batch::default(),
        max_backlog: config.max_backlog,
        heartbeat_check_interval: config.heartbeat / u32::from(HEARTBEAT_CHECKS_PER_INTERVAL),
        next_heartbeat_check: Instant::now()
            + config.heartbeat / u32::from(HEARTBEAT_CHECKS_PER_INTERVAL),
        heartbeat_checks: 0,
        next_sweep: Instant::now() + SWEEP_INTERVAL / SWEEP_SLICES as u32,
        sweep_at: 0,
        next_retry: None,
        stopping: false,
        deferred: None,
        round_sent: Vec::new(),
        published: 0,
        dropped_too_slow: 0,
        dropped_overtaken: 0,
        round_times: RoundTimes::default(),
    };
    let thread = thread::Builder::new()
        .name("herald-hub".into())
        .spawn(move || hub.run())?;
    Ok((Handle::new(sender), thread))
}

struct Hub {
    commands: Receiver<Command>,
    listeners: Vec<Listener>,
    /// Where each listener is in `listeners`, and which want which topics.
    index: Index,
    /// Reused: the places of the listeners a round is for.
    targets: Vec<usize>,
    history: History,
    batch: Batch,
    max_backlog: usize,
    /// `--heartbeat` divided by [`HEARTBEAT_CHECKS_PER_INTERVAL`].
    heartbeat_check_interval: Duration,
    next_heartbeat_check: Instant,
    /// Looks for silence so far, to ping WebSockets on every last one.
    heartbeat_checks: u64,
    next_sweep: Instant,
    /// Where the next slice of the sweep starts in the listener list.
    sweep_at: usize,
    /// When to retry listeners with a backlog; `None` while none has one.
    next_retry: Option<Instant>,
    /// A shutdown was asked for in the middle of a round.
    stopping: bool,
    /// A command taken from the queue during a pass, to handle after it.
    deferred: Option<Command>,
    /// During a broadcast, how many of the round's events each listener
    /// has been sent, by place (moved with the listeners); empty between.
    round_sent: Vec<usize>,
    published: u64,
    dropped_too_slow: u64,
    dropped_overtaken: u64,
    round_times: RoundTimes,
}

impl Hub {
    fn run(mut self) {
        loop {
            let wake_at = self.next_retry.map_or(self.next_heartbeat_check, |retry| {
                retry.min(self.next_heartbeat_check)
            });
            if self.stopping {
                return self.close_all();
            }
            let wait = wake_at.saturating_duration_since(Instant::now());
            let next = match self.deferred.take() {
                Some(command) => Ok(command),
                None => self.commands.recv_timeout(wait),
            };
            match next {
                Ok(Command::Shutdown) => return self.close_all(),
                Ok(command) => self.run_round(command),
                Err(RecvTimeoutError::Timeout) => {}
                // Every sender is gone: the server has stopped.
                Err(RecvTimeoutError::Disconnected) => return,
            }
            let busy = self.deferred.is_some() || !self.commands.is_empty();
            self.upkeep(busy);
        }
    }

    /// The duties that are due: retries, a slice of the sweep, a look for
    /// silence. While the hub is `busy` (events are waiting, or a round is
    /// under way), the sweep and the looks wait for it, but never more
    /// than [`UPKEEP_MAX_DELAY`].
    fn upkeep(&mut self, busy: bool) {
        let now = Instant::now();
        if self.next_retry.is_some_and(|retry| retry <= now) {
            self.retry_backlogs();
        }
        let late = |due: Instant| due + UPKEEP_MAX_DELAY <= now;
        if self.next_sweep <= now && (!busy || late(self.next_sweep)) {
            self.sweep_slice();
            self.next_sweep = now + SWEEP_INTERVAL / SWEEP_SLICES as u32;
        }
        if self.next_heartbeat_check <= now && (!busy || late(self.next_heartbeat_check)) {
            self.check_heartbeats();
            // On a fixed beat, so the looks do not drift apart; after a
            // long stall, from now.
            self.next_heartbeat_check += self.heartbeat_check_interval;
            if self.next_heartbeat_check <= now {
                self.next_heartbeat_check = now + self.heartbeat_check_interval;
            }
        }
    }

    /// Handles `first` and every command already waiting, then writes the batch.
    fn run_round(&mut self, first: Command) {
        self.handle(first);
        for _ in 1..MAX_COMMANDS_PER_ROUND {
            match self.commands.try_recv() {
                Ok(Command::Shutdown) => {
                    // Put it back for the main loop, after this round's writes.
                    self.stopping = true;
                    break;
                }
                Ok(command) => self.handle(command),
                Err(_) => break,
            }
        }
        self.write_round(LateEvents::Join);
    }

    fn handle(&mut self, command: Command) {
        match command {
            Command::Publish {
                id,
                event,
                reserved,
            } => {
                let mut batch = std::mem::take(&mut self.batch);
                self.keep_event(&mut batch, id, event);
                self.batch = batch;
                drop(reserved);
            }
            Command::Subscribe(subscription) => self.subscribe(subscription),
            Command::Stats { reply } => {
                let _ = reply.send(self.stats());
            }
            Command::Frame { key, bytes, close } => self.send_frame(key, &bytes, close),
            Command::End { key, ending } => self.end_stream(key, ending),
            Command::Shutdown => self.stopping = true,
        }
    }

    /// Keeps a published event in the history and adds it to `batch`.
    fn keep_event(&mut self, batch: &mut Batch, id: EventId, event: EncodedEvent) {
        let seq = self.history.push(id, event);
        batch.add(&self.history, seq);
        self.published += 1;
    }

    /// Adds a subscriber: its head, then its replay, then it joins the list.
    fn subscribe(&mut self, subscription: Subscription) {
        // Events already in the batch were published before this subscriber
        // came: send them now so it neither gets them live nor misses them in
        // its replay (they are in the history already).
        self.send_batch();
        let Subscription {
            stream,
            mut opening,
            start,
            filter,
            slot,
            kind,
        } = subscription;
        let from = match start {
            StartAt::Live => self.history.end(),
            StartAt::After(last_id) => {
                let resume = self.history.resume_after(last_id);
                if resume.missed {
                    opening.extend(self.missed_notice(kind, last_id));
                }
                resume.from
            }
            StartAt::Recent(count) => self
                .history
                .recent_start(count, |topic| filter.wants(topic)),
        };
        let Ok(mut listener) = Listener::new(stream, kind, filter, slot, opening, from) else {
            return;
        };
        listener.start_behind(&self.history, self.max_backlog);
        if kind == StreamKind::WebSocket {
            self.batch.with_websocket = true;
        }
        // The first heartbeat comes one interval after the opening lines.
        if listener.flush(&self.history, self.max_backlog) == Delivery::Kept {
            self.note_backlog(&listener);
            self.add_listener(listener);
        }
    }

    /// The notice that some of what a subscriber asked for is gone.
    fn missed_notice(&self, kind: StreamKind, last_id: EventId) -> Vec<u8> {
        let oldest = self.history.oldest_id();
        match kind {
            StreamKind::EventStream => sse::missed_event(last_id, oldest),
            StreamKind::WebSocket => websocket::missed_frame(last_id, oldest),
        }
    }

    /// Writes a WebSocket reader's frame to its listener; with `close`,
    /// writes what the socket takes now and drops the listener.
    fn send_frame(&mut self, key: u64, bytes: &[u8], close: bool) {
        self.send_batch();
        let Some(at) = self.index.place(key) else {
            return;
        };
        let listener = &mut self.listeners[at];
        let delivery = listener.send_own(bytes, &self.history, self.max_backlog);
        if close {
            // The reader asked for this close and ends anyway: it reads
            // what the client still sends for a moment, so that the close
            // frame is not wiped out by a reset.
            self.take_listener(at).close_writing();
        } else if delivery != Delivery::Kept {
            self.remove_listener(at);
        } else {
            let listener = &self.listeners[at];
            if listener.has_backlog() && self.next_retry.is_none() {
                self.next_retry = Some(Instant::now() + BACKLOG_RETRY_INTERVAL);
            }
        }
    }

    /// Ends one stream after the event it is in, with a last word on why.
    fn end_stream(&mut self, key: u64, ending: Ending) {
        self.send_batch();
        let Some(at) = self.index.place(key) else {
            return;
        };
        let listener = &mut self.listeners[at];
        let last_word = match (listener.kind(), ending) {
            (StreamKind::EventStream, Ending::Revoked) => sse::revoked_event(),
            (StreamKind::EventStream, Ending::Unavailable) => sse::unavailable_event("auth"),
            (StreamKind::WebSocket, Ending::Revoked) => frame::close(close_code::REVOKED),
            (StreamKind::WebSocket, Ending::Unavailable) => {
                frame::close(close_code::TRY_AGAIN_LATER)
            }
        };
        listener.queue_own(&last_word);
        listener.finish(&self.history);
        self.remove_listener(at);
    }

    fn add_listener(&mut self, listener: Listener) {
        debug_assert!(self.round_sent.is_empty(), "no subscriber joins mid-round");
        self.index.add(&listener, self.listeners.len());
        self.listeners.push(listener);
    }

    /// Drops the listener at `at`, putting the last one in its place, and
    /// ends its connection (a WebSocket's reader thread with it).
    fn remove_listener(&mut self, at: usize) {
        self.take_listener(at).close();
    }

    /// Drops the listener at `at` after a write that did not keep it,
    /// counting it when it was too slow.
    fn drop_listener(&mut self, at: usize, delivery: Delivery) {
        match delivery {
            Delivery::TooSlow => self.dropped_too_slow += 1,
            Delivery::Overtaken => self.dropped_overtaken += 1,
            Delivery::Gone | Delivery::Kept => {}
        }
        self.remove_listener(at);
    }

    /// Takes the listener at `at` out of the list, putting the last one in
    /// its place.
    fn take_listener(&mut self, at: usize) -> Listener {
        let listener = self.listeners.swap_remove(at);
        if at < self.round_sent.len() {
            self.round_sent.swap_remove(at);
        }
        self.index.remove(&listener);
        if let Some(moved) = self.listeners.get(at) {
            self.index.moved(moved.key(), at);
        }
        listener
    }

    /// Writes the batch to every listener that wants some of it, before
    /// a command that must find it sent.
    fn send_batch(&mut self) {
        self.write_round(LateEvents::Wait);
    }

    /// Writes the batch to every listener that wants some of it; with
    /// [`LateEvents::Join`], events published meanwhile join the round.
    fn write_round(&mut self, late: LateEvents) {
        if self.batch.is_empty() {
            return;
        }
        // Taken out for the pass, so the listeners can be borrowed beside it;
        // put back after, with its memory, for the next round.
        let mut batch = std::mem::take(&mut self.batch);
        let mut targets = std::mem::take(&mut self.targets);
        if self
            .index
            .targets(batch.topics(), self.listeners.len(), &mut targets)
        {
            let started = Instant::now();
            self.write_to_some(&targets, |listener, history, max_backlog| {
                batch.send_to(listener, history, max_backlog, 0)
            });
            self.round_times.observe(started.elapsed(), targets.len());
        } else {
            // Times each of its laps.
            self.broadcast(&mut batch, late);
        }
        batch.clear();
        self.batch = batch;
        self.targets = targets;
    }

    /// One pass over the listeners for the upkeep (heartbeats, retries):
    /// `write` to each, then drop those whose socket failed or that fell
    /// too far behind (counted), and retry soon while any has bytes
    /// waiting. A round's events go through `broadcast` instead.
    fn write_to_each(&mut self, mut write: impl FnMut(&mut Listener, &History, usize) -> Delivery) {
        let mut backlogged = false;
        let mut at = 0;
        while at < self.listeners.len() {
            let listener = &mut self.listeners[at];
            let delivery = write(listener, &self.history, self.max_backlog);
            backlogged |= listener.has_backlog();
            match delivery {
                Delivery::Kept => at += 1,
                // The last listener takes this place, and is written next.
                ended => self.drop_listener(at, ended),
            }
        }
        self.schedule_retry(backlogged);
    }

    fn stats(&self) -> HubStats {
        HubStats {
            listeners: self.listeners.len(),
            websockets: self.index.websockets(),
            published: self.published,
            dropped: self.dropped_too_slow + self.dropped_overtaken,
            dropped_too_slow: self.dropped_too_slow,
            dropped_overtaken: self.dropped_overtaken,
            history: self.history.len(),
            history_bytes: self.history.size_bytes(),
            behind_bytes: self.listeners.iter().map(Listener::behind_bytes).sum(),
            last_id: self.history.newest_id(),
            round_times: self.round_times,
        }
    }
}
