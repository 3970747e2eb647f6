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
//!   the moment a subscriber has read the event; p50, p90, p99, max;
//! - burst deliveries per second at 100, 1,000 and 10,000 subscribers, with
//!   8 publishers posting back to back (how the cost grows with listeners),
//!   and at 1,000 beside 1,000 more that filter on another topic (whether a
//!   filter slows the listeners without one);
//! - publish requests per second (32 keep-alive connections, no
//!   subscribers) and `GET /` requests per second (64 connections), each
//!   with the server's CPU time per request, user and system (from
//!   `/proc/PID/stat`), which shows where a request's cost lies;
//! - publish requests per second with the event log (`--fsync always` and
//!   `--fsync interval`) next to memory only, and the start-up time with a
//!   log of 1,000,000 events.
//!
//! Every delivery is counted: lost and duplicated events are reported, and
//! should be zero. The client shares the machine with the server, so the
//! figures are for comparing runs on one machine, not absolute capacities.
//! Subscribers are read by one thread with `mio` (epoll), publishers are
//! plain threads. Set `HERALD_BENCH_QUICK=1` for a short run.

use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use mio::net::TcpStream as MioStream;
use mio::{Events, Interest, Poll, Token};

fn main() {
    let quick = std::env::var_os("HERALD_BENCH_QUICK").is_some();
    if std::env::args().any(|a| a == "durability") {
        return durability(quick);
    }
    let herald = Herald::start(&[]);
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
    }

    let burst_runs: &[(usize, usize)] = if quick {
        &[(100, 2_000), (1_000, 200)]
    } else {
        &[(100, 20_000), (1_000, 2_000), (10_000, 200)]
    };
    for &(clients, messages) in burst_runs {
        let result = fanout(&herald, base, clients, messages, None, 8);
        println!(
            "burst: {clients} subscribers x {messages} messages from 8 publishers: {:.0} deliveries/s; lost {}, duplicated {}",
            result.deliveries_per_second(),
            result.lost,
            result.duplicated
        );
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

    let seconds = if quick { 2 } else { 5 };
    let body = "message=benchmark";
    let publish = format!(
        "POST /publish HTTP/1.1\r\nHost: b\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let rate = RequestRate::measure(&herald, &publish, 32, seconds);
    println!("publish: {rate} (32 keep-alive connections, no subscribers)");
    let rate = RequestRate::measure(&herald, "GET / HTTP/1.1\r\nHost: b\r\n\r\n", 64, seconds);
    println!("static: {rate} for GET / (64 keep-alive connections)");
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

// ---- durability ----------------------------------------------------------------

/// `cargo bench --bench herald_bench -- durability`: publish rates with the
/// event log, and start-up with a large log.
fn durability(quick: bool) {
    let seconds = if quick { 2 } else { 5 };
    let body = "message=benchmark";
    let publish = format!(
        "POST /publish HTTP/1.1\r\nHost: b\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
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
    let mut bytes = herald::record::FILE_HEADER.to_vec();
    let event = herald::Event::new("an event of about sixty bytes, like a status line").unwrap();
    for id in 1..=events {
        herald::record::encode(id, 0, &event, &mut bytes);
    }
    std::fs::write(dir.join(herald::event_log::LOG_FILE), &bytes).unwrap();
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

// ---- the server -------------------------------------------------------------

struct Herald {
    child: Child,
    addr: SocketAddr,
}

impl Herald {
    fn start(extra: &[&str]) -> Herald {
        let mut child = Command::new(env!("CARGO_BIN_EXE_herald"))
            .args(["--addr", "127.0.0.1:0", "--quiet"])
            .args(extra)
            .stderr(Stdio::piped())
            .spawn()
            .expect("cannot start herald");
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        let addr = loop {
            line.clear();
            assert!(
                stderr.read_line(&mut line).unwrap() > 0,
                "herald did not start"
            );
            if let Some(rest) = line.trim().strip_prefix("herald listening on http://") {
                break rest.trim_end_matches('/').parse().unwrap();
            }
        };
        thread::spawn(move || io::copy(&mut stderr, &mut io::sink()));
        Herald { child, addr }
    }

    fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    }

    /// The server's CPU time so far, user and system, in clock ticks
    /// (1/100 s: `USER_HZ`, fixed for `/proc` on Linux). Threads that have
    /// ended are included.
    fn cpu_ticks(&self) -> (u64, u64) {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap();
        // After the command name in parentheses come the fields from the 3rd
        // on; utime and stime are the 14th and 15th.
        let after_name = &stat[stat.rfind(')').unwrap() + 1..];
        let mut fields = after_name.split_whitespace().skip(11);
        let mut next = || fields.next().unwrap().parse().unwrap();
        (next(), next())
    }

    fn stat(&self, name: &str) -> u64 {
        let mut stream = TcpStream::connect(self.addr).unwrap();
        stream
            .write_all(b"GET /stats HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut text = String::new();
        stream.read_to_string(&mut text).unwrap();
        let key = format!("\"{name}\":");
        let at = text.find(&key).unwrap() + key.len();
        text[at..]
            .split([',', '}'])
            .next()
            .unwrap()
            .parse()
            .unwrap()
    }

    fn wait_for_listeners(&self, count: usize) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.stat("listeners") != count as u64 {
            assert!(Instant::now() < deadline, "listeners never reached {count}");
            thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Herald {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---- subscribers, read by one mio thread ---------------------------------------

/// Open subscriber sockets, kept until dropped.
struct Subscribers {
    streams: Vec<MioStream>,
}

impl Subscribers {
    /// Opens `count` streams of `path`, at most 64 connecting at once.
    fn open(addr: SocketAddr, count: usize, path: &str) -> Subscribers {
        let request = format!("GET {path} HTTP/1.1\r\nHost: b\r\n\r\n");
        let mut streams = Vec::with_capacity(count);
        for chunk in (0..count).collect::<Vec<_>>().chunks(64) {
            let mut batch: Vec<TcpStream> = chunk
                .iter()
                .map(|_| TcpStream::connect(addr).expect("connect"))
                .collect();
            for stream in &mut batch {
                stream.write_all(request.as_bytes()).unwrap();
            }
            for stream in batch {
                stream.set_nonblocking(true).unwrap();
                streams.push(MioStream::from_std(stream));
            }
        }
        Subscribers { streams }
    }
}

/// What one fan-out run saw.
struct Fanout {
    latencies_ms: Vec<f64>,
    delivered: u64,
    lost: u64,
    duplicated: u64,
    first_send: Instant,
    last_delivery: Instant,
}

impl Fanout {
    fn percentile(&self, p: f64) -> f64 {
        if self.latencies_ms.is_empty() {
            return f64::NAN;
        }
        let rank = ((p / 100.0) * (self.latencies_ms.len() - 1) as f64).round() as usize;
        self.latencies_ms[rank]
    }

    fn deliveries_per_second(&self) -> f64 {
        self.delivered as f64 / (self.last_delivery - self.first_send).as_secs_f64()
    }
}

/// `clients` subscribers; `messages` published by `publishers` threads,
/// paced `interval` apart or back to back.
fn fanout(
    herald: &Herald,
    base: Instant,
    clients: usize,
    messages: usize,
    interval: Option<Duration>,
    publishers: usize,
) -> Fanout {
    let already = herald.stat("listeners") as usize;
    let subscribers = Subscribers::open(herald.addr, clients, "/events");
    herald.wait_for_listeners(already + clients);
    let first_send = Instant::now();
    let done = Arc::new(AtomicBool::new(false));
    let publishing: Vec<_> = (0..publishers)
        .map(|p| {
            let addr = herald.addr;
            thread::spawn(move || {
                publish_share(addr, base, first_send, p, publishers, messages, interval)
            })
        })
        .collect();
    let reading = {
        let done = Arc::clone(&done);
        thread::spawn(move || read_all(subscribers, base, messages, &done))
    };
    for publisher in publishing {
        publisher.join().unwrap();
    }
    // Give the last events up to 30 s to arrive, then stop reading.
    let deadline = Instant::now() + Duration::from_secs(30);
    while !reading.is_finished() && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(20));
    }
    done.store(true, Ordering::Release);
    let (mut latencies_ms, delivered, duplicated, last_delivery) = reading.join().unwrap();
    latencies_ms.sort_by(f64::total_cmp);
    let expected = (clients * messages) as u64;
    herald.wait_for_listeners(already);
    Fanout {
        latencies_ms,
        delivered,
        lost: expected.saturating_sub(delivered),
        duplicated,
        first_send,
        last_delivery,
    }
}

/// Publishes the messages with `seq % publishers == index`.
fn publish_share(
    addr: SocketAddr,
    base: Instant,
    start: Instant,
    index: usize,
    publishers: usize,
    messages: usize,
    interval: Option<Duration>,
) {
    let stream = TcpStream::connect(addr).unwrap();
    stream.set_nodelay(true).unwrap();
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    for seq in (index..messages).step_by(publishers) {
        if let Some(interval) = interval {
            let due = start + interval * seq as u32;
            if let Some(wait) = due.checked_duration_since(Instant::now()) {
                thread::sleep(wait);
            }
        }
        let body = format!(
            "message={seq}-{}-xxxxxxxxxxxxxxxx",
            base.elapsed().as_nanos()
        );
        write!(
            writer,
            "POST /publish HTTP/1.1\r\nHost: b\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        read_response(&mut reader);
    }
}

/// Reads one response with a `Content-Length` body.
fn read_response(reader: &mut BufReader<TcpStream>) {
    let mut length = 0;
    let mut line = String::new();
    loop {
        line.clear();
        reader.read_line(&mut line).unwrap();
        if line == "\r\n" {
            break;
        }
        if let Some(n) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = n.trim().parse().unwrap();
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
}

/// Reads every subscriber until each has `messages` events or `done`.
fn read_all(
    mut subscribers: Subscribers,
    base: Instant,
    messages: usize,
    done: &AtomicBool,
) -> (Vec<f64>, u64, u64, Instant) {
    let mut poll = Poll::new().unwrap();
    for (i, stream) in subscribers.streams.iter_mut().enumerate() {
        poll.registry()
            .register(stream, Token(i), Interest::READABLE)
            .unwrap();
    }
    let count = subscribers.streams.len();
    let mut partial: HashMap<usize, Vec<u8>> = HashMap::new();
    let mut seen: Vec<Vec<bool>> = vec![vec![false; messages]; count];
    let mut got = vec![0usize; count];
    let mut complete = 0;
    let (mut latencies, mut delivered, mut duplicated) = (Vec::new(), 0u64, 0u64);
    let mut last_delivery = Instant::now();
    let mut events = Events::with_capacity(1024);
    let mut buf = vec![0u8; 64 * 1024];
    while complete < count && !done.load(Ordering::Acquire) {
        poll.poll(&mut events, Some(Duration::from_millis(50)))
            .unwrap();
        for event in &events {
            let i = event.token().0;
            loop {
                match subscribers.streams[i].read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => {
                        let pending = partial.entry(i).or_default();
                        pending.extend_from_slice(&buf[..n]);
                        let now = base.elapsed();
                        for seq_sent in take_data_lines(pending) {
                            let (seq, sent_ns) = seq_sent;
                            if seq >= messages {
                                continue;
                            }
                            if std::mem::replace(&mut seen[i][seq], true) {
                                duplicated += 1;
                                continue;
                            }
                            delivered += 1;
                            last_delivery = Instant::now();
                            latencies.push((now.as_nanos() as f64 - sent_ns as f64) / 1e6);
                            got[i] += 1;
                            if got[i] == messages {
                                complete += 1;
                            }
                        }
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                    Err(_) => break,
                }
            }
        }
    }
    (latencies, delivered, duplicated, last_delivery)
}

/// Takes the complete `data: SEQ-NANOS-…` lines out of `pending`.
fn take_data_lines(pending: &mut Vec<u8>) -> Vec<(usize, u128)> {
    let mut found = Vec::new();
    let Some(last_newline) = pending.iter().rposition(|&b| b == b'\n') else {
        return found;
    };
    for line in pending[..last_newline].split(|&b| b == b'\n') {
        let Some(data) = line.strip_prefix(b"data: ") else {
            continue;
        };
        let text = String::from_utf8_lossy(data);
        let mut parts = text.splitn(3, '-');
        if let (Some(seq), Some(sent)) = (parts.next(), parts.next())
            && let (Ok(seq), Ok(sent)) = (seq.parse(), sent.parse())
        {
            found.push((seq, sent));
        }
    }
    pending.drain(..=last_newline);
    found
}

// ---- request rates -------------------------------------------------------------

/// Requests answered per second, and the server's CPU time per request:
/// with one core's worth of CPU to spend, the time per request is what
/// sets the rate.
struct RequestRate {
    per_second: f64,
    user_us: f64,
    system_us: f64,
}

impl RequestRate {
    /// Sends `request` over and over on `connections` keep-alive
    /// connections for `seconds`.
    fn measure(herald: &Herald, request: &str, connections: usize, seconds: u64) -> RequestRate {
        let (user_before, system_before) = herald.cpu_ticks();
        let started = Instant::now();
        let answered = send_repeatedly(herald.addr, request, connections, seconds);
        let elapsed = started.elapsed().as_secs_f64();
        let (user_after, system_after) = herald.cpu_ticks();
        let us_per_request = |ticks: u64| ticks as f64 * 10_000.0 / answered.max(1) as f64;
        RequestRate {
            per_second: answered as f64 / elapsed,
            user_us: us_per_request(user_after - user_before),
            system_us: us_per_request(system_after - system_before),
        }
    }
}

impl std::fmt::Display for RequestRate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:.0} requests/s, server CPU per request {:.1} us user + {:.1} us system",
            self.per_second, self.user_us, self.system_us
        )
    }
}

/// Sends `request` over and over on `connections` keep-alive connections
/// for `seconds`; returns how many were answered.
fn send_repeatedly(addr: SocketAddr, request: &str, connections: usize, seconds: u64) -> u64 {
    let stop = Instant::now() + Duration::from_secs(seconds);
    let workers: Vec<_> = (0..connections)
        .map(|_| {
            let request = request.to_string();
            thread::spawn(move || {
                let stream = TcpStream::connect(addr).unwrap();
                stream.set_nodelay(true).unwrap();
                let mut writer = stream.try_clone().unwrap();
                let mut reader = BufReader::new(stream);
                let mut answered = 0u64;
                while Instant::now() < stop {
                    writer.write_all(request.as_bytes()).unwrap();
                    read_response(&mut reader);
                    answered += 1;
                }
                answered
            })
        })
        .collect();
    workers.into_iter().map(|w| w.join().unwrap()).sum()
}
