//! `GET /metrics`: the server's numbers in the Prometheus text format
//! (version 0.0.4), for a Prometheus server or anything that reads it.
//!
//! The same numbers as `/stats`, and more, under Prometheus's conventions:
//! names start `herald_`, counters end in `_total`, times are in seconds
//! and sizes in bytes, and a number that splits by kind or reason carries
//! a label. Each family has `# HELP` and `# TYPE` lines, which is what a
//! parser needs to know a counter from a gauge. The text is written by
//! hand: every label value is one of a few fixed words, so nothing needs
//! escaping.

use std::fmt::Write;

use crate::access::Asker;
use crate::counters::TurnedAway;
use crate::http::error::HttpError;
use crate::http::response::Response;
use crate::hub::round_times::{
    DELIVERY_BUCKETS_SECONDS, Histogram, ROUND_BUCKETS_SECONDS, RoundTimes,
};
use crate::hub::stats::HubStats;
use crate::routes::context::Context;

/// The content type Prometheus asks for, with the format's version.
const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Gathers the numbers and writes them out.
pub fn handle(context: &Context) -> Result<Response, HttpError> {
    let hub = context
        .hub
        .stats()
        .map_err(|_| HttpError::ServiceUnavailable("the hub is not answering"))?;
    let mut response = Response::ok(CONTENT_TYPE, exposition(&hub, context).into_bytes());
    response.add_header("Cache-Control", "no-store");
    Ok(response)
}

/// The whole text.
fn exposition(hub: &HubStats, context: &Context) -> String {
    let mut out = Metrics(String::with_capacity(2048));
    let event_streams = hub.listeners - hub.websockets;
    out.family("herald_listeners", "gauge", "Open event streams, by kind.");
    out.labelled("herald_listeners", "kind", "event_stream", event_streams);
    out.labelled("herald_listeners", "kind", "websocket", hub.websockets);
    out.family(
        "herald_connections",
        "gauge",
        "Open connections of any kind, subscribers included.",
    );
    out.sample("herald_connections", context.connections.open());
    out.family(
        "herald_published_total",
        "counter",
        "Events published since start.",
    );
    out.sample("herald_published_total", hub.published);
    out.family(
        "herald_dropped_total",
        "counter",
        "Subscribers dropped for falling behind: more than --max-backlog (too_slow), or past the history's end (overtaken).",
    );
    out.labelled(
        "herald_dropped_total",
        "reason",
        "too_slow",
        hub.dropped_too_slow,
    );
    out.labelled(
        "herald_dropped_total",
        "reason",
        "overtaken",
        hub.dropped_overtaken,
    );
    out.family(
        "herald_refused_total",
        "counter",
        "Requests and connections turned away, by reason.",
    );
    for reason in TurnedAway::ALL {
        let count = context.counters.refusals(reason);
        out.labelled("herald_refused_total", "reason", reason.label(), count);
    }
    if let Some(access) = &context.access {
        auth_hook_counts(&mut out, &access.asker);
    }
    out.family("herald_history_events", "gauge", "Events held for replay.");
    out.sample("herald_history_events", hub.history);
    out.family(
        "herald_history_bytes",
        "gauge",
        "Memory the held events take, as --history-bytes counts it.",
    );
    out.sample("herald_history_bytes", hub.history_bytes);
    let (state_keys, state_bytes) = context.publisher.state_keys().size();
    out.family(
        "herald_state_keys",
        "gauge",
        "Keys with a current value, over all topics, as --state-keys counts them.",
    );
    out.sample("herald_state_keys", state_keys);
    out.family(
        "herald_state_bytes",
        "gauge",
        "Memory the keyed values take, as --state-bytes counts it.",
    );
    out.sample("herald_state_bytes", state_bytes);
    out.family(
        "herald_presence_users",
        "gauge",
        "Named people in this instance's presence lists, one per person per topic.",
    );
    out.sample("herald_presence_users", hub.presence_users);
    out.family(
        "herald_presence_events_total",
        "counter",
        "Presence lists (herald-presence) written to streams.",
    );
    out.sample("herald_presence_events_total", hub.presence_events);
    out.family(
        "herald_subscriber_behind_bytes",
        "gauge",
        "Bytes of events and notices owed to subscribers whose sockets are full, summed.",
    );
    out.sample("herald_subscriber_behind_bytes", hub.behind_bytes);
    out.family(
        "herald_hub_queue_commands",
        "gauge",
        "Commands waiting for the hub thread.",
    );
    out.sample("herald_hub_queue_commands", context.hub.queued_commands());
    out.family(
        "herald_hub_queue_bytes",
        "gauge",
        "Bytes of events waiting for the hub thread.",
    );
    out.sample("herald_hub_queue_bytes", context.publisher.queued_bytes());
    fan_out_times(&mut out, &hub.round_times);
    let (syncs, sync_time) = context.counters.log_syncs();
    out.family(
        "herald_event_log_sync_seconds",
        "summary",
        "Time spent syncing the event log to disk (with --data-dir).",
    );
    let _ = writeln!(
        out.0,
        "herald_event_log_sync_seconds_sum {:.6}",
        sync_time.as_secs_f64()
    );
    out.sample("herald_event_log_sync_seconds_count", syncs);
    out.family(
        "herald_uptime_seconds",
        "gauge",
        "Seconds since the server started.",
    );
    out.sample("herald_uptime_seconds", context.started.elapsed().as_secs());
    out.0
}

/// With `--auth-hook`: what asking the app cost.
fn auth_hook_counts(out: &mut Metrics, asker: &Asker) {
    let counts = [
        (
            "herald_auth_hook_calls_total",
            "Calls made to --auth-hook.",
            asker.calls(),
        ),
        (
            "herald_auth_hook_cache_hits_total",
            "Questions answered from the cache of the app's answers (refusals are kept a few seconds).",
            asker.cache_hits(),
        ),
        (
            "herald_auth_hook_failures_total",
            "Calls to --auth-hook that got no usable answer in time (the client was asked to come back).",
            asker.failures(),
        ),
    ];
    for (name, help, count) in counts {
        out.family(name, "counter", help);
        out.sample(name, count);
    }
}

/// The hub's round times: the cost of fan-out.
fn fan_out_times(out: &mut Metrics, times: &RoundTimes) {
    out.family(
        "herald_hub_round_seconds",
        "histogram",
        "Time the hub takes for one pass of a round's events over the listeners that want them (the last listener waits this long).",
    );
    out.histogram(
        "herald_hub_round_seconds",
        &ROUND_BUCKETS_SECONDS,
        &times.round,
    );
    out.family(
        "herald_hub_delivery_seconds",
        "histogram",
        "Each pass's time divided by the listeners it wrote: the cost of one delivery.",
    );
    out.histogram(
        "herald_hub_delivery_seconds",
        &DELIVERY_BUCKETS_SECONDS,
        &times.per_delivery,
    );
    out.family(
        "herald_hub_deliveries_total",
        "counter",
        "Writes of a round to a listener, summed over the rounds.",
    );
    out.sample("herald_hub_deliveries_total", times.deliveries);
}

/// The text being written. Writing to a `String` cannot fail, so the
/// `fmt::Result`s are let go.
struct Metrics(String);

impl Metrics {
    fn family(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.0, "# HELP {name} {help}\n# TYPE {name} {kind}");
    }

    fn sample(&mut self, name: &str, value: impl std::fmt::Display) {
        let _ = writeln!(self.0, "{name} {value}");
    }

    /// A histogram's cumulative buckets, `+Inf`, sum and count.
    fn histogram<const N: usize>(&mut self, name: &str, bounds: &[f64; N], counts: &Histogram<N>) {
        for (bound, at_most) in bounds.iter().zip(counts.at_most) {
            let _ = writeln!(self.0, "{name}_bucket{{le=\"{bound}\"}} {at_most}");
        }
        let _ = writeln!(self.0, "{name}_bucket{{le=\"+Inf\"}} {}", counts.count);
        let seconds = counts.sum_nanos as f64 / 1e9;
        let _ = writeln!(self.0, "{name}_sum {seconds:.9}");
        let _ = writeln!(self.0, "{name}_count {}", counts.count);
    }

    fn labelled(&mut self, name: &str, label: &str, value: &str, number: impl std::fmt::Display) {
        let _ = writeln!(self.0, "{name}{{{label}=\"{value}\"}} {number}");
    }
}
