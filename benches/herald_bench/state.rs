//! `cargo bench --bench herald_bench -- state`: what live state costs (see
//! `src/hub/state/`): a keyed publish against a plain one, the snapshot of
//! 10,000 keys as a new stream and `GET /state` get it, and the memory a
//! key takes.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Instant;

use crate::rates::{RequestRate, publish_form};
use crate::server::{Herald, keep_alive_client, read_response};

/// Runs each part and prints one line per figure.
pub(crate) fn state(quick: bool) {
    let seconds = if quick { 2 } else { 5 };
    let rounds = if quick { 1 } else { 7 };
    let herald = Herald::start(&[]);
    // Plain and keyed in turns, so that a change in the machine's load
    // falls on both; 32 connections (HERALD_BENCH_CONNECTIONS), each
    // updating a key of its own.
    let connections: usize = std::env::var("HERALD_BENCH_CONNECTIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(32);
    let plain: Vec<String> = (0..connections)
        .map(|_| publish_form("topic=board&message=benchmark"))
        .collect();
    let keyed: Vec<String> = (0..connections)
        .map(|c| publish_form(&format!("topic=board&key=k{c}&message=benchmark")))
        .collect();
    let (mut plain_rates, mut keyed_rates) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        let rate = RequestRate::measure_each(&herald, &plain, seconds);
        println!("state: plain publish {rate}");
        plain_rates.push(rate.per_second());
        let rate = RequestRate::measure_each(&herald, &keyed, seconds);
        println!("state: keyed publish {rate}");
        keyed_rates.push(rate.per_second());
    }
    let mut ratios: Vec<f64> = keyed_rates
        .iter()
        .zip(&plain_rates)
        .map(|(keyed, plain)| keyed / plain)
        .collect();
    let ratio = median(&mut ratios);
    let (low, high) = (ratios[0], ratios[ratios.len() - 1]);
    let (plain, keyed) = (median(&mut plain_rates), median(&mut keyed_rates));
    println!(
        "state: keyed publish {keyed:.0} requests/s against plain {plain:.0}: {ratio:.2}x, the median of {rounds} rounds in turns (from {low:.2}x to {high:.2}x)"
    );
    drop(herald);

    let keys = 10_000;
    let herald = Herald::start(&["--state-keys", "100000"]);
    let before = herald.rss_kib();
    let (mut writer, mut reader) = keep_alive_client(herald.addr);
    for key in 0..keys {
        let request = publish_form(&format!(
            "topic=board&key=build-{key}&message=passing+at+revision+{key}"
        ));
        writer.write_all(request.as_bytes()).unwrap();
        read_response(&mut reader);
    }
    let after = herald.rss_kib();
    println!(
        "state: {keys} keys of a 30-byte value: RSS +{:.1} MiB, {:.0} bytes a key ({} bytes as --state-bytes counts them)",
        (after - before) as f64 / 1024.0,
        (after - before) as f64 * 1024.0 / keys as f64,
        herald.stat("state_bytes") / keys as u64
    );
    let mut stream_ms: Vec<f64> = (0..20).map(|_| snapshot_ms(&herald)).collect();
    let mut state_ms: Vec<f64> = (0..20)
        .map(|_| {
            let started = Instant::now();
            let text = herald.get("/state?topic=board");
            assert!(text.contains("build-9999"));
            started.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    println!(
        "state: snapshot of {keys} keys: {:.1} ms from the request to herald-state on /events?state=1, {:.1} ms for GET /state (medians of 20)",
        median(&mut stream_ms),
        median(&mut state_ms)
    );
}

/// Opens `/events?state=1` and reads until `herald-state`; how long it took.
fn snapshot_ms(herald: &Herald) -> f64 {
    let started = Instant::now();
    let mut stream = TcpStream::connect(herald.addr).unwrap();
    write!(
        stream,
        "GET /events?state=1&topic=board HTTP/1.1\r\nHost: b\r\n\r\n"
    )
    .unwrap();
    let mut reader = BufReader::with_capacity(1 << 16, stream);
    let mut line = String::new();
    loop {
        line.clear();
        assert!(reader.read_line(&mut line).unwrap() > 0, "the stream ended");
        if line == "event: herald-state\n" {
            return started.elapsed().as_secs_f64() * 1000.0;
        }
    }
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}
