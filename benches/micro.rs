//! Micro-benchmarks for the pieces on herald's hot paths:
//! `cargo bench --bench micro`.
//!
//! Each is timed over enough rounds to take a few hundred milliseconds and
//! reported in nanoseconds per call. They find where the cost is; the
//! figures that matter to users come from `herald_bench`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use herald::Event;
use herald::http::form::parse_form;
use herald::http::request_head::parse_head;
use herald::hub::history::History;
use herald::hub::listener::StreamKind;
use herald::wire::encoded::EncodedEvent;
use herald::wire::sse::encode_event;

/// Runs `work` for about `budget`, returns nanoseconds per call.
fn time(budget: Duration, mut work: impl FnMut()) -> f64 {
    let mut rounds = 1u64;
    loop {
        let started = Instant::now();
        for _ in 0..rounds {
            work();
        }
        let took = started.elapsed();
        if took >= budget {
            return took.as_nanos() as f64 / rounds as f64;
        }
        rounds *= 2;
    }
}

fn main() {
    let budget = Duration::from_millis(300);
    let short = Event::new("deploy of build 4812 finished").unwrap();
    let long = Event::new("line\n".repeat(200))
        .unwrap()
        .event("log")
        .unwrap()
        .topic("ops")
        .unwrap();
    let mut out = Vec::with_capacity(4096);
    let report = |name: &str, ns: f64| println!("{name:<44} {ns:>9.1} ns");

    report(
        "sse::encode_event, 30 bytes",
        time(budget, || {
            out.clear();
            encode_event(
                black_box(1_795_489_596_544_147),
                black_box(&short),
                black_box(1_796_160_942_123),
                &mut out,
            );
        }),
    );
    report(
        "sse::encode_event, 200 lines with type and topic",
        time(budget, || {
            out.clear();
            encode_event(
                black_box(1_795_489_596_544_147),
                black_box(&long),
                black_box(1_796_160_942_123),
                &mut out,
            );
        }),
    );
    // What a publish does: both encodings, without the id.
    for (name, event) in [("30 bytes", &short), ("200 lines", &long)] {
        report(
            &format!("EncodedEvent::new, {name}"),
            time(budget, || {
                black_box(EncodedEvent::new(black_box(event), 1_796_160_942_123));
            }),
        );
    }

    let get =
        b"GET /events?topic=ops HTTP/1.1\r\nHost: intranet:8000\r\nAccept: text/event-stream\r\n\
                Last-Event-ID: 1795489596544147\r\nUser-Agent: Mozilla/5.0\r\n\r\n";
    report(
        "head::parse_head, GET /events (5 headers)",
        time(budget, || {
            black_box(parse_head(black_box(get)).ok());
        }),
    );
    let post = b"POST /publish HTTP/1.1\r\nHost: intranet:8000\r\nContent-Type: application/x-www-form-urlencoded\r\n\
                 Content-Length: 47\r\nAccept: text/html\r\n\r\n";
    report(
        "head::parse_head, POST /publish (4 headers)",
        time(budget, || {
            black_box(parse_head(black_box(post)).ok());
        }),
    );

    let form = b"message=deploy+of+build+4812+finished%21&event=status&topic=ops";
    report(
        "form::parse_form, 3 fields",
        time(budget, || {
            black_box(parse_form(black_box(form)).ok());
        }),
    );

    // A replay should cost what it sends, not the size of the history: a
    // tab that missed 10 events is served as fast from 100,000 held as from
    // 1,000.
    for held in [1_000u64, 100_000] {
        let mut history = History::new(held as usize, usize::MAX, 1);
        for id in 1..=held {
            history.push(id, EncodedEvent::new(&short, 1_796_160_942_123));
        }
        report(
            &format!("history replay of 10 from {held} held"),
            time(budget, || {
                out.clear();
                let resume = history.resume_after(black_box(held - 10));
                for stored in history.from(resume.from) {
                    for part in stored.parts(StreamKind::EventStream) {
                        out.extend_from_slice(part);
                    }
                }
            }),
        );
    }

    // A publish without HTTP, plain and keyed (live state: the ledger and
    // the hub's entry for the key), into a running server's hub.
    let config = herald::Config {
        addr: "127.0.0.1:0".into(),
        access_log: false,
        ..herald::Config::default()
    };
    let server = herald::Server::bind(config).unwrap();
    let publisher = server.publisher();
    let plain = Event::new("benchmark").unwrap().topic("board").unwrap();
    let keyed = plain.clone().key("k1", None).unwrap();
    for (name, event) in [("plain", &plain), ("keyed, an update", &keyed)] {
        report(
            &format!("Publisher::publish, {name}"),
            time(budget, || {
                black_box(publisher.publish(black_box(event.clone())).ok());
            }),
        );
    }
    for (name, event) in [("plain", &plain), ("keyed", &keyed)] {
        report(
            &format!("EncodedEvent::new, 9 bytes {name}"),
            time(budget, || {
                black_box(EncodedEvent::new(black_box(event), 1_796_160_942_123));
            }),
        );
    }

    // The hub's side of a keyed event: the history, and the key's entry.
    for (name, event) in [("plain", &plain), ("keyed, an update", &keyed)] {
        let mut history = History::new(1000, usize::MAX, 1);
        let mut values = herald::hub::state::Values::default();
        let mut id = 1;
        report(
            &format!("History::push and Values::keep, {name}"),
            time(budget, || {
                let encoded = EncodedEvent::new(event, 1_796_160_942_123);
                if values.is_news(&encoded) {
                    let seq = history.push(id, encoded);
                    values.keep_from(&history, seq);
                }
                id += 1;
            }),
        );
    }
}
