//! The way into the hub from every other thread: a [`Handle`] sends it
//! [`Command`]s over its one channel and, for the stats, waits for the
//! answer on a channel of its own.
//!
//! A connection thread hands a new subscriber over with
//! `Handle::subscribe`; a WebSocket's reader sends its frames, the auth
//! watch its endings; `/stats` and `/metrics` ask for [`HubStats`]. Events
//! come in through [`crate::ingest`], whose publisher holds a handle and
//! gives each event its id first.
//!
//! Cloning a handle is cheap (it is the channel's sending end), and a call
//! never waits for ever: a hub that does not take a command within
//! [`HUB_REPLY_TIMEOUT`] is [`HubUnavailable`].

use crossbeam_channel::Sender;

use crate::hub::filter::TopicFilter;
use crate::hub::presence::Ask;
use crate::hub::state::StateAnswer;
use crate::hub::stats::HubStats;
use crate::hub::{Command, Subscription};
use crate::limits::HUB_REPLY_TIMEOUT;

/// The hub did not take a command or did not answer in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HubUnavailable;

impl std::fmt::Display for HubUnavailable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the hub is not answering")
    }
}

impl std::error::Error for HubUnavailable {}

/// A sending end of the hub's command channel.
#[derive(Clone)]
pub struct Handle {
    commands: Sender<Command>,
}

impl Handle {
    pub(super) fn new(commands: Sender<Command>) -> Handle {
        Handle { commands }
    }

    /// Hands a new subscriber, with its socket, to the hub.
    pub(crate) fn subscribe(&self, subscription: Subscription) -> Result<(), HubUnavailable> {
        self.send(Command::Subscribe(subscription))
    }

    /// Sends a command that needs no answer.
    pub(crate) fn send(&self, command: Command) -> Result<(), HubUnavailable> {
        self.commands
            .send_timeout(command, HUB_REPLY_TIMEOUT)
            .map_err(|_| HubUnavailable)
    }

    /// Sends a command, waiting as long as the queue is full: for the
    /// threads that pass stored events on in order (the log writer, the
    /// Redis reader), which have nothing better to do. False once the hub
    /// has stopped.
    pub(crate) fn send_waiting(&self, command: Command) -> bool {
        self.commands.send(command).is_ok()
    }

    /// The hub's current numbers.
    pub fn stats(&self) -> Result<HubStats, HubUnavailable> {
        let (reply, answer) = crossbeam_channel::bounded(1);
        self.send(Command::Stats { reply })?;
        answer
            .recv_timeout(HUB_REPLY_TIMEOUT)
            .map_err(|_| HubUnavailable)
    }

    /// The keyed values `filter` wants, as of the newest event the hub
    /// has taken (see [`crate::hub::state`]).
    pub fn state(&self, filter: TopicFilter) -> Result<StateAnswer, HubUnavailable> {
        let (reply, answer) = crossbeam_channel::bounded(1);
        self.send(Command::State { filter, reply })?;
        answer
            .recv_timeout(HUB_REPLY_TIMEOUT)
            .map_err(|_| HubUnavailable)
    }

    /// The presence lists of `topics` as JSON (see
    /// [`crate::hub::presence`]); without `names`, counted only.
    pub fn presence(&self, topics: Vec<String>, names: bool) -> Result<String, HubUnavailable> {
        let (reply, answer) = crossbeam_channel::bounded(1);
        self.send(Command::Presence(Ask::Lists {
            topics,
            names,
            reply,
        }))?;
        answer
            .recv_timeout(HUB_REPLY_TIMEOUT)
            .map_err(|_| HubUnavailable)
    }

    /// This instance's own presence entries, to share (`--redis`).
    pub fn local_presence(&self) -> Result<String, HubUnavailable> {
        let (reply, answer) = crossbeam_channel::bounded(1);
        self.send(Command::Presence(Ask::Local { reply }))?;
        answer
            .recv_timeout(HUB_REPLY_TIMEOUT)
            .map_err(|_| HubUnavailable)
    }

    /// The commands waiting for the hub now (events, subscribers, frames).
    pub fn queued_commands(&self) -> usize {
        self.commands.len()
    }

    /// Asks the hub to write what is waiting, close every stream and end.
    pub(crate) fn shut_down(&self) {
        let _ = self.send(Command::Shutdown);
    }
}
