//! The way into the hub: a [`Publisher`] sends events (and asks for the
//! stats) and waits for the hub's answer.
//!
//! Each `Publisher` has its own small answer channel, made once, so a publish
//! allocates no channel. Cloning one is cheap and gives the clone its own
//! answer channel, so clones can be used from different threads at once.

use crossbeam_channel::{Receiver, Sender};

use crate::event::{Event, EventId};
use crate::hub::{Command, HubStats, Subscription};
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

/// A handle for publishing events to one server's subscribers.
pub struct Publisher {
    hub: Sender<Command>,
    ids: (Sender<EventId>, Receiver<EventId>),
}

impl Clone for Publisher {
    fn clone(&self) -> Publisher {
        Publisher::new(self.hub.clone())
    }
}

impl Publisher {
    pub(crate) fn new(hub: Sender<Command>) -> Publisher {
        Publisher {
            hub,
            ids: crossbeam_channel::bounded(1),
        }
    }

    /// Broadcasts `event` and returns the id it was given.
    ///
    /// # Errors
    /// [`HubUnavailable`] if the hub does not answer within a few seconds
    /// (it answers in microseconds unless the server is stopping).
    pub fn publish(&self, event: Event) -> Result<EventId, HubUnavailable> {
        // An answer left over from a call that timed out would be taken for
        // this one's.
        while self.ids.1.try_recv().is_ok() {}
        let reply = self.ids.0.clone();
        self.hub
            .send_timeout(Command::Publish { event, reply }, HUB_REPLY_TIMEOUT)
            .map_err(|_| HubUnavailable)?;
        self.ids
            .1
            .recv_timeout(HUB_REPLY_TIMEOUT)
            .map_err(|_| HubUnavailable)
    }

    /// The hub's current numbers.
    pub fn stats(&self) -> Result<HubStats, HubUnavailable> {
        let (reply, answer) = crossbeam_channel::bounded(1);
        self.hub
            .send_timeout(Command::Stats { reply }, HUB_REPLY_TIMEOUT)
            .map_err(|_| HubUnavailable)?;
        answer
            .recv_timeout(HUB_REPLY_TIMEOUT)
            .map_err(|_| HubUnavailable)
    }

    /// Hands a new subscriber to the hub.
    pub(crate) fn subscribe(&self, subscription: Subscription) -> Result<(), HubUnavailable> {
        self.hub
            .send_timeout(Command::Subscribe(subscription), HUB_REPLY_TIMEOUT)
            .map_err(|_| HubUnavailable)
    }
}
