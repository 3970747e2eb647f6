//! Cross-origin access: letting pages from other intranet sites listen and
//! publish.
//!
//! A browser lets a page read an answer from another origin (scheme, host
//! and port) only if the answer names that page's origin in
//! `Access-Control-Allow-Origin` (WHATWG Fetch, "CORS protocol"). Before a
//! request that a plain form could not send (a `POST` with an
//! `Authorization` header, say), the browser first asks with `OPTIONS`, the
//! "preflight", and sends the real request only if the answer allows it.
//!
//! `--cors-origin` lists the origins allowed, or `*` for any. Only
//! `/events`, `/publish` and `/stats` are opened this way; the page itself
//! needs no such header.
//!
//! Credentials (cookies) are allowed for the origins listed by name, and
//! only for them: such a page opens its stream `withCredentials`, so the
//! session cookie reaches herald and, with `--auth-hook`, the app. The
//! answer then names the origin and adds `Access-Control-Allow-Credentials:
//! true`. With `*` it never does (the browser would refuse it anyway), so
//! any site may listen to public events but none may borrow a person's
//! cookie; `*` stays safe with a `--publish-token`.

use std::borrow::Cow;

use crate::http::response::{Header, Response};

/// The `Access-Control-Allow-Origin` value for a request from `origin`, if
/// that origin is allowed.
pub fn allowed_origin(allowed: &[String], origin: Option<&str>) -> Option<String> {
    let origin = origin?;
    if allowed.iter().any(|a| a == "*") {
        Some("*".to_string())
    } else if allowed.iter().any(|a| a == origin) {
        Some(origin.to_string())
    } else {
        None
    }
}

/// The headers that let `allowed_origin` read an answer: the origin, and
/// unless it is `*`, that credentials are allowed and `Vary: Origin` (the
/// answer depends on the asking origin, and caches must know). Responses and event streams both take
/// their CORS headers from here.
pub fn allow_headers(allowed_origin: Option<String>) -> Vec<Header> {
    let Some(origin) = allowed_origin else {
        return Vec::new();
    };
    let named = origin != "*";
    let mut headers = vec![("Access-Control-Allow-Origin", Cow::Owned(origin))];
    if named {
        headers.push(("Access-Control-Allow-Credentials", Cow::Borrowed("true")));
        headers.push(("Vary", Cow::Borrowed("Origin")));
    }
    headers
}

/// Adds the CORS headers for an allowed origin to a response.
pub fn add_headers(response: &mut Response, allowed_origin: Option<String>) {
    for (name, value) in allow_headers(allowed_origin) {
        response.add_header(name, value);
    }
}

/// The answer to a preflight `OPTIONS` request: 204, and what is allowed.
pub fn preflight(allowed_origin: Option<String>) -> Response {
    let mut response = Response::no_content();
    if allowed_origin.is_some() {
        add_headers(&mut response, allowed_origin);
        response.add_header("Access-Control-Allow-Methods", "GET, HEAD, POST, OPTIONS");
        response.add_header(
            "Access-Control-Allow-Headers",
            "Authorization, Content-Type, Last-Event-ID, Idempotency-Key",
        );
        response.add_header("Access-Control-Max-Age", "600");
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origins(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn only_listed_origins_are_allowed() {
        let list = origins(&["http://intranet:8080"]);
        assert_eq!(
            allowed_origin(&list, Some("http://intranet:8080")).as_deref(),
            Some("http://intranet:8080")
        );
        assert_eq!(allowed_origin(&list, Some("http://evil")), None);
        assert_eq!(allowed_origin(&list, None), None);
        assert_eq!(allowed_origin(&[], Some("http://intranet:8080")), None);
    }

    #[test]
    fn a_star_allows_any_origin() {
        let list = origins(&["*"]);
        assert_eq!(
            allowed_origin(&list, Some("http://x")).as_deref(),
            Some("*")
        );
    }

    #[test]
    fn credentials_are_allowed_for_named_origins_only() {
        let named = allow_headers(Some("http://intranet".into()));
        assert!(named.contains(&("Access-Control-Allow-Credentials", "true".into())));
        let star = allow_headers(Some("*".into()));
        assert_eq!(star, [("Access-Control-Allow-Origin", "*".into())]);
    }
}
