//! `Idempotency-Key` on `POST /publish`: a retried publish is one event,
//! with one id, in memory, under concurrent retries, and across a restart
//! with `--data-dir`. (Across Redis instances: `tests/redis.rs`.)

mod support;

use std::net::SocketAddr;
use std::thread;

use support::*;

fn id_of(reply: &Reply) -> u64 {
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.text().trim().parse().expect("the body is the id")
}

/// Every event a fresh subscriber replays from the start, up to a sentinel.
fn everything_held(addr: SocketAddr) -> Vec<SseEvent> {
    let mut subscriber = Subscriber::resume(addr, 0);
    let sentinel = publish(addr, "message=sentinel");
    let mut events = Vec::new();
    loop {
        let event = subscriber.next_event();
        if event.event.as_deref() == Some("herald-missed") {
            continue;
        }
        if event.id() == sentinel {
            return events;
        }
        events.push(event);
    }
}

#[test]
fn the_same_key_twice_is_one_event_with_one_id() {
    let addr = start();
    let mut tab = Subscriber::all(addr);
    let first = id_of(&publish_with_key(addr, "message=backup+done", "k-1"));
    let again = id_of(&publish_with_key(addr, "message=backup+done", "k-1"));
    assert_eq!(first, again);
    let quoted = id_of(&publish_with_key(addr, "message=backup+done", "\"k-1\""));
    assert_eq!(first, quoted, "the draft's quoted form is the same key");
    let other = id_of(&publish_with_key(addr, "message=backup+done", "k-2"));
    assert_ne!(other, first, "another key is another event");
    let plain = publish(addr, "message=end");
    let seen: Vec<u64> = (0..3).map(|_| tab.next_event().id()).collect();
    assert_eq!(seen, [first, other, plain], "the retries published nothing");
    assert_eq!(stat(addr, "published"), 3);
}

#[test]
fn a_key_that_is_too_long_or_not_visible_ascii_is_400() {
    let addr = start();
    let long = publish_with_key(addr, "message=x", &"k".repeat(129));
    assert_eq!(long.status, 400);
    assert!(long.text().contains("Idempotency-Key"), "{}", long.text());
    assert_eq!(publish_with_key(addr, "message=x", "a b").status, 400);
    assert_eq!(
        publish_with_key(addr, "message=x", &"k".repeat(128)).status,
        200
    );
    assert_eq!(stat(addr, "published"), 1);
}

#[test]
fn concurrent_retries_publish_once_and_never_get_another_id() {
    let addr = start();
    let mut tab = Subscriber::all(addr);
    let replies: Vec<Reply> = thread::scope(|scope| {
        let tries: Vec<_> = (0..16)
            .map(|_| scope.spawn(|| publish_with_key(addr, "message=once", "same")))
            .collect();
        tries.into_iter().map(|t| t.join().unwrap()).collect()
    });
    let ids: Vec<u64> = replies
        .iter()
        .filter(|r| r.status == 200)
        .map(id_of)
        .collect();
    assert!(!ids.is_empty());
    assert!(ids.windows(2).all(|pair| pair[0] == pair[1]), "{ids:?}");
    // A retry that met the first while it was being queued was told to
    // try again (409), never given an id of its own.
    assert!(replies.iter().all(|r| r.status == 200 || r.status == 409));
    let end = publish(addr, "message=end");
    assert_eq!(tab.next_event().id(), ids[0]);
    assert_eq!(tab.next_event().id(), end, "one event, not several");
}

#[test]
fn a_key_is_remembered_across_a_restart_with_a_data_dir() {
    let dir = std::env::temp_dir().join(format!("herald-idempotency-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let dir_arg = dir.display().to_string();
    let herald = HeraldProcess::start(&["--data-dir", &dir_arg]);
    let first = id_of(&publish_with_key(
        herald.addr,
        "message=report+ready",
        "job-7",
    ));
    herald.crash();

    let restarted = HeraldProcess::start(&["--data-dir", &dir_arg]);
    let again = id_of(&publish_with_key(
        restarted.addr,
        "message=report+ready",
        "job-7",
    ));
    assert_eq!(
        again, first,
        "the retry after the restart gets the first id"
    );
    let held = everything_held(restarted.addr);
    assert_eq!(held.len(), 1, "and publishes nothing: {held:?}");
    assert_eq!(held[0].id(), first);
    let _ = std::fs::remove_dir_all(&dir);
}
