//! What an outside round of attack probes found, each as an attack on the
//! real binary over TCP: a page full of tabs cannot lock the app's backend
//! out, a client without a login cannot make herald flood the app, an
//! idempotency key belongs to whoever sent it, credentials are read
//! strictly, and an operator sees what was refused. (The probes' fifth
//! finding, the hub's lap bound, is in `tests/bounded.rs`.)

mod support;

use std::io::{BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};

use socket2::{Domain, Socket, Type};
use support::hook::{Hook, Question, Reply as Answer};
use support::*;

const TOKEN: &str = "backend-secret";

/// alice and bob may listen to and publish on `c-open`, under their own
/// names; without a cookie the app says 401.
fn app(question: &Question) -> Answer {
    let user = match question.cookie() {
        "session=alice" => "alice",
        "session=bob" => "bob",
        "" => return Answer::Json(401, "{}".into()),
        _ => return Answer::Json(403, "{}".into()),
    };
    let answer =
        format!(r#"{{"listen":["c-open"],"publish":["c-open"],"ttl":60,"user":"{user}"}}"#);
    Answer::Json(200, answer)
}

fn herald_with_hook(hook: &Hook, extra: &[&str]) -> HeraldProcess {
    let url = hook.url();
    let mut args = vec!["--auth-hook", &url, "--publish-token", TOKEN];
    args.extend_from_slice(extra);
    HeraldProcess::start(&args)
}

/// `POST /publish` of `body` with `headers`, on a new connection.
fn post(addr: SocketAddr, headers: &str, body: &str) -> support::Reply {
    raw(
        addr,
        format!(
            "POST /publish HTTP/1.1\r\nHost: t\r\nContent-Type: application/x-www-form-urlencoded\r\n\
             {headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    )
}

fn id_of(reply: &support::Reply) -> u64 {
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.text().trim().parse().expect("an event id")
}

#[test]
fn streams_alone_never_take_the_last_slots_from_the_apps_backend() {
    // 64 slots: one in 32 is kept for requests, so streams may take 62.
    let herald = HeraldProcess::start(&["--max-clients", "64", "--publish-token", TOKEN]);
    let addr = herald.addr;
    // One keep-alive connection asks for the numbers throughout, so that
    // asking takes one slot, not one per question.
    let mut numbers = BufReader::new(connect(addr));
    let mut ask = |name: &str| -> u64 {
        let request = "GET /stats HTTP/1.1\r\nHost: t\r\n\r\n";
        numbers.get_mut().write_all(request.as_bytes()).unwrap();
        let text = read_reply(&mut numbers, false).text();
        let value = text
            .split(&format!("\"{name}\":"))
            .nth(1)
            .expect("a number");
        value.split([',', '}']).next().unwrap().parse().unwrap()
    };
    let mut streams = Vec::new();
    let mut refused = loop {
        assert!(streams.len() < 100, "streams were never refused");
        let stream = Subscriber::open(addr, "", "");
        assert_eq!(
            stream.status, 200,
            "a stream always gets the event-stream form"
        );
        // The hub writes a stream's head once it is in the list.
        if ask("listeners") as usize != streams.len() + 1 {
            break stream;
        }
        streams.push(stream);
    };
    assert_eq!(streams.len(), 62, "streams took all but the reserve");
    let event = refused.try_next_event().expect("the refusal says why");
    assert_eq!(event.event.as_deref(), Some("herald-unavailable"));
    assert_eq!(event.data, r#"{"reason":"full"}"#);
    drop(refused);
    // Its slot comes back once it is closed; then the 62 streams and this
    // connection hold 63 of 64, and the backend still publishes.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while ask("connections") != 63 {
        assert!(
            std::time::Instant::now() < deadline,
            "the refused stream's slot came back"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let reply = post(
        addr,
        &format!("Authorization: Bearer {TOKEN}\r\n"),
        "message=still-here",
    );
    let id = id_of(&reply);
    for stream in &mut streams[..3] {
        assert_eq!(stream.next_event().id(), id);
    }
    assert_eq!(ask("listeners"), 62, "and /stats answers");
}

#[test]
fn a_stream_refused_for_no_login_closes_and_its_refusal_is_kept_a_moment() {
    let hook = Hook::start(app);
    let herald = herald_with_hook(&hook, &[]);
    let addr = herald.addr;
    // 200 pipelined stream requests without a login, on one connection.
    let mut stream = connect(addr);
    let one = "GET /events HTTP/1.1\r\nHost: t\r\nAccept: text/event-stream\r\n\r\n";
    stream.write_all(one.repeat(200).as_bytes()).unwrap();
    let mut reader = BufReader::new(stream);
    let reply = read_reply(&mut reader, false);
    assert_eq!(reply.status, 401);
    let mut rest = Vec::new();
    let _ = reader.read_to_end(&mut rest);
    assert!(
        rest.is_empty(),
        "closed after the refusal: {} more bytes",
        rest.len()
    );
    assert_eq!(hook.calls(), 1, "one call to the app, not 200");
    // A reconnect loop without a login: the kept refusal answers.
    for _ in 0..20 {
        assert_eq!(Subscriber::open(addr, "", "").status, 401);
    }
    assert_eq!(hook.calls(), 1, "the refusal is kept for a few seconds");
    // Someone who logs in is another question, answered at once.
    let alice = Subscriber::open(addr, "topic=c-open", "Cookie: session=alice\r\n");
    assert_eq!(alice.status, 200);
    assert_eq!(hook.calls(), 2);

    let metrics = get(addr, "/metrics").text();
    let sample = |name: &str| {
        metrics
            .lines()
            .find(|line| line.starts_with(name))
            .and_then(|line| line.rsplit(' ').next()?.parse::<u64>().ok())
    };
    assert_eq!(sample("herald_auth_hook_calls_total"), Some(2), "{metrics}");
    assert_eq!(sample("herald_auth_hook_cache_hits_total"), Some(20));
    assert_eq!(sample("herald_auth_hook_failures_total"), Some(0));
    assert_eq!(
        sample("herald_refused_total{reason=\"denied\"}"),
        Some(21),
        "refused streams are counted"
    );
}

#[test]
fn the_app_that_cannot_answer_is_counted_for_streams_too() {
    let hook = Hook::start(|_: &Question| Answer::Hang);
    let herald = herald_with_hook(&hook, &[]);
    let mut stream = Subscriber::open(herald.addr, "", "Cookie: session=alice\r\n");
    let event = stream.try_next_event().expect("asked to come back");
    assert_eq!(event.event.as_deref(), Some("herald-unavailable"));
    let metrics = get(herald.addr, "/metrics").text();
    assert!(
        metrics.contains("herald_refused_total{reason=\"auth_down\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("herald_auth_hook_failures_total 1"),
        "{metrics}"
    );
    assert_eq!(
        get(herald.addr, "/health").status,
        200,
        "health never asks the app"
    );
}

#[test]
fn an_idempotency_key_belongs_to_whoever_sent_it() {
    let hook = Hook::start(app);
    let herald = herald_with_hook(&hook, &[]);
    let addr = herald.addr;
    let mut watcher = Subscriber::open(addr, "topic=c-open", "Cookie: session=bob\r\n");
    assert_eq!(watcher.status, 200);
    let as_user = |user: &str| format!("Cookie: session={user}\r\nIdempotency-Key: K-1\r\n");

    let bobs = id_of(&post(addr, &as_user("bob"), "message=bob&topic=c-open"));
    let alices = id_of(&post(addr, &as_user("alice"), "message=alice&topic=c-open"));
    assert_ne!(alices, bobs, "not bob's id: the key is alice's own");
    assert_eq!(watcher.next_event().data, "bob");
    assert_eq!(
        watcher.next_event().data,
        "alice",
        "her message was published"
    );
    let again = id_of(&post(addr, &as_user("alice"), "message=alice&topic=c-open"));
    assert_eq!(again, alices, "her own retry is recognised");
    let backend = format!("Authorization: Bearer {TOKEN}\r\nIdempotency-Key: K-1\r\n");
    let backends = id_of(&post(addr, &backend, "message=backend&topic=c-open"));
    assert!(
        backends != alices && backends != bobs,
        "the backend's key is its own"
    );
}

/// A publish with `Idempotency-Key: key` from the loopback address `from`.
fn publish_from(addr: SocketAddr, from: &str, key: &str) -> u64 {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    let local: SocketAddr = format!("{from}:0").parse().unwrap();
    socket.bind(&local.into()).unwrap();
    socket.connect(&addr.into()).unwrap();
    let mut stream: TcpStream = socket.into();
    stream.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    let body = "message=hi";
    write!(
        stream,
        "POST /publish HTTP/1.1\r\nHost: t\r\nIdempotency-Key: {key}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    id_of(&read_reply(&mut BufReader::new(stream), false))
}

#[test]
fn without_a_login_a_key_belongs_to_the_clients_address() {
    let herald = HeraldProcess::start(&[]);
    let first = publish_from(herald.addr, "127.0.0.1", "shared");
    assert_eq!(publish_from(herald.addr, "127.0.0.1", "shared"), first);
    let other = publish_from(herald.addr, "127.0.0.2", "shared");
    assert_ne!(other, first, "another address, another publish");
}

#[test]
fn credentials_are_read_strictly() {
    let herald = HeraldProcess::start(&["--publish-token", TOKEN]);
    let addr = herald.addr;
    for (twice, what) in [
        (
            "Authorization: Bearer x\r\nAuthorization: Bearer y\r\n",
            "Authorization",
        ),
        (
            "Idempotency-Key: a\r\nIdempotency-Key: b\r\n",
            "Idempotency-Key",
        ),
        ("Last-Event-ID: 1\r\nLast-Event-ID: 2\r\n", "Last-Event-ID"),
        ("Origin: http://a\r\nOrigin: http://b\r\n", "Origin"),
        ("Host: other\r\n", "Host"),
    ] {
        let reply = post(addr, twice, "message=x");
        assert_eq!(reply.status, 400, "two {what} headers: {}", reply.text());
        assert!(reply.text().contains(what), "{}", reply.text());
    }
    let lower = post(
        addr,
        &format!("Authorization: bearer {TOKEN}\r\n"),
        "message=x",
    );
    assert_eq!(
        lower.status,
        200,
        "the scheme in any case: {}",
        lower.text()
    );
    let in_url = raw(
        addr,
        format!(
            "POST /publish?token={TOKEN} HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\n\
             Content-Length: 1\r\nConnection: close\r\n\r\nx"
        )
        .as_bytes(),
    );
    assert_eq!(in_url.status, 400);
    assert!(
        in_url.text().contains("not in the URL"),
        "{}",
        in_url.text()
    );
}

#[test]
fn with_the_hook_stats_are_not_open_to_other_origins() {
    let origin = "http://intranet.example";
    let ask = |addr: SocketAddr| {
        raw(
            addr,
            format!(
                "GET /stats HTTP/1.1\r\nHost: t\r\nOrigin: {origin}\r\nConnection: close\r\n\r\n"
            )
            .as_bytes(),
        )
    };
    let open = HeraldProcess::start(&["--cors-origin", origin]);
    assert_eq!(
        ask(open.addr).header("Access-Control-Allow-Origin"),
        Some(origin)
    );
    let hook = Hook::start(app);
    let private = herald_with_hook(&hook, &["--cors-origin", origin]);
    let reply = ask(private.addr);
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("Access-Control-Allow-Origin"), None);
}
