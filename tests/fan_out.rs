//! Fan-out under load: events published while the hub is in the middle of
//! a lap over hundreds of listeners join it (`hub::broadcast`), lap after
//! lap, while subscribers hang up and are removed mid-lap; and still every
//! subscriber gets every event it wants exactly once, in order; one that
//! subscribes meanwhile gets everything from its start on, with no gap.

mod support;

use std::collections::BTreeSet;
use std::sync::{Arc, Barrier};
use std::thread;

use support::*;

const LISTENERS: usize = 300;
const FILTERING: usize = 50;
const PUBLISHERS: usize = 4;
const EVENTS_EACH: usize = 40;
/// Subscribers that hang up after a few events, while the rest are written.
const QUITTERS: usize = 40;

#[test]
fn events_that_join_a_pass_reach_everyone_once_and_in_order() {
    let addr = start();
    let mut everything: Vec<Subscriber> = (0..LISTENERS).map(|_| Subscriber::all(addr)).collect();
    let mut topic_a: Vec<Subscriber> = (0..FILTERING)
        .map(|_| Subscriber::open(addr, "topic=a", ""))
        .collect();
    let quitters: Vec<Subscriber> = (0..QUITTERS).map(|_| Subscriber::all(addr)).collect();
    wait_until(
        std::time::Duration::from_secs(10),
        "every subscriber listening",
        || stat(addr, "listeners") == (LISTENERS + FILTERING + QUITTERS) as u64,
    );
    // Each quitter hangs up after its third event: their places empty and
    // are taken by others while the rounds go on.
    let quitters = thread::spawn(move || {
        for mut quitter in quitters {
            ids_of(&mut quitter, 3);
        }
    });

    // One more subscriber comes in the middle of it: the publishers post
    // their first half, then wait at `middle` until the latecomer is
    // listening (its stream head is written by the hub once it is in the
    // list), so it joins between events however busy the machine is.
    let middle = Arc::new(Barrier::new(PUBLISHERS + 1));
    // Publishers post back to back, so events keep arriving while the hub
    // writes to the listeners; half are on topic a.
    let publishers: Vec<_> = (0..PUBLISHERS)
        .map(|p| {
            let middle = Arc::clone(&middle);
            thread::spawn(move || {
                (0..EVENTS_EACH)
                    .map(|i| {
                        if i == EVENTS_EACH / 2 {
                            middle.wait();
                        }
                        let topic = if i % 2 == 0 { "a" } else { "b" };
                        let id = publish(addr, &format!("message={p}-{i}&topic={topic}"));
                        (id, topic == "a")
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let latecomer = thread::spawn(move || {
        // The first halves are all published before anyone passes `middle`.
        wait_until(
            std::time::Duration::from_secs(30),
            "the first half published",
            || stat(addr, "published") >= (PUBLISHERS * EVENTS_EACH / 2) as u64,
        );
        let latecomer = Subscriber::all(addr);
        middle.wait();
        latecomer
    });
    quitters.join().unwrap();
    let mut published: Vec<(u64, bool)> = publishers
        .into_iter()
        .flat_map(|publisher| publisher.join().unwrap())
        .collect();
    published.sort_unstable();
    let all_ids: Vec<u64> = published.iter().map(|&(id, _)| id).collect();
    let a_ids: Vec<u64> = published
        .iter()
        .filter(|&&(_, on_a)| on_a)
        .map(|&(id, _)| id)
        .collect();

    for subscriber in &mut everything {
        assert_eq!(ids_of(subscriber, all_ids.len()), all_ids);
    }
    for subscriber in &mut topic_a {
        assert_eq!(ids_of(subscriber, a_ids.len()), a_ids, "only topic a");
    }
    let mut latecomer = latecomer.join().unwrap();
    let first = latecomer.next_event().id();
    let from = all_ids
        .iter()
        .position(|&id| id == first)
        .expect("the latecomer's first event is one of them");
    assert!(
        from <= PUBLISHERS * EVENTS_EACH / 2,
        "the latecomer was listening before the second half"
    );
    let rest = ids_of(&mut latecomer, all_ids.len() - from - 1);
    assert_eq!(rest, all_ids[from + 1..], "no gap after its first");

    // Every event went out, and none twice: the events and listeners add up.
    let unique: BTreeSet<u64> = all_ids.iter().copied().collect();
    assert_eq!(unique.len(), PUBLISHERS * EVENTS_EACH);
    // The quitters' places were given up; everyone else is still there.
    wait_until(
        std::time::Duration::from_secs(5),
        "the quitters removed",
        || stat(addr, "listeners") == (LISTENERS + FILTERING + 1) as u64,
    );
}

/// The ids of the next `count` events.
fn ids_of(subscriber: &mut Subscriber, count: usize) -> Vec<u64> {
    (0..count).map(|_| subscriber.next_event().id()).collect()
}
