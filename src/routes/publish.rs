//! `POST /publish`: a message in, an event out to every subscriber.
//!
//! The body is either a form (`application/x-www-form-urlencoded`, which is
//! what an HTML form and `curl -d` send) with the fields `message`, `event`
//! and `topic`, or plain text (`text/plain`), which is the message itself.
//! The fields may also be given in the query string; the body wins.
//!
//! The answer depends on who asked. A browser posting the form (its `Accept`
//! names `text/html`) is sent back to the page with `303 See Other`, so a
//! reload does not post again; any other client gets `200` and the new
//! event's id as the body, for a script to keep.
//!
//! # Errors
//! 400 for a missing or empty `message`, a bad field, malformed
//! percent-encoding or text that is not UTF-8; 401/403 for a missing or
//! wrong token when `--publish-token` is set; 415 for any other body type;
//! 503 if the event log cannot store the event (a full disk) or the server
//! does not answer.

use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

use crate::event::Event;
use crate::http::error::HttpError;
use crate::http::form::{self, parse_form};
use crate::http::request::Request;
use crate::http::request_head::RequestHead;
use crate::http::response::Response;
use crate::ingest::publisher::PublishError;
use crate::routes::context::Context;

/// Publishes the event the request describes.
pub fn handle(request: &Request, context: &Context) -> Result<Response, HttpError> {
    let fields = fields_of(request)?;
    authorize(
        &request.head,
        &fields,
        context.config.publish_token.as_deref(),
    )?;
    let event = event_from(&fields)?;
    let topic = event.topic_name().map(str::to_owned);
    let id = publish_event(context, event)?;
    if request.head.accepts_html {
        Ok(Response::see_other(page_for(topic.as_deref())))
    } else {
        Ok(Response::text(format!("{id}\n")))
    }
}

/// Publishes `event`; a failure becomes the 503 the client gets.
pub fn publish_event(context: &Context, event: Event) -> Result<crate::event::EventId, HttpError> {
    context
        .publisher
        .publish(event)
        .map_err(|error| match error {
            PublishError::NotStored(reason) => HttpError::ServiceUnavailable(reason),
            PublishError::Unavailable => {
                HttpError::ServiceUnavailable("the server is not answering")
            }
        })
}

/// The body's fields, then the query's, decoded.
fn fields_of(request: &Request) -> Result<Vec<(String, String)>, HttpError> {
    let bad_form = |error: form::FormError| HttpError::BadRequest(error.reason());
    let mut fields = match request.head.content_type.as_deref() {
        None | Some("application/x-www-form-urlencoded") => {
            parse_form(&request.body).map_err(bad_form)?
        }
        Some("text/plain") => {
            let message = String::from_utf8(request.body.clone())
                .map_err(|_| HttpError::BadRequest("message is not UTF-8"))?;
            vec![("message".to_string(), message)]
        }
        Some(_) => return Err(HttpError::UnsupportedMediaType),
    };
    fields.extend(parse_form(request.head.query().as_bytes()).map_err(bad_form)?);
    Ok(fields)
}

/// The event that `message`, `event` and `topic` fields describe.
pub fn event_from(fields: &[(String, String)]) -> Result<Event, HttpError> {
    let message = form::first(fields, "message").ok_or(HttpError::BadRequest("missing message"))?;
    let bad = |error: crate::event::EventError| HttpError::BadRequest(error.reason());
    let mut event = Event::new(message).map_err(bad)?;
    // An empty field is no field: the page's form always sends `topic`.
    if let Some(event_type) = form::first(fields, "event").filter(|t| !t.is_empty()) {
        event = event.event(event_type).map_err(bad)?;
    }
    if let Some(topic) = form::first(fields, "topic").filter(|t| !t.is_empty()) {
        event = event.topic(topic).map_err(bad)?;
    }
    Ok(event)
}

/// With `--publish-token`, the request must carry the token, as
/// `Authorization: Bearer TOKEN` or as a `token` field.
fn authorize(
    head: &RequestHead,
    fields: &[(String, String)],
    expected: Option<&str>,
) -> Result<(), HttpError> {
    let Some(expected) = expected else {
        return Ok(());
    };
    let bearer = head
        .authorization
        .as_deref()
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim);
    check_token(bearer.or_else(|| form::first(fields, "token")), expected)
}

/// 401 without a token, 403 with a wrong one.
pub fn check_token(given: Option<&str>, expected: &str) -> Result<(), HttpError> {
    match given {
        None => Err(HttpError::Unauthorized),
        Some(token) if same_secret(token.as_bytes(), expected.as_bytes()) => Ok(()),
        Some(_) => Err(HttpError::Forbidden),
    }
}

/// Compares two secrets in time that depends only on their lengths, so the
/// answer's timing does not tell an attacker how many leading bytes matched.
fn same_secret(given: &[u8], expected: &[u8]) -> bool {
    let mut difference = given.len() ^ expected.len();
    for (i, &byte) in expected.iter().enumerate() {
        let other = given.get(i).copied().unwrap_or(!byte);
        difference |= usize::from(byte ^ other);
    }
    difference == 0
}

/// Where the browser goes after posting: its page, in the same topic.
fn page_for(topic: Option<&str>) -> String {
    match topic {
        None => "/".to_string(),
        Some(topic) => format!("/?topic={}", utf8_percent_encode(topic, NON_ALPHANUMERIC)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn an_event_from_fields() {
        let event = event_from(&fields(&[
            ("message", "hi"),
            ("event", "chat"),
            ("topic", ""),
        ]))
        .unwrap();
        assert_eq!(
            (event.data(), event.event_type(), event.topic_name()),
            ("hi", Some("chat"), None)
        );
        assert_eq!(event_from(&fields(&[])).unwrap_err().status(), 400);
        assert_eq!(
            event_from(&fields(&[("message", "")]))
                .unwrap_err()
                .status(),
            400
        );
        let injected = fields(&[("message", "x"), ("event", "a\nb")]);
        assert_eq!(event_from(&injected).unwrap_err().status(), 400);
    }

    #[test]
    fn tokens() {
        let mut head = RequestHead::default();
        assert_eq!(authorize(&head, &[], None), Ok(()));
        assert_eq!(
            authorize(&head, &[], Some("s")),
            Err(HttpError::Unauthorized)
        );
        assert_eq!(
            authorize(&head, &fields(&[("token", "s")]), Some("s")),
            Ok(())
        );
        assert_eq!(
            authorize(&head, &fields(&[("token", "t")]), Some("s")),
            Err(HttpError::Forbidden)
        );
        head.authorization = Some("Bearer s".into());
        assert_eq!(authorize(&head, &[], Some("s")), Ok(()));
        head.authorization = Some("Bearer ss".into());
        assert_eq!(authorize(&head, &[], Some("s")), Err(HttpError::Forbidden));
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret(b"abc", b"abc"));
        assert!(!same_secret(b"abd", b"abc"));
        assert!(!same_secret(b"ab", b"abc"));
        assert!(!same_secret(b"abcd", b"abc"));
        assert!(!same_secret(b"", b"abc"));
    }

    #[test]
    fn the_page_to_return_to_keeps_the_topic() {
        assert_eq!(page_for(None), "/");
        assert_eq!(page_for(Some("ops team")), "/?topic=ops%20team");
    }
}
