//! `POST /publish`: a message in, an event out to every subscriber.
//!
//! The body is either a form (`application/x-www-form-urlencoded`, which is
//! what an HTML form and `curl -d` send) with the fields `message`, `event`
//! and `topic`, or plain text (`text/plain`), which is the message itself.
//! The fields may also be given in the query string (the body wins), but
//! not the token: a URL lands in every proxy's access log.
//!
//! The answer depends on who asked. A browser posting the form (its `Accept`
//! names `text/html`) is sent back to the page with `303 See Other`, so a
//! reload does not post again; any other client gets `200` and the new
//! event's id as the body, for a script to keep.
//!
//! An `Idempotency-Key` header makes the publish safe to retry: the same
//! key again, while herald remembers it, answers `200` with the first
//! publish's id and publishes nothing (see [`crate::ingest::idempotency`]).
//!
//! # Errors
//! 400 for a missing or empty `message`, a bad field, malformed
//! percent-encoding, text that is not UTF-8 or a bad `Idempotency-Key`;
//! 409 while a publish with the same `Idempotency-Key` is being stored; 401/403 for a missing or
//! wrong token when `--publish-token` is set; 415 for any other body type;
//! 503 if the event log cannot store the event (a full disk) or the server
//! does not answer.

use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

use crate::access::credentials::Credentials;
use crate::event::without_final_line_break;
use crate::http::error::HttpError;
use crate::http::form::{self, parse_form};
use crate::http::request::Request;
use crate::http::request_head::RequestHead;
use crate::http::response::Response;
use crate::ingest::publisher::PublishError;
use crate::ingest::submission::{Refusal, Submission};
use crate::routes::context::Context;
use crate::routes::publish_json::fields_of_json;

/// Publishes the event the request describes.
pub fn handle(request: &Request, context: &Context) -> Result<Response, HttpError> {
    let fields = fields_of(request)?;
    if form::first(&fields, "message").is_none() && form::first(&fields, "data").is_some() {
        // Mercure's and others' name for it.
        return Err(HttpError::BadRequest(
            "the field is message, not data: send message=TEXT",
        ));
    }
    let delete = form::first(&fields, "delete").map_or(Some(false), form::flag);
    let submission = Submission {
        message: form::first(&fields, "message"),
        event_type: form::first(&fields, "event"),
        topic: form::first(&fields, "topic"),
        key: form::first(&fields, "key"),
        ttl: form::first(&fields, "ttl"),
        delete: delete.ok_or(HttpError::BadRequest("delete must be 1 or 0"))?,
        token: given_token(&request.head, &fields),
        idempotency_key: request.head.idempotency_key.as_deref(),
        peer: request.peer,
    };
    let topic = submission.topic_name().map(str::to_string);
    let credentials = context.access.as_ref().map(|_| Credentials::of(request));
    let id = context
        .publish(submission, credentials.as_ref())
        .map_err(status_for)?;
    if request.head.accepts_html {
        Ok(Response::see_other(page_for(topic.as_deref())))
    } else {
        Ok(Response::text(format!("{id}\n")))
    }
}

/// The status each refusal earns.
fn status_for(refusal: Refusal) -> HttpError {
    match refusal {
        Refusal::NoToken => HttpError::Unauthorized,
        Refusal::WrongToken => HttpError::Forbidden,
        Refusal::NoMessage | Refusal::NoKey | Refusal::BadEvent(_) => {
            HttpError::BadRequest(refusal.reason())
        }
        Refusal::NotPublished(PublishError::StateFull(_)) => {
            HttpError::InsufficientStorage(refusal.reason())
        }
        Refusal::NotPublished(PublishError::InProgress) => HttpError::Conflict(refusal.reason()),
        Refusal::NotPublished(_) | Refusal::AppUnavailable => {
            HttpError::ServiceUnavailable(refusal.reason())
        }
        Refusal::NotAllowed => HttpError::Denied(refusal.reason()),
    }
}

/// The body's fields, then the query's, decoded.
fn fields_of(request: &Request) -> Result<Vec<(String, String)>, HttpError> {
    let bad_form = |error: form::FormError| HttpError::BadRequest(error.reason());
    let mut fields = match request.head.content_type.as_deref() {
        None | Some("application/x-www-form-urlencoded") => {
            parse_form(&request.body).map_err(bad_form)?
        }
        Some("application/json") => fields_of_json(&request.body)?,
        Some("text/plain") => {
            let message = String::from_utf8(request.body.clone())
                .map_err(|_| HttpError::BadRequest("message is not UTF-8"))?;
            vec![("message".to_string(), without_final_line_break(message))]
        }
        Some(_) => return Err(HttpError::UnsupportedMediaType),
    };
    let query = parse_form(request.head.query().as_bytes()).map_err(bad_form)?;
    if form::first(&query, "token").is_some() {
        // A URL lands in every proxy's access log; a publisher can always
        // send a header or a form field instead.
        return Err(HttpError::BadRequest(
            "send the token in an Authorization: Bearer header or the form, not in the URL",
        ));
    }
    fields.extend(query);
    Ok(fields)
}

/// The token, as `Authorization: Bearer TOKEN` (the scheme in any case,
/// RFC 9110 §11.1) or else as a `token` field of the body.
fn given_token<'a>(head: &'a RequestHead, fields: &'a [(String, String)]) -> Option<&'a str> {
    bearer_token(head).or_else(|| form::first(fields, "token"))
}

/// The token of `Authorization: Bearer TOKEN`, if the request has one.
pub fn bearer_token(head: &RequestHead) -> Option<&str> {
    head.authorization
        .as_deref()
        .and_then(|value| value.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
}

/// Where the browser goes after posting: its page, in the same topic. The
/// reference is relative (RFC 9110 §10.2.2), so that behind a proxy at a
/// path, `/herald/publish` leads back to `/herald/`.
fn page_for(topic: Option<&str>) -> String {
    match topic {
        None => "./".to_string(),
        Some(topic) => format!("./?topic={}", utf8_percent_encode(topic, NON_ALPHANUMERIC)),
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
    fn the_token_comes_from_the_header_first() {
        let mut head = RequestHead::default();
        assert_eq!(given_token(&head, &[]), None);
        let with_field = fields(&[("token", "f")]);
        assert_eq!(given_token(&head, &with_field), Some("f"));
        head.authorization = Some("Bearer h ".into());
        assert_eq!(given_token(&head, &with_field), Some("h"));
        head.authorization = Some("bearer lower".into());
        assert_eq!(
            given_token(&head, &[]),
            Some("lower"),
            "the scheme in any case"
        );
        head.authorization = Some("Basic h".into());
        assert_eq!(given_token(&head, &[]), None);
    }

    #[test]
    fn refusals_have_their_statuses() {
        assert_eq!(status_for(Refusal::NoToken).status(), 401);
        assert_eq!(status_for(Refusal::WrongToken).status(), 403);
        assert_eq!(status_for(Refusal::NoMessage).status(), 400);
        let unavailable = Refusal::NotPublished(crate::PublishError::Unavailable);
        assert_eq!(status_for(unavailable).status(), 503);
    }

    #[test]
    fn the_page_to_return_to_keeps_the_topic() {
        assert_eq!(page_for(None), "./");
        assert_eq!(page_for(Some("ops team")), "./?topic=ops%20team");
    }
}
