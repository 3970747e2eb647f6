//! `/metrics` in the Prometheus text format, read by a real parser: the
//! Python `prometheus_client` package's (installed by `.ci/run`), which
//! is what a Python exporter or test would use.

mod support;

use std::collections::HashMap;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use support::ws::Ws;
use support::*;

/// Parses `text` with `prometheus_client`: each sample as `name{labels}`
/// to its value, and each family's type as `TYPE name`.
fn parse_with_prometheus_client(text: &str) -> HashMap<String, String> {
    let script = r#"
import sys
from prometheus_client.parser import text_string_to_metric_families
for family in text_string_to_metric_families(sys.stdin.read()):
    print(f"TYPE {family.name}\t{family.type}")
    for sample in family.samples:
        labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
        print(f"{sample.name}{{{labels}}}\t{sample.value}")
"#;
    let mut python = Command::new("python3")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    python
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let output = python.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "prometheus_client refused it: {}\n{text}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .filter_map(|line| line.split_once('\t'))
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect()
}

fn number(metrics: &HashMap<String, String>, key: &str) -> f64 {
    metrics
        .get(key)
        .unwrap_or_else(|| panic!("no {key} in {metrics:?}"))
        .parse()
        .unwrap()
}

#[test]
fn metrics_parse_with_prometheus_client_and_count_what_happened() {
    let dir = std::env::temp_dir().join(format!("herald-metrics-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let herald = HeraldProcess::start(&[
        "--data-dir",
        &dir.display().to_string(),
        "--publish-token",
        "sesame",
    ]);
    let addr = herald.addr;
    let _sse = Subscriber::all(addr);
    let _ws = Ws::open(addr, "");
    wait_until(Duration::from_secs(5), "two listeners", || {
        stat(addr, "listeners") == 2
    });
    for _ in 0..3 {
        publish(addr, "message=hello&token=sesame");
    }
    assert_eq!(post_form(addr, "message=no+token").status, 401);
    assert_eq!(post_form(addr, "message=bad&token=guess").status, 403);

    let reply = get(addr, "/metrics");
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("Content-Type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    let metrics = parse_with_prometheus_client(&reply.text());

    assert_eq!(number(&metrics, "herald_listeners{kind=event_stream}"), 1.0);
    assert_eq!(number(&metrics, "herald_listeners{kind=websocket}"), 1.0);
    assert_eq!(number(&metrics, "herald_published_total{}"), 3.0);
    assert_eq!(number(&metrics, "herald_refused_total{reason=token}"), 2.0);
    assert_eq!(number(&metrics, "herald_refused_total{reason=full}"), 0.0);
    assert_eq!(
        number(&metrics, "herald_dropped_total{reason=too_slow}"),
        0.0
    );
    assert_eq!(number(&metrics, "herald_history_events{}"), 3.0);
    assert!(number(&metrics, "herald_history_bytes{}") > 3.0 * 5.0);
    assert!(number(&metrics, "herald_connections{}") >= 2.0);
    assert_eq!(number(&metrics, "herald_hub_queue_bytes{}"), 0.0);
    assert!(
        number(&metrics, "herald_event_log_sync_seconds_count{}") >= 3.0,
        "each publish was synced (--fsync always)"
    );
    assert!(number(&metrics, "herald_event_log_sync_seconds_sum{}") > 0.0);
    assert_eq!(metrics["TYPE herald_published"], "counter");
    assert_eq!(metrics["TYPE herald_listeners"], "gauge");
    assert_eq!(metrics["TYPE herald_event_log_sync_seconds"], "summary");
    fan_out_times_add_up(&metrics);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Three events to two listeners: one to three rounds (events that come
/// together share one), each writing both listeners, timed in both
/// histograms.
fn fan_out_times_add_up(metrics: &HashMap<String, String>) {
    assert_eq!(metrics["TYPE herald_hub_round_seconds"], "histogram");
    assert_eq!(metrics["TYPE herald_hub_delivery_seconds"], "histogram");
    let rounds = number(metrics, "herald_hub_round_seconds_count{}");
    assert!((1.0..=3.0).contains(&rounds), "{rounds} rounds");
    assert_eq!(
        number(metrics, "herald_hub_deliveries_total{}"),
        2.0 * rounds
    );
    assert_eq!(
        number(metrics, "herald_hub_round_seconds_bucket{le=+Inf}"),
        rounds
    );
    assert_eq!(
        number(metrics, "herald_hub_delivery_seconds_count{}"),
        rounds
    );
    // Writing two sockets takes more than nothing, and less than a second.
    let sum = number(metrics, "herald_hub_round_seconds_sum{}");
    assert!(sum > 0.0 && sum < 1.0, "{sum}");
    assert_eq!(
        number(metrics, "herald_hub_round_seconds_bucket{le=1}"),
        rounds
    );
    let per_delivery = number(metrics, "herald_hub_delivery_seconds_sum{}");
    assert!(per_delivery <= sum / 2.0 + 1e-9, "{per_delivery} vs {sum}");
}

#[test]
fn a_full_server_counts_its_refusals() {
    let herald = HeraldProcess::start(&["--max-clients", "1"]);
    let addr = herald.addr;
    let held = Subscriber::all(addr);
    // While it is held, every other connection is turned away.
    let turned_away = get(addr, "/metrics");
    assert_eq!(turned_away.status, 503);
    drop(held);
    let mut metrics = HashMap::new();
    wait_until(Duration::from_secs(5), "a place to free up", || {
        let reply = get(addr, "/metrics");
        if reply.status == 200 {
            metrics = parse_with_prometheus_client(&reply.text());
        }
        reply.status == 200
    });
    assert!(number(&metrics, "herald_refused_total{reason=full}") >= 1.0);
}
