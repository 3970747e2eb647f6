//! Heartbeats keep idle streams alive through proxies and let the hub find
//! subscribers that went away.

mod support;

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
