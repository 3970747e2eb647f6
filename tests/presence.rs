//! Presence: who listens to each topic, from the app's own login. A stub
//! app names people by their session cookie; herald is the real binary,
//! spoken to over TCP as a page and an app would.

mod support;

use std::net::SocketAddr;
use std::thread;
use std::time::{Duration, Instant};

use support::hook::{Hook, Question, Reply};
use support::ws::Ws;
use support::*;

const TOKEN: &str = "backend-secret";

/// `session=NAME` is the user NAME on every topic; `mon` is a monitor the
/// app keeps out of the lists, `anon…` a guest without a name, and
/// `carol` may listen only to `other`.
fn app(question: &Question) -> Reply {
    let name = question.cookie().strip_prefix("session=").unwrap_or("");
    let answer = match name {
        "" => return Reply::Json(401, "{}".into()),
        "mon" => r#"{"listen":"*","user":"mon","presence":false}"#.to_string(),
        "carol" => r#"{"listen":["other"],"user":"carol"}"#.to_string(),
        guest if guest.starts_with("anon") => r#"{"listen":"*"}"#.to_string(),
        user => format!(r#"{{"listen":"*","user":"{user}"}}"#),
    };
    Reply::Json(200, answer)
}

fn herald_with_hook(hook: &Hook, extra: &[&str]) -> HeraldProcess {
    let url = hook.url();
    let mut args = vec!["--auth-hook", &url, "--publish-token", TOKEN];
    args.extend_from_slice(extra);
    HeraldProcess::start(&args)
}

fn cookie(name: &str) -> String {
    format!("Cookie: session={name}\r\n")
}

/// A `presence=1` stream on `topic` as `name`, its opening list read.
fn watcher(addr: SocketAddr, topic: &str, name: &str) -> (Subscriber, List) {
    let mut stream = Subscriber::open(addr, &format!("topic={topic}&presence=1"), &cookie(name));
    assert_eq!(stream.status, 200);
    let first = next_list(&mut stream).expect("the opening list");
    (stream, first)
}

/// A list as a test reads it: who (user, connections), more, anonymous.
#[derive(Debug, Clone, PartialEq, Eq)]
struct List {
    topic: String,
    users: Vec<(String, u64)>,
    more: u64,
    anonymous: u64,
}

impl List {
    fn names(&self) -> Vec<&str> {
        self.users.iter().map(|(user, _)| user.as_str()).collect()
    }
}

/// Reads one list's JSON, in the shape herald writes it.
fn parse_list(json: &str) -> List {
    let topic = string_after(json, "\"topic\":");
    let users = json
        .split("{\"user\":")
        .skip(1)
        .map(|entry| {
            let user = string_after(&format!("\"user\":{entry}"), "\"user\":");
            (user, number_after(entry, "\"connections\":"))
        })
        .collect();
    List {
        topic,
        users,
        more: number_after(json, "\"more\":"),
        anonymous: number_after(json, "\"anonymous\":"),
    }
}

/// Every list in a `/presence` answer.
fn parse_answer(json: &str) -> Vec<List> {
    json.split("{\"topic\":")
        .skip(1)
        .map(|part| parse_list(&format!("{{\"topic\":{part}")))
        .collect()
}

fn string_after(text: &str, marker: &str) -> String {
    let start = text
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} in {text}"))
        + marker.len();
    let rest = &text[start + 1..];
    rest[..rest.find('"').unwrap()].to_string()
}

fn number_after(text: &str, marker: &str) -> u64 {
    let start = text
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} in {text}"))
        + marker.len();
    let digits: String = text[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().unwrap()
}

/// The next `herald-presence` on `stream`, skipping other events; `None`
/// when none comes before the read timeout.
fn next_list(stream: &mut Subscriber) -> Option<List> {
    loop {
        let event = stream.try_next_event()?;
        if event.event.as_deref() == Some("herald-presence") {
            assert!(event.id.is_none(), "a notice has no id");
            return Some(parse_list(&event.data));
        }
    }
}

/// Reads lists until one satisfies `wanted`, failing after `limit`; the
/// lists read, the matching one last.
fn lists_until(
    stream: &mut Subscriber,
    limit: Duration,
    wanted: impl Fn(&List) -> bool,
) -> Vec<List> {
    let deadline = Instant::now() + limit;
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(!left.is_zero(), "no list as wanted in {limit:?}: {seen:?}");
        stream.set_timeout(left);
        let list = next_list(stream).unwrap_or_else(|| panic!("no list as wanted: {seen:?}"));
        let done = wanted(&list);
        seen.push(list);
        if done {
            return seen;
        }
    }
}

fn presence_of(addr: SocketAddr, query: &str, headers: &str) -> support::Reply {
    raw(
        addr,
        format!("GET /presence?{query} HTTP/1.1\r\nHost: t\r\n{headers}Connection: close\r\n\r\n")
            .as_bytes(),
    )
}

#[test]
fn three_tabs_of_one_user_are_one_entry() {
    let hook = Hook::start(app);
    let herald = herald_with_hook(&hook, &[]);
    let (_first, opening) = watcher(herald.addr, "room", "anna");
    assert_eq!(opening.topic, "room");
    assert_eq!(
        opening.users,
        vec![("anna".to_string(), 1)],
        "it sees itself"
    );
    let _tabs: Vec<Subscriber> = (0..2)
        .map(|_| Subscriber::open(herald.addr, "topic=room", &cookie("anna")))
        .collect();
    let _guest = Subscriber::open(herald.addr, "topic=room", &cookie("anon1"));
    wait_until(Duration::from_secs(5), "three tabs and a guest", || {
        let reply = presence_of(herald.addr, "topic=room", &cookie("anna"));
        let lists = parse_answer(&reply.text());
        lists[0].users == vec![("anna".to_string(), 3)] && lists[0].anonymous == 1
    });
    let reply = presence_of(herald.addr, "topic=room", &cookie("anna"));
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert!(reply.text().contains("\"since\":\""), "{}", reply.text());
}

#[test]
fn a_second_user_appears_and_leaves_within_an_interval_of_closing() {
    let hook = Hook::start(app);
    let herald = herald_with_hook(&hook, &["--presence-interval", "1"]);
    let (mut anna, _) = watcher(herald.addr, "room", "anna");
    let bob = Subscriber::open(herald.addr, "topic=room", &cookie("bob"));
    lists_until(&mut anna, Duration::from_secs(5), |list| {
        list.names() == ["anna", "bob"]
    });
    let closed = Instant::now();
    drop(bob);
    lists_until(&mut anna, Duration::from_secs(5), |list| {
        list.names() == ["anna"]
    });
    let took = closed.elapsed();
    assert!(
        took <= Duration::from_millis(1200),
        "bob left the list {took:?} after closing"
    );
}

#[test]
fn two_hundred_joins_in_a_second_are_at_most_two_lists() {
    let herald = HeraldProcess::start(&["--presence-interval", "1"]);
    let (mut watching, opening) = watcher(herald.addr, "room", "");
    assert_eq!(opening.anonymous, 1);
    let started = Instant::now();
    let joined: Vec<Subscriber> = (0..200)
        .map(|_| Subscriber::open(herald.addr, "topic=room", ""))
        .collect();
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "the joins took {:?}; the bound below is for one second of them",
        started.elapsed()
    );
    let lists = lists_until(&mut watching, Duration::from_secs(5), |list| {
        list.anonymous == 201
    });
    assert!(
        lists.len() <= 2,
        "{} lists for 200 joins: {lists:?}",
        lists.len()
    );
    // And nothing more once it has settled.
    watching.set_timeout(Duration::from_millis(1500));
    assert_eq!(next_list(&mut watching), None);
    drop(joined);
}

#[test]
fn a_join_and_a_leave_inside_one_interval_send_nothing() {
    let herald = HeraldProcess::start(&["--presence-interval", "2"]);
    let (mut watching, _) = watcher(herald.addr, "room", "");
    let mut passing = Subscriber::open(herald.addr, "topic=room", "");
    // The sweep notices the close within a second, inside the window.
    passing.set_timeout(Duration::from_millis(1));
    drop(passing);
    watching.set_timeout(Duration::from_millis(3500));
    assert_eq!(next_list(&mut watching), None, "the list is as it was");
}

#[test]
fn an_unlisted_user_is_in_no_list_and_not_counted() {
    let hook = Hook::start(app);
    let herald = herald_with_hook(&hook, &[]);
    let (mut anna, _) = watcher(herald.addr, "room", "anna");
    let (_monitor, seen_by_monitor) = watcher(herald.addr, "room", "mon");
    assert_eq!(
        seen_by_monitor.names(),
        ["anna"],
        "it still sees the others"
    );
    let _bob = Subscriber::open(herald.addr, "topic=room", &cookie("bob"));
    let lists = lists_until(&mut anna, Duration::from_secs(5), |list| {
        list.names().contains(&"bob")
    });
    for list in lists {
        assert!(!list.names().contains(&"mon"), "{list:?}");
        assert_eq!(list.anonymous, 0, "{list:?}");
    }
}

#[test]
fn a_topic_someone_may_not_listen_to_is_not_shown_to_them() {
    let hook = Hook::start(app);
    let herald = herald_with_hook(&hook, &["--presence-interval", "0.2"]);
    let (_anna, _) = watcher(herald.addr, "room", "anna");
    let refused = Subscriber::open(herald.addr, "topic=room&presence=1", &cookie("carol"));
    assert_eq!(refused.status, 403);
    let reply = presence_of(herald.addr, "topic=room", &cookie("carol"));
    assert_eq!(reply.status, 403, "{}", reply.text());
    assert!(!reply.text().contains("anna"));
    // Asked with no topic, carol's stream carries `other` and the public
    // events, and no list but other's.
    let mut carol = Subscriber::open(herald.addr, "presence=1", &cookie("carol"));
    assert_eq!(carol.status, 200);
    let first = next_list(&mut carol).unwrap();
    assert_eq!(first.topic, "other");
    let _bob = Subscriber::open(herald.addr, "topic=room", &cookie("bob"));
    carol.set_timeout(Duration::from_millis(800));
    assert_eq!(next_list(&mut carol), None);
    assert_eq!(presence_of(herald.addr, "topic=room", "").status, 401);
    // The app's backend reads any topic.
    let backend = presence_of(
        herald.addr,
        "topic=room",
        &format!("Authorization: Bearer {TOKEN}\r\n"),
    );
    assert_eq!(backend.status, 200);
    assert!(parse_answer(&backend.text())[0].names().contains(&"anna"));
}

#[test]
fn without_the_hook_everyone_is_counted_and_no_one_named() {
    let herald = HeraldProcess::start(&[]);
    let _streams: Vec<Subscriber> = (0..3)
        .map(|_| Subscriber::open(herald.addr, "topic=a&topic=b", ""))
        .collect();
    let _everything = Subscriber::all(herald.addr);
    wait_until(Duration::from_secs(5), "three on a and b", || {
        let lists = parse_answer(&presence_of(herald.addr, "topic=a&topic=b&topic=c", "").text());
        lists.len() == 3 && lists[0].anonymous == 3 && lists[1].anonymous == 3
    });
    let lists = parse_answer(&presence_of(herald.addr, "topic=a&topic=b&topic=c", "").text());
    assert!(lists.iter().all(|list| list.users.is_empty()));
    assert_eq!(
        lists[2].anonymous, 0,
        "a stream of every event names no topic"
    );
    assert_eq!(presence_of(herald.addr, "", "").status, 400);
    assert_eq!(
        Subscriber::open(herald.addr, "topic=a&presence=x", "").status,
        400
    );
}

#[test]
fn a_list_names_at_most_a_hundred_and_counts_the_rest() {
    let hook = Hook::start(app);
    let herald = herald_with_hook(&hook, &["--presence-interval", "0.2"]);
    let _people: Vec<Subscriber> = (0..105)
        .map(|n| Subscriber::open(herald.addr, "topic=hall", &cookie(&format!("p{n:03}"))))
        .collect();
    wait_until(Duration::from_secs(10), "105 people", || {
        let lists = parse_answer(&presence_of(herald.addr, "topic=hall", &cookie("p000")).text());
        lists[0].users.len() + lists[0].more as usize == 105
    });
    let list = &parse_answer(&presence_of(herald.addr, "topic=hall", &cookie("p000")).text())[0];
    assert_eq!((list.users.len(), list.more), (100, 5));
    assert_eq!(list.users[0].0, "p000", "the earliest first");
    let metrics = get(herald.addr, "/metrics").text();
    assert!(metrics.contains("herald_presence_users 105\n"), "{metrics}");
}

#[test]
fn a_websocket_gets_the_lists_too() {
    let hook = Hook::start(app);
    let herald = herald_with_hook(&hook, &["--presence-interval", "0.2"]);
    let (head, mut ws) = Ws::open_with(herald.addr, "?topic=room&presence=1", &cookie("anna"));
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    let first = ws.next().text();
    assert!(
        first.starts_with(r#"{"id":null,"event":"herald-presence","topic":"room","time":null,"data":"{\"topic\":\"room\",\"users\":[{\"user\":\"anna\""#),
        "{first}"
    );
    let _bob = Subscriber::open(herald.addr, "topic=room", &cookie("bob"));
    loop {
        let frame = ws.next().text();
        if frame.contains("herald-presence") && frame.contains(r#"\"user\":\"bob\""#) {
            break;
        }
    }
    thread::sleep(Duration::from_millis(10));
    let metrics = get(herald.addr, "/metrics").text();
    assert!(
        !metrics.contains("herald_presence_events_total 0\n"),
        "{metrics}"
    );
}
