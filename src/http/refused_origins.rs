//! Saying so when a page's origin is not allowed.
//!
//! A browser that is refused by CORS shows the reason only in its console:
//! the page just stays at "reconnecting", and the person who runs herald
//! sees nothing wrong. So a request from an origin that `--cors-origin`
//! does not allow is logged, once per origin per
//! [`REFUSED_ORIGIN_LOG_INTERVAL`], with the flag that would let it in. A
//! page's own origin is never logged: browsers send `Origin` on their own
//! origin's posts too, and those need no CORS.
//!
//! The table of origins lately logged is bounded
//! ([`REFUSED_ORIGINS_TRACKED_MAX`]): a client inventing origins can fill
//! it, and then new ones go unlogged until the interval has passed, so the
//! log gains at most that many lines a minute. An origin longer than
//! [`REFUSED_ORIGIN_MAX_BYTES`] is no page's, and is not logged.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use crate::limits::{
    REFUSED_ORIGIN_LOG_INTERVAL, REFUSED_ORIGIN_MAX_BYTES, REFUSED_ORIGINS_TRACKED_MAX,
};
use crate::stderr_log;

/// When each refused origin was last logged.
#[derive(Default)]
pub struct RefusedOrigins {
    logged_at: Mutex<HashMap<String, Instant>>,
}

impl RefusedOrigins {
    /// Logs `origin` as refused, unless it is the page's own (`host`) or
    /// was logged within the interval.
    pub fn note(&self, origin: &str, host: Option<&str>) {
        if origin.len() > REFUSED_ORIGIN_MAX_BYTES
            || is_own_origin(origin, host)
            || !self.is_due(origin, Instant::now())
        {
            return;
        }
        let origin = stderr_log::Escaped(origin);
        stderr_log::line(format_args!(
            "herald: refused origin {origin}: not in --cors-origin \
             (add --cors-origin {origin} to let its pages listen and publish)"
        ));
    }

    /// Whether `origin` should be logged at `now`, and if so, notes it.
    fn is_due(&self, origin: &str, now: Instant) -> bool {
        let mut logged_at = self
            .logged_at
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let recent = |at: &Instant| now.duration_since(*at) < REFUSED_ORIGIN_LOG_INTERVAL;
        if logged_at.get(origin).is_some_and(recent) {
            return false;
        }
        if logged_at.len() >= REFUSED_ORIGINS_TRACKED_MAX {
            logged_at.retain(|_, at| recent(at));
            if logged_at.len() >= REFUSED_ORIGINS_TRACKED_MAX {
                return false;
            }
        }
        logged_at.insert(origin.to_string(), now);
        true
    }
}

/// Whether `origin` (`scheme://host[:port]`) names the `Host` the request
/// was sent to: the page's own origin, behind a TLS proxy or not.
fn is_own_origin(origin: &str, host: Option<&str>) -> bool {
    let authority = origin.split_once("://").map(|(_, rest)| rest);
    authority.is_some_and(|authority| host.is_some_and(|host| authority.eq_ignore_ascii_case(host)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_of_herald_itself_is_not_another_origin() {
        assert!(is_own_origin(
            "http://127.0.0.1:8000",
            Some("127.0.0.1:8000")
        ));
        assert!(is_own_origin("https://Intranet", Some("intranet")));
        assert!(!is_own_origin(
            "http://127.0.0.1:8001",
            Some("127.0.0.1:8000")
        ));
        assert!(!is_own_origin("null", Some("127.0.0.1:8000")));
        assert!(!is_own_origin("http://a", None));
    }

    #[test]
    fn each_origin_is_logged_once_per_interval() {
        let origins = RefusedOrigins::default();
        let start = Instant::now();
        assert!(origins.is_due("http://a", start));
        assert!(!origins.is_due("http://a", start));
        assert!(origins.is_due("http://b", start));
        assert!(origins.is_due("http://a", start + REFUSED_ORIGIN_LOG_INTERVAL));
    }

    #[test]
    fn a_flood_of_origins_fills_the_table_and_no_more() {
        let origins = RefusedOrigins::default();
        let start = Instant::now();
        for n in 0..REFUSED_ORIGINS_TRACKED_MAX {
            assert!(origins.is_due(&format!("http://{n}"), start));
        }
        assert!(
            !origins.is_due("http://one-more", start),
            "the table is full"
        );
        let later = start + REFUSED_ORIGIN_LOG_INTERVAL;
        assert!(
            origins.is_due("http://one-more", later),
            "until the old ones expire"
        );
        assert_eq!(origins.logged_at.lock().unwrap().len(), 1);
    }
}
