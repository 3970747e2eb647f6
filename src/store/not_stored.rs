//! Why a store turned an event away, and why Redis cannot be used at all:
//! the typed failures of this stage, each with the words a client or the
//! operator is given.
//!
//! A publisher that gets a [`NotStored`] answers its client `503` with the
//! reason (see [`crate::ingest::publisher::PublishError::NotStored`]):
//! nothing was half-stored, and a retry may well succeed.

use std::fmt;

/// Why one event was not stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotStored {
    /// The disk under `--data-dir` is full.
    DiskFull,
    /// The event log could not be written for another reason (logged).
    LogUnwritable,
    /// Redis could not be reached, or refused the append.
    RedisDown,
    /// Redis gave the millisecond's last sequence number already.
    TooManyInOneMillisecond,
    /// An expiry whose value another instance had replaced or ended first:
    /// nothing was appended, and nothing needs to be.
    Superseded,
}

impl NotStored {
    /// The reason given to the client.
    pub fn reason(self) -> &'static str {
        match self {
            NotStored::DiskFull => "the disk is full: the event was not stored",
            NotStored::LogUnwritable => "the event log cannot be written: the event was not stored",
            NotStored::RedisDown => "redis is unavailable: the event was not published",
            NotStored::TooManyInOneMillisecond => "too many events in one millisecond: try again",
            NotStored::Superseded => "the value was replaced or removed first",
        }
    }
}

impl fmt::Display for NotStored {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.reason())
    }
}

/// Why `--redis` cannot be used when herald starts: what failed, and
/// Redis's own words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisUnusable {
    /// What herald was doing.
    pub doing: &'static str,
    /// What went wrong, as Redis (or the build) says it.
    pub detail: String,
}

impl fmt::Display for RedisUnusable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.doing, self.detail)
    }
}
