//! Answers kept for their `ttl`, so that a page reload or a storm of
//! reconnecting tabs does not call the hook again.
//!
//! Bounded: at most [`AUTH_CACHE_MAX_ENTRIES`] answers. When it is full, the
//! expired ones go first; if none has expired, the one closest to expiring
//! goes (a scan of the map, but only when it is full, which a server whose
//! clients come back within their ttl rarely is).
//!
//! A refusal is kept too, but only for
//! [`AUTH_REFUSAL_HOLD`](crate::limits::AUTH_REFUSAL_HOLD): a tab whose
//! reconnect loop has no login, or a client pipelining requests without
//! credentials, then costs the app one call per few seconds, not one per
//! request. Someone who has just logged in sends new credentials (a new
//! session cookie), which are another question, so the kept refusal of
//! the old ones never holds them back.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use crate::access::credentials::QuestionKey;
use crate::access::grant::Grant;
use crate::limits::AUTH_CACHE_MAX_ENTRIES;

/// A kept answer.
#[derive(Debug, Clone)]
pub enum Kept {
    /// The app allowed, with this grant.
    Allowed(Arc<Grant>),
    /// The app refused, with this status (`401` or `403`).
    Refused(u16),
}

/// The kept answers.
#[derive(Default)]
pub struct Cache {
    answers: HashMap<QuestionKey, (Kept, Instant)>,
}

impl Cache {
    /// The kept answer for `key` and when it expires, if it has not.
    pub fn get(&self, key: QuestionKey, now: Instant) -> Option<(Kept, Instant)> {
        let (kept, expires) = self.answers.get(&key)?;
        (now < *expires).then(|| (kept.clone(), *expires))
    }

    /// Keeps `answer` for `key` until `expires`.
    pub fn put(&mut self, key: QuestionKey, answer: Kept, expires: Instant, now: Instant) {
        if self.answers.len() >= AUTH_CACHE_MAX_ENTRIES && !self.answers.contains_key(&key) {
            self.answers.retain(|_, (_, expires)| now < *expires);
        }
        if self.answers.len() >= AUTH_CACHE_MAX_ENTRIES
            && let Some(soonest) = self
                .answers
                .iter()
                .min_by_key(|(_, (_, expires))| *expires)
                .map(|(key, _)| *key)
        {
            self.answers.remove(&soonest);
        }
        self.answers.insert(key, (answer, expires));
    }

    /// How many answers are kept.
    pub fn len(&self) -> usize {
        self.answers.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.answers.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::credentials::{Credentials, KeyMaker};
    use crate::access::grant::Topics;
    use std::time::Duration;

    fn grant() -> Kept {
        Kept::Allowed(Arc::new(Grant {
            listen: Topics::All,
            publish: Topics::All,
            ttl: Duration::from_secs(60),
            user: None,
            listed: true,
        }))
    }

    #[test]
    fn answers_expire_and_the_cache_stays_bounded() {
        let keys = KeyMaker::new();
        let mut cache = Cache::default();
        let now = Instant::now();
        let key = |n: usize| {
            let credentials = Credentials {
                cookie: Some(format!("session={n}")),
                ..Credentials::default()
            };
            keys.key(&credentials, "listen", &[])
        };
        cache.put(key(0), grant(), now + Duration::from_secs(1), now);
        assert!(cache.get(key(0), now).is_some());
        assert!(cache.get(key(0), now + Duration::from_secs(2)).is_none());
        assert!(cache.get(key(1), now).is_none());
        for n in 1..=AUTH_CACHE_MAX_ENTRIES + 10 {
            cache.put(
                key(n),
                grant(),
                now + Duration::from_secs(60 + n as u64),
                now,
            );
        }
        assert_eq!(cache.len(), AUTH_CACHE_MAX_ENTRIES);
        assert!(cache.get(key(AUTH_CACHE_MAX_ENTRIES + 10), now).is_some());
        assert!(
            cache.get(key(1), now).is_none(),
            "the soonest to expire went"
        );
    }
}
