//! Who may: the one place that decides whether a publish or a stream goes
//! ahead, and what a stream the app allowed may carry.
//!
//! - A publish carrying the server's `--publish-token` is the app's
//!   backend: always allowed. Without the token and with `--auth-hook`,
//!   the app decides by the client's credentials (its session cookie or
//!   `Authorization`); otherwise the token rule alone holds.
//! - A stream without `--auth-hook` carries what it asked for. With it,
//!   the app decides: a refusal is a [`StreamRefusal`]; an allowed stream
//!   carries the topics it asked for, or, when it asked for none, every
//!   topic the app allows it and the public events; it is watched, and
//!   asked about again when the app's answer expires.
//!
//! The routes only decode what a client sent and turn each refusal into a
//! status; the rules are here.

use std::sync::Arc;

use crate::access::credentials::Credentials;
use crate::access::grant::{Grant, Topics};
use crate::access::watch::Watched;
use crate::access::{Access, Action, Decision};
use crate::event::EventId;
use crate::hub::filter::TopicFilter;
use crate::hub::presence::Attendee;
use crate::ingest::idempotency::KeyOwner;
use crate::ingest::publisher::Publisher;
use crate::ingest::submission::{Refusal, Submission};

/// What a stream may start with.
pub enum StreamAdmission {
    /// No hook: the stream carries what it asked for.
    AsAsked,
    /// The app allowed it.
    Allowed(Box<AllowedStream>),
    /// The app could not say: the stream starts and ends at once, with a
    /// word to come back soon.
    ComeBackLater,
}

/// A stream the app allowed, and what it carries.
pub struct AllowedStream {
    /// The events it carries.
    pub filter: TopicFilter,
    /// Its watch, to hand to the watch thread once it has started.
    pub watch: Watched,
    /// What the client sent, for a WebSocket's publishing.
    pub credentials: Credentials,
    /// Who the app says it is, for presence.
    pub attendee: Attendee,
}

/// Why the app turned a stream away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamRefusal {
    /// The app says nobody is logged in (its `401`).
    NotLoggedIn,
    /// The app does not let this person listen (its `403`).
    NotAllowed,
    /// The app lets this person listen, but not to a topic asked for.
    TopicNotAllowed,
}

impl StreamRefusal {
    /// The reason given to the client.
    pub fn reason(self) -> &'static str {
        match self {
            StreamRefusal::NotLoggedIn => "log in to the app first",
            StreamRefusal::NotAllowed => "the app does not let you listen",
            StreamRefusal::TopicNotAllowed => "the app does not let you listen to that topic",
        }
    }
}

/// Whether a stream asking for `topics` (none: all it may see) may start,
/// and what it then carries.
///
/// # Errors
/// The app's refusal, as a [`StreamRefusal`].
pub fn admit_stream(
    access: Option<&Access>,
    credentials: impl FnOnce() -> Credentials,
    topics: &[String],
) -> Result<StreamAdmission, StreamRefusal> {
    let Some(access) = access else {
        return Ok(StreamAdmission::AsAsked);
    };
    let credentials = credentials();
    let (grant, expires) = match access.asker.decide(&credentials, Action::Listen, topics) {
        Decision::Allowed(grant, expires) => (grant, expires),
        Decision::Refused(401) => return Err(StreamRefusal::NotLoggedIn),
        Decision::Refused(_) => return Err(StreamRefusal::NotAllowed),
        Decision::Unavailable => return Ok(StreamAdmission::ComeBackLater),
    };
    if topics.iter().any(|topic| !grant.listen.allows(Some(topic))) {
        return Err(StreamRefusal::TopicNotAllowed);
    }
    let carried = carried_topics(&grant, topics);
    let filter = match &carried {
        Topics::All => TopicFilter::everything(),
        Topics::Only(carried) => TopicFilter::with_public(carried.clone()),
    };
    let watch = Watched {
        key: 0,
        credentials: credentials.clone(),
        asked: topics.to_vec(),
        carried,
        expires,
        ttl: grant.ttl,
    };
    Ok(StreamAdmission::Allowed(Box::new(AllowedStream {
        filter,
        watch,
        credentials,
        attendee: attendee(&grant),
    })))
}

/// Who a grant says the person is: named, unless the app keeps them out of
/// the lists or gave no name.
fn attendee(grant: &Grant) -> Attendee {
    match &grant.user {
        _ if !grant.listed => Attendee::Unlisted,
        Some(user) => Attendee::Named(user.as_str().into()),
        None => Attendee::Anonymous,
    }
}

/// What an allowed stream carries: the topics it asked for, or with none
/// asked, all that the app lets it listen to.
fn carried_topics(grant: &Arc<Grant>, asked: &[String]) -> Topics {
    match (&grant.listen, asked.is_empty()) {
        (Topics::All, true) => Topics::All,
        (Topics::Only(allowed), true) => Topics::Only(allowed.clone()),
        (_, false) => Topics::Only(asked.to_vec()),
    }
}

/// Publishes `submission` if its sender may: a valid `required_token` is
/// always enough (the app's backend); otherwise, with the hook and the
/// client's `credentials`, the app decides; otherwise the token rule.
///
/// # Errors
/// The first rule the submission breaks, as a [`Refusal`].
pub fn publish(
    access: Option<&Access>,
    required_token: Option<&str>,
    publisher: &Publisher,
    submission: Submission<'_>,
    credentials: Option<&Credentials>,
) -> Result<EventId, Refusal> {
    let has_token = required_token.is_some_and(|token| submission.carries_token(token));
    match (access, credentials) {
        (Some(access), Some(credentials)) if !has_token => {
            publish_as_app_allows(access, credentials, publisher, submission)
        }
        _ => submission.publish(publisher, required_token),
    }
}

/// Publishes if the app lets the holder of `credentials` publish to the
/// submission's topic (an event without one needs `"*"`).
fn publish_as_app_allows(
    access: &Access,
    credentials: &Credentials,
    publisher: &Publisher,
    submission: Submission<'_>,
) -> Result<EventId, Refusal> {
    let topic = submission.topic_name();
    let topics: Vec<String> = topic.map(str::to_string).into_iter().collect();
    match access.asker.decide(credentials, Action::Publish, &topics) {
        Decision::Allowed(grant, _) if grant.publish.allows(topic) => {
            let owner = match &grant.user {
                Some(user) => KeyOwner::User(user),
                None => KeyOwner::Address(submission.peer()),
            };
            submission.publish_as(publisher, owner)
        }
        Decision::Allowed(..) | Decision::Refused(_) => Err(Refusal::NotAllowed),
        Decision::Unavailable => Err(Refusal::AppUnavailable),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn grant(listen: Topics) -> Arc<Grant> {
        Arc::new(Grant {
            listen,
            publish: Topics::Only(Vec::new()),
            ttl: Duration::from_secs(60),
            user: None,
            listed: true,
        })
    }

    #[test]
    fn a_stream_carries_what_it_asked_for_or_all_it_may_see() {
        let some = |names: &[&str]| Topics::Only(names.iter().map(|n| n.to_string()).collect());
        let asked = vec!["a".to_string()];
        assert_eq!(carried_topics(&grant(Topics::All), &[]), Topics::All);
        assert_eq!(carried_topics(&grant(Topics::All), &asked), some(&["a"]));
        assert_eq!(
            carried_topics(&grant(some(&["a", "b"])), &[]),
            some(&["a", "b"])
        );
        assert_eq!(
            carried_topics(&grant(some(&["a", "b"])), &asked),
            some(&["a"])
        );
    }
}
