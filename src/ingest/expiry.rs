//! The end of a value: a `herald-delete` event, published when a client
//! deletes a key (`delete=1`) or when its `ttl` is up.
//!
//! A delete is an event like any other, with an id, in the history and in
//! the log, so a tab that reconnects after it replays it as it replays
//! everything else. Its data names what was removed, as JSON:
//! `{"topic":"builds","key":"main"}` (`null` for no topic).
//!
//! A ttl ends on a thread of its own, [`Expiry`]: every
//! [`STATE_EXPIRY_CHECK_INTERVAL`] it asks the publisher's ledger which
//! values are due and publishes their deletes, each naming the event whose
//! value it ends (an [`Change::Expire`]). A value replaced in the meantime
//! outlives the old ttl: the hub and the ledger see that the expiry is not
//! for the current value and let it pass unsent.

use std::io;
use std::thread::{self, JoinHandle};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};

use crate::event::{Change, Event, EventError, EventId};
use crate::hub::state::ledger::split_name;
use crate::ingest::publisher::Publisher;
use crate::limits::{STATE_EXPIRIES_PER_CHECK_MAX, STATE_EXPIRY_CHECK_INTERVAL};
use crate::wire::json;
use crate::wire::notice::DELETE_EVENT_TYPE;

/// The event that removes `key`'s value in `topic`, by `change`: a
/// [`Change::Delete`] or a [`Change::Expire`].
///
/// ```
/// use herald::event::Change;
/// let event = herald::ingest::expiry::deletion(Some("builds"), "main", Change::Delete)?;
/// assert_eq!(event.data(), r#"{"topic":"builds","key":"main"}"#);
/// assert_eq!(event.event_type(), Some("herald-delete"));
/// # Ok::<(), herald::EventError>(())
/// ```
///
/// # Errors
/// [`EventError`] for a topic or key that breaks the rules of a label.
pub fn deletion(topic: Option<&str>, key: &str, change: Change) -> Result<Event, EventError> {
    let mut data = String::from("{\"topic\":");
    json::push_string_or_null(&mut data, topic);
    data.push_str(",\"key\":");
    json::push_string(&mut data, key);
    data.push('}');
    let event = Event::from_parts(&data, Some(DELETE_EVENT_TYPE), topic)?;
    event.with_change(key, change)
}

/// The thread that ends values whose ttl is up.
pub struct Expiry {
    stop: Sender<()>,
    thread: JoinHandle<()>,
}

impl Expiry {
    /// Starts the thread, which publishes through `publisher`.
    ///
    /// # Errors
    /// When the thread cannot start.
    pub fn spawn(publisher: Publisher) -> io::Result<Expiry> {
        let (stop, stopped) = crossbeam_channel::bounded(1);
        let thread = thread::Builder::new()
            .name("herald-expiry".into())
            .spawn(move || run(&publisher, &stopped))?;
        Ok(Expiry { stop, thread })
    }

    /// Stops the thread and waits for it.
    pub fn stop(self) {
        drop(self.stop);
        let _ = self.thread.join();
    }
}

fn run(publisher: &Publisher, stopped: &Receiver<()>) {
    while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(STATE_EXPIRY_CHECK_INTERVAL) {
        for (name, of) in publisher.state_keys().due(STATE_EXPIRIES_PER_CHECK_MAX) {
            let (topic, key) = split_name(&name);
            if publish_expiry(publisher, topic, key, of).is_err() {
                // Busy or not stored: the value stays due, and the next
                // check tries again.
                break;
            }
        }
    }
}

fn publish_expiry(
    publisher: &Publisher,
    topic: Option<&str>,
    key: &str,
    of: EventId,
) -> Result<EventId, ()> {
    let event = deletion(topic, key, Change::Expire { of }).map_err(|_| ())?;
    publisher.publish(event).map_err(|_| ())
}
