//! Every limit herald enforces, in one place, each with its unit in its name.
//!
//! A server that runs for months on a shared box must put a bound on everything a
//! client controls: how many bytes it may send, how long it may take, how many
//! connections it may hold. The limits that a person may want to change are
//! flags (their defaults live here and are used by [`crate::config::Config`]);
//! the others are fixed, because no sensible client comes near them.

use std::time::Duration;

// ---- Defaults of the flags -------------------------------------------------

/// `--addr`: loopback only, so a first run exposes nothing to the network.
pub const DEFAULT_ADDR: &str = "127.0.0.1:8000";

/// `--history`: events kept for replay to tabs that reconnect.
pub const DEFAULT_HISTORY_EVENTS: usize = 1000;

/// `--heartbeat`: seconds between comment lines on every stream. Proxies
/// commonly close a connection that has been silent for 30 to 60 seconds.
pub const DEFAULT_HEARTBEAT: Duration = Duration::from_secs(15);

/// `--max-body`: the largest request body read, in bytes. A chat line or a
/// status update is far smaller; a body is held in memory whole.
pub const DEFAULT_MAX_BODY_BYTES: usize = 64 * 1024;

/// `--header-timeout`: the whole request head (and then the body) must arrive
/// within this time. It is one deadline, not a timeout per read, so a client
/// that sends one byte every few seconds (slowloris) is still cut off.
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// `--keepalive-timeout`: an idle keep-alive connection is closed after this,
/// so that threads are not held by clients that went away.
pub const DEFAULT_KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(15);

/// `--max-clients` when the open-file limit cannot be read: open connections,
/// subscribers included. Each one that is not a subscriber holds a thread,
/// so this also bounds the thread count.
pub const FALLBACK_MAX_CLIENTS: usize = 10_000;

/// File descriptors kept back from `--max-clients` for the listening
/// socket, `--www` files, stdio and the like.
pub const RESERVED_FILE_DESCRIPTORS: usize = 64;

/// The default `--max-clients`: as many connections as the process's
/// open-file limit (`ulimit -n`) allows, less a reserve, so the server turns
/// clients away with a `503` before `accept` starts failing.
pub fn default_max_clients() -> usize {
    open_file_limit()
        .map(|limit| limit.saturating_sub(RESERVED_FILE_DESCRIPTORS).max(1))
        .unwrap_or(FALLBACK_MAX_CLIENTS)
}

/// The soft open-file limit (`ulimit -n`): what the process may open now.
pub fn open_file_limit() -> Option<usize> {
    open_file_limits().map(|limits| limits.soft)
}

/// The process's open-file limits. Only the soft one binds; a process may
/// raise it as far as the hard one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenFileLimits {
    /// The limit in force (`ulimit -Sn`).
    pub soft: usize,
    /// How far the soft limit may be raised without privilege (`ulimit -Hn`).
    pub hard: usize,
}

/// Both open-file limits, from `/proc/self/limits` (Linux). std has no call
/// to read them, and reading this file needs no `unsafe` and no `libc`.
/// Raising the soft limit would need `setrlimit`, which std does not offer
/// either, so herald reports the limits and leaves raising them to the
/// shell or the service manager.
pub fn open_file_limits() -> Option<OpenFileLimits> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    parse_open_file_limits(&limits)
}

/// Reads the `Max open files  SOFT  HARD  files` line.
fn parse_open_file_limits(limits: &str) -> Option<OpenFileLimits> {
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    let mut numbers = line["Max open files".len()..].split_whitespace();
    let soft = numbers.next()?.parse().ok()?;
    let hard = numbers.next()?.parse().ok()?;
    Some(OpenFileLimits { soft, hard })
}

/// `--max-backlog`: bytes that may wait for one subscriber that does not read.
/// Past this the subscriber is dropped; its browser reconnects with
/// `Last-Event-ID` and catches up from the history.
pub const DEFAULT_MAX_BACKLOG_BYTES: usize = 1024 * 1024;

// ---- Fixed limits -------------------------------------------------------------

/// The request line and the headers together (RFC 9112 §2.3 leaves the bound to
/// the server). Past it: 431, or 414 when the request line alone is too long.
pub const MAX_HEAD_BYTES: usize = 16 * 1024;

/// The request target (path and query). Past it: 414 URI Too Long.
pub const MAX_TARGET_BYTES: usize = 8 * 1024;

/// How many header lines a request may have. Past it: 431.
pub const MAX_HEADERS: usize = 64;

/// A topic name or an event type, in bytes. They are labels, not content.
pub const MAX_LABEL_BYTES: usize = 128;

/// How many `topic=` parameters one subscriber may give.
pub const MAX_TOPICS_PER_LISTENER: usize = 32;

/// A response that a client does not read is given up on after this, so a
/// client cannot hold a thread by never reading.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// How often the hub checks every subscriber for a hang-up, so that a
/// closed tab frees its connection slot within about this time.
pub const SWEEP_INTERVAL: Duration = Duration::from_secs(1);

/// The sweep is done in this many slices spread over [`SWEEP_INTERVAL`], so
/// that with 10,000 subscribers no event waits behind 10,000 reads.
pub const SWEEP_SLICES: usize = 10;

/// How long a connection thread waits for the hub to answer (a publish or a
/// stats request). The hub answers in microseconds; this only guards a bug.
pub const HUB_REPLY_TIMEOUT: Duration = Duration::from_secs(5);

/// While some subscriber has bytes waiting, the hub retries its writes this
/// often (std has no portable readiness API, so it polls, and only then).
pub const BACKLOG_RETRY_INTERVAL: Duration = Duration::from_millis(5);

/// Stack of a connection thread. Requests are parsed into heap buffers, so
/// a small stack is plenty, and thousands of threads stay cheap.
pub const CONNECTION_STACK_BYTES: usize = 128 * 1024;

/// When `accept` fails for want of file descriptors, wait this long before
/// trying again, instead of spinning.
pub const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// The `retry:` field sent at the start of every stream: how long a browser
/// waits before it reconnects after the stream drops.
pub const SSE_RETRY_MS: u64 = 2000;

/// `Retry-After` on a 503 when the server is full.
pub const RETRY_AFTER_S: u64 = 2;

/// After answering a request it could not read properly, a connection reads
/// and discards what the client still sends for this long before closing
/// (see [`crate::server::connection`]); turned-away connections too (see
/// [`crate::server::closer`]).
pub const LINGER: Duration = Duration::from_secs(1);

/// How much a closing connection reads and discards at most.
pub const LINGER_BYTES: usize = 1024 * 1024;

/// How many turned-away sockets the closer thread holds at once; past this
/// they are closed at once, so a flood cannot grow the list.
pub const MAX_LINGERING_SOCKETS: usize = 512;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_open_file_limits_are_read() {
        let limits = "Limit                     Soft Limit           Hard Limit           Units     \n\
                      Max processes             63442                63442                processes \n\
                      Max open files            1024                 524288               files     \n";
        assert_eq!(
            parse_open_file_limits(limits),
            Some(OpenFileLimits {
                soft: 1024,
                hard: 524288
            })
        );
        assert_eq!(parse_open_file_limits("Max processes 5 5 processes"), None);
    }
}
