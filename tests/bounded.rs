//! Bounded in total: what a few hostile or careless clients can make the
//! whole process hold. Each test starts the real binary, attacks one bound
//! over TCP, reads the process's memory, threads and descriptors from
//! `/proc`, and checks that a normal subscriber is still served promptly.
//! The bounds asserted here are the ones the README's "Limits and security"
//! section states.

mod support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use socket2::{Domain, Socket, Type};
use support::ws::Ws;
use support::*;

const MIB: u64 = 1024 * 1024;

/// A field of `/proc/PID/status` in bytes (for `kB` fields) or as a count.
fn proc_status(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status
        .lines()
        .find_map(|line| line.strip_prefix(&format!("{field}:")))
        .unwrap_or_else(|| panic!("/proc/{pid}/status has no {field}"));
    let mut words = line.split_whitespace();
    let number: u64 = words.next().unwrap().parse().unwrap();
    match words.next() {
        Some("kB") => number * 1024,
        _ => number,
    }
}

fn rss(herald: &HeraldProcess) -> u64 {
    proc_status(herald.child.id(), "VmRSS")
}

fn open_fds(herald: &HeraldProcess) -> usize {
    std::fs::read_dir(format!("/proc/{}/fd", herald.child.id()))
        .unwrap()
        .count()
}

fn threads(herald: &HeraldProcess) -> u64 {
    proc_status(herald.child.id(), "Threads")
}

/// The process's CPU time so far (user + system).
fn cpu_time(herald: &HeraldProcess) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", herald.child.id())).unwrap();
    // Fields after the command name, which is in parentheses.
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<u64> = after
        .split_whitespace()
        .map(|field| field.parse().unwrap_or(0))
        .collect();
    // utime and stime are fields 14 and 15 of the whole line (1-based),
    // in clock ticks of 1/100 s on Linux.
    let ticks = fields[11] + fields[12];
    Duration::from_millis(ticks * 10)
}

/// `POST /publish` of a text/plain body on `stream` (keep-alive); the status.
fn publish_plain_on(stream: &mut TcpStream, body: &[u8]) -> u16 {
    let head = format!(
        "POST /publish HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut reader = std::io::BufReader::new(&*stream);
    read_reply(&mut reader, false).status
}

/// Publishes `count` text/plain events of `body` over one connection.
fn publish_many(addr: SocketAddr, count: usize, body: &[u8]) {
    let mut stream = connect(addr);
    for _ in 0..count {
        assert_eq!(publish_plain_on(&mut stream, body), 200);
    }
}

/// A raw `/events` request that never reads, with a small receive buffer
/// so that the server's side fills quickly.
fn stalled_events(addr: SocketAddr, headers: &str) -> Socket {
    stalled_stream(addr, "/events", headers)
}

/// Like [`stalled_events`], for any stream's target.
fn stalled_stream(addr: SocketAddr, target: &str, headers: &str) -> Socket {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    socket.connect(&addr.into()).unwrap();
    let mut stream: TcpStream = socket.try_clone().unwrap().into();
    write!(stream, "GET {target} HTTP/1.1\r\nHost: t\r\n{headers}\r\n").unwrap();
    socket
}

/// How long a published event takes to reach `subscriber`.
fn delivery_time(addr: SocketAddr, subscriber: &mut Subscriber, text: &str) -> Duration {
    let sent = Instant::now();
    publish(addr, &format!("message={text}"));
    loop {
        let event = subscriber.next_event();
        if event.data == text {
            return sent.elapsed();
        }
    }
}

/// The slowest of five deliveries to `subscriber`, one after the other.
fn slowest_of_five(addr: SocketAddr, subscriber: &mut Subscriber) -> Duration {
    (0..5)
        .map(|round| delivery_time(addr, subscriber, &format!("live{round}")))
        .max()
        .unwrap_or_default()
}

/// A normal subscriber timed every 50 ms on a thread of its own while a
/// storm opens, until stopped.
struct Prober {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: thread::JoinHandle<(Subscriber, Duration)>,
}

impl Prober {
    fn start(addr: SocketAddr, mut normal: Subscriber) -> Prober {
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stopped = std::sync::Arc::clone(&stop);
        let thread = thread::spawn(move || {
            let mut slowest = Duration::ZERO;
            let mut probe = 0;
            while !stopped.load(std::sync::atomic::Ordering::SeqCst) {
                let took = delivery_time(addr, &mut normal, &format!("opening{probe}"));
                slowest = slowest.max(took);
                probe += 1;
                thread::sleep(Duration::from_millis(50).saturating_sub(took));
            }
            (normal, slowest)
        });
        Prober { stop, thread }
    }

    /// Stops it: the subscriber, and its slowest delivery.
    fn stop(self) -> (Subscriber, Duration) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        self.thread.join().unwrap()
    }
}

/// Waits until `/stats` shows `listeners` listeners.
fn wait_for_listeners(addr: SocketAddr, listeners: u64) {
    wait_until(Duration::from_secs(10), "the listeners to join", || {
        stat(addr, "listeners") == listeners
    });
}

/// The README's bound for this test: 200 event streams and 20 WebSockets
/// asking for a replay of 60 MiB add less than this to the process.
const REPLAY_STORM_RSS_BOUND: u64 = 32 * MIB;

/// A normal subscriber's publish→receive while others are being replayed to.
const PROMPT_DELIVERY: Duration = Duration::from_millis(50);

#[test]
fn a_replay_storm_shares_the_history_instead_of_copying_it() {
    let herald = HeraldProcess::start(&[]);
    let addr = herald.addr;
    publish_many(addr, 1000, &[b'x'; 60 * 1024]);
    let normal = Subscriber::all(addr);
    wait_for_listeners(addr, 1);
    let before = rss(&herald);

    // They open ten at a time (one WebSocket in each ten), every 200 ms,
    // while a prober publishes every 50 ms and times the normal subscriber.
    let prober = Prober::start(addr, normal);
    let mut streams: Vec<Socket> = Vec::new();
    let mut sockets: Vec<Ws> = Vec::new();
    for _ in 0..22 {
        streams.extend((0..9).map(|_| stalled_events(addr, "Last-Event-ID: 0\r\n")));
        sockets.push(Ws::open(addr, "?lastEventId=0"));
        thread::sleep(Duration::from_millis(200));
    }
    wait_for_listeners(addr, 221);
    let (mut normal, slowest_while_opening) = prober.stop();
    eprintln!("replay storm: slowest normal delivery while opening {slowest_while_opening:?}");
    // Let the hub write what the sockets take, and the readers stall.
    thread::sleep(Duration::from_millis(500));

    let added = rss(&herald).saturating_sub(before);
    eprintln!("replay storm: RSS +{} KiB", added / 1024);
    assert!(
        added < REPLAY_STORM_RSS_BOUND,
        "220 replays of 60 MiB added {} MiB",
        added / MIB
    );
    let slowest = slowest_of_five(addr, &mut normal);
    eprintln!("replay storm: slowest normal delivery {slowest:?}");
    assert!(
        slowest < PROMPT_DELIVERY,
        "a normal subscriber waited {slowest:?} during the storm"
    );
    assert!(
        slowest_while_opening < PROMPT_DELIVERY,
        "a normal subscriber waited {slowest_while_opening:?} while the storm opened"
    );
    assert_eq!(stat(addr, "listeners"), 221, "nobody was dropped");
    drop((streams, sockets));
}

/// 200 event streams holding a snapshot of 10,000 values of 1 KiB (about
/// 10 MiB in the event-stream encoding) at once, and never reading: shared,
/// it costs about the snapshot once; copied, it would be 2 GiB.
const SNAPSHOT_STORM_RSS_BOUND: u64 = 10 * MIB;

#[test]
fn a_snapshot_storm_shares_the_values_instead_of_copying_them() {
    let herald = HeraldProcess::start(&["--state-bytes", &(64 * MIB).to_string()]);
    let addr = herald.addr;
    let mut publisher = connect(addr);
    let value = "v".repeat(1024);
    for key in 0..10_000 {
        let body = format!("topic=board&key=k{key}&message={value}");
        assert_eq!(publish_form_on(&mut publisher, &body), 200);
    }
    let normal = Subscriber::all(addr);
    wait_for_listeners(addr, 1);
    let before = rss(&herald);
    let prober = Prober::start(addr, normal);
    // As the replay storm: ten every 200 ms, so that what is measured is
    // the hub, not 200 connection threads starting on two cores at once.
    let mut streams: Vec<Socket> = Vec::new();
    for _ in 0..20 {
        streams.extend((0..10).map(|_| stalled_stream(addr, "/events?state=1&topic=board", "")));
        thread::sleep(Duration::from_millis(200));
    }
    wait_for_listeners(addr, 201);
    let (mut normal, slowest_while_opening) = prober.stop();
    // Let the hub write what the sockets take.
    thread::sleep(Duration::from_millis(500));
    let added = rss(&herald).saturating_sub(before);
    let slowest = slowest_while_opening.max(slowest_of_five(addr, &mut normal));
    eprintln!(
        "snapshot storm: RSS +{} KiB, slowest normal delivery {slowest_while_opening:?} \
         while opening, {slowest:?} in all",
        added / 1024
    );
    assert!(
        added < SNAPSHOT_STORM_RSS_BOUND,
        "200 snapshots of 10 MiB added {} MiB",
        added / MIB
    );
    assert!(
        slowest < PROMPT_DELIVERY,
        "a normal subscriber waited {slowest:?} while 200 snapshots opened"
    );
    assert_eq!(stat(addr, "listeners"), 201, "nobody was dropped");
    drop(streams);
}

#[test]
fn a_flood_of_line_breaks_is_bounded_by_history_bytes() {
    // Each body of 64 KiB of line breaks becomes 65,537 `data:` lines:
    // about 512 KiB held per event, 100 MiB for the 200 sent here.
    let history_bytes = 4 * MIB;
    let herald = HeraldProcess::start(&["--history-bytes", &history_bytes.to_string()]);
    publish_many(herald.addr, 200, &[b'\n'; 64 * 1024]);
    let peak = proc_status(herald.child.id(), "VmHWM");
    // The history, the hub's queue (16 MiB), and the process itself.
    let bound = history_bytes + 16 * MIB + 16 * MIB;
    eprintln!("line-break flood: peak RSS {} MiB", peak / MIB);
    assert!(
        peak < bound,
        "peak RSS {} MiB, bound {} MiB",
        peak / MIB,
        bound / MIB
    );
    let held = stat(herald.addr, "history");
    assert!(held < 10, "{held} events of 512 KiB held in 4 MiB");
}

#[test]
fn pipelining_publishers_cannot_grow_the_hubs_queue() {
    let history_bytes = 8 * MIB;
    let herald = HeraldProcess::start(&["--history-bytes", &history_bytes.to_string()]);
    let addr = herald.addr;
    let body = vec![b'p'; 64 * 1024];
    let publishers: Vec<_> = (0..4)
        .map(|_| {
            let body = body.clone();
            thread::spawn(move || pipeline(addr, 500, &body))
        })
        .collect();
    for publisher in publishers {
        assert_eq!(publisher.join().unwrap(), 500, "every publish answered 200");
    }
    let peak = proc_status(herald.child.id(), "VmHWM");
    // The history, the hub's queue, four request bodies, the process.
    let bound = history_bytes + 16 * MIB + 16 * MIB;
    eprintln!("pipelined publishers: peak RSS {} MiB", peak / MIB);
    assert!(peak < bound, "peak RSS {} MiB", peak / MIB);
}

/// Sends `count` publishes without waiting for answers, reading them on
/// another thread; how many were `200`.
fn pipeline(addr: SocketAddr, count: usize, body: &[u8]) -> usize {
    let mut stream = connect(addr);
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let reading = stream.try_clone().unwrap();
    let answers = thread::spawn(move || {
        let mut reader = std::io::BufReader::new(reading);
        (0..count)
            .filter(|_| read_reply(&mut reader, false).status == 200)
            .count()
    });
    let head = format!(
        "POST /publish HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    for _ in 0..count {
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(body).unwrap();
    }
    answers.join().unwrap()
}

#[test]
fn a_slow_reader_of_a_large_replay_costs_the_hub_little() {
    let herald = HeraldProcess::start(&[]);
    let addr = herald.addr;
    publish_many(addr, 1000, &[b'x'; 60 * 1024]);
    let mut slow = connect(addr);
    slow.write_all(b"GET /events HTTP/1.1\r\nHost: t\r\nLast-Event-ID: 0\r\n\r\n")
        .unwrap();
    let mut chunk = [0u8; 4096];
    let cpu_before = cpu_time(&herald);
    let started = Instant::now();
    let mut received = 0;
    while started.elapsed() < Duration::from_secs(2) {
        received += slow.read(&mut chunk).unwrap();
        thread::sleep(Duration::from_millis(2));
    }
    let cpu = cpu_time(&herald) - cpu_before;
    eprintln!("slow reader: herald CPU {cpu:?} in 2 s, {received} bytes read");
    assert!(received > 100_000, "the replay flows: {received} bytes");
    // Before, each partial write moved the whole backlog: 86 % of a core.
    assert!(
        cpu < Duration::from_millis(400),
        "herald used {cpu:?} of CPU in 2 s for one slow reader"
    );
}

#[test]
fn websockets_dropped_by_the_hub_leave_no_thread_or_socket_behind() {
    let herald = HeraldProcess::start(&["--max-clients", "40", "--max-backlog", "65536"]);
    let addr = herald.addr;
    publish(addr, "message=warm");
    // `/stats` counts its own connection.
    wait_until(Duration::from_secs(5), "herald to settle", || {
        stat(addr, "connections") == 1
    });
    let (threads_before, fds_before) = (threads(&herald), open_fds(&herald));

    let mut sockets: Vec<Ws> = (0..20).map(|_| Ws::open(addr, "")).collect();
    wait_for_listeners(addr, 20);
    let mut publisher = connect(addr);
    let body = vec![b'w'; 60 * 1024];
    wait_until(Duration::from_secs(20), "the hub to drop them", || {
        publish_plain_on(&mut publisher, &body);
        stat(addr, "dropped") >= 20
    });
    drop(publisher);
    // The clients keep pinging, as the issue's attacker did.
    for ws in &mut sockets {
        ws.send_raw(0x89, b"", true);
    }
    wait_until(
        Duration::from_secs(5),
        "their threads and sockets to go",
        || threads(&herald) <= threads_before && open_fds(&herald) <= fds_before,
    );
    assert_eq!(stat(addr, "connections"), 1, "only /stats's own");
}

#[test]
fn a_ping_flood_is_closed_with_1008_and_does_not_slow_the_others() {
    let herald = HeraldProcess::start(&[]);
    let addr = herald.addr;
    let _idle: Vec<Subscriber> = (0..500).map(|_| Subscriber::all(addr)).collect();
    let mut normal = Subscriber::all(addr);
    wait_for_listeners(addr, 501);
    let mut flooder = Ws::open(addr, "");
    let mut frames = Vec::new();
    for _ in 0..5000 {
        frames.extend_from_slice(&[0x89, 0x80, 1, 2, 3, 4]);
    }
    let _ = flooder.stream.write_all(&frames);
    let slowest = (0..3)
        .map(|round| delivery_time(addr, &mut normal, &format!("during{round}")))
        .max()
        .unwrap();
    eprintln!("ping flood: slowest delivery {slowest:?}");
    assert!(slowest < PROMPT_DELIVERY, "delivery took {slowest:?}");
    let close = loop {
        let frame = flooder.next();
        if frame.opcode == 8 {
            break frame;
        }
    };
    assert_eq!(close.close_code(), 1008, "policy violation");
}

#[test]
fn with_few_descriptors_a_client_past_the_limit_is_answered_within_a_second() {
    let herald =
        HeraldProcess::start_in_shell(r#"ulimit -n 300 && exec "$0" --addr 127.0.0.1:0 --quiet"#);
    let addr = herald.addr;
    // Slow request heads: each holds a connection for --header-timeout.
    // --max-clients is 300 - 64 - 59 = 177 here, so some are turned away.
    let slow: Vec<TcpStream> = (0..200)
        .map(|_| {
            let mut stream = connect(addr);
            stream.write_all(b"GET / HTTP/1.1\r\n").unwrap();
            stream
        })
        .collect();
    let asked = Instant::now();
    let reply = get(addr, "/");
    let waited = asked.elapsed();
    assert!(
        reply.status == 200 || reply.status == 503,
        "got {}",
        reply.status
    );
    eprintln!(
        "few descriptors: answered {} after {waited:?}",
        reply.status
    );
    assert!(waited < Duration::from_secs(1), "answered after {waited:?}");
    assert!(open_fds(&herald) < 300);
    assert!(
        !herald.said("out of file descriptors"),
        "accept ran out of descriptors below --max-clients"
    );
    drop(slow);
}

#[test]
fn a_full_server_asks_an_event_stream_to_come_back_instead_of_failing_it() {
    // Three slots: streams may take two (one is kept for requests), and
    // an idle connection takes the third.
    let herald = HeraldProcess::start(&["--max-clients", "3"]);
    let addr = herald.addr;
    let _first = Subscriber::all(addr);
    let _second = Subscriber::all(addr);
    let _idle = connect(addr);
    wait_until(
        Duration::from_secs(5),
        "the idle connection admitted",
        || {
            let mut probe = connect(addr);
            probe
                .write_all(b"GET /stats HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
                .unwrap();
            read_reply(&mut std::io::BufReader::new(probe), false).status == 503
        },
    );

    let mut refused = Subscriber::open(addr, "topic=ops", "Last-Event-ID: 7\r\n");
    assert_eq!(refused.status, 200, "EventSource gives up on anything else");
    assert_eq!(
        refused
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-type")),
        Some(&("Content-Type".to_string(), "text/event-stream".to_string()))
    );
    let event = refused.try_next_event().expect("one event saying why");
    assert_eq!(event.event.as_deref(), Some("herald-unavailable"));
    assert_eq!(event.data, r#"{"reason":"full"}"#);
    let retry = refused.retry.expect("a retry: field");
    assert!((2000..=5000).contains(&retry), "retry {retry} ms");
    assert!(refused.try_next_event().is_none(), "and then the end");

    let plain = get(addr, "/stats");
    assert_eq!(plain.status, 503);
    assert!(plain.header("Retry-After").is_some());
    let mut ws = connect(addr);
    write!(
        ws,
        "GET /ws HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {}\r\n\r\n",
        support::ws::KEY
    )
    .unwrap();
    let reply = read_reply(&mut std::io::BufReader::new(ws), false);
    assert_eq!(
        reply.status, 503,
        "a WebSocket is refused before the upgrade"
    );
}

/// A page on another origin reads the same refusal: without CORS headers
/// its `EventSource` would see a network error and give up for good.
#[test]
fn a_full_server_turns_a_cross_origin_event_stream_away_readably() {
    let allowed = "http://intranet.example";
    let herald = HeraldProcess::start(&["--max-clients", "1", "--cors-origin", allowed]);
    let _only = Subscriber::all(herald.addr);

    let header = |subscriber: &Subscriber, name: &str| {
        subscriber
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.clone())
    };
    let mut refused = Subscriber::open(herald.addr, "", &format!("Origin: {allowed}\r\n"));
    assert_eq!(refused.status, 200);
    assert_eq!(
        header(&refused, "Access-Control-Allow-Origin").as_deref(),
        Some(allowed)
    );
    assert_eq!(
        header(&refused, "Access-Control-Allow-Credentials").as_deref(),
        Some("true")
    );
    let event = refused.try_next_event().expect("one event saying why");
    assert_eq!(event.event.as_deref(), Some("herald-unavailable"));

    let other = Subscriber::open(herald.addr, "", "Origin: http://elsewhere.example\r\n");
    assert_eq!(other.status, 200);
    assert_eq!(
        header(&other, "Access-Control-Allow-Origin"),
        None,
        "only the origins allowed"
    );
}

/// Never-reading subscribers, and bursts of large events on their topic.
const NEVER_READERS: usize = 500;
const BURSTS: usize = 3;
const BURST_EVENTS: usize = 60;
const BURST_EVENT_BYTES: usize = 60 * 1000;

/// The README's bound: however many subscribers never read, a normal
/// subscriber's publish→receive stays within this while bursts go out:
/// 100 ms on the release build (`cargo test --release --test bounded`,
/// the issue's target; measured 14–25 ms). `cargo test` runs the debug
/// build, on a machine other tests keep busy, so it is held to 1 s there:
/// still a quarter of what one lap cost before the bound (3.9 s, or
/// nothing within 5 s).
const LAP_BOUND_DELIVERY: Duration = if cfg!(debug_assertions) {
    Duration::from_secs(1)
} else {
    Duration::from_millis(100)
};

/// A `POST /publish` of a form on `stream` (keep-alive); the status.
fn publish_form_on(stream: &mut TcpStream, body: &str) -> u16 {
    let head = format!(
        "POST /publish HTTP/1.1\r\nHost: t\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body.as_bytes()).unwrap();
    let mut reader = std::io::BufReader::new(&*stream);
    read_reply(&mut reader, false).status
}

#[test]
fn subscribers_that_never_read_cannot_stretch_the_hubs_lap() {
    let herald = HeraldProcess::start(&[]);
    let addr = herald.addr;
    let stalled: Vec<Socket> = (0..NEVER_READERS)
        .map(|_| stalled_stream(addr, "/events?topic=burst", ""))
        .collect();
    let mut normal = Subscriber::open(addr, "topic=probe", "");
    wait_for_listeners(addr, NEVER_READERS as u64 + 1);

    let bursts = thread::spawn(move || {
        let mut stream = connect(addr);
        let body = format!("topic=burst&message={}", "x".repeat(BURST_EVENT_BYTES));
        for _ in 0..BURSTS * BURST_EVENTS {
            assert_eq!(publish_form_on(&mut stream, &body), 200);
        }
    });
    // A probe every 10 ms for as long as the bursts go out, and once after.
    let mut slowest = Duration::ZERO;
    let mut probes = 0;
    loop {
        let done = bursts.is_finished();
        let took = delivery_time_on(addr, &mut normal, "probe", &format!("p{probes}"));
        slowest = slowest.max(took);
        probes += 1;
        if done {
            break;
        }
        thread::sleep(Duration::from_millis(10));
    }
    bursts.join().unwrap();
    eprintln!("never-readers: {probes} probes, slowest normal delivery {slowest:?}");
    assert!(
        slowest <= LAP_BOUND_DELIVERY,
        "a normal subscriber waited {slowest:?} while {NEVER_READERS} never read"
    );
    // Each never-reader fell more than --max-backlog behind: dropped and
    // counted, and the normal subscriber is the only one left.
    wait_until(Duration::from_secs(10), "the never-readers dropped", || {
        stat(addr, "listeners") == 1
    });
    let metrics = get(addr, "/metrics").text();
    let too_slow = metrics
        .lines()
        .find(|line| line.starts_with("herald_dropped_total") && line.contains("too_slow"))
        .and_then(|line| line.rsplit(' ').next()?.parse::<u64>().ok());
    assert_eq!(too_slow, Some(NEVER_READERS as u64), "{metrics}");
    drop(stalled);
}

/// How long an event published on `topic` takes to reach `subscriber`.
fn delivery_time_on(
    addr: SocketAddr,
    subscriber: &mut Subscriber,
    topic: &str,
    text: &str,
) -> Duration {
    let sent = Instant::now();
    publish(addr, &format!("topic={topic}&message={text}"));
    loop {
        if subscriber.next_event().data == text {
            return sent.elapsed();
        }
    }
}
