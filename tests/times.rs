//! Every event carries the time herald accepted it, on every transport, and
//! keeps it through a replay and a restart with `--data-dir`. (Through
//! Redis: `tests/redis.rs`.)

mod support;

use herald::clock::{millis_since_epoch, rfc3339_millis};
use support::ws::Ws;
use support::*;

/// Publishes `body`; its id and the times just before and just after.
fn publish_timed(addr: std::net::SocketAddr, body: &str) -> (u64, String, String) {
    let before = rfc3339_millis(millis_since_epoch());
    let id = publish(addr, body);
    (id, before, rfc3339_millis(millis_since_epoch()))
}

#[test]
fn every_transport_carries_the_time_it_was_accepted_and_a_replay_keeps_it() {
    let addr = start();
    let mut tab = Subscriber::all(addr);
    let mut socket = Ws::open(addr, "");
    let (id, before, after) = publish_timed(addr, "message=hello&topic=ops");
    let time = tab.next_event().time.expect("a time field");
    // The same fixed-width form, so text order is time order.
    assert!(
        before <= time && time <= after,
        "{before} <= {time} <= {after}"
    );
    assert!(
        socket
            .next()
            .text()
            .contains(&format!(r#""time":"{time}""#)),
        "the WebSocket says the same time"
    );
    let mut later = Subscriber::resume(addr, id - 1);
    assert_eq!(later.next_event().time, Some(time.clone()), "a replay too");
    let mut recent = Subscriber::open(addr, "recent=1", "");
    assert_eq!(recent.next_event().time, Some(time));
}

#[test]
fn a_restart_with_a_data_dir_keeps_each_events_time() {
    let dir = std::env::temp_dir().join(format!("herald-times-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let dir_arg = dir.display().to_string();
    let herald = HeraldProcess::start(&["--data-dir", &dir_arg]);
    let mut tab = Subscriber::all(herald.addr);
    let id = publish(herald.addr, "message=before+the+restart");
    let time = tab.next_event().time.expect("a time field");
    herald.crash();

    let restarted = HeraldProcess::start(&["--data-dir", &dir_arg]);
    let mut resumed = Subscriber::resume(restarted.addr, id - 1);
    let event = resumed.next_event();
    assert_eq!((event.id(), event.time), (id, Some(time)));
    let _ = std::fs::remove_dir_all(&dir);
}
