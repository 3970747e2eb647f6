//! `cargo bench --bench herald_bench -- durability`: what the event log
//! costs a publish, and how long a large log takes to load at start-up.

use std::time::Instant;

use crate::rates::{RequestRate, publish_request};
use crate::server::Herald;

/// `cargo bench --bench herald_bench -- durability`: publish rates with the
/// event log, and start-up with a large log.
pub(crate) fn durability(quick: bool) {
    let seconds = if quick { 2 } else { 5 };
    let publish = publish_request("benchmark");
    let dir = std::env::temp_dir().join(format!("herald-bench-{}", std::process::id()));
    for (name, args) in [
        ("memory only", vec![]),
        (
            "--fsync always",
            vec!["--data-dir", "DIR", "--fsync", "always"],
        ),
        (
            "--fsync interval",
            vec!["--data-dir", "DIR", "--fsync", "interval"],
        ),
    ] {
        let _ = std::fs::remove_dir_all(&dir);
        let dir_text = dir.display().to_string();
        let args: Vec<&str> = args
            .iter()
            .map(|a| if *a == "DIR" { dir_text.as_str() } else { a })
            .collect();
        let herald = Herald::start(&args);
        let rate = RequestRate::measure(&herald, &publish, 32, seconds);
        println!("publish with {name}: {rate} (32 keep-alive connections)");
    }

    let events = if quick { 100_000 } else { 1_000_000 };
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut bytes = herald::store::record::FILE_HEADER.to_vec();
    let event = herald::Event::new("an event of about sixty bytes, like a status line").unwrap();
    for id in 1..=events {
        herald::store::record::encode(id, 0, &event, &mut bytes);
    }
    std::fs::write(dir.join(herald::store::event_log::LOG_FILE), &bytes).unwrap();
    let started = Instant::now();
    let dir_text = dir.display().to_string();
    let herald = Herald::start(&["--data-dir", &dir_text, "--history", &events.to_string()]);
    let _ = herald.stat("listeners");
    println!(
        "start-up with a log of {events} events ({:.0} MiB), all held for replay: {:.0} ms to the first answer",
        bytes.len() as f64 / 1048576.0,
        started.elapsed().as_secs_f64() * 1000.0
    );
    let started = Instant::now();
    drop(herald);
    let herald = Herald::start(&["--data-dir", &dir_text]);
    let _ = herald.stat("listeners");
    println!(
        "start-up with the same log, the default 1,000 held: {:.0} ms to the first answer",
        started.elapsed().as_secs_f64() * 1000.0
    );
    drop(herald);
    let _ = std::fs::remove_dir_all(&dir);
}
