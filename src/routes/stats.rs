//! `GET /stats`: the server's numbers as JSON, for people and monitoring.
//!
//! With `--redis`, also `redis` (`"up"` or `"down"`) and
//! `redis_reader_lag_ms` (how long since the stream's reader last heard
//! from Redis; it asks at least every second).
//!
//! `listeners` (open streams), `published` (events since start), `dropped`
//! (subscribers cut off for falling too far behind), `uptime_s`, plus
//! `connections` (open connections of any kind), `history` (events held
//! for replay), `last_id`, and `token_required` (whether publishing needs
//! `--publish-token`; the page shows a token field when it does). The JSON
//! is written by hand: every value is a number, `null` or a boolean, so
//! there is nothing to escape.

use crate::http::error::HttpError;
use crate::http::response::Response;
use crate::hub::HubStats;
use crate::routes::context::Context;

/// Asks the hub for its numbers and answers with them.
pub fn handle(context: &Context) -> Result<Response, HttpError> {
    let hub = context
        .publisher
        .stats()
        .map_err(|_| HttpError::ServiceUnavailable("the hub is not answering"))?;
    let connections = context.connections.open();
    let uptime_s = context.started.elapsed().as_secs();
    let token_required = context.config.publish_token.is_some();
    let mut json = to_json(&hub, connections, uptime_s, token_required);
    if let Some((up, lag_ms)) = context.publisher.redis_state() {
        // Put the Redis fields before the closing brace.
        json.truncate(json.len() - 2);
        let state = if up { "up" } else { "down" };
        json.push_str(&format!(
            ",\"redis\":\"{state}\",\"redis_reader_lag_ms\":{lag_ms}}}\n"
        ));
    }
    let mut response = Response::ok("application/json", json.into_bytes());
    response.add_header("Cache-Control", "no-store");
    Ok(response)
}

fn to_json(hub: &HubStats, connections: usize, uptime_s: u64, token_required: bool) -> String {
    let last_id = hub.last_id.map_or("null".to_string(), |id| id.to_string());
    format!(
        "{{\"listeners\":{},\"published\":{},\"dropped\":{},\"uptime_s\":{},\
         \"connections\":{},\"history\":{},\"last_id\":{},\"token_required\":{}}}\n",
        hub.listeners,
        hub.published,
        hub.dropped,
        uptime_s,
        connections,
        hub.history,
        last_id,
        token_required
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_json_has_every_field() {
        let hub = HubStats {
            listeners: 2,
            published: 5,
            dropped: 1,
            history: 5,
            last_id: None,
        };
        assert_eq!(
            to_json(&hub, 3, 9, false),
            "{\"listeners\":2,\"published\":5,\"dropped\":1,\"uptime_s\":9,\
             \"connections\":3,\"history\":5,\"last_id\":null,\"token_required\":false}\n"
        );
    }
}
