//! Counts kept outside the hub, for `/metrics`: what the server turned
//! away and why, and how long the event log's syncs take.
//!
//! The hub counts what happens on its thread (events, listeners, drops)
//! and answers with [`HubStats`](crate::hub::stats::HubStats) when asked. These
//! happen on other threads (the closer, the connection threads, the log
//! writer), so they are atomics that any thread bumps without a lock, and
//! `/metrics` reads them as they are. Relaxed ordering is enough: each is
//! a count on its own, and nothing is decided by how two of them relate.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

/// Why a request or connection was turned away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TurnedAway {
    /// Past `--max-clients`.
    Full,
    /// The hub's queue stayed full: the publisher got `503`.
    Busy,
    /// Publishing without the token, or with a wrong one.
    Token,
    /// The event log could not store an event.
    Store,
    /// A WebSocket that broke the rules (a control-frame flood).
    Policy,
    /// The app (through `--auth-hook`) said no.
    Denied,
    /// The app could not answer in time (or made no sense).
    AuthDown,
    /// A publish would have added a key past `--state-keys` or `--state-bytes`.
    StateFull,
}

impl TurnedAway {
    /// Every reason, in the order `/metrics` lists them.
    pub const ALL: [TurnedAway; 8] = [
        TurnedAway::Full,
        TurnedAway::Busy,
        TurnedAway::Token,
        TurnedAway::Store,
        TurnedAway::Policy,
        TurnedAway::Denied,
        TurnedAway::AuthDown,
        TurnedAway::StateFull,
    ];

    /// The reason's label in `/metrics`.
    pub fn label(self) -> &'static str {
        match self {
            TurnedAway::Full => "full",
            TurnedAway::Busy => "busy",
            TurnedAway::Token => "token",
            TurnedAway::Store => "store",
            TurnedAway::Policy => "policy",
            TurnedAway::Denied => "denied",
            TurnedAway::AuthDown => "auth_down",
            TurnedAway::StateFull => "state_full",
        }
    }
}

/// The server's counts kept outside the hub.
#[derive(Debug, Default)]
pub struct Counters {
    refused: [AtomicU64; TurnedAway::ALL.len()],
    log_syncs: AtomicU64,
    log_sync_micros: AtomicU64,
    /// Whether the event log's last write failed (a full disk), so that
    /// `/health` says so until one works again.
    log_failing: AtomicBool,
}

impl Counters {
    /// Counts one refusal.
    pub fn refused(&self, reason: TurnedAway) {
        self.refused[reason as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// Refusals for `reason` since start.
    pub fn refusals(&self, reason: TurnedAway) -> u64 {
        self.refused[reason as usize].load(Ordering::Relaxed)
    }

    /// Counts one sync of the event log that took `took`.
    pub fn log_synced(&self, took: Duration) {
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.log_sync_micros.fetch_add(micros, Ordering::Relaxed);
        self.log_syncs.fetch_add(1, Ordering::Relaxed);
    }

    /// Notes whether the event log's last write failed.
    pub fn log_failing(&self, failing: bool) {
        self.log_failing.store(failing, Ordering::Relaxed);
    }

    /// Whether the event log's last write failed.
    pub fn log_is_failing(&self) -> bool {
        self.log_failing.load(Ordering::Relaxed)
    }

    /// Syncs of the event log since start, and their total time.
    pub fn log_syncs(&self) -> (u64, Duration) {
        let count = self.log_syncs.load(Ordering::Relaxed);
        let micros = self.log_sync_micros.load(Ordering::Relaxed);
        (count, Duration::from_micros(micros))
    }
}
