//! `GET /state`: the current value of every key of the topics asked for,
//! as JSON, for an app that renders them server-side before the page's
//! stream opens (see `hub/state/`).
//!
//! ```text
//! GET /state?topic=builds
//! {"last_id":1796160942123456,"values":[{"id":…,"event":null,"topic":"builds","key":"main","time":"…","data":"passing"}]}
//! ```
//!
//! `topic` is repeatable, and none means every topic, as on `/events`.
//! The values are those a stream with `state=1` would get, oldest id
//! first, and `last_id` is the newest event they take in: a page that
//! opens `/events?lastEventId=N` with it misses nothing and doubles
//! nothing. With `--auth-hook` the app decides as for a stream (the same
//! question, the same cache): a topic the person may not listen to is
//! `403`, and with no topic asked only the topics the app allows are in;
//! a request with the `--publish-token` (`Authorization: Bearer`) is the
//! app's backend, which may publish to any topic and so may read any (the
//! Django tag renders the values so).

use crate::access::credentials::Credentials;
use crate::access::policy::{self, StreamAdmission, StreamRefusal};
use crate::counters::TurnedAway;
use crate::http::error::HttpError;
use crate::http::request::Request;
use crate::http::response::Response;
use crate::hub::filter::TopicFilter;
use crate::hub::state::StateAnswer;
use crate::ingest::submission::is_token;
use crate::routes::context::Context;
use crate::routes::publish::bearer_token;
use crate::routes::subscribe::StreamQuery;

/// Answers with the values the asker may see.
///
/// # Errors
/// 400 for a bad query; 401 or 403 when the app refuses; 503 when the app
/// or the hub cannot answer.
pub fn handle(request: &Request, context: &Context) -> Result<Response, HttpError> {
    let topics = StreamQuery::of(request)?.topics;
    let filter = allowed_filter(request, context, topics)?;
    let answer = context
        .hub
        .state(filter)
        .map_err(|_| HttpError::ServiceUnavailable("the hub is not answering"))?;
    let mut response = Response::ok("application/json", to_json(&answer));
    response.add_header("Cache-Control", "no-store");
    Ok(response)
}

/// The topics the asker gets, as the app allows them (for `/presence`
/// too).
pub(super) fn allowed_filter(
    request: &Request,
    context: &Context,
    topics: Vec<String>,
) -> Result<TopicFilter, HttpError> {
    if carries_publish_token(request, context) {
        // The app's backend, which may publish to any topic, may read any.
        return Ok(TopicFilter::asked(topics));
    }
    let credentials = || Credentials::of(request);
    match policy::admit_stream(context.access.as_ref(), credentials, &topics) {
        Ok(StreamAdmission::AsAsked) => Ok(TopicFilter::asked(topics)),
        Ok(StreamAdmission::Allowed(allowed)) => Ok(allowed.filter),
        Ok(StreamAdmission::ComeBackLater) => {
            context.counters.refused(TurnedAway::AuthDown);
            Err(HttpError::ServiceUnavailable(
                "the app cannot say now whether you may listen",
            ))
        }
        Err(refusal) => {
            context.counters.refused(TurnedAway::Denied);
            Err(match refusal {
                StreamRefusal::NotLoggedIn => HttpError::NotLoggedIn,
                _ => HttpError::Denied(refusal.reason()),
            })
        }
    }
}

/// Whether the request carries the `--publish-token` as its bearer token.
fn carries_publish_token(request: &Request, context: &Context) -> bool {
    let required = context.config.publish_token.as_deref();
    required.is_some_and(|required| is_token(bearer_token(&request.head), required))
}

/// `{"last_id":N,"values":[…]}`, each value as a WebSocket carries it.
fn to_json(answer: &StateAnswer) -> Vec<u8> {
    let values = answer.snapshot.values();
    let mut json = Vec::with_capacity(64 + values.len() * 128);
    json.extend_from_slice(format!("{{\"last_id\":{},\"values\":[", answer.last_id).as_bytes());
    for (index, stored) in values.iter().enumerate() {
        if index > 0 {
            json.push(b',');
        }
        stored.write_json(&mut json);
    }
    json.extend_from_slice(b"]}\n");
    json
}
