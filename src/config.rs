//! The settings of one server, as plain data.
//!
//! [`Config`] is what the command line turns into (see [`crate::cli`]) and what
//! a Rust program that embeds herald builds itself. Every field has a default
//! taken from [`crate::limits`], so `Config::default()` is a working server on
//! `127.0.0.1:8000`.

use std::path::PathBuf;
use std::time::Duration;

use crate::limits;

/// Everything a server needs to know before it starts.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where to listen, as `HOST:PORT`. Port 0 picks a free port.
    pub addr: String,
    /// Serve the page from this folder instead of the copy built into the binary.
    pub www: Option<PathBuf>,
    /// How many recent events are kept for replay.
    pub history: usize,
    /// How much memory those events may take, in bytes.
    pub history_bytes: usize,
    /// How often a comment line is written to every stream.
    pub heartbeat: Duration,
    /// The largest request body read, in bytes.
    pub max_body: usize,
    /// Deadline for a whole request head, and then for its body.
    pub header_timeout: Duration,
    /// How long an idle keep-alive connection is kept open.
    pub keepalive_timeout: Duration,
    /// Open connections at most, subscribers included.
    pub max_clients: usize,
    /// Bytes that may wait for one slow subscriber before it is dropped.
    pub max_backlog: usize,
    /// When set, publishing needs this token.
    pub publish_token: Option<String>,
    /// Origins allowed to call herald from their own pages (`*` for any).
    pub cors_origins: Vec<String>,
    /// Write one line per request to stderr.
    pub access_log: bool,
    /// Keys with a value, over all topics, at most (see `hub/state/`).
    pub state_keys: usize,
    /// The memory those values may take, in bytes.
    pub state_bytes: usize,
    /// Presence lists change on a stream at most this often, per topic
    /// (see `hub/presence/`).
    pub presence_interval: Duration,
    /// Keep the event log in this folder, so history survives a restart.
    pub data_dir: Option<PathBuf>,
    /// When a stored event counts as durable (with `data_dir`).
    pub fsync: FsyncMode,
    /// Share events with other instances through this Redis (feature `redis`).
    pub redis_url: Option<String>,
    /// The Redis stream's name.
    pub redis_stream: String,
    /// Ask the app at this `http://` URL who may listen and publish.
    pub auth_hook: Option<String>,
    /// How long one question to the app may take.
    pub auth_hook_timeout: Duration,
}

/// When a publish is acknowledged, with `--data-dir`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FsyncMode {
    /// After the event is synced to disk (group commit).
    #[default]
    Always,
    /// After the event is written; synced at most every
    /// [`limits::FSYNC_INTERVAL`] (100 ms).
    Interval,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            addr: limits::DEFAULT_ADDR.to_string(),
            www: None,
            history: limits::DEFAULT_HISTORY_EVENTS,
            history_bytes: limits::DEFAULT_HISTORY_BYTES,
            state_keys: limits::DEFAULT_STATE_KEYS,
            state_bytes: limits::DEFAULT_STATE_BYTES,
            presence_interval: limits::DEFAULT_PRESENCE_INTERVAL,
            heartbeat: limits::DEFAULT_HEARTBEAT,
            max_body: limits::DEFAULT_MAX_BODY_BYTES,
            header_timeout: limits::DEFAULT_HEADER_TIMEOUT,
            keepalive_timeout: limits::DEFAULT_KEEPALIVE_TIMEOUT,
            max_clients: limits::default_max_clients(),
            max_backlog: limits::DEFAULT_MAX_BACKLOG_BYTES,
            publish_token: None,
            auth_hook: None,
            auth_hook_timeout: limits::DEFAULT_AUTH_HOOK_TIMEOUT,
            cors_origins: Vec::new(),
            access_log: true,
            data_dir: None,
            fsync: FsyncMode::Always,
            redis_url: None,
            redis_stream: limits::DEFAULT_REDIS_STREAM.to_string(),
        }
    }
}
