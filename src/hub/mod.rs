//! Stage 7, the hub: one thread that owns every subscriber and the history.
//!
//! The idea fits in three parts: a list of listeners, a history of recent
//! events, and one pass. Each round the hub takes every command that is
//! waiting (`Hub::run_round`): a published event is kept in the
//! [`history`] (encoded already, by whoever published it: see
//! [`crate::wire::encoded`]) and laid into the round's [`batch`]; a new
//! subscriber gets its replay and joins the list. Then `broadcast` writes
//! the batch to each [`listener`] in one `send`: one system call per
//! listener, however many events arrived together. Writes never block; a
//! listener whose socket fails is removed, one that falls too far behind
//! is dropped and counted.
//!
//! Connection threads never touch a subscriber's socket or the history.
//! They send the hub a [`Command`] through a [`handle`] and, where they
//! need an answer (the stats), wait for it on a channel of their own. Only
//! the hub thread reads or changes the listener list, so there is no lock
//! to take, nothing to poison, and two things that must happen as one
//! step do: a new subscriber gets its replay and joins the list between
//! two events, so nothing is missed or sent twice at the seam.
//!
//! The files of that idea:
//!
//! - this file: the thread, its [`Command`]s, a round, a subscriber joining;
//! - [`handle`]: how other threads send it commands;
//! - [`history`]: the recent events, encoded: the one copy of their bytes;
//! - [`batch`]: one round's events, laid end to end for one write each;
//! - `broadcast`: the pass that writes a round to every listener;
//! - [`listener`]: one subscriber's socket, topics and place in the history;
//! - [`filter`]: which events a subscriber's topics take in.
//!
//! And the refinements, each opening with what it refines and why, which a
//! first reading may skip:
//!
//! - `late_events`: events published during a long lap join it;
//! - [`index`]: a round of topic events goes only to those who want it;
//! - [`queue_budget`]: the bound on the bytes waiting for the hub;
//! - `upkeep`: heartbeats, the sweep for hang-ups, and retries, between
//!   rounds and between the laps of a long one;
//! - `stream_control`: a WebSocket's own frames, and streams the app no
//!   longer allows;
//! - [`state`]: live state, each key's current value, and the snapshot a
//!   `state=1` stream starts from, sent at its seam in the history;
//! - [`presence`]: who listens to each topic, and the coalesced lists a
//!   `presence=1` stream is sent;
//! - [`stats`] and [`round_times`]: the numbers for `/stats` and `/metrics`;
//! - `stop`: the last writes and the close of every stream at shutdown.

use std::thread::{self, JoinHandle};
use std::time::Instant;

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};

use crate::config::Config;
use crate::connection_slots::ConnectionSlot;
use crate::event::EventId;
use crate::hub::batch::Batch;
use crate::hub::filter::TopicFilter;
use crate::hub::handle::Handle;
use crate::hub::history::{History, StartAt};
use crate::hub::index::Index;
use crate::hub::late_events::LateEvents;
use crate::hub::listener::{Delivery, Listener, StreamKind};
use crate::hub::queue_budget::Reservation;
use crate::hub::round_times::RoundTimes;
use crate::hub::stats::HubStats;
use crate::limits::{HUB_QUEUE_MAX_COMMANDS, MAX_COMMANDS_PER_ROUND};
use crate::shared_socket::SharedSocket;
use crate::wire::encoded::EncodedEvent;
use crate::wire::sse;
use crate::wire::websocket;
use upkeep::Schedule;

pub mod batch;
mod broadcast;
pub mod filter;
pub mod handle;
pub mod history;
pub mod index;
mod late_events;
pub mod listener;
pub mod presence;
pub mod queue_budget;
pub mod round_times;
pub mod state;
pub mod stats;
mod stop;
mod stream_control;
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
    /// Answer with the keyed values `filter` wants (`GET /state`).
    State {
        /// The topics asked for, as the app allows them.
        filter: TopicFilter,
        /// Where the values are sent.
        reply: Sender<state::StateAnswer>,
    },
    /// A question or news about who listens (see [`presence`]).
    Presence(presence::Ask),
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
    /// It asked for the keyed values first (`state=1`, see [`state`]).
    pub state: bool,
    /// Who it is, and whether it asked for its topics' presence lists.
    pub presence: presence::Joining,
}

/// Starts the hub thread; returns the [`Handle`] that sends it commands,
/// and the thread. `first_id` is the id the first new event will get (see
/// [`crate::hub::history`]); `restored` are events kept from an earlier
/// run (the event log, or Redis), oldest first, to hold for replay, and
/// `older_values` the keys' values older than those (see [`state`]).
pub fn spawn(
    config: &Config,
    first_id: EventId,
    restored: Vec<(EventId, EncodedEvent)>,
    older_values: Vec<(EventId, EncodedEvent)>,
) -> std::io::Result<(Handle, JoinHandle<()>)> {
    let (sender, receiver) = crossbeam_channel::bounded(HUB_QUEUE_MAX_COMMANDS);
    let oldest = restored.first().map_or(first_id, |(id, _)| *id);
    let mut history = History::new(config.history, config.history_bytes, oldest);
    let mut values = state::Values::restored(older_values);
    for (id, event) in restored {
        if values.is_news(&event) {
            let seq = history.push(id, event);
            values.keep_from(&history, seq);
        }
    }
    let hub = Hub {
        commands: receiver,
        listeners: Vec::new(),
        history,
        values,
        presence: presence::Presence::new(config.presence_interval),
        max_backlog: config.max_backlog,
        round: Round::default(),
        index: Index::default(),
        schedule: Schedule::new(config.heartbeat),
        counts: Counts::default(),
    };
    let thread = thread::Builder::new()
        .name("herald-hub".into())
        .spawn(move || hub.run())?;
    Ok((Handle::new(sender), thread))
}

struct Hub {
    commands: Receiver<Command>,
    /// Every open stream, in no order (a removal puts the last in its place).
    listeners: Vec<Listener>,
    /// The recent events, encoded: the one copy of their bytes.
    history: History,
    /// The current value of each key (see [`state`]).
    values: state::Values,
    /// Who listens to each topic (see [`presence`]).
    presence: presence::Presence,
    /// `--max-backlog`: how far behind a listener may fall.
    max_backlog: usize,
    /// The round being written.
    round: Round,
    /// Where each listener is in `listeners`, and which want which topics.
    index: Index,
    /// When each duty between rounds is due (see `upkeep`).
    schedule: Schedule,
    /// What happened, for `/stats` and `/metrics`.
    counts: Counts,
}

/// The round under way: its events, and what its pass over the listeners
/// needs.
#[derive(Default)]
struct Round {
    /// The round's events, laid end to end.
    batch: Batch,
    /// Reused: the places of the listeners a round of topic events is for.
    targets: Vec<usize>,
    /// During a broadcast, how many of the round's events each listener
    /// has been sent, by place (moved with the listeners); empty between.
    sent: Vec<usize>,
    /// A command taken from the queue during a pass, to handle after it.
    deferred: Option<Command>,
    /// A shutdown was asked for in the middle of a round.
    stopping: bool,
}

/// What the hub counts as it goes.
#[derive(Default)]
struct Counts {
    published: u64,
    dropped_too_slow: u64,
    dropped_overtaken: u64,
    round_times: RoundTimes,
}

impl Hub {
    fn run(mut self) {
        loop {
            let wake_at = self.next_duty();
            if self.round.stopping {
                return self.close_all();
            }
            let wait = wake_at.saturating_duration_since(Instant::now());
            let next = match self.round.deferred.take() {
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
            let busy = self.round.deferred.is_some() || !self.commands.is_empty();
            self.upkeep(busy);
        }
    }

    /// Handles `first` and every command already waiting, then writes the batch.
    fn run_round(&mut self, first: Command) {
        self.handle(first);
        for _ in 1..MAX_COMMANDS_PER_ROUND {
            match self.commands.try_recv() {
                Ok(Command::Shutdown) => {
                    // Put it back for the main loop, after this round's writes.
                    self.round.stopping = true;
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
                let mut batch = std::mem::take(&mut self.round.batch);
                self.keep_event(&mut batch, id, event);
                self.round.batch = batch;
                drop(reserved);
            }
            Command::Subscribe(subscription) => self.subscribe(subscription),
            Command::State { filter, reply } => self.answer_state(&filter, &reply),
            Command::Presence(ask) => self.answer_presence(ask),
            Command::Stats { reply } => {
                let _ = reply.send(self.stats());
            }
            Command::Frame { key, bytes, close } => self.send_frame(key, &bytes, close),
            Command::End { key, ending } => self.end_stream(key, ending),
            Command::Shutdown => self.round.stopping = true,
        }
    }

    /// Keeps a published event in the history and adds it to `batch`; a
    /// keyed one also becomes its key's value (see [`state`]).
    fn keep_event(&mut self, batch: &mut Batch, id: EventId, event: EncodedEvent) {
        // An expiry of a value replaced since would remove the newer one
        // from every tab: it is dropped here, unsent.
        if !self.values.is_news(&event) {
            return;
        }
        let seq = self.history.push(id, event);
        self.values.keep_from(&self.history, seq);
        batch.add(&self.history, seq);
        self.counts.published += 1;
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
            state,
            presence,
        } = subscription;
        // With `state=1`, the values, unless it resumes inside the history.
        let mut with_snapshot = state;
        let from = match start {
            StartAt::Live => self.history.end(),
            StartAt::After(last_id) => {
                let resume = self.history.resume_after(last_id);
                if resume.missed {
                    opening.extend(self.missed_notice(kind, last_id));
                }
                with_snapshot &= resume.missed;
                resume.from
            }
            StartAt::Recent(count) => self
                .history
                .recent_start(count, |topic| filter.wants(topic)),
        };
        let snapshot = with_snapshot.then(|| self.values.snapshot(&filter));
        let Ok(mut listener) = Listener::new(stream, kind, filter, slot, opening, from) else {
            return;
        };
        self.join_presence(&mut listener, &presence);
        if let Some(snapshot) = snapshot {
            self.start_with_snapshot(&mut listener, snapshot);
        }
        listener.start_behind(&self.history, self.max_backlog);
        if kind == StreamKind::WebSocket {
            self.round.batch.with_websocket = true;
        }
        // The first heartbeat comes one interval after the opening lines.
        if listener.flush(&self.history, self.max_backlog) == Delivery::Kept {
            self.note_backlog(&listener);
            self.add_listener(listener);
        } else {
            self.leave_presence(&listener);
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

    fn add_listener(&mut self, listener: Listener) {
        debug_assert!(self.round.sent.is_empty(), "no subscriber joins mid-round");
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
            Delivery::TooSlow => self.counts.dropped_too_slow += 1,
            Delivery::Overtaken => self.counts.dropped_overtaken += 1,
            Delivery::Gone | Delivery::Kept => {}
        }
        self.remove_listener(at);
    }

    /// Takes the listener at `at` out of the list, putting the last one in
    /// its place.
    fn take_listener(&mut self, at: usize) -> Listener {
        let listener = self.listeners.swap_remove(at);
        if at < self.round.sent.len() {
            self.round.sent.swap_remove(at);
        }
        self.index.remove(&listener);
        self.leave_presence(&listener);
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
        if self.round.batch.is_empty() {
            return;
        }
        // Taken out for the pass, so the listeners can be borrowed beside it;
        // put back after, with its memory, for the next round.
        let mut batch = std::mem::take(&mut self.round.batch);
        let mut targets = std::mem::take(&mut self.round.targets);
        if self
            .index
            .targets(batch.topics(), self.listeners.len(), &mut targets)
        {
            let started = Instant::now();
            self.write_to_some(&targets, |listener, history, max_backlog| {
                batch.send_to(listener, history, max_backlog, 0)
            });
            self.counts
                .round_times
                .observe(started.elapsed(), targets.len());
        } else {
            // Times each of its laps.
            self.broadcast(&mut batch, late);
        }
        batch.clear();
        self.round.batch = batch;
        self.round.targets = targets;
    }
}
