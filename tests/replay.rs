//! Replay: a subscriber that comes back with `Last-Event-ID` gets what it
//! missed, then the live events, with nothing missed or doubled.

mod support;

use std::thread;
use std::time::{Duration, Instant};

use support::*;

#[test]
fn a_reconnecting_subscriber_gets_exactly_what_it_missed() {
    let addr = start();
    let mut subscriber = Subscriber::all(addr);
    publish(addr, "message=seen");
    let last_seen = subscriber.next_event().id();
    drop(subscriber);
    let missed: Vec<u64> = (1..=3)
        .map(|i| publish(addr, &format!("message=missed+{i}")))
        .collect();
    let mut subscriber = Subscriber::resume(addr, last_seen);
    for (i, id) in missed.iter().enumerate() {
        let event = subscriber.next_event();
        assert_eq!(event.id(), *id);
        assert_eq!(event.data, format!("missed {}", i + 1));
    }
    let live = publish(addr, "message=live");
    assert_eq!(
        subscriber.next_event().id(),
        live,
        "then the live events, nothing between"
    );
}

#[test]
fn the_query_parameter_works_for_a_first_connection_and_the_header_wins() {
    let addr = start();
    let ids: Vec<u64> = (0..3)
        .map(|i| publish(addr, &format!("message={i}")))
        .collect();
    let mut by_query = Subscriber::open(addr, &format!("lastEventId={}", ids[0]), "");
    assert_eq!(by_query.next_event().id(), ids[1]);
    let mut both = Subscriber::open(
        addr,
        &format!("lastEventId={}", ids[0]),
        &format!("Last-Event-ID: {}\r\n", ids[1]),
    );
    assert_eq!(both.next_event().id(), ids[2]);
}

#[test]
fn resuming_from_before_the_history_says_so_and_sends_all_that_is_held() {
    let addr = start_with(|config| config.history = 3);
    let ids: Vec<u64> = (0..5)
        .map(|i| publish(addr, &format!("message={i}")))
        .collect();
    let mut subscriber = Subscriber::resume(addr, ids[0]);
    let notice = subscriber.next_event();
    assert_eq!(notice.event.as_deref(), Some("herald-missed"));
    assert_eq!(
        notice.id, None,
        "the notice does not move the browser's last id"
    );
    let replayed: Vec<u64> = (0..3).map(|_| subscriber.next_event().id()).collect();
    assert_eq!(replayed, ids[2..]);
}

/// An id herald never gave out (a proxy's, another server's) cannot be
/// placed, so the subscriber gets all that is held, told it may have missed some.
#[test]
fn an_id_that_is_not_a_number_is_taken_as_zero() {
    let addr = start();
    let ids: Vec<u64> = (0..2)
        .map(|i| publish(addr, &format!("message={i}")))
        .collect();
    let mut subscriber = Subscriber::open(addr, "", "Last-Event-ID: evt-17\r\n");
    let notice = subscriber.next_event();
    assert_eq!(notice.event.as_deref(), Some("herald-missed"));
    assert!(
        notice.data.contains(r#""last_event_id":0"#),
        "{}",
        notice.data
    );
    let replayed: Vec<u64> = (0..2).map(|_| subscriber.next_event().id()).collect();
    assert_eq!(replayed, ids, "all that is held, from the oldest");
}

#[test]
fn a_replay_honours_the_topic_filter() {
    let addr = start();
    let first = publish(addr, "message=start");
    publish(addr, "message=a&topic=a");
    let b = publish(addr, "message=b&topic=b");
    let mut subscriber = Subscriber::open(addr, "topic=b", &format!("Last-Event-ID: {first}\r\n"));
    assert_eq!(subscriber.next_event().id(), b);
}

/// While events are published without pause, subscribers hang up and come
/// back with their last id, over and over. Each must see every event exactly
/// once, in order: ids are consecutive, so any gap or repeat shows.
#[test]
fn no_event_is_missed_or_doubled_at_the_seam_between_replay_and_live() {
    const EVENTS: u64 = 400;
    let addr = start();
    let subscribers: Vec<Subscriber> = (0..3).map(|_| Subscriber::all(addr)).collect();
    let publisher = thread::spawn(move || {
        (0..EVENTS)
            .map(|i| publish(addr, &format!("message={i}")))
            .collect::<Vec<u64>>()
    });
    let readers: Vec<_> = subscribers
        .into_iter()
        .enumerate()
        .map(|(n, mut subscriber)| {
            thread::spawn(move || {
                let mut seen = Vec::new();
                let deadline = Instant::now() + Duration::from_secs(30);
                let mut reconnects = 0;
                while seen.len() < EVENTS as usize {
                    assert!(Instant::now() < deadline, "subscriber {n} stalled");
                    // Read a few events, then hang up and resume.
                    for _ in 0..(3 + n * 2) {
                        if seen.len() == EVENTS as usize {
                            break;
                        }
                        seen.push(subscriber.next_event().id());
                    }
                    let last = *seen.last().unwrap();
                    subscriber = Subscriber::resume(addr, last);
                    reconnects += 1;
                }
                (seen, reconnects)
            })
        })
        .collect();
    let published = publisher.join().unwrap();
    for reader in readers {
        let (seen, reconnects) = reader.join().unwrap();
        assert_eq!(seen, published, "every event once, in order");
        assert!(reconnects > 10);
    }
}

/// `?recent=N`: a new tab starts with what happened lately.
#[test]
fn recent_starts_with_the_newest_n_held_then_live() {
    let addr = start();
    let ids: Vec<u64> = (0..10)
        .map(|i| publish(addr, &format!("message=m{i}")))
        .collect();
    let mut tab = Subscriber::open(addr, "recent=3", "");
    assert_eq!(tab.status, 200);
    let first: Vec<u64> = (0..3).map(|_| tab.next_event().id()).collect();
    assert_eq!(first, ids[7..], "exactly the three newest, oldest first");
    let live = publish(addr, "message=live");
    assert_eq!(tab.next_event().id(), live, "then live, nothing between");
}

#[test]
fn recent_counts_only_the_subscribers_topics() {
    let addr = start();
    let ids: Vec<(u64, &str)> = ["a", "b", "a", "b", "a", "a"]
        .iter()
        .map(|topic| (publish(addr, &format!("message=x&topic={topic}")), *topic))
        .collect();
    let mut tab = Subscriber::open(addr, "topic=b&recent=2", "");
    assert_eq!(tab.next_event().id(), ids[1].0);
    assert_eq!(tab.next_event().id(), ids[3].0);
    publish(addr, "message=x&topic=a");
    let live_b = publish(addr, "message=x&topic=b");
    assert_eq!(tab.next_event().id(), live_b);
}

#[test]
fn recent_is_ignored_when_resuming_and_more_than_held_is_all_held() {
    let addr = start_with(|config| config.history = 5);
    let ids: Vec<u64> = (0..8)
        .map(|i| publish(addr, &format!("message=m{i}")))
        .collect();
    let mut resumed = Subscriber::open(addr, &format!("recent=1&lastEventId={}", ids[4]), "");
    let replay: Vec<u64> = (0..3).map(|_| resumed.next_event().id()).collect();
    assert_eq!(
        replay,
        ids[5..],
        "the replay after the last id, not the newest one"
    );
    let mut everything = Subscriber::open(addr, "recent=1000", "");
    let first = everything.next_event();
    assert_eq!(first.event, None, "no missed notice: nothing was asked for");
    assert_eq!(first.id(), ids[3], "the five held, from the oldest");
    assert_eq!(Subscriber::open(addr, "recent=some", "").status, 400);
}

#[test]
fn recent_has_no_gap_and_no_duplicate_at_the_seam_under_publishing() {
    const EVENTS: usize = 300;
    let addr = start();
    let (started, ready) = std::sync::mpsc::channel();
    let publisher = thread::spawn(move || {
        (0..EVENTS)
            .map(|i| {
                if i == 50 {
                    started.send(()).unwrap();
                }
                publish(addr, &format!("message={i}"))
            })
            .collect::<Vec<u64>>()
    });
    ready.recv().unwrap();
    let mut tab = Subscriber::open(addr, "recent=10", "");
    let published = publisher.join().unwrap();
    let mut seen = vec![tab.next_event().id()];
    while seen.last() != published.last() {
        seen.push(tab.next_event().id());
    }
    let at = published.iter().position(|id| *id == seen[0]).unwrap();
    assert_eq!(
        seen,
        published[at..],
        "a contiguous run: no gap, no duplicate"
    );
    assert!(
        seen.len() >= 10 && at >= 40,
        "it started with the ten newest"
    );
}
