//! Fan-out runs: subscribers read by one `mio` thread, publishers on plain
//! threads, and every delivery counted (latency, lost, duplicated).

use std::collections::HashMap;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use mio::net::TcpStream as MioStream;
use mio::{Events, Interest, Poll, Token};

use crate::rates::publish_request;
use crate::server::{Herald, keep_alive_client, read_response};

/// Open subscriber sockets, kept until dropped.
pub(crate) struct Subscribers {
    pub(crate) streams: Vec<MioStream>,
}

impl Subscribers {
    /// Opens `count` streams of `path`, at most 64 connecting at once.
    pub(crate) fn open(addr: SocketAddr, count: usize, path: &str) -> Subscribers {
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
pub(crate) struct Fanout {
    latencies_ms: Vec<f64>,
    delivered: u64,
    pub(crate) lost: u64,
    pub(crate) duplicated: u64,
    first_send: Instant,
    last_delivery: Instant,
}

impl Fanout {
    pub(crate) fn percentile(&self, p: f64) -> f64 {
        if self.latencies_ms.is_empty() {
            return f64::NAN;
        }
        let rank = ((p / 100.0) * (self.latencies_ms.len() - 1) as f64).round() as usize;
        self.latencies_ms[rank]
    }

    pub(crate) fn deliveries_per_second(&self) -> f64 {
        self.delivered as f64 / (self.last_delivery - self.first_send).as_secs_f64()
    }
}

/// `clients` subscribers; `messages` published by `publishers` threads,
/// paced `interval` apart or back to back.
pub(crate) fn fanout(
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
pub(crate) fn publish_share(
    addr: SocketAddr,
    base: Instant,
    start: Instant,
    index: usize,
    publishers: usize,
    messages: usize,
    interval: Option<Duration>,
) {
    let (mut writer, mut reader) = keep_alive_client(addr);
    for seq in (index..messages).step_by(publishers) {
        if let Some(interval) = interval {
            let due = start + interval * seq as u32;
            if let Some(wait) = due.checked_duration_since(Instant::now()) {
                thread::sleep(wait);
            }
        }
        // The send time goes into the message, taken just before it is written.
        let text = format!("{seq}-{}-xxxxxxxxxxxxxxxx", base.elapsed().as_nanos());
        writer.write_all(publish_request(&text).as_bytes()).unwrap();
        read_response(&mut reader);
    }
}

/// Reads every subscriber until each has `messages` events or `done`.
pub(crate) fn read_all(
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
pub(crate) fn take_data_lines(pending: &mut Vec<u8>) -> Vec<(usize, u128)> {
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
