//! Heartbeats keep idle streams alive through proxies and let the hub find
//! subscribers that went away.

mod support;

use std::io::{ErrorKind, Read, Write};
use std::time::{Duration, Instant};

use support::*;

#[test]
fn a_heartbeat_comment_arrives_within_two_seconds() {
    let addr = start_with(|config| config.heartbeat = Duration::from_secs(1));
    let mut subscriber = Subscriber::all(addr);
    let started = Instant::now();
    assert!(
        subscriber.wait_for_comment("heartbeat"),
        "no heartbeat came"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[test]
fn subscribers_that_hang_up_are_removed_within_a_few_heartbeats() {
    let addr = start_with(|config| config.heartbeat = Duration::from_secs(1));
    let subscribers: Vec<Subscriber> = (0..10).map(|_| Subscriber::all(addr)).collect();
    assert_eq!(stat(addr, "listeners"), 10);
    drop(subscribers);
    wait_until(Duration::from_secs(4), "listeners to fall to 0", || {
        stat(addr, "listeners") == 0
    });
    wait_until(Duration::from_secs(1), "connections to fall to 0", || {
        // The /stats request itself is the one connection left.
        stat(addr, "connections") <= 1
    });
}

#[test]
fn no_stream_is_silent_longer_than_the_heartbeat() {
    // An event just after a heartbeat used to make the hub skip the next
    // beat, leaving the stream silent for nearly two intervals: a proxy
    // whose read timeout is just above --heartbeat then cut it.
    let heartbeat = Duration::from_millis(600);
    let addr = start_with(|config| config.heartbeat = heartbeat);
    let mut stream = connect(addr);
    stream
        .write_all(b"GET /events HTTP/1.1\r\nHost: t\r\n\r\n")
        .unwrap();
    stream
        .set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    let mut last_byte = Instant::now();
    let mut longest = Duration::ZERO;
    let mut published = 0;
    let mut buf = [0u8; 4096];
    let until = Instant::now() + heartbeat * 8;
    while Instant::now() < until {
        match stream.read(&mut buf) {
            Ok(0) => panic!("the stream closed"),
            Ok(n) => {
                longest = longest.max(last_byte.elapsed());
                last_byte = Instant::now();
                // Right after each heartbeat, an event: the case that was slow.
                if buf[..n].windows(9).any(|w| w == b"heartbeat") {
                    publish(addr, &format!("message=after-beat-{published}"));
                    published += 1;
                }
            }
            Err(error) => assert!(
                matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
                "{error}"
            ),
        }
    }
    assert!(published >= 3, "heartbeats came: {published}");
    // The bound, with room for scheduling on a shared machine.
    let allowed = heartbeat + Duration::from_millis(150);
    assert!(
        longest <= allowed,
        "silent for {longest:?}, more than {allowed:?}"
    );
}
