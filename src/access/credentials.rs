//! What herald forwards to the hook from a subscriber's (or publisher's)
//! request, and nothing more: `Cookie`, `Authorization`, `X-Forwarded-For`
//! with the client's address appended, and a `token` query parameter as
//! `X-Herald-Token` (for pages that cannot set headers).
//!
//! The same credentials and the same question get the same answer for its
//! `ttl`, so the cache is keyed by a hash of them. The hash is SipHash with
//! keys drawn at random when the server starts (std's `RandomState`),
//! computed twice with two keys for 128 bits: a client cannot aim for
//! another person's entry, and the cache holds no cookie in the clear.

use std::hash::{BuildHasher, Hash, Hasher, RandomState};
use std::net::IpAddr;

use crate::http::form;
use crate::http::request::Request;

/// The forwarded parts of one request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Credentials {
    /// `Cookie`, as sent.
    pub cookie: Option<String>,
    /// `Authorization`, as sent.
    pub authorization: Option<String>,
    /// `X-Forwarded-For`, with the client's own address appended.
    pub forwarded_for: Option<String>,
    /// The `token` query parameter.
    pub token: Option<String>,
}

impl Credentials {
    /// The credentials `request` carries.
    pub fn of(request: &Request) -> Credentials {
        let head = &request.head;
        let token = form::parse_form(head.query().as_bytes())
            .ok()
            .and_then(|query| form::first(&query, "token").map(str::to_string))
            // Decoded from the query, it could hold a line break: it would
            // forge a header line to the hook. Such a token is no token.
            .filter(|token| !token.chars().any(char::is_control));
        let forwarded_for = match (&head.forwarded_for, request.peer) {
            (Some(chain), Some(peer)) => Some(format!("{chain}, {}", show(peer))),
            (None, Some(peer)) => Some(show(peer)),
            (chain, None) => chain.clone(),
        };
        Credentials {
            cookie: head.cookie.clone(),
            authorization: head.authorization.clone(),
            forwarded_for,
            token,
        }
    }

    /// The headers to send the hook: those the client sent.
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        let headers = [
            ("Cookie", &self.cookie),
            ("Authorization", &self.authorization),
            ("X-Forwarded-For", &self.forwarded_for),
            ("X-Herald-Token", &self.token),
        ];
        headers
            .into_iter()
            .filter_map(|(name, value)| Some((name, value.clone()?)))
            .collect()
    }
}

/// An address as `X-Forwarded-For` writes it (an IPv6 one unbracketed).
fn show(peer: IpAddr) -> String {
    peer.to_string()
}

/// The cache key of one question: everything forwarded (the address too,
/// since a hook may decide by it), what for, and which topics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct QuestionKey([u64; 2]);

/// Hashes questions with this server's random keys.
pub struct KeyMaker([RandomState; 2]);

impl KeyMaker {
    /// Two fresh random keys.
    pub fn new() -> KeyMaker {
        KeyMaker([RandomState::new(), RandomState::new()])
    }

    /// The key of asking `action` for `topics` with `credentials`.
    pub fn key(&self, credentials: &Credentials, action: &str, topics: &[String]) -> QuestionKey {
        let hash = |state: &RandomState| {
            let mut hasher = state.build_hasher();
            credentials.cookie.hash(&mut hasher);
            credentials.authorization.hash(&mut hasher);
            credentials.token.hash(&mut hasher);
            credentials.forwarded_for.hash(&mut hasher);
            action.hash(&mut hasher);
            topics.hash(&mut hasher);
            hasher.finish()
        };
        QuestionKey([hash(&self.0[0]), hash(&self.0[1])])
    }
}

impl Default for KeyMaker {
    fn default() -> Self {
        KeyMaker::new()
    }
}
