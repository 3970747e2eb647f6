//! Per-user topics: thousands of listeners, each on its own topic, and
//! events each for one of them ("your export is ready"). The hub should
//! pay for the one listener an event is for, not pass over all of them;
//! this measures it beside a run where every event goes to everyone of a
//! hundred listeners on one topic.

use std::io::{ErrorKind, Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use mio::{Events, Interest, Poll, Token};

use crate::fanout::{Subscribers, take_data_lines};
use crate::server::{Herald, keep_alive_client, read_response};

/// What a run saw: events per second (from the first publish to the last
/// delivery), deliveries per second, and the deliveries that went astray.
pub(crate) struct TopicRun {
    pub(crate) events_per_second: f64,
    pub(crate) deliveries_per_second: f64,
    pub(crate) lost: u64,
    pub(crate) misdelivered: u64,
}

/// The topic of event `seq` among `topics` topics: spread, not in turn.
fn topic_of(seq: usize, topics: usize) -> usize {
    (seq * 7_919) % topics
}

/// `listeners` subscribers spread over `topics` topics (one each when they
/// are equal); `messages` events from 8 publishers, each to one topic.
pub(crate) fn topic_run(
    herald: &Herald,
    listeners: usize,
    topics: usize,
    messages: usize,
) -> TopicRun {
    let already = herald.stat("listeners") as usize;
    let mut subscribers = Vec::with_capacity(listeners);
    for i in 0..listeners {
        let path = format!("/events?topic=user-{}", i % topics);
        subscribers.push(Subscribers::open(herald.addr, 1, &path));
    }
    herald.wait_for_listeners(already + listeners);
    let per_topic = listeners / topics;
    let expected = (messages * per_topic) as u64;
    let done = Arc::new(AtomicBool::new(false));
    let first_send = Instant::now();
    let publishers: Vec<_> = (0..8)
        .map(|p| {
            let addr = herald.addr;
            thread::spawn(move || {
                let (mut writer, mut reader) = keep_alive_client(addr);
                for seq in (p..messages).step_by(8) {
                    let body = format!("message={seq}-0-x&topic=user-{}", topic_of(seq, topics));
                    let request = format!(
                        "POST /publish HTTP/1.1\r\nHost: b\r\nContent-Type: application/x-www-form-urlencoded\r\n\
                         Content-Length: {}\r\n\r\n{body}",
                        body.len()
                    );
                    writer.write_all(request.as_bytes()).unwrap();
                    read_response(&mut reader);
                }
            })
        })
        .collect();
    let reading = {
        let done = Arc::clone(&done);
        thread::spawn(move || read_topics(subscribers, topics, expected, &done))
    };
    for publisher in publishers {
        publisher.join().unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while !reading.is_finished() && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(20));
    }
    done.store(true, Ordering::Release);
    let (delivered, misdelivered, last_delivery) = reading.join().unwrap();
    herald.wait_for_listeners(already);
    let seconds = (last_delivery - first_send).as_secs_f64();
    TopicRun {
        events_per_second: messages as f64 / seconds,
        deliveries_per_second: delivered as f64 / seconds,
        lost: expected.saturating_sub(delivered),
        misdelivered,
    }
}

/// Reads until `expected` deliveries; counts those that reached a
/// subscriber of another topic.
fn read_topics(
    mut subscribers: Vec<Subscribers>,
    topics: usize,
    expected: u64,
    done: &AtomicBool,
) -> (u64, u64, Instant) {
    let mut poll = Poll::new().unwrap();
    let mut streams: Vec<_> = subscribers
        .iter_mut()
        .flat_map(|s| s.streams.drain(..))
        .collect();
    for (i, stream) in streams.iter_mut().enumerate() {
        poll.registry()
            .register(stream, Token(i), Interest::READABLE)
            .unwrap();
    }
    let mut pending: Vec<Vec<u8>> = vec![Vec::new(); streams.len()];
    let (mut delivered, mut misdelivered) = (0u64, 0u64);
    let mut last_delivery = Instant::now();
    let mut events = Events::with_capacity(1024);
    let mut buf = vec![0u8; 64 * 1024];
    while delivered < expected && !done.load(Ordering::Acquire) {
        poll.poll(&mut events, Some(Duration::from_millis(50)))
            .unwrap();
        for event in &events {
            let i = event.token().0;
            loop {
                match streams[i].read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => {
                        pending[i].extend_from_slice(&buf[..n]);
                        for (seq, _) in take_data_lines(&mut pending[i]) {
                            if topic_of(seq, topics) == i % topics {
                                delivered += 1;
                                last_delivery = Instant::now();
                            } else {
                                misdelivered += 1;
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
    (delivered, misdelivered, last_delivery)
}
