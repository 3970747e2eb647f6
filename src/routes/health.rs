//! `GET /health`: whether herald can do its job now, for a load balancer,
//! systemd or a container's probe.
//!
//! `200 ok` while it serves; `503` with the reason while a publish would
//! be refused for a reason that is herald's own: the event log cannot be
//! written (a full disk), or Redis cannot be reached. It reads two flags
//! and asks nobody: never the hub (whose queue may be full of events, which
//! is not ill health) nor the auth hook (a slow app is the app's trouble).

use crate::http::error::HttpError;
use crate::http::response::Response;
use crate::routes::context::Context;

/// Answers how herald is.
pub fn handle(context: &Context) -> Result<Response, HttpError> {
    if context.counters.log_is_failing() {
        return Err(HttpError::ServiceUnavailable(
            "the event log cannot be written: events are not being stored",
        ));
    }
    if let Some((false, _)) = context.publisher.redis_state() {
        return Err(HttpError::ServiceUnavailable(
            "redis cannot be reached: events are not being published",
        ));
    }
    let mut response = Response::text("ok\n".to_string());
    response.add_header("Cache-Control", "no-store");
    Ok(response)
}
