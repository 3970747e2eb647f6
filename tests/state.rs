//! Live state: a publish with `key=` becomes the current value of that key
//! in its topic; `delete=1` and `ttl=` end it with `herald-delete`; a
//! stream with `state=1` starts from the values, then `herald-state`, then
//! the live events; `GET /state` answers the same values as JSON. Against
//! a real server over TCP, as a client would see it.

mod support;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::thread;
use std::time::Duration;

use support::hook::{self, Hook, Question, grant};
use support::ws::Ws;
use support::*;

/// `POST /publish` with a JSON body; the reply.
fn post_json(addr: SocketAddr, body: &str) -> support::Reply {
    raw(
        addr,
        format!(
            "POST /publish HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    )
}

/// Sets `key` in `topic` to `message` with a form; the id.
fn set(addr: SocketAddr, topic: &str, key: &str, message: &str) -> u64 {
    publish(addr, &format!("topic={topic}&key={key}&message={message}"))
}

/// The `"last_id"` and each value's (key, id, data) from `GET /state?QUERY`.
fn state_of(addr: SocketAddr, query: &str) -> (u64, Vec<(String, u64, String)>) {
    let reply = get(addr, &format!("/state?{query}"));
    assert_eq!(reply.status, 200, "{}", reply.text());
    parse_state(&reply.text())
}

/// Reads the `/state` JSON with the shapes herald writes (one object per
/// value, fields in herald's order), enough to compare with a stream.
fn parse_state(json: &str) -> (u64, Vec<(String, u64, String)>) {
    let last_id = number_after(json, "\"last_id\":");
    let values = json
        .split("{\"id\":")
        .skip(1)
        .map(|value| {
            let id = value[..value.find(',').unwrap()].parse().unwrap();
            let key = string_after(value, "\"key\":");
            let data = string_after(value, "\"data\":");
            (key, id, data)
        })
        .collect();
    (last_id, values)
}

fn number_after(text: &str, marker: &str) -> u64 {
    let rest = &text[text.find(marker).unwrap() + marker.len()..];
    let end = rest.find(|c: char| !c.is_ascii_digit()).unwrap();
    rest[..end].parse().unwrap()
}

fn string_after(text: &str, marker: &str) -> String {
    let rest = &text[text.find(marker).unwrap() + marker.len() + 1..];
    rest[..rest.find('"').unwrap()].to_string()
}

/// Reads a `state=1` stream's snapshot: the values up to `herald-state`,
/// and the marker's id.
fn snapshot_of(subscriber: &mut Subscriber) -> (Vec<SseEvent>, u64) {
    let mut values = Vec::new();
    loop {
        let event = subscriber.next_event();
        if event.event.as_deref() == Some("herald-state") {
            let last_id = number_after(&event.data, "\"last_id\":");
            assert_eq!(event.id(), last_id, "the marker carries the id it names");
            return (values, last_id);
        }
        values.push(event);
    }
}

#[test]
fn a_key_holds_its_newest_value_and_a_new_stream_starts_from_it() {
    let addr = start();
    let red = set(addr, "builds", "main", "red");
    let green_dev = set(addr, "builds", "dev", "green");
    publish(addr, "topic=builds&message=not+keyed");
    let other = set(addr, "deploys", "prod", "v1");
    let json = post_json(
        addr,
        r#"{"message":"green","topic":"builds","key":"main","event":"status"}"#,
    );
    assert_eq!(json.status, 200, "{}", json.text());
    let green_main: u64 = json.text().trim().parse().unwrap();
    assert!(green_main > red);

    let mut subscriber = Subscriber::open(addr, "state=1&topic=builds", "");
    let (values, last_id) = snapshot_of(&mut subscriber);
    let seen: Vec<_> = values
        .iter()
        .map(|v| (v.key.clone().unwrap(), v.id(), v.data.clone()))
        .collect();
    assert_eq!(
        seen,
        [
            ("dev".to_string(), green_dev, "green".to_string()),
            ("main".to_string(), green_main, "green".to_string()),
        ],
        "each key's newest value, oldest id first, only the topic asked for"
    );
    assert_eq!(values[1].event.as_deref(), Some("status"), "its own type");
    assert_eq!(values[1].topic.as_deref(), Some("builds"));
    assert!(values[0].time.is_some(), "the time it was published");
    assert_eq!(last_id, green_main, "the newest id when the stream began");
    assert_eq!(
        state_of(addr, "topic=builds"),
        (last_id, seen.clone()),
        "/state says the same"
    );
    let (_, everything) = state_of(addr, "");
    assert_eq!(everything.len(), 3, "no topic: every topic's values");
    assert!(
        everything
            .iter()
            .any(|(key, id, _)| key == "prod" && *id == other)
    );

    let deleted = publish(addr, "topic=builds&key=dev&delete=1");
    let delete = subscriber.next_event();
    assert_eq!(
        (delete.id(), delete.event.as_deref(), delete.key.as_deref()),
        (deleted, Some("herald-delete"), Some("dev"))
    );
    assert_eq!(delete.data, r#"{"topic":"builds","key":"dev"}"#);
    let live = set(addr, "builds", "main", "red+again");
    let event = subscriber.next_event();
    assert_eq!((event.id(), event.key.as_deref()), (live, Some("main")));
    let (last, values) = state_of(addr, "topic=builds");
    assert_eq!(last, live);
    assert_eq!(
        values,
        [("main".to_string(), live, "red again".to_string())]
    );
}

#[test]
fn a_ttl_ends_the_value_with_a_delete_within_a_second() {
    let addr = start();
    let mut subscriber = Subscriber::open(addr, "topic=jobs", "");
    let set_id = publish(addr, "topic=jobs&key=export&message=running&ttl=1");
    let set_event = subscriber.next_event();
    assert_eq!(set_event.id(), set_id);
    let delete = subscriber.next_event();
    assert_eq!(delete.event.as_deref(), Some("herald-delete"));
    assert_eq!(delete.key.as_deref(), Some("export"));
    let set_at = parse_time_ms(set_event.time.as_deref().unwrap());
    let deleted_at = parse_time_ms(delete.time.as_deref().unwrap());
    let after_ms = deleted_at - set_at;
    assert!(
        (1000..2000).contains(&after_ms),
        "the delete came {after_ms} ms after the set, for a ttl of 1 s"
    );
    assert_eq!(state_of(addr, "topic=jobs").1, []);
}

#[test]
fn a_replaced_value_outlives_the_ttl_of_the_one_before() {
    let addr = start();
    let mut subscriber = Subscriber::open(addr, "topic=jobs", "");
    publish(addr, "topic=jobs&key=a&message=short&ttl=1");
    let kept = publish(addr, "topic=jobs&key=a&message=kept");
    publish(addr, "topic=jobs&key=b&message=short&ttl=1");
    let ids: Vec<_> = (0..3).map(|_| subscriber.next_event()).collect();
    assert_eq!(ids[1].id(), kept);
    // b's expiry comes after a's would have: whatever arrives first after
    // the three sets must be b's delete, never a's.
    let delete = subscriber.next_event();
    assert_eq!(
        (delete.event.as_deref(), delete.key.as_deref()),
        (Some("herald-delete"), Some("b"))
    );
    let (_, values) = state_of(addr, "topic=jobs");
    assert_eq!(values, [("a".to_string(), kept, "kept".to_string())]);
}

/// Milliseconds since 1970 of herald's `time:` (`2026-12-04T02:11:36.984Z`),
/// counted within one day, which is all a test needs to subtract.
fn parse_time_ms(time: &str) -> i64 {
    let clock = &time[11..23];
    let hours: i64 = clock[0..2].parse().unwrap();
    let minutes: i64 = clock[3..5].parse().unwrap();
    let seconds: i64 = clock[6..8].parse().unwrap();
    let millis: i64 = clock[9..12].parse().unwrap();
    let day: i64 = time[8..10].parse().unwrap();
    (((day * 24 + hours) * 60 + minutes) * 60 + seconds) * 1000 + millis
}

#[test]
fn the_seam_misses_and_doubles_nothing_while_publishers_race() {
    let addr = start();
    const KEYS: usize = 12;
    const PER_THREAD: usize = 150;
    let publishers: Vec<_> = (0..3)
        .map(|thread| {
            thread::spawn(move || {
                for i in 0..PER_THREAD {
                    let key = (i * 7 + thread) % KEYS;
                    let body = match i % 10 {
                        9 => format!("topic=race&key=k{key}&delete=1"),
                        4 => format!("topic=race&message=plain-{thread}-{i}"),
                        _ => format!("topic=race&key=k{key}&message=v-{thread}-{i}"),
                    };
                    publish(addr, &body);
                }
            })
        })
        .collect();
    // Streams open while the publishers run, each at its own moment.
    let mut subscribers = Vec::new();
    for _ in 0..6 {
        subscribers.push(Subscriber::open(addr, "state=1&topic=race", ""));
        thread::sleep(Duration::from_millis(15));
    }
    for publisher in publishers {
        publisher.join().unwrap();
    }
    let end = publish(addr, "topic=race&message=end");
    let (_, expected) = state_of(addr, "topic=race");
    let expected: BTreeMap<String, (u64, String)> = expected
        .into_iter()
        .map(|(key, id, data)| (key, (id, data)))
        .collect();
    for mut subscriber in subscribers {
        let (values, last_id) = snapshot_of(&mut subscriber);
        let ids: Vec<u64> = values.iter().map(SseEvent::id).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "by id: {ids:?}");
        assert!(ids.iter().all(|id| *id <= last_id));
        let mut now: BTreeMap<String, (u64, String)> = values
            .into_iter()
            .map(|v| (v.key.unwrap(), (v.id.unwrap().parse().unwrap(), v.data)))
            .collect();
        let mut previous = last_id;
        loop {
            let event = subscriber.next_event();
            assert!(event.id() > previous, "live, in order, none twice");
            previous = event.id();
            if event.id() == end {
                break;
            }
            let Some(key) = event.key.clone() else {
                continue;
            };
            if event.event.as_deref() == Some("herald-delete") {
                now.remove(&key);
            } else {
                now.insert(key, (event.id(), event.data));
            }
        }
        assert_eq!(
            now, expected,
            "the snapshot and the live events add up to /state"
        );
    }
}

#[test]
fn a_reconnect_inside_the_history_replays_and_outside_gets_the_state() {
    let addr = start_with(|config| config.history = 4);
    set(addr, "t", "a", "1");
    let mut first = Subscriber::open(addr, "state=1&topic=t", "");
    let (_, last_id) = snapshot_of(&mut first);
    drop(first);
    let b = set(addr, "t", "b", "2");
    let resumed = Subscriber::open(
        addr,
        "state=1&topic=t",
        &format!("Last-Event-ID: {last_id}\r\n"),
    );
    let mut resumed = resumed;
    let event = resumed.next_event();
    assert_eq!(
        (event.id(), event.event),
        (b, None),
        "inside the history: the replay alone, no snapshot"
    );
    drop(resumed);
    for i in 0..5 {
        publish(addr, &format!("topic=t&message=plain{i}"));
    }
    let a2 = set(addr, "t", "a", "3");
    let mut slept = Subscriber::open(addr, "state=1&topic=t", &format!("Last-Event-ID: {b}\r\n"));
    let missed = slept.next_event();
    assert_eq!(missed.event.as_deref(), Some("herald-missed"));
    let mut held = Vec::new();
    let (values, _) = loop {
        let event = slept.next_event();
        if event.key.is_some() && event.event.is_none() && event.id() == b {
            // The snapshot has begun: b is the oldest value.
            let (mut rest, last) = snapshot_of(&mut slept);
            rest.insert(0, event);
            break (rest, last);
        }
        held.push(event);
    };
    assert!(
        held.iter()
            .all(|event| event.key.is_none() || event.id() == a2),
        "what the history holds comes first, then the snapshot"
    );
    let values: Vec<_> = values
        .iter()
        .map(|v| (v.key.clone().unwrap(), v.id()))
        .collect();
    assert_eq!(values, [("b".to_string(), b), ("a".to_string(), a2)]);
}

#[test]
fn a_websocket_with_state_gets_the_values_then_herald_state() {
    let addr = start();
    let a = set(addr, "t", "a", "one");
    let mut ws = Ws::open(addr, "?state=1&topic=t");
    let value = ws.next().text();
    assert!(value.starts_with(&format!("{{\"id\":{a},")), "{value}");
    assert!(
        value.contains(r#""key":"a""#) && value.contains(r#""data":"one""#),
        "{value}"
    );
    let marker = ws.next().text();
    assert_eq!(
        marker,
        format!(
            r#"{{"id":{a},"event":"herald-state","topic":null,"time":null,"data":"{{\"last_id\":{a}}}"}}"#
        )
    );
    // The ack and the event itself may come in either order.
    ws.send_text(r#"{"publish":"two","topic":"t","key":"a"}"#);
    let mut two = [ws.next().text(), ws.next().text()];
    two.sort();
    let [ack, live] = two;
    let id = number_after(&ack, "\"ack\":");
    assert!(live.starts_with(&format!("{{\"id\":{id},")), "{ack} {live}");
    assert!(live.contains(r#""key":"a""#), "{live}");
    ws.send_text(r#"{"topic":"t","key":"a","delete":"1"}"#);
    let two = [ws.next().text(), ws.next().text()];
    assert!(
        two.iter()
            .any(|frame| frame.contains(r#""event":"herald-delete""#)),
        "{two:?}"
    );
}

#[test]
fn new_keys_stop_at_the_bounds_with_507_but_updates_and_deletes_pass() {
    let addr = start_with(|config| config.state_keys = 2);
    set(addr, "t", "a", "1");
    set(addr, "t", "b", "1");
    let refused = post_form(addr, "topic=t&key=c&message=1");
    assert_eq!(refused.status, 507);
    assert!(
        refused.text().contains("--state-keys"),
        "{}",
        refused.text()
    );
    set(addr, "t", "a", "2");
    let plain = post_form(addr, "topic=t&message=not+keyed");
    assert_eq!(
        plain.status, 200,
        "events without a key are not bounded by it"
    );
    publish(addr, "topic=t&key=b&delete=1");
    set(addr, "t", "c", "1");
    assert_eq!(stat(addr, "state_keys"), 2);
    let metrics = get(addr, "/metrics").text();
    assert!(metrics.contains("\nherald_state_keys 2\n"), "{metrics}");
    assert!(metrics.contains("herald_refused_total{reason=\"state_full\"} 1\n"));
    let bytes = number_after(&metrics, "\nherald_state_bytes ");
    assert_eq!(bytes, stat(addr, "state_bytes"));
    assert!(bytes > 0);

    let small = start_with(|config| config.state_bytes = 600);
    set(small, "t", "a", "1");
    let big = post_form(small, &format!("topic=t&key=b&message={}", "x".repeat(400)));
    assert_eq!(big.status, 507);
    assert!(big.text().contains("--state-bytes"), "{}", big.text());
    let grown = post_form(small, &format!("topic=t&key=a&message={}", "x".repeat(400)));
    assert_eq!(grown.status, 200, "an update passes even past the bytes");
}

#[test]
fn a_bad_keyed_publish_gets_a_400_naming_the_field() {
    let addr = start();
    for (body, reason) in [
        ("message=x&ttl=5", "delete and ttl need a key"),
        ("delete=1", "delete and ttl need a key"),
        ("key=a&message=x&ttl=0", "ttl must be"),
        ("key=a&message=x&ttl=soon", "ttl must be"),
        ("key=a&message=x&delete=yes", "delete must be 1 or 0"),
        ("key=a%0Ab&message=x", "key must be 1 to 128 bytes"),
    ] {
        let reply = post_form(addr, body);
        assert_eq!(reply.status, 400, "{body}");
        assert!(reply.text().starts_with(reason), "{body}: {}", reply.text());
    }
    for (body, reason) in [
        (r#"{"message":5}"#, "message must be a JSON string"),
        (
            r#"{"message":"x","key":"a","ttl":"5"}"#,
            "ttl must be a JSON number",
        ),
        (r#"{"key":"a","delete":1}"#, "delete must be true or false"),
        (r#"["x"]"#, "the body must be a JSON object"),
        (r#"{"message":"x""#, "not valid JSON"),
        (r#"{"data":"x"}"#, "the field is message, not data"),
    ] {
        let reply = post_json(addr, body);
        assert_eq!(reply.status, 400, "{body}");
        assert!(reply.text().starts_with(reason), "{body}: {}", reply.text());
    }
    let deleted = post_json(addr, r#"{"key":"a","topic":"t","delete":true}"#);
    assert_eq!(deleted.status, 200, "a delete needs no message");
    let query = raw(
        addr,
        b"POST /publish?key=q&topic=t HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\n\
          Content-Length: 5\r\nConnection: close\r\n\r\nhello",
    );
    assert_eq!(query.status, 200, "the key as a query parameter");
    assert_eq!(state_of(addr, "topic=t").1[0].0, "q");
}

/// alice may listen to `team` only; bob to everything.
fn app(question: &Question) -> hook::Reply {
    match question.cookie() {
        "session=alice" => grant(r#"["team"]"#, "[]", 60),
        "session=bob" => grant(r#""*""#, r#""*""#, 60),
        _ => hook::Reply::Json(401, "{}".into()),
    }
}

#[test]
fn the_app_decides_whose_values_a_person_sees() {
    let hook = Hook::start(app);
    let url = hook.url();
    let herald = HeraldProcess::start(&["--auth-hook", &url, "--publish-token", "s"]);
    let addr = herald.addr;
    publish(addr, "topic=team&key=a&message=shared&token=s");
    publish(addr, "topic=secret&key=b&message=hidden&token=s");
    let alice = "Cookie: session=alice\r\n";
    let mut stream = Subscriber::open(addr, "state=1", alice);
    let (values, _) = snapshot_of(&mut stream);
    let keys: Vec<_> = values.iter().map(|v| v.key.clone().unwrap()).collect();
    assert_eq!(keys, ["a"], "no topic asked: only what the app allows");
    let asked = |query: &str, cookie: &str| {
        raw(
            addr,
            format!("GET /state?{query} HTTP/1.1\r\nHost: t\r\n{cookie}Connection: close\r\n\r\n")
                .as_bytes(),
        )
    };
    let state = asked("", alice);
    assert_eq!(state.status, 200);
    assert!(state.text().contains("shared") && !state.text().contains("hidden"));
    assert_eq!(asked("topic=secret", alice).status, 403);
    assert_eq!(asked("topic=team", "").status, 401);
    let bob = asked("", "Cookie: session=bob\r\n");
    assert!(bob.text().contains("hidden"), "{}", bob.text());
    let backend = asked("topic=secret", "Authorization: Bearer s\r\n");
    assert_eq!(
        backend.status, 200,
        "the app's backend, with the publish token"
    );
    assert!(backend.text().contains("hidden"), "{}", backend.text());
    assert_eq!(
        asked("topic=secret", "Authorization: Bearer wrong\r\n").status,
        401
    );
}

#[test]
fn the_values_survive_a_crash_and_compaction_and_a_deleted_key_stays_gone() {
    let dir = std::env::temp_dir().join(format!("herald-state-log-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let dir_arg = dir.display().to_string();
    let args = ["--data-dir", dir_arg.as_str(), "--history", "5"];
    let server = HeraldProcess::start(&args);
    let addr = server.addr;
    let old = set(addr, "t", "old", "set+long+ago");
    set(addr, "t", "gone", "soon+deleted");
    let with_ttl = publish(addr, "topic=t&key=brief&message=expires&ttl=30");
    publish(addr, "topic=t&key=gone&delete=1");
    // Past the history and past compaction (4 × 16 records at least).
    for i in 0..150 {
        publish(addr, &format!("topic=t&message=plain{i}"));
    }
    let newest = set(addr, "t", "new", "recent");
    let log = dir.join("events.log");
    let compacted = std::fs::metadata(&log).unwrap().len();
    // 155 records of 40 bytes and more, had none been dropped.
    assert!(
        compacted < 80 * 40,
        "the log was compacted: {compacted} bytes"
    );
    server.crash();

    let restarted = HeraldProcess::start(&args);
    let (_, values) = state_of(restarted.addr, "topic=t");
    let keys: Vec<_> = values
        .iter()
        .map(|(key, id, _)| (key.as_str(), *id))
        .collect();
    assert_eq!(
        keys,
        [("old", old), ("brief", with_ttl), ("new", newest)],
        "every live value, however old; the deleted one is gone"
    );
    let mut stream = Subscriber::open(restarted.addr, "state=1&topic=t", "");
    let (snapshot, _) = snapshot_of(&mut stream);
    assert_eq!(
        snapshot[0].data, "set long ago",
        "the value itself, as sent"
    );
    assert_eq!(snapshot.len(), 3);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn herald_repair_keeps_the_values_of_a_damaged_log() {
    let dir = std::env::temp_dir().join(format!("herald-state-repair-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let dir_arg = dir.display().to_string();
    let server = HeraldProcess::start(&["--data-dir", &dir_arg]);
    let kept = set(server.addr, "t", "kept", "before+the+damage");
    publish(server.addr, "topic=t&message=damaged");
    let after = set(server.addr, "t", "after", "behind+the+damage");
    server.crash();
    // Flip a byte of the second record's checksum: damage in the middle.
    let log = dir.join("events.log");
    let mut bytes = std::fs::read(&log).unwrap();
    let header = b"herald event log v1\n".len();
    let first_len = u32::from_le_bytes(bytes[header..header + 4].try_into().unwrap());
    bytes[header + 8 + first_len as usize + 4] ^= 0x10;
    std::fs::write(&log, &bytes).unwrap();
    let repaired = std::process::Command::new(env!("CARGO_BIN_EXE_herald"))
        .args(["repair", "--data-dir", &dir_arg])
        .output()
        .unwrap();
    assert!(repaired.status.success(), "{repaired:?}");
    let restarted = HeraldProcess::start(&["--data-dir", &dir_arg]);
    let (_, values) = state_of(restarted.addr, "topic=t");
    let ids: Vec<_> = values
        .iter()
        .map(|(key, id, _)| (key.as_str(), *id))
        .collect();
    assert_eq!(
        ids,
        [("kept", kept), ("after", after)],
        "both values, on either side"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
