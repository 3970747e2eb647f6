//! What every handler may use: the settings, the page, the hub's handle,
//! the publisher, and the open connections.
//!
//! The server builds one [`Context`] when it starts and shares it (behind an
//! `Arc`) with every connection thread. It is read-only: what changes while
//! the server runs (the hub's state, the connection count) lives behind the
//! handles it holds, so a handler never takes a lock of its own.

use std::sync::Arc;
use std::time::Instant;

use crate::access::Access;
use crate::access::credentials::Credentials;
use crate::access::policy;
use crate::access::watch::Watched;
use crate::config::Config;
use crate::connection_slots::ConnectionSlots;
use crate::counters::Counters;
use crate::event::EventId;
use crate::http::cors;
use crate::http::refused_origins::RefusedOrigins;
use crate::http::request_head::RequestHead;
use crate::hub::handle::Handle;
use crate::ingest::publisher::Publisher;
use crate::ingest::submission::{Refusal, Submission};
use crate::routes::page::Site;

/// The settings and handles the handlers share.
pub struct Context {
    /// The settings the server was started with.
    pub config: Config,
    /// Where the page's files come from.
    pub site: Site,
    /// The way to the hub: subscribers, frames, endings, stats.
    pub hub: Handle,
    /// The way in for events: each gets its id, then goes to the store
    /// or the hub.
    pub publisher: Publisher,
    /// Open connections, subscribers included.
    pub connections: Arc<ConnectionSlots>,
    /// What was turned away, and the event log's syncs, for `/metrics`.
    pub counters: Arc<Counters>,
    /// With `--auth-hook`: the app's answers, and the watch on streams.
    pub access: Option<Access>,
    /// When the server started, for `uptime_s`.
    pub started: Instant,
    /// The origins lately logged as not allowed.
    pub refused_origins: RefusedOrigins,
}

impl Context {
    /// The `Access-Control-Allow-Origin` for a request to the API, if its
    /// origin is allowed; one that is not is logged (see [`RefusedOrigins`]).
    pub fn allowed_origin(&self, head: &RequestHead) -> Option<String> {
        let origin = head.origin.as_deref()?;
        let allowed = cors::allowed_origin(&self.config.cors_origins, Some(origin));
        if allowed.is_none() {
            self.refused_origins.note(origin, head.host.as_deref());
        }
        allowed
    }

    /// Publishes a submission (from a form or a WebSocket message) if its
    /// sender may (see [`policy::publish`]), and counts a refusal for
    /// `/metrics`.
    pub fn publish(
        &self,
        submission: Submission<'_>,
        credentials: Option<&Credentials>,
    ) -> Result<EventId, Refusal> {
        let published = policy::publish(
            self.access.as_ref(),
            self.config.publish_token.as_deref(),
            &self.publisher,
            submission,
            credentials,
        );
        if let Err(refusal) = published
            && let Some(reason) = refusal.counted_as()
        {
            self.counters.refused(reason);
        }
        published
    }

    /// Hands a stream the hook allowed to the watch, now that it has
    /// started and has a `key`.
    pub fn watch(&self, key: u64, watched: Option<Watched>) {
        if let (Some(access), Some(mut watched)) = (&self.access, watched) {
            watched.key = key;
            access.watch.add(watched);
        }
    }
}
