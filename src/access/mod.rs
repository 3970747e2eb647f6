//! Stage 3, access: who may listen and publish, decided by the app's own
//! login through `--auth-hook`.
//!
//! Without `--auth-hook` this stage asks nobody, and anyone who can reach
//! herald may listen (publishing is guarded by `--publish-token` alone).
//! With it, herald asks the app before every stream starts, and before a
//! publish that carries no valid token. The files:
//!
//! - [`credentials`]: what is forwarded to the hook, and the cache key;
//! - [`hook`]: the one `POST` to the app, within a deadline and a size;
//! - [`grant`]: the app's answer (topics to listen to and publish to, ttl),
//!   read by [`crate::wire::json_reader`];
//! - [`cache`]: answers kept for their ttl;
//! - [`policy`]: the rules: who may publish, which streams start, and
//!   what an allowed stream carries;
//! - [`watch`]: the thread that asks again when a stream's answer expires,
//!   and ends the stream if the answer changed.
//!
//! The hook is asked on the thread of the connection that needs the
//! answer (or the watch thread), never on the hub's: a slow app delays the
//! person it is deciding about, nobody else.

pub mod cache;
pub mod credentials;
pub mod grant;
pub mod hook;
pub mod policy;
pub mod watch;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::limits::AUTH_REFUSAL_HOLD;
use crate::stderr_log;
use cache::{Cache, Kept};
use credentials::{Credentials, KeyMaker};
use grant::Grant;
use hook::{HookAddress, HookAnswer, HookFailure};

/// What a question to the hook came to.
#[derive(Debug, Clone)]
pub enum Decision {
    /// Allowed, with what the app granted, until the instant given.
    Allowed(Arc<Grant>, Instant),
    /// The app said `401` or `403`.
    Refused(u16),
    /// The app could not answer (down, slow, or an answer herald cannot
    /// read): try again later, it is not a refusal.
    Unavailable,
}

/// The questions herald asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// May they listen to these topics?
    Listen,
    /// May they publish to this topic?
    Publish,
}

impl Action {
    fn name(self) -> &'static str {
        match self {
            Action::Listen => "listen",
            Action::Publish => "publish",
        }
    }
}

/// The hook, and the watch on streams it allowed: what the server holds
/// when it runs with `--auth-hook`.
pub struct Access {
    /// Asks the app, through the cache.
    pub asker: Arc<Asker>,
    /// Asks again as each stream's answer expires.
    pub watch: watch::Watch,
}

/// Calls to the hook, answers from the cache, and calls that failed.
#[derive(Default)]
struct AskCounts {
    calls: AtomicU64,
    cache_hits: AtomicU64,
    failures: AtomicU64,
}

/// Asks the hook, through the cache.
pub struct Asker {
    hook: HookAddress,
    timeout: Duration,
    keys: KeyMaker,
    cache: Mutex<Cache>,
    /// What the asking came to, for `/metrics` and the tests.
    counts: AskCounts,
    /// When a failure was last logged: once per burst, not per request.
    last_logged: Mutex<Option<Instant>>,
}

impl Asker {
    /// Asks `hook`, each call bounded by `timeout`.
    pub fn new(hook: HookAddress, timeout: Duration) -> Asker {
        Asker {
            hook,
            timeout,
            keys: KeyMaker::new(),
            cache: Mutex::new(Cache::default()),
            counts: AskCounts::default(),
            last_logged: Mutex::new(None),
        }
    }

    /// Whether the holder of `credentials` may do `action` with `topics`:
    /// from the cache while an answer holds, from the hook otherwise.
    pub fn decide(&self, credentials: &Credentials, action: Action, topics: &[String]) -> Decision {
        let key = self.keys.key(credentials, action.name(), topics);
        let now = Instant::now();
        if let Some((kept, expires)) = self.cache().get(key, now) {
            self.counts.cache_hits.fetch_add(1, Ordering::Relaxed);
            return match kept {
                Kept::Allowed(grant) => Decision::Allowed(grant, expires),
                Kept::Refused(status) => Decision::Refused(status),
            };
        }
        self.counts.calls.fetch_add(1, Ordering::Relaxed);
        match hook::ask(&self.hook, self.timeout, credentials, action.name(), topics) {
            Ok(HookAnswer::Allowed(grant)) => {
                let expires = Instant::now() + grant.ttl;
                let grant = Arc::new(grant);
                let kept = Kept::Allowed(Arc::clone(&grant));
                self.cache().put(key, kept, expires, now);
                Decision::Allowed(grant, expires)
            }
            Ok(HookAnswer::Refused(status)) => {
                let expires = Instant::now() + AUTH_REFUSAL_HOLD;
                self.cache().put(key, Kept::Refused(status), expires, now);
                Decision::Refused(status)
            }
            Err(reason) => {
                self.counts.failures.fetch_add(1, Ordering::Relaxed);
                self.log_failure(&reason);
                Decision::Unavailable
            }
        }
    }

    /// Calls made to the hook so far.
    pub fn calls(&self) -> u64 {
        self.counts.calls.load(Ordering::Relaxed)
    }

    /// Answers taken from the cache so far.
    pub fn cache_hits(&self) -> u64 {
        self.counts.cache_hits.load(Ordering::Relaxed)
    }

    /// Calls the hook could not answer so far.
    pub fn failures(&self) -> u64 {
        self.counts.failures.load(Ordering::Relaxed)
    }

    fn log_failure(&self, reason: &HookFailure) {
        let mut last = self
            .last_logged
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        if last.is_none_or(|at| now.duration_since(at) >= crate::limits::AUTH_FAILURE_LOG_INTERVAL)
        {
            *last = Some(now);
            stderr_log::line(format_args!(
                "herald: the auth hook could not answer ({reason}); subscribers are asked to come back"
            ));
        }
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, Cache> {
        // The cache is only read and written whole; a panic elsewhere
        // cannot leave it half-changed.
        self.cache.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
