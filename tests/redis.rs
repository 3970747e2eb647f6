//! Several instances on one Redis (cargo feature `redis`), against a real
//! `redis-server` started on a free loopback port. Run with
//! `cargo test --features redis --test redis`; `.ci/run` does.
#![cfg(feature = "redis")]

mod support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use herald::{Config, RunningServer, Server};
use support::*;

/// A `redis-server` of our own, killed when dropped.
struct Redis {
    child: Child,
    port: u16,
}

impl Redis {
    fn start() -> Redis {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        Redis::on(port)
    }

    fn on(port: u16) -> Redis {
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server must be installed (apt-get install redis-server)");
        let redis = Redis { child, port };
        wait_until(Duration::from_secs(10), "redis to answer PING", || {
            redis.ping()
        });
        redis
    }

    fn ping(&self) -> bool {
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
        let mut answer = [0u8; 7];
        stream.write_all(b"PING\r\n").is_ok()
            && stream.read_exact(&mut answer).is_ok()
            && &answer == b"+PONG\r\n"
    }

    /// Sends one inline command; the first line of the answer.
    fn command(&self, line: &str) -> String {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        stream.write_all(format!("{line}\r\n").as_bytes()).unwrap();
        let mut answer = [0u8; 256];
        let n = stream.read(&mut answer).unwrap();
        String::from_utf8_lossy(&answer[..n])
            .lines()
            .next()
            .unwrap_or("")
            .to_string()
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    fn stop(mut self) -> u16 {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.port
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

static STREAMS: AtomicU64 = AtomicU64::new(0);

/// Running instances, shut down (their Redis readers joined) when dropped,
/// before the test's Redis goes.
struct Instances(Vec<RunningServer>);

impl Drop for Instances {
    fn drop(&mut self) {
        let stopping: Vec<_> = self
            .0
            .drain(..)
            .map(|server| thread::spawn(move || server.shutdown()))
            .collect();
        for server in stopping {
            let _ = server.join();
        }
    }
}

/// A stream name of this test's own.
fn new_stream() -> String {
    format!(
        "test-{}-{}",
        std::process::id(),
        STREAMS.fetch_add(1, Ordering::Relaxed)
    )
}

/// One herald instance on `stream`.
fn instance(redis: &Redis, stream: &str) -> RunningServer {
    let config = Config {
        addr: "127.0.0.1:0".into(),
        access_log: false,
        redis_url: Some(redis.url()),
        redis_stream: stream.to_string(),
        heartbeat: Duration::from_millis(500),
        ..Config::default()
    };
    Server::bind(config)
        .expect("herald did not start")
        .spawn()
        .unwrap()
}

/// Two herald instances on one Redis stream of their own.
fn two_instances(redis: &Redis) -> (Instances, SocketAddr, SocketAddr) {
    let stream = new_stream();
    let (a, b) = (instance(redis, &stream), instance(redis, &stream));
    let (addr_a, addr_b) = (a.local_addr(), b.local_addr());
    (Instances(vec![a, b]), addr_a, addr_b)
}

#[test]
fn a_publish_to_either_instance_reaches_both_in_the_same_order() {
    let redis = Redis::start();
    let (_instances, a, b) = two_instances(&redis);
    let mut on_a = Subscriber::all(a);
    let mut on_b = Subscriber::all(b);
    let publishers: Vec<_> = (0..8)
        .map(|n| {
            let target = if n % 2 == 0 { a } else { b };
            thread::spawn(move || {
                (0..25)
                    .map(|i| publish(target, &format!("message={n}-{i}")))
                    .collect::<Vec<u64>>()
            })
        })
        .collect();
    let mut acked: Vec<u64> = publishers
        .into_iter()
        .flat_map(|p| p.join().unwrap())
        .collect();
    acked.sort();
    let seen_a: Vec<u64> = (0..200).map(|_| on_a.next_event().id()).collect();
    let seen_b: Vec<u64> = (0..200).map(|_| on_b.next_event().id()).collect();
    assert_eq!(
        seen_a, acked,
        "A sends every event once, in the stream's order"
    );
    assert_eq!(seen_b, acked, "B sends the same, in the same order");
}

/// The time an event was accepted is the entry's, the same on every
/// instance, and the same again for a tab that resumes at the other.
#[test]
fn both_instances_tell_one_time_for_an_event() {
    let redis = Redis::start();
    let (_instances, a, b) = two_instances(&redis);
    let mut on_a = Subscriber::all(a);
    let mut on_b = Subscriber::all(b);
    let id = publish(a, "message=when");
    let (seen_a, seen_b) = (on_a.next_event(), on_b.next_event());
    assert_eq!(seen_a.time, seen_b.time);
    let expected = herald::clock::rfc3339_millis(id / 1000);
    assert_eq!(
        seen_a.time.as_deref(),
        Some(expected.as_str()),
        "the entry's ms"
    );
    let mut resumed = Subscriber::resume(b, id - 1);
    assert_eq!(resumed.next_event().time, seen_a.time);
}

/// Retries with one `Idempotency-Key`, at both instances at once: Redis
/// checks the key, so every retry gets the first id and one event is made.
#[test]
fn a_retried_publish_is_one_event_whichever_instance_it_reaches() {
    let redis = Redis::start();
    let (_instances, a, b) = two_instances(&redis);
    let mut on_b = Subscriber::all(b);
    let ids: Vec<u64> = thread::scope(|scope| {
        let tries: Vec<_> = (0..8)
            .map(|n| {
                let target = if n % 2 == 0 { a } else { b };
                scope.spawn(move || publish_with_key(target, "message=once", "job-42"))
            })
            .collect();
        tries
            .into_iter()
            .map(|t| {
                let reply = t.join().unwrap();
                assert_eq!(reply.status, 200, "{}", reply.text());
                reply.text().trim().parse().unwrap()
            })
            .collect()
    });
    assert!(ids.windows(2).all(|pair| pair[0] == pair[1]), "{ids:?}");
    let end = publish(a, "message=end");
    assert_eq!(on_b.next_event().id(), ids[0]);
    assert_eq!(on_b.next_event().id(), end, "one event, not eight");
}

#[test]
fn a_tab_that_moves_from_one_instance_to_the_other_gets_exactly_what_it_missed() {
    let redis = Redis::start();
    let (_instances, a, b) = two_instances(&redis);
    let mut tab = Subscriber::all(a);
    publish(a, "message=seen+on+a");
    let last = tab.next_event().id();
    drop(tab);
    let missed = [
        publish(a, "message=one"),
        publish(b, "message=two"),
        publish(a, "message=three"),
    ];
    // B must have read them from the stream before the tab arrives.
    wait_until(Duration::from_secs(5), "B to catch up", || {
        stat(b, "published") >= 4
    });
    let mut tab = Subscriber::resume(b, last);
    let got: Vec<u64> = (0..3).map(|_| tab.next_event().id()).collect();
    assert_eq!(got, missed);
    let live = publish(a, "message=live");
    assert_eq!(tab.next_event().id(), live);
}

#[test]
fn when_redis_stops_publishes_fail_fast_and_everything_resumes_after() {
    let redis = Redis::start();
    let (_instances, a, b) = two_instances(&redis);
    let mut on_a = Subscriber::all(a);
    let mut on_b = Subscriber::all(b);
    let before = publish(a, "message=before");
    assert_eq!(on_a.next_event().id(), before);
    assert_eq!(on_b.next_event().id(), before);

    let port = redis.stop();
    let started = Instant::now();
    let refused = post_form(a, "message=while+down");
    assert_eq!(refused.status, 503, "{}", refused.text());
    assert!(refused.text().contains("redis"), "{}", refused.text());
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(stat(a, "listeners"), 1, "subscribers keep their streams");
    assert!(on_b.wait_for_comment("heartbeat"), "and their heartbeats");
    let stats = get(a, "/stats").text();
    assert!(stats.contains("\"redis\":\"down\""), "{stats}");
    let health = get(a, "/health");
    assert_eq!(health.status, 503, "a probe learns why");
    assert!(health.text().contains("redis"), "{}", health.text());

    let _redis = Redis::on(port);
    let deadline = Instant::now() + Duration::from_secs(10);
    let after = loop {
        let reply = post_form(b, "message=after+the+restart");
        if reply.status == 200 {
            break reply.text().trim().parse::<u64>().unwrap();
        }
        assert!(Instant::now() < deadline, "publishing never resumed");
        thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(on_a.next_event().id(), after, "A got it after the restart");
    assert_eq!(on_b.next_event().id(), after, "B too");
    assert!(after > before);
    assert_eq!(get(b, "/health").status, 200, "healthy again");
}

/// The README's load-balancer config in front of two instances: tabs that
/// land on different instances see the same events in the same order.
#[test]
fn behind_the_readmes_load_balancer_every_tab_sees_every_event() {
    let redis = Redis::start();
    let (_instances, a, b) = two_instances(&redis);
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let after = readme
        .split_once("<!-- recipe: nginx-balance -->")
        .unwrap()
        .1;
    let site = after
        .split("```")
        .nth(1)
        .unwrap()
        .trim_start_matches("nginx\n");
    let (_nginx, balanced) = Nginx::start(site, &[("127.0.0.1:8001", a), ("127.0.0.1:8002", b)]);
    let mut tabs = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while stat(a, "listeners") == 0 || stat(b, "listeners") == 0 {
        assert!(
            Instant::now() < deadline,
            "the balancer never used both instances"
        );
        tabs.push(Subscriber::all(balanced));
    }
    let ids: Vec<u64> = (0..10)
        .map(|i| publish(balanced, &format!("message={i}")))
        .collect();
    for tab in &mut tabs {
        let seen: Vec<u64> = (0..10).map(|_| tab.next_event().id()).collect();
        assert_eq!(seen, ids);
    }
}

/// The keys and data of `GET /state?QUERY` on `addr`, in order.
fn values_at(addr: SocketAddr, query: &str) -> Vec<(String, String)> {
    let text = get(addr, &format!("/state?{query}")).text();
    text.split("\"key\":\"")
        .skip(1)
        .map(|rest| {
            let key = rest[..rest.find('"').unwrap()].to_string();
            let data = rest.split("\"data\":\"").nth(1).unwrap();
            (key, data[..data.find('"').unwrap()].to_string())
        })
        .collect()
}

/// Live state through Redis: a value set on one instance is the other's
/// too, on `/state` and at a `state=1` stream's start; a delete on either
/// reaches the listeners of both.
#[test]
fn every_instance_holds_the_same_values() {
    let redis = Redis::start();
    let (_instances, a, b) = two_instances(&redis);
    let mut on_b = Subscriber::open(b, "topic=builds", "");
    let set = publish(a, "topic=builds&key=main&message=passing");
    assert_eq!(on_b.next_event().id(), set);
    assert_eq!(
        values_at(b, "topic=builds"),
        [("main".into(), "passing".into())]
    );
    let mut fresh = Subscriber::open(b, "state=1&topic=builds", "");
    let value = fresh.next_event();
    assert_eq!((value.id(), value.key.as_deref()), (set, Some("main")));
    assert_eq!(fresh.next_event().event.as_deref(), Some("herald-state"));
    let mut on_a = Subscriber::open(a, "topic=builds", "");
    let deleted = publish(b, "topic=builds&key=main&delete=1");
    for stream in [&mut on_a, &mut on_b, &mut fresh] {
        let delete = stream.next_event();
        assert_eq!(
            (delete.id(), delete.event.as_deref()),
            (deleted, Some("herald-delete"))
        );
    }
    assert_eq!(values_at(a, "topic=builds"), []);
}

/// A ttl ends once, whichever instance sees it first: both instances'
/// listeners get one herald-delete, not one from each.
#[test]
fn a_ttl_ends_with_one_delete_on_every_instance() {
    let redis = Redis::start();
    let (_instances, a, b) = two_instances(&redis);
    let mut on_a = Subscriber::open(a, "topic=jobs", "");
    let mut on_b = Subscriber::open(b, "topic=jobs", "");
    publish(a, "topic=jobs&key=export&message=running&ttl=1");
    for stream in [&mut on_a, &mut on_b] {
        assert_eq!(stream.next_event().key.as_deref(), Some("export"));
        assert_eq!(stream.next_event().event.as_deref(), Some("herald-delete"));
    }
    let end = publish(b, "topic=jobs&message=end");
    for stream in [&mut on_a, &mut on_b] {
        assert_eq!(stream.next_event().id(), end, "no second delete came");
    }
    assert_eq!(values_at(a, "topic=jobs"), []);
    assert_eq!(values_at(b, "topic=jobs"), []);
}

/// An instance started after the stream was trimmed of a key's value still
/// serves it: the values are kept in a hash beside the stream.
#[test]
fn an_instance_started_after_the_stream_was_trimmed_serves_every_key() {
    let redis = Redis::start();
    let stream = new_stream();
    let first = instance(&redis, &stream);
    let old = publish(first.local_addr(), "topic=t&key=old&message=long+ago");
    publish(first.local_addr(), "topic=t&key=gone&message=x");
    publish(first.local_addr(), "topic=t&key=gone&delete=1");
    let last = publish(first.local_addr(), "topic=t&message=plain");
    assert_eq!(redis.command(&format!("XTRIM {stream} MAXLEN 1")), ":3");
    let late = instance(&redis, &stream);
    let addr = late.local_addr();
    let _instances = Instances(vec![first, late]);
    assert_eq!(
        values_at(addr, "topic=t"),
        [("old".into(), "long ago".into())]
    );
    let mut stream_on_late = Subscriber::open(addr, "state=1&topic=t", "");
    let value = stream_on_late.next_event();
    assert_eq!((value.id(), value.data.as_str()), (old, "long ago"));
    let marker = stream_on_late.next_event();
    assert_eq!(
        (marker.event.as_deref(), marker.id()),
        (Some("herald-state"), last)
    );
}

/// Presence across instances: `session=NAME` is the user NAME.
fn named_by_cookie(question: &support::hook::Question) -> support::hook::Reply {
    let name = question
        .cookie()
        .strip_prefix("session=")
        .unwrap_or("guest");
    support::hook::Reply::Json(200, format!(r#"{{"listen":"*","user":"{name}"}}"#))
}

/// The names (with connections) in `/presence?topic=T` on `addr`.
fn present(addr: SocketAddr, topic: &str) -> Vec<String> {
    let reply = raw(
        addr,
        format!(
            "GET /presence?topic={topic} HTTP/1.1\r\nHost: t\r\nCookie: session=probe\r\nConnection: close\r\n\r\n"
        )
        .as_bytes(),
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply
        .text()
        .split("{\"user\":\"")
        .skip(1)
        .filter(|entry| !entry.starts_with("probe\""))
        .map(|entry| {
            let user = &entry[..entry.find('"').unwrap()];
            let connections = entry.split("\"connections\":").nth(1).unwrap();
            let connections: String = connections
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            format!("{user}×{connections}")
        })
        .collect()
}

#[test]
fn presence_is_the_clusters_and_a_killed_instance_leaves_within_the_stated_time() {
    let redis = Redis::start();
    let hook = support::hook::Hook::start(named_by_cookie);
    let (url, stream, hook_url) = (redis.url(), new_stream(), hook.url());
    let args = [
        "--redis",
        &url,
        "--redis-stream",
        &stream,
        "--auth-hook",
        &hook_url,
        "--presence-interval",
        "0.5",
    ];
    let a = HeraldProcess::start(&args);
    let b = HeraldProcess::start(&args);
    let cookie = |name: &str| format!("Cookie: session={name}\r\n");
    let _anna = Subscriber::open(a.addr, "topic=room", &cookie("anna"));
    let _bob_on_a = Subscriber::open(a.addr, "topic=room", &cookie("bob"));
    let _bob_on_b = Subscriber::open(b.addr, "topic=room", &cookie("bob"));
    let _carl_on_b = Subscriber::open(b.addr, "topic=room", &cookie("carl"));
    wait_until(
        Duration::from_secs(10),
        "both instances' people on a",
        || present(a.addr, "room") == ["anna×1", "bob×2", "carl×1"],
    );
    wait_until(Duration::from_secs(10), "the same list on b", || {
        present(b.addr, "room") == ["anna×1", "bob×2", "carl×1"]
    });
    let killed = Instant::now();
    b.crash();
    // Its key expires after 3 intervals; a's next share reads it gone.
    wait_until(Duration::from_secs(10), "b's people gone from a", || {
        present(a.addr, "room") == ["anna×1", "bob×1"]
    });
    let took = killed.elapsed();
    assert!(
        took <= Duration::from_millis(5 * 500 + 500),
        "b's people left {took:?} after kill -9; the README says within 5 intervals"
    );
    // A new instance in b's place brings no ghosts.
    let b_again = HeraldProcess::start(&args);
    wait_until(
        Duration::from_secs(10),
        "a's people on the new instance",
        || present(b_again.addr, "room") == ["anna×1", "bob×1"],
    );
}
