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
//! `--publish-token`; the page shows a token field when it does), and
//! `state_keys` and `state_bytes` (the keyed values held, see
//! `hub/state/`). The JSON
//! is written by hand: every value is a number, `null` or a boolean, so
//! there is nothing to escape.

use std::fmt::Write;

use crate::http::error::HttpError;
use crate::http::response::Response;
use crate::hub::stats::HubStats;
use crate::routes::context::Context;

/// Asks the hub for its numbers and answers with them.
pub fn handle(context: &Context) -> Result<Response, HttpError> {
    let hub = context
        .hub
        .stats()
        .map_err(|_| HttpError::ServiceUnavailable("the hub is not answering"))?;
    let numbers = Numbers {
        hub,
        connections: context.connections.open(),
        uptime_s: context.started.elapsed().as_secs(),
        token_required: context.config.publish_token.is_some(),
        redis: context.publisher.redis_state(),
        state: context.publisher.state_keys().size(),
    };
    let mut response = Response::ok("application/json", to_json(&numbers).into_bytes());
    response.add_header("Cache-Control", "no-store");
    Ok(response)
}

/// Everything `/stats` reports.
struct Numbers {
    hub: HubStats,
    connections: usize,
    uptime_s: u64,
    token_required: bool,
    /// With Redis: whether it is up, and ms since its reader heard from it.
    redis: Option<(bool, u64)>,
    /// The keys with a value, and the memory they take.
    state: (usize, usize),
}

fn to_json(numbers: &Numbers) -> String {
    let Numbers { hub, .. } = numbers;
    let last_id = hub.last_id.map_or("null".to_string(), |id| id.to_string());
    let mut json = format!(
        "{{\"listeners\":{},\"published\":{},\"dropped\":{},\"uptime_s\":{},\
         \"connections\":{},\"history\":{},\"last_id\":{},\"token_required\":{}",
        hub.listeners,
        hub.published,
        hub.dropped,
        numbers.uptime_s,
        numbers.connections,
        hub.history,
        last_id,
        numbers.token_required
    );
    let (state_keys, state_bytes) = numbers.state;
    // Writing to a String cannot fail.
    let _ = write!(
        json,
        ",\"state_keys\":{state_keys},\"state_bytes\":{state_bytes}"
    );
    if let Some((up, lag_ms)) = numbers.redis {
        let state = if up { "up" } else { "down" };
        // Writing to a String cannot fail.
        let _ = write!(
            json,
            ",\"redis\":\"{state}\",\"redis_reader_lag_ms\":{lag_ms}"
        );
    }
    json.push_str("}\n");
    json
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbers(redis: Option<(bool, u64)>) -> Numbers {
        let hub = HubStats {
            listeners: 2,
            published: 5,
            dropped: 1,
            history: 5,
            last_id: None,
            ..HubStats::default()
        };
        Numbers {
            hub,
            connections: 3,
            uptime_s: 9,
            token_required: false,
            redis,
            state: (4, 2048),
        }
    }

    #[test]
    fn the_json_has_every_field() {
        assert_eq!(
            to_json(&numbers(None)),
            "{\"listeners\":2,\"published\":5,\"dropped\":1,\"uptime_s\":9,\
             \"connections\":3,\"history\":5,\"last_id\":null,\"token_required\":false,\
             \"state_keys\":4,\"state_bytes\":2048}\n"
        );
    }

    #[test]
    fn with_redis_its_state_comes_last() {
        assert!(
            to_json(&numbers(Some((false, 1200)))).ends_with(
                ",\"state_bytes\":2048,\"redis\":\"down\",\"redis_reader_lag_ms\":1200}\n"
            )
        );
    }
}
