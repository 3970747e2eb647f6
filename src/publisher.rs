//! The way into the hub: a [`Publisher`] gives each event its id and queues
//! it for the hub, and asks the hub for its stats.
//!
//! Ids must reach the hub in increasing order, since every stream shows them
//! in the order the hub writes them. So taking the next id and queueing the
//! event happen as one step, under one small lock: whichever thread takes id
//! 6 queues its event after the thread that took id 5. The publisher then
//! answers its client with the id at once, without waiting for the hub to
//! write the event out; the hub takes it in its next round.
//!
//! Cloning a `Publisher` is cheap (it shares the lock and the queue), and
//! clones can be used from any number of threads.

use std::sync::{Arc, Mutex, PoisonError};

use crossbeam_channel::Sender;

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
#[derive(Clone)]
pub struct Publisher {
    hub: Sender<Command>,
    /// The next id to give; held while the event is queued.
    next_id: Arc<Mutex<EventId>>,
}

impl Publisher {
    /// A publisher whose first event gets `first_id`.
    pub(crate) fn new(hub: Sender<Command>, first_id: EventId) -> Publisher {
        Publisher {
            hub,
            next_id: Arc::new(Mutex::new(first_id)),
        }
    }

    /// Broadcasts `event` and returns the id it was given. Ids increase
    /// with every call, from any thread.
    ///
    /// ```
    /// use herald::{Config, Event, Server};
    ///
    /// let server = Server::bind(Config { addr: "127.0.0.1:0".into(), ..Config::default() })?;
    /// let publisher = server.publisher();
    /// let first = publisher.publish(Event::new("one")?)?;
    /// let second = publisher.publish(Event::new("two")?.event("chat")?.topic("ops")?)?;
    /// assert_eq!(second, first + 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`HubUnavailable`] if the hub's queue stays full for a few seconds
    /// (the hub is stuck or the server is stopping); the id is then not used.
    pub fn publish(&self, event: Event) -> Result<EventId, HubUnavailable> {
        // Nothing in this block can panic, so the lock is never poisoned; if
        // it were, the id inside would still be right.
        let mut next_id = self.next_id.lock().unwrap_or_else(PoisonError::into_inner);
        let id = *next_id;
        self.hub
            .send_timeout(Command::Publish { id, event }, HUB_REPLY_TIMEOUT)
            .map_err(|_| HubUnavailable)?;
        *next_id = id + 1;
        Ok(id)
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

    /// Asks the hub to close every stream and end.
    pub(crate) fn stop_hub(&self) {
        let _ = self.hub.send_timeout(Command::Shutdown, HUB_REPLY_TIMEOUT);
    }

    /// Hands a new subscriber to the hub.
    pub(crate) fn subscribe(&self, subscription: Subscription) -> Result<(), HubUnavailable> {
        self.hub
            .send_timeout(Command::Subscribe(subscription), HUB_REPLY_TIMEOUT)
            .map_err(|_| HubUnavailable)
    }
}
