//! What every handler may use: the settings, the page, the way to the hub,
//! and the open connections.
//!
//! The server builds one [`Context`] when it starts and shares it (behind an
//! `Arc`) with every connection thread. It is read-only: what changes while
//! the server runs (the hub's state, the connection count) lives behind the
//! handles it holds, so a handler never takes a lock of its own.

use std::sync::Arc;
use std::time::Instant;

use crate::config::Config;
use crate::connection_slots::ConnectionSlots;
use crate::counters::Counters;
use crate::event::EventId;
use crate::ingest::publisher::Publisher;
use crate::ingest::submission::{Refusal, Submission};
use crate::routes::page::Site;

/// The settings and handles the handlers share.
pub struct Context {
    /// The settings the server was started with.
    pub config: Config,
    /// Where the page's files come from.
    pub site: Site,
    /// The way to the hub.
    pub publisher: Publisher,
    /// Open connections, subscribers included.
    pub connections: Arc<ConnectionSlots>,
    /// What was turned away, and the event log's syncs, for `/metrics`.
    pub counters: Arc<Counters>,
    /// When the server started, for `uptime_s`.
    pub started: Instant,
}

impl Context {
    /// Publishes a submission (from a form or a WebSocket message) with the
    /// server's token rule, and counts a refusal for `/metrics`.
    pub fn publish(&self, submission: Submission<'_>) -> Result<EventId, Refusal> {
        let required_token = self.config.publish_token.as_deref();
        let published = submission.publish(&self.publisher, required_token);
        if let Err(refusal) = published
            && let Some(reason) = refusal.counted_as()
        {
            self.counters.refused(reason);
        }
        published
    }
}
