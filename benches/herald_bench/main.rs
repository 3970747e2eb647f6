//! herald's own benchmark: `cargo bench --bench herald_bench`.
//!
//! It starts the release `herald` binary on 127.0.0.1 and measures, as a
//! client would see them:
//!
//! - start-up: from spawning the process to its first answer (median of 20);
//! - idle memory: RSS of the herald process at rest and with 10,000 open
//!   subscribers, and the KiB per subscriber;
//! - fan-out latency at 1,000 subscribers (200 messages at 50/s) and at
//!   10,000 (50 messages at 10/s): from just before the POST is written to
//!   the moment a subscriber has read the event; p50, p90, p99, max; and
//!   the hub's own round times for the run, from `/metrics`;
//! - burst deliveries per second at 100, 1,000 and 10,000 subscribers, with
//!   8 publishers posting back to back (how the cost grows with listeners),
//!   and at 1,000 beside 1,000 more that filter on another topic (whether a
//!   filter slows the listeners without one);
//! - private topics: 10,000 listeners each on its own topic and events each
//!   for one of them, beside 100 listeners on one topic (events/s and
//!   deliveries/s: the hub should pay per listener reached, not per
//!   listener held);
//! - publish requests per second (32 keep-alive connections, no
//!   subscribers) and `GET /` requests per second (64 connections), each
//!   with the server's CPU time per request, user and system (from
//!   `/proc/PID/stat`), which shows where a request's cost lies;
//! - publish requests per second with the event log (`--fsync always` and
//!   `--fsync interval`) next to memory only, and the start-up time with a
//!   log of 1,000,000 events.
//!
//! - with `-- state`, live state: keyed publishes against plain ones, the
//!   snapshot of 10,000 keys, and the memory a key takes.
//!
//! Every delivery is counted: lost and duplicated events are reported, and
//! should be zero. The client shares the machine with the server, so the
//! figures are for comparing runs on one machine, not absolute capacities.
//! Subscribers are read by one thread with `mio` (epoll), publishers are
//! plain threads. Set `HERALD_BENCH_QUICK=1` for a short run; pass
//! `-- topics` (or `-- durability`, `-- state`) to run only that part.

mod durability;
mod fanout;
mod per_user;
mod rates;
mod rounds;
mod server;
mod state;

use std::thread;
use std::time::{Duration, Instant};

use durability::durability;
use fanout::{Subscribers, fanout};
use rates::{RequestRate, publish_request};
use rounds::Rounds;
use server::Herald;

fn main() {
    let quick = std::env::var_os("HERALD_BENCH_QUICK").is_some();
    if std::env::args().any(|a| a == "durability") {
        return durability(quick);
    }
    if std::env::args().any(|a| a == "state") {
        return state::state(quick);
    }
    let herald = Herald::start(&[]);
    if std::env::args().any(|a| a == "topics") {
        return private_topics(&herald, quick);
    }
    let base = Instant::now();
    println!(
        "herald benchmark ({}), server at {}",
        if quick { "quick" } else { "full" },
        herald.addr
    );
    let starts = 20;
    println!(
        "start-up: first answer {:.1} ms after the process is started (median of {starts})",
        median_startup_ms(starts)
    );

    let idle = if quick { 1_000 } else { 10_000 };
    let rest = herald.rss_kib();
    let subscribers = Subscribers::open(herald.addr, idle, "/events");
    herald.wait_for_listeners(idle);
    thread::sleep(Duration::from_millis(500));
    let loaded = herald.rss_kib();
    println!(
        "idle: RSS {:.1} MiB at rest, {:.1} MiB with {idle} subscribers: {:.2} KiB per subscriber",
        rest as f64 / 1024.0,
        loaded as f64 / 1024.0,
        (loaded.saturating_sub(rest)) as f64 / idle as f64
    );
    drop(subscribers);
    herald.wait_for_listeners(0);

    let latency_runs: &[(usize, usize, u64)] = if quick {
        &[(1_000, 50, 20_000)]
    } else {
        &[(1_000, 200, 20_000), (10_000, 50, 100_000)]
    };
    for &(clients, messages, interval_us) in latency_runs {
        let before = Rounds::read(&herald);
        let result = fanout(
            &herald,
            base,
            clients,
            messages,
            Some(Duration::from_micros(interval_us)),
            1,
        );
        println!(
            "latency: {clients} subscribers x {messages} messages every {} ms: p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms; lost {}, duplicated {}",
            interval_us / 1000,
            result.percentile(50.0),
            result.percentile(90.0),
            result.percentile(99.0),
            result.percentile(100.0),
            result.lost,
            result.duplicated
        );
        println!("  {}", Rounds::read(&herald).since(&before));
    }

    let burst_runs: &[(usize, usize)] = if quick {
        &[(100, 2_000), (1_000, 200)]
    } else {
        &[(100, 20_000), (1_000, 2_000), (10_000, 200)]
    };
    for &(clients, messages) in burst_runs {
        let before = Rounds::read(&herald);
        let result = fanout(&herald, base, clients, messages, None, 8);
        println!(
            "burst: {clients} subscribers x {messages} messages from 8 publishers: {:.0} deliveries/s; lost {}, duplicated {}",
            result.deliveries_per_second(),
            result.lost,
            result.duplicated
        );
        println!("  {}", Rounds::read(&herald).since(&before));
    }

    // A topic filter should not slow the listeners without one: the 1,000
    // subscriber burst again, beside 1,000 more listeners that filter on a
    // topic no event carries (each costs the hub a check, and no write).
    let (clients, messages) = if quick { (1_000, 200) } else { (1_000, 2_000) };
    let bystanders = Subscribers::open(herald.addr, clients, "/events?topic=elsewhere");
    herald.wait_for_listeners(clients);
    let result = fanout(&herald, base, clients, messages, None, 8);
    println!(
        "burst: {clients} subscribers x {messages} messages from 8 publishers, beside {clients} filtering on another topic: {:.0} deliveries/s; lost {}, duplicated {}",
        result.deliveries_per_second(),
        result.lost,
        result.duplicated
    );
    drop(bystanders);
    herald.wait_for_listeners(0);

    private_topics(&herald, quick);

    let seconds = if quick { 2 } else { 5 };
    let publish = publish_request("benchmark");
    let rate = RequestRate::measure(&herald, &publish, 32, seconds);
    println!("publish: {rate} (32 keep-alive connections, no subscribers)");
    let rate = RequestRate::measure(&herald, "GET / HTTP/1.1\r\nHost: b\r\n\r\n", 64, seconds);
    println!("static: {rate} for GET / (64 keep-alive connections)");
}

/// Private topics: an event for one person among thousands should cost the
/// hub that one listener. The same events to a hundred listeners on one
/// topic, for comparison.
fn private_topics(herald: &Herald, quick: bool) {
    let (users, messages) = if quick {
        (2_000, 4_000)
    } else {
        (10_000, 20_000)
    };
    for (listeners, topics, name) in [
        (100, 1, "100 listeners on one topic"),
        (users, users, "each listener on its own topic"),
    ] {
        let run = per_user::topic_run(herald, listeners, topics, messages);
        println!(
            "topics: {name} ({listeners} listeners), {messages} events from 8 publishers: {:.0} events/s, {:.0} deliveries/s; lost {}, misdelivered {}, dropped {}",
            run.events_per_second,
            run.deliveries_per_second,
            run.lost,
            run.misdelivered,
            herald.stat("dropped")
        );
    }
}

/// Starts herald `times` times; the median time from spawning the process to
/// its first answer.
fn median_startup_ms(times: usize) -> f64 {
    let mut took: Vec<f64> = (0..times)
        .map(|_| {
            let started = Instant::now();
            let herald = Herald::start(&[]);
            let _ = herald.stat("listeners");
            started.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    took.sort_by(f64::total_cmp);
    took[times / 2]
}
