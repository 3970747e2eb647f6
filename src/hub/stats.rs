//! The hub's numbers, for `/stats` and `/metrics`: counted on the hub's
//! thread as things happen, and handed over whole when a [`Command::Stats`]
//! asks (see [`crate::hub::handle::Handle::stats`]).
//!
//! [`Command::Stats`]: crate::hub::Command::Stats

use super::Hub;
use crate::event::EventId;
use crate::hub::listener::Listener;
use crate::hub::round_times::RoundTimes;

/// The hub's numbers, for `/stats` and `/metrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HubStats {
    /// Open event streams, of both kinds.
    pub listeners: usize,
    /// Of those, WebSockets.
    pub websockets: usize,
    /// Events published since start.
    pub published: u64,
    /// Listeners dropped because they fell too far behind, both reasons.
    pub dropped: u64,
    /// Of those, the ones more than `--max-backlog` behind.
    pub dropped_too_slow: u64,
    /// Of those, the ones whose next event left the history first.
    pub dropped_overtaken: u64,
    /// Events held for replay.
    pub history: usize,
    /// The memory those events occupy, as `--history-bytes` counts it.
    pub history_bytes: usize,
    /// Bytes the listeners are behind on, summed: what they are owed.
    pub behind_bytes: usize,
    /// The newest event's id.
    pub last_id: Option<EventId>,
    /// Named people in presence lists, one per person per topic.
    pub presence_users: usize,
    /// Presence notices written to streams since start.
    pub presence_events: u64,
    /// How long the rounds took.
    pub round_times: RoundTimes,
}

impl Hub {
    /// The numbers as they are now.
    pub(super) fn stats(&self) -> HubStats {
        HubStats {
            listeners: self.listeners.len(),
            websockets: self.index.websockets(),
            published: self.counts.published,
            dropped: self.counts.dropped_too_slow + self.counts.dropped_overtaken,
            dropped_too_slow: self.counts.dropped_too_slow,
            dropped_overtaken: self.counts.dropped_overtaken,
            history: self.history.len(),
            history_bytes: self.history.size_bytes(),
            behind_bytes: self.listeners.iter().map(Listener::behind_bytes).sum(),
            last_id: self.history.newest_id(),
            presence_users: self.presence.named(),
            presence_events: self.presence.events_sent(),
            round_times: self.counts.round_times,
        }
    }
}
