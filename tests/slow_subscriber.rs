//! A subscriber that stops reading must not delay anyone else: the hub never
//! blocks on its socket, and drops it once its backlog passes the bound.

mod support;

use std::io::{BufReader, Write};
use std::net::SocketAddr;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use socket2::{Domain, Socket, Type};
use support::*;

const FAST: usize = 50;
const EVENTS: usize = 2000;
const EVENT_BYTES: usize = 4096;

/// The bound this test holds the server to: no event reaches a reading
/// subscriber later than this after its publish was sent. It is generous
/// because the test's 51 clients and the server share two cores; a hub that
/// blocked on the stalled socket would miss it by far (it would wait for ever).
const LATENCY_BOUND: Duration = Duration::from_secs(2);

/// A subscriber with a 4 KiB receive buffer that never reads.
fn stalled_subscriber(addr: SocketAddr) -> Socket {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    socket.connect(&addr.into()).unwrap();
    let mut stream: std::net::TcpStream = socket.try_clone().unwrap().into();
    stream
        .write_all(b"GET /events HTTP/1.1\r\nHost: t\r\n\r\n")
        .unwrap();
    socket
}

#[test]
fn a_stalled_subscriber_is_dropped_and_the_others_get_everything_on_time() {
    let addr = start();
    let _stalled = stalled_subscriber(addr);
    let base = Arc::new(Instant::now());
    let readers: Vec<_> = (0..FAST)
        .map(|_| {
            let mut subscriber = Subscriber::all(addr);
            let base = Arc::clone(&base);
            thread::spawn(move || {
                let mut worst = Duration::ZERO;
                for expected in 0..EVENTS {
                    let event = subscriber.next_event();
                    let (seq, sent_ns) = parse_payload(&event.data);
                    assert_eq!(seq, expected, "events arrive complete and in order");
                    let latency = base.elapsed().saturating_sub(Duration::from_nanos(sent_ns));
                    worst = worst.max(latency);
                }
                // Hand the subscriber back, so it stays connected until the
                // checks below have counted it.
                (worst, subscriber)
            })
        })
        .collect();
    wait_until(Duration::from_secs(5), "all subscribers", || {
        stat(addr, "listeners") == FAST as u64 + 1
    });

    let stream = connect(addr);
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    for seq in 0..EVENTS {
        let head = format!("{seq}-{}-", base.elapsed().as_nanos());
        let body = format!("{head}{}", "x".repeat(EVENT_BYTES - head.len()));
        write!(
            writer,
            "POST /publish HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        assert_eq!(read_reply(&mut reader, false).status, 200);
    }
    let (latencies, _still_connected): (Vec<Duration>, Vec<Subscriber>) = readers
        .into_iter()
        .map(|r| r.join().expect("a subscriber failed"))
        .unzip();
    let worst = latencies.into_iter().max().unwrap();
    eprintln!("worst delivery latency: {worst:?}");
    assert!(worst < LATENCY_BOUND, "an event was {worst:?} late");
    assert_eq!(
        stat(addr, "dropped"),
        1,
        "the stalled subscriber was dropped"
    );
    assert_eq!(stat(addr, "listeners"), FAST as u64);
}

fn parse_payload(data: &str) -> (usize, u64) {
    let mut parts = data.splitn(3, '-');
    let seq = parts.next().unwrap().parse().unwrap();
    let sent = parts.next().unwrap().parse().unwrap();
    (seq, sent)
}
