//! A publish as a client sends it, whatever carried it: a message, an event
//! type, a topic and, with `--publish-token`, the token.
//!
//! `POST /publish` (a form or plain text) and a WebSocket's `{"publish": …}`
//! both end here, so the same rules hold on both, in the same order: the
//! token is checked first (a stranger learns nothing about what a valid
//! message looks like), then the event is built (see [`Event::from_parts`]),
//! then it is published. Each transport turns a [`Refusal`] into its own
//! answer: a status for HTTP, an `{"error": …}` for the WebSocket.

use crate::counters;
use std::net::IpAddr;

use crate::event::{Change, Event, EventError, EventId, is_idempotency_key};
use crate::ingest::expiry::deletion;
use crate::ingest::idempotency::{KeyOwner, owned_key};
use crate::ingest::publisher::{PublishError, Publisher};

/// What a client asked to publish. Every part is as the client sent it; an
/// empty event type counts as none, an empty topic is refused.
#[derive(Debug, Clone, Copy, Default)]
pub struct Submission<'a> {
    /// The message text.
    pub message: Option<&'a str>,
    /// The event type.
    pub event_type: Option<&'a str>,
    /// The topic.
    pub topic: Option<&'a str>,
    /// The state key whose value this is (see `hub/state/`).
    pub key: Option<&'a str>,
    /// How long the value lasts, in seconds, as sent.
    pub ttl: Option<&'a str>,
    /// Remove the key's value instead (`delete=1`).
    pub delete: bool,
    /// The token the client gave, if any.
    pub token: Option<&'a str>,
    /// The `Idempotency-Key` the client gave, if any.
    pub idempotency_key: Option<&'a str>,
    /// The client's address: whose key it is when nothing else says.
    pub peer: Option<IpAddr>,
}

/// Why a submission was not published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Publishing needs a token and none was given.
    NoToken,
    /// The token given is not the server's.
    WrongToken,
    /// There is no message.
    NoMessage,
    /// `delete=1` or `ttl` without a key.
    NoKey,
    /// The message, type or topic breaks a rule of [`Event`].
    BadEvent(EventError),
    /// The event was fine but could not be published.
    NotPublished(PublishError),
    /// The app (through `--auth-hook`) does not let this person publish
    /// to this topic.
    NotAllowed,
    /// The app could not say whether this person may publish.
    AppUnavailable,
}

impl Refusal {
    /// The reason `/metrics` counts it under; `None` for a request that
    /// was only malformed (its `400` is in the access log).
    pub fn counted_as(self) -> Option<counters::TurnedAway> {
        match self {
            Refusal::NoToken | Refusal::WrongToken => Some(counters::TurnedAway::Token),
            Refusal::NotPublished(PublishError::Busy) => Some(counters::TurnedAway::Busy),
            Refusal::NotPublished(PublishError::NotStored(_)) => Some(counters::TurnedAway::Store),
            Refusal::NotPublished(PublishError::StateFull(_)) => {
                Some(counters::TurnedAway::StateFull)
            }
            Refusal::NotAllowed => Some(counters::TurnedAway::Denied),
            Refusal::AppUnavailable => Some(counters::TurnedAway::AuthDown),
            Refusal::NoMessage | Refusal::NoKey | Refusal::BadEvent(_) => None,
            Refusal::NotPublished(PublishError::Unavailable | PublishError::InProgress) => None,
        }
    }

    /// The reason given to the client.
    pub fn reason(self) -> &'static str {
        match self {
            Refusal::NoToken => "publishing needs a token",
            Refusal::WrongToken => "wrong token",
            Refusal::NoMessage => {
                "missing message: send a form with message=TEXT, JSON with \"message\", or the text itself with Content-Type: text/plain"
            }
            Refusal::NoKey => "delete and ttl need a key: send key=NAME",
            Refusal::BadEvent(error) => error.reason(),
            Refusal::NotPublished(PublishError::NotStored(reason)) => reason.reason(),
            Refusal::NotPublished(PublishError::Unavailable) => "the server is not answering",
            Refusal::NotPublished(PublishError::Busy) => {
                "the server is busy: try again in a moment"
            }
            Refusal::NotPublished(PublishError::InProgress) => {
                "a publish with this Idempotency-Key is still in progress: try again in a moment"
            }
            Refusal::NotPublished(PublishError::StateFull(full)) => full.reason(),
            Refusal::NotAllowed => "the app does not let you publish to that topic",
            Refusal::AppUnavailable => "the app cannot say now whether you may publish",
        }
    }
}

impl<'a> Submission<'a> {
    /// Checks the token against `required_token` (when the server has one),
    /// builds the event and publishes it; its id.
    ///
    /// # Errors
    /// The first rule the submission breaks, as a [`Refusal`].
    pub fn publish(
        self,
        publisher: &Publisher,
        required_token: Option<&str>,
    ) -> Result<EventId, Refusal> {
        if let Some(required) = required_token {
            check_token(self.token, required)?;
        }
        let owner = match required_token {
            Some(_) => KeyOwner::Backend,
            None => KeyOwner::Address(self.peer),
        };
        self.publish_as(publisher, owner)
    }

    /// Builds the event and publishes it as sent by `owner` (whose key its
    /// idempotency key is), with no token check: the app has allowed it.
    ///
    /// # Errors
    /// The first rule the event breaks, or why it was not published.
    pub fn publish_as(
        self,
        publisher: &Publisher,
        owner: KeyOwner<'_>,
    ) -> Result<EventId, Refusal> {
        let event = self.event(owner)?;
        publisher.publish(event).map_err(Refusal::NotPublished)
    }

    /// The client's address.
    pub fn peer(self) -> Option<IpAddr> {
        self.peer
    }

    /// Whether it carries `required` as its token.
    pub fn carries_token(self, required: &str) -> bool {
        is_token(self.token, required)
    }

    /// The topic, if one was given.
    pub fn topic_name(self) -> Option<&'a str> {
        self.topic.filter(|topic| !topic.is_empty())
    }

    /// The event this submission describes, its key kept as `owner`'s.
    fn event(self, owner: KeyOwner<'_>) -> Result<Event, Refusal> {
        let event = self.keyed_event()?;
        match self.idempotency_key {
            Some(key) if !is_idempotency_key(key) => Err(EventError::BadIdempotencyKey),
            Some(key) => event.idempotency_key(owned_key(owner, key)),
            None => Ok(event),
        }
        .map_err(Refusal::BadEvent)
    }
}

impl Submission<'_> {
    /// The event, with its key's change if it has a key: a `herald-delete`
    /// for `delete=1`, else the message as the key's new value.
    fn keyed_event(self) -> Result<Event, Refusal> {
        let key = self.key.filter(|key| !key.is_empty());
        let ttl = self.ttl.filter(|ttl| !ttl.is_empty());
        if key.is_none() && (self.delete || ttl.is_some()) {
            return Err(Refusal::NoKey);
        }
        if let (Some(key), true) = (key, self.delete) {
            return deletion(self.topic, key, Change::Delete).map_err(Refusal::BadEvent);
        }
        let message = self.message.ok_or(Refusal::NoMessage)?;
        let event_type = self.event_type.filter(|t| !t.is_empty());
        // An empty `topic=` is refused, as on `/events`: with --auth-hook,
        // a message meant for one team must not go to everyone.
        let event = Event::from_parts(message, event_type, self.topic);
        let Some(key) = key else {
            return event.map_err(Refusal::BadEvent);
        };
        let ttl = ttl.map(parse_ttl).transpose().map_err(Refusal::BadEvent)?;
        event
            .and_then(|event| event.key(key, ttl))
            .map_err(Refusal::BadEvent)
    }
}

/// A ttl is a whole number of seconds; [`Event::key`] checks its range.
fn parse_ttl(text: &str) -> Result<u32, EventError> {
    if text.is_empty() || !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(EventError::BadTtl);
    }
    // Too many digits for a u32 is out of range all the same.
    Ok(text.parse().unwrap_or(u32::MAX))
}

/// Whether `given` is the `required` token, compared in constant time: for
/// a request that carries one without publishing (`GET /state`).
pub fn is_token(given: Option<&str>, required: &str) -> bool {
    check_token(given, required).is_ok()
}

/// No token is [`Refusal::NoToken`], a wrong one [`Refusal::WrongToken`].
fn check_token(given: Option<&str>, required: &str) -> Result<(), Refusal> {
    match given {
        None => Err(Refusal::NoToken),
        Some(token) if same_secret(token.as_bytes(), required.as_bytes()) => Ok(()),
        Some(_) => Err(Refusal::WrongToken),
    }
}

/// Compares two secrets in time that depends only on their lengths, so the
/// answer's timing does not tell an attacker how many leading bytes matched.
fn same_secret(given: &[u8], expected: &[u8]) -> bool {
    let mut difference = given.len() ^ expected.len();
    for (i, &byte) in expected.iter().enumerate() {
        let other = given.get(i).copied().unwrap_or(!byte);
        difference |= usize::from(byte ^ other);
    }
    difference == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn submission<'a>(message: &'a str, event_type: &'a str, topic: &'a str) -> Submission<'a> {
        Submission {
            message: Some(message),
            event_type: Some(event_type),
            topic: Some(topic).filter(|topic| !topic.is_empty()),
            ..Submission::default()
        }
    }

    #[test]
    fn an_event_from_a_submission() {
        let event = submission("hi", "chat", "")
            .event(KeyOwner::Backend)
            .unwrap();
        assert_eq!(
            (event.data(), event.event_type(), event.topic_name()),
            ("hi", Some("chat"), None)
        );
        assert_eq!(
            Submission::default().event(KeyOwner::Backend).unwrap_err(),
            Refusal::NoMessage
        );
        assert_eq!(
            submission("", "", "")
                .event(KeyOwner::Backend)
                .unwrap_err()
                .reason(),
            "message is empty"
        );
        let injected = submission("x", "a\nb", "");
        assert_eq!(
            injected.event(KeyOwner::Backend).unwrap_err(),
            Refusal::BadEvent(EventError::BadEventType)
        );
        let empty_topic = Submission {
            topic: Some(""),
            ..submission("x", "", "")
        };
        assert_eq!(
            empty_topic.event(KeyOwner::Backend).unwrap_err(),
            Refusal::BadEvent(EventError::BadTopic),
            "an empty topic is no topic's name, as on /events"
        );
    }

    #[test]
    fn a_keyed_submission_sets_deletes_or_is_refused() {
        let keyed = |key, ttl, delete| Submission {
            key: Some(key),
            ttl,
            delete,
            ..submission("passing", "", "builds")
        };
        let event = keyed("main", Some("60"), false)
            .event(KeyOwner::Backend)
            .unwrap();
        let change = Change::Set {
            ttl_seconds: Some(60),
        };
        assert_eq!(event.keyed().map(|keyed| keyed.change), Some(change));
        let delete = keyed("main", None, true).event(KeyOwner::Backend).unwrap();
        assert_eq!(delete.event_type(), Some("herald-delete"));
        assert_eq!(delete.data(), r#"{"topic":"builds","key":"main"}"#);
        let refused = |submission: Submission<'_>| submission.event(KeyOwner::Backend).unwrap_err();
        let no_key = Submission {
            delete: true,
            ..submission("x", "", "")
        };
        assert_eq!(refused(no_key), Refusal::NoKey);
        for ttl in ["0", "-1", "1.5", "2592001", "99999999999"] {
            let bad = keyed("main", Some(ttl), false);
            assert_eq!(refused(bad), Refusal::BadEvent(EventError::BadTtl), "{ttl}");
        }
        assert_eq!(
            refused(keyed("a\nb", None, false)),
            Refusal::BadEvent(EventError::BadKey)
        );
        let no_message = Submission {
            message: None,
            ..keyed("main", None, false)
        };
        assert_eq!(refused(no_message), Refusal::NoMessage);
    }

    #[test]
    fn tokens() {
        assert_eq!(check_token(None, "s"), Err(Refusal::NoToken));
        assert_eq!(check_token(Some("s"), "s"), Ok(()));
        assert_eq!(check_token(Some("t"), "s"), Err(Refusal::WrongToken));
        assert_eq!(check_token(Some("ss"), "s"), Err(Refusal::WrongToken));
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret(b"abc", b"abc"));
        assert!(!same_secret(b"abd", b"abc"));
        assert!(!same_secret(b"ab", b"abc"));
        assert!(!same_secret(b"abcd", b"abc"));
        assert!(!same_secret(b"", b"abc"));
    }
}
