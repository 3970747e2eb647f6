//! An event: the message one publisher sends to every subscriber.
//!
//! An [`Event`] holds the message text and, optionally, an event type (which
//! a browser dispatches under that name instead of `message`) and a topic
//! (which subscribers filter on). The rules that keep the event stream
//! well-formed are enforced when an event is built, so every `Event` that
//! exists can be encoded safely:
//!
//! - the message is not empty (a browser silently drops an event whose data
//!   is empty, WHATWG HTML "dispatch the event", step 2);
//! - the type and the topic are short labels without control characters, so
//!   no CR or LF can end their line early and inject a field.
//!
//! The message itself may hold any text, line breaks included: the encoder
//! in [`crate::wire::sse`] writes each of its lines as a `data:` line.
//!
//! An event may carry a [`Keyed`] change: with a key (`key=`) it becomes
//! the current value of that key in its topic, or removes it (see
//! `hub/state/`). The key follows the rule of a label.
//!
//! An event may also carry the publisher's idempotency key (the
//! `Idempotency-Key` header of `POST /publish`): never sent to subscribers,
//! but kept with the event, in the log and in Redis, so that a retried
//! publish is recognised (see [`crate::ingest::idempotency`]).

use std::fmt;
use std::sync::Arc;

use crate::limits::{
    IDEMPOTENCY_KEY_MAX_BYTES, MAX_LABEL_BYTES, STATE_KEY_MAX_BYTES, STATE_TTL_MAX_SECONDS,
};

/// The id the server gives each event: strictly increasing, also across
/// restarts (see [`crate::hub::history`]).
pub type EventId = u64;

/// A message to broadcast, checked when built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    data: String,
    event_type: Option<String>,
    topic: Option<String>,
    /// Shared: most events have none, an event travels by value, and its
    /// encoding (`wire/encoded.rs`) holds the same one.
    keyed: Option<Arc<Keyed>>,
    idempotency_key: Option<String>,
}

/// What an event does to the keyed values of its topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keyed {
    /// The key, a label.
    pub key: String,
    /// Set, delete or expire.
    pub change: Change,
}

/// The three things an event may do to a key's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// The event is the key's value from now on, for `ttl_seconds` if set.
    Set {
        /// How long the value lasts, from when herald accepted it.
        ttl_seconds: Option<u32>,
    },
    /// The key's value is removed (`delete=1`).
    Delete,
    /// The value set by the event `of` has expired: it is removed, if it is
    /// still the key's value (a newer one may have replaced it).
    Expire {
        /// The id of the event that set the value.
        of: EventId,
    },
}

/// Why an event could not be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventError {
    /// The message is empty.
    EmptyMessage,
    /// The event type is empty, too long, or has a control character.
    BadEventType,
    /// The topic is empty, too long, or has a control character.
    BadTopic,
    /// The idempotency key is empty, too long, or not visible ASCII.
    BadIdempotencyKey,
    /// The state key is empty, too long, or has a control character.
    BadKey,
    /// The ttl is not a whole number of seconds in range, or has no key.
    BadTtl,
}

impl EventError {
    /// The reason given to a client.
    pub fn reason(self) -> &'static str {
        match self {
            EventError::EmptyMessage => "message is empty",
            EventError::BadEventType => {
                "event type must be 1 to 128 bytes without control characters"
            }
            EventError::BadTopic => "topic must be 1 to 128 bytes without control characters",
            EventError::BadIdempotencyKey => {
                "Idempotency-Key must be 1 to 128 visible ASCII characters"
            }
            EventError::BadKey => "key must be 1 to 128 bytes without control characters",
            EventError::BadTtl => {
                "ttl must be a whole number of seconds from 1 to 2592000, with a key"
            }
        }
    }
}

impl fmt::Display for EventError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.reason())
    }
}

impl std::error::Error for EventError {}

impl Event {
    /// An event of the default type (`message`) with no topic.
    ///
    /// ```
    /// let event = herald::Event::new("deploy finished")?.event("status")?.topic("ops")?;
    /// assert_eq!(event.topic_name(), Some("ops"));
    /// # Ok::<(), herald::EventError>(())
    /// ```
    ///
    /// # Errors
    /// [`EventError::EmptyMessage`] for an empty message.
    pub fn new(data: impl Into<String>) -> Result<Event, EventError> {
        let data = data.into();
        if data.is_empty() {
            return Err(EventError::EmptyMessage);
        }
        Ok(Event {
            data,
            event_type: None,
            topic: None,
            keyed: None,
            idempotency_key: None,
        })
    }

    /// An event from its three parts as a transport carries them (a form, a
    /// record of the event log, a Redis entry): the message, and the type
    /// and topic if there are any.
    ///
    /// ```
    /// let event = herald::Event::from_parts("deploy finished", Some("status"), None)?;
    /// assert_eq!((event.event_type(), event.topic_name()), (Some("status"), None));
    /// # Ok::<(), herald::EventError>(())
    /// ```
    ///
    /// # Errors
    /// The first part that breaks its rule, as [`Event::new`], [`Event::event`]
    /// and [`Event::topic`] check them.
    pub fn from_parts(
        data: &str,
        event_type: Option<&str>,
        topic: Option<&str>,
    ) -> Result<Event, EventError> {
        let mut event = Event::new(data)?;
        if let Some(event_type) = event_type {
            event = event.event(event_type)?;
        }
        if let Some(topic) = topic {
            event = event.topic(topic)?;
        }
        Ok(event)
    }

    /// Sets the event type, the name a browser dispatches it under.
    ///
    /// # Errors
    /// [`EventError::BadEventType`] unless [`is_label`] holds.
    pub fn event(mut self, event_type: impl Into<String>) -> Result<Event, EventError> {
        let event_type = event_type.into();
        if !is_label(&event_type) {
            return Err(EventError::BadEventType);
        }
        self.event_type = Some(event_type);
        Ok(self)
    }

    /// Sets the topic that subscribers can filter on.
    ///
    /// # Errors
    /// [`EventError::BadTopic`] unless [`is_label`] holds.
    pub fn topic(mut self, topic: impl Into<String>) -> Result<Event, EventError> {
        let topic = topic.into();
        if !is_label(&topic) {
            return Err(EventError::BadTopic);
        }
        self.topic = Some(topic);
        Ok(self)
    }

    /// Makes the event the current value of `key` in its topic, lasting
    /// `ttl_seconds` if given (1 to [`STATE_TTL_MAX_SECONDS`]).
    ///
    /// ```
    /// let event = herald::Event::new("passing")?.topic("builds")?.key("main", Some(60))?;
    /// assert_eq!(event.keyed().map(|keyed| keyed.key.as_str()), Some("main"));
    /// assert!(herald::Event::new("x")?.key("main", Some(0)).is_err());
    /// # Ok::<(), herald::EventError>(())
    /// ```
    ///
    /// # Errors
    /// [`EventError::BadKey`] unless [`is_state_key`] holds for the key;
    /// [`EventError::BadTtl`] for a ttl out of range.
    pub fn key(
        self,
        key: impl Into<String>,
        ttl_seconds: Option<u32>,
    ) -> Result<Event, EventError> {
        if ttl_seconds.is_some_and(|ttl| ttl == 0 || u64::from(ttl) > STATE_TTL_MAX_SECONDS) {
            return Err(EventError::BadTtl);
        }
        self.with_change(key, Change::Set { ttl_seconds })
    }

    /// Gives the event a keyed change of any kind (as a record of the
    /// event log or a Redis entry carries it).
    ///
    /// # Errors
    /// [`EventError::BadKey`] unless [`is_state_key`] holds for the key.
    pub fn with_change(
        mut self,
        key: impl Into<String>,
        change: Change,
    ) -> Result<Event, EventError> {
        let key = key.into();
        if !is_state_key(&key) {
            return Err(EventError::BadKey);
        }
        self.keyed = Some(Arc::new(Keyed { key, change }));
        Ok(self)
    }

    /// Sets the key that makes publishing this event idempotent: a second
    /// publish with the same key, while the first is remembered, is not
    /// broadcast again and gets the first one's id.
    ///
    /// ```
    /// let event = herald::Event::new("backup finished")?.idempotency_key("2f1c-77")?;
    /// assert_eq!(event.idempotency_key_value(), Some("2f1c-77"));
    /// assert!(herald::Event::new("x")?.idempotency_key("with space").is_err());
    /// # Ok::<(), herald::EventError>(())
    /// ```
    ///
    /// # Errors
    /// [`EventError::BadIdempotencyKey`] unless [`is_idempotency_key`] holds.
    pub fn idempotency_key(mut self, key: impl Into<String>) -> Result<Event, EventError> {
        let key = key.into();
        if !is_idempotency_key(&key) {
            return Err(EventError::BadIdempotencyKey);
        }
        self.idempotency_key = Some(key);
        Ok(self)
    }

    /// The message text.
    pub fn data(&self) -> &str {
        &self.data
    }

    /// The event type, if one was set.
    pub fn event_type(&self) -> Option<&str> {
        self.event_type.as_deref()
    }

    /// The topic, if one was set.
    pub fn topic_name(&self) -> Option<&str> {
        self.topic.as_deref()
    }

    /// Its keyed change, if it has one.
    pub fn keyed(&self) -> Option<&Keyed> {
        self.keyed.as_deref()
    }

    /// Its keyed change, shared, for an encoding of it to hold.
    pub fn keyed_shared(&self) -> Option<Arc<Keyed>> {
        self.keyed.clone()
    }

    /// The idempotency key, if one was set.
    pub fn idempotency_key_value(&self) -> Option<&str> {
        self.idempotency_key.as_deref()
    }
}

/// An idempotency key is 1 to [`IDEMPOTENCY_KEY_MAX_BYTES`] visible ASCII
/// characters (no space): enough for a UUID or a hash, and safe in a
/// header, a log record and a Redis key alike.
pub fn is_idempotency_key(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= IDEMPOTENCY_KEY_MAX_BYTES
        && text.bytes().all(|byte| byte.is_ascii_graphic())
}

/// A label (event type or topic) is 1 to [`MAX_LABEL_BYTES`] bytes with no
/// control character: above all no CR or LF, which would end its line.
pub fn is_label(text: &str) -> bool {
    !text.is_empty() && text.len() <= MAX_LABEL_BYTES && !text.chars().any(char::is_control)
}

/// A state key is 1 to [`STATE_KEY_MAX_BYTES`] bytes with no control
/// character, as a label: it is written on a line of its own (`key:`).
pub fn is_state_key(text: &str) -> bool {
    !text.is_empty() && text.len() <= STATE_KEY_MAX_BYTES && !text.chars().any(char::is_control)
}

/// A message as a shell sends it, without the line break it ends with:
/// `echo hi | herald publish -` and `echo hi | curl --data-binary @-` both
/// mean `hi`. Only that one break goes; one inside the message stays.
pub fn without_final_line_break(mut text: String) -> String {
    if text.ends_with('\n') {
        text.pop();
        if text.ends_with('\r') {
            text.pop();
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_final_line_break_is_dropped() {
        assert_eq!(without_final_line_break("a\nb\n".into()), "a\nb");
        assert_eq!(without_final_line_break("a\r\n".into()), "a");
        assert_eq!(without_final_line_break("a\n\n".into()), "a\n");
    }

    #[test]
    fn the_builder_checks_each_part() {
        assert_eq!(Event::new(""), Err(EventError::EmptyMessage));
        let event = Event::new("a\nb").unwrap();
        assert_eq!(event.clone().event("x\ny"), Err(EventError::BadEventType));
        assert_eq!(event.clone().event("x\r"), Err(EventError::BadEventType));
        assert_eq!(event.clone().topic(""), Err(EventError::BadTopic));
        assert_eq!(
            event.clone().topic("t".repeat(129)),
            Err(EventError::BadTopic)
        );
        let event = event.event("chat").unwrap().topic("ops").unwrap();
        assert_eq!(
            (event.data(), event.event_type(), event.topic_name()),
            ("a\nb", Some("chat"), Some("ops"))
        );
    }
}
