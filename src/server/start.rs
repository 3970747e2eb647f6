//! What starting a server opens, in order, and how each step can fail.
//!
//! [`Server::bind`](super::Server::bind) listens, then opens the storage the
//! flags ask for (the event log or Redis, never both), takes from it the
//! events to hold for replay, and only then starts the threads, so a server
//! that cannot start leaves nothing running. Every failure is a
//! [`StartError`] whose message says what to do.

use crate::access::hook::HookAddressError;
use crate::store::not_stored::RedisUnusable;
use std::io;

use crate::config::Config;
use crate::event::EventId;
use crate::ingest::idempotency::KeyIndex;
use crate::limits::IDEMPOTENCY_KEYS_MAX;
use crate::stderr_log;
use crate::store::event_log::{EventLog, OpenError, Opened};
use crate::store::record::Record;
use crate::store::scale_out;
use crate::wire::encoded::EncodedEvent;

/// Why a server could not start.
#[derive(Debug)]
pub enum StartError {
    /// The address could not be listened on.
    Listen {
        /// The address asked for.
        addr: String,
        /// What the system said.
        error: io::Error,
    },
    /// The `--www` folder cannot be served.
    Www {
        /// The folder asked for.
        folder: String,
        /// What the system said.
        error: io::Error,
    },
    /// A thread could not be started.
    Thread(io::Error),
    /// The event log in `--data-dir` cannot be used.
    EventLog(OpenError),
    /// `--redis` cannot be used.
    Redis(RedisUnusable),
    /// `--auth-hook` is not a URL herald can reach.
    AuthHook(HookAddressError),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::Listen { addr, error } => {
                write!(f, "cannot listen on {addr}: {error} (try --addr HOST:PORT)")
            }
            StartError::Www { folder, error } => {
                write!(f, "cannot serve --www {folder}: {error}")
            }
            StartError::Thread(error) => write!(f, "cannot start a thread: {error}"),
            StartError::EventLog(error) => write!(f, "{error}"),
            StartError::Redis(why) => write!(f, "{why}"),
            StartError::AuthHook(error) => write!(f, "{error}"),
        }
    }
}

impl std::error::Error for StartError {}

/// Opens the event log (`--data-dir`) or the Redis stream (`--redis`), if
/// one is asked for; never both, as each would keep the history.
pub(super) fn open_storage(
    config: &Config,
) -> Result<(Option<Opened>, Option<scale_out::Opened>), StartError> {
    if config.data_dir.is_some() && config.redis_url.is_some() {
        return Err(StartError::Redis(RedisUnusable {
            doing: "use --data-dir or --redis, not both",
            detail: "Redis keeps the history".into(),
        }));
    }
    let stored = match &config.data_dir {
        Some(dir) => Some(open_event_log(dir, config.history)?),
        None => None,
    };
    let redis = scale_out::open(config).map_err(StartError::Redis)?;
    if stored.is_none() && redis.is_none() {
        stderr_log::line(format_args!(
            "herald: history in memory only (--data-dir DIR keeps it across restarts)"
        ));
    }
    Ok((stored, redis))
}

/// The events the storage holds, oldest first, to fill the hub's history.
pub(super) type Restored = Vec<(EventId, EncodedEvent)>;

/// What the storage gives back at start-up: the events for the history,
/// and the keys' values older than them (see `hub/state/`).
pub(super) struct Kept {
    /// The newest events, oldest first.
    pub recent: Restored,
    /// Each key's current value older than `recent`, oldest first.
    pub older_values: Restored,
}

/// Takes the held events out of whichever storage was opened, and the
/// idempotency keys they carry (the newest `history` of them).
pub(super) fn take_restored(
    mut stored: Option<Opened>,
    mut redis: Option<scale_out::Opened>,
    history: usize,
) -> (Option<Opened>, Option<scale_out::Opened>, Kept, KeyIndex) {
    let (records, values) = match (&mut stored, &mut redis) {
        (Some(opened), _) => (
            std::mem::take(&mut opened.recent),
            std::mem::take(&mut opened.values),
        ),
        (None, Some(opened)) => opened.take_recent(),
        (None, None) => (Vec::new(), Vec::new()),
    };
    let mut keys = KeyIndex::new(history.min(IDEMPOTENCY_KEYS_MAX));
    for record in &records {
        if let Some(key) = record.event.idempotency_key_value() {
            keys.remember(key, record.id);
        }
    }
    let encoded = |records: Vec<Record>| {
        records
            .into_iter()
            .map(|record| (record.id, EncodedEvent::new(&record.event, record.time_ms)))
            .collect()
    };
    let kept = Kept {
        recent: encoded(records),
        older_values: encoded(values),
    };
    (stored, redis, kept, keys)
}

/// Opens the event log, and says what was found in it.
fn open_event_log(dir: &std::path::Path, history: usize) -> Result<Opened, StartError> {
    let opened = EventLog::open(dir, history).map_err(StartError::EventLog)?;
    let path = dir.join(crate::store::event_log::LOG_FILE);
    if opened.dropped_bytes > 0 {
        stderr_log::line(format_args!(
            "herald: {} ended in a torn record (a crash mid-write): cut {} bytes",
            path.display(),
            opened.dropped_bytes
        ));
    }
    stderr_log::line(format_args!(
        "herald: event log {}: {} events, the newest {} held for replay",
        path.display(),
        opened.records,
        opened.recent.len()
    ));
    Ok(opened)
}
