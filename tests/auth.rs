//! Private topics: with `--auth-hook`, the app decides who may listen and
//! publish. A stub app (std only, counting its calls) answers for three
//! people by their session cookie; herald is the real binary, spoken to
//! over TCP.

mod support;

use std::time::{Duration, Instant};

use support::hook::{Hook, Question, Reply, grant};
use support::ws::Ws;
use support::*;

const TOKEN: &str = "backend-secret";

/// alice may listen to `team` and `alice` and publish to `team`; bob to
/// everything; carol to `team` for one second at a time; anyone else is
/// refused (no cookie: 401; another cookie: 403).
fn app(question: &Question) -> Reply {
    match question.cookie() {
        "session=alice" => grant(r#"["team","alice"]"#, r#"["team"]"#, 60),
        "session=bob" => grant(r#""*""#, r#""*""#, 60),
        "session=carol" => grant(r#"["team"]"#, "[]", 1),
        "" => Reply::Json(401, "{}".into()),
        _ => Reply::Json(403, "{}".into()),
    }
}

fn herald_with(hook: &Hook, extra: &[&str]) -> HeraldProcess {
    let url = hook.url();
    let mut args = vec!["--auth-hook", &url, "--publish-token", TOKEN];
    args.extend_from_slice(extra);
    HeraldProcess::start(&args)
}

fn as_person(cookie: &str) -> String {
    format!("Cookie: session={cookie}\r\n")
}

/// Publishes with the backend's token.
fn publish_to(addr: std::net::SocketAddr, topic: Option<&str>, message: &str) -> u64 {
    let topic = topic.map_or(String::new(), |topic| format!("&topic={topic}"));
    publish(addr, &format!("message={message}{topic}&token={TOKEN}"))
}

/// The messages `subscriber` gets until `sentinel` (published to a topic
/// it carries, or public).
fn messages_until(subscriber: &mut Subscriber, sentinel: &str) -> Vec<String> {
    let mut seen = Vec::new();
    loop {
        let event = subscriber.next_event();
        if event.data == sentinel {
            return seen;
        }
        seen.push(event.data);
    }
}

#[test]
fn the_app_decides_who_listens_to_what() {
    let hook = Hook::start(app);
    let herald = herald_with(&hook, &[]);
    let addr = herald.addr;

    let nobody = Subscriber::open(addr, "", "");
    assert_eq!(nobody.status, 401);
    let mallory = Subscriber::open(addr, "", &as_person("mallory"));
    assert_eq!(mallory.status, 403);
    let not_hers = Subscriber::open(addr, "topic=other", &as_person("alice"));
    assert_eq!(not_hers.status, 403, "a topic she may not listen to");

    let mut alice = Subscriber::open(addr, "", &as_person("alice"));
    assert_eq!(alice.status, 200);
    let mut alice_team = Subscriber::open(addr, "topic=team", &as_person("alice"));
    assert_eq!(alice_team.status, 200);
    let mut bob = Subscriber::open(addr, "", &as_person("bob"));
    assert_eq!(bob.status, 200);

    for (topic, message) in [
        (Some("other"), "other-news"),
        (Some("team"), "team-news"),
        (None, "public-news"),
        (Some("alice"), "for-alice"),
        (Some("bob"), "for-bob"),
        (None, "end"),
    ] {
        publish_to(addr, topic, message);
    }
    assert_eq!(
        messages_until(&mut alice, "end"),
        ["team-news", "public-news", "for-alice"],
        "her topics and the public events, never another topic's"
    );
    assert_eq!(
        messages_until(&mut alice_team, "end"),
        ["team-news", "public-news", "for-alice"][..2],
        "what she asked for, and the public events"
    );
    assert_eq!(
        messages_until(&mut bob, "end"),
        [
            "other-news",
            "team-news",
            "public-news",
            "for-alice",
            "for-bob"
        ],
        "\"*\" is everything"
    );

    let question = &hook.questions()[0];
    assert!(
        question.body.contains(r#""action":"listen""#),
        "{}",
        question.body
    );
    assert!(
        question
            .header("x-forwarded-for")
            .is_some_and(|v| v.ends_with("127.0.0.1"))
    );
    assert!(question.header("host").is_some());
    assert!(
        question.header("accept").is_none(),
        "nothing else is forwarded"
    );
}

#[test]
fn reconnects_within_the_ttl_ask_the_app_once() {
    let hook = Hook::start(app);
    let herald = herald_with(&hook, &[]);
    for _ in 0..50 {
        let alice = Subscriber::open(herald.addr, "topic=team", &as_person("alice"));
        assert_eq!(alice.status, 200);
    }
    assert_eq!(hook.calls(), 1, "49 reconnects came from the cache");
    let bob = Subscriber::open(herald.addr, "topic=team", &as_person("bob"));
    assert_eq!(bob.status, 200);
    assert_eq!(hook.calls(), 2, "another cookie is another question");
    // The token query parameter is forwarded as X-Herald-Token.
    let _ = Subscriber::open(herald.addr, "token=t0k", "");
    assert_eq!(
        hook.questions().last().unwrap().header("x-herald-token"),
        Some("t0k")
    );
}

#[test]
fn a_stream_the_app_stops_allowing_ends_with_herald_revoked() {
    let hook = Hook::start(app);
    let herald = herald_with(&hook, &[]);
    let mut carol = Subscriber::open(herald.addr, "topic=team", &as_person("carol"));
    assert_eq!(carol.status, 200);
    publish_to(herald.addr, Some("team"), "still-in");
    assert_eq!(carol.next_event().data, "still-in");

    hook.set_rule(|question| match question.cookie() {
        "session=carol" => Reply::Json(403, "{}".into()),
        _ => app(question),
    });
    let started = Instant::now();
    let revoked = loop {
        let event = carol.next_event();
        if event.event.is_some() {
            break event;
        }
    };
    assert_eq!(revoked.event.as_deref(), Some("herald-revoked"));
    assert!(
        started.elapsed() < Duration::from_secs(1 + 2),
        "within the ttl and 2 s"
    );
    assert!(carol.try_next_event().is_none(), "and the stream ends");
}

#[test]
fn an_app_that_cannot_answer_asks_the_tab_to_come_back() {
    let hook = Hook::start(app);
    let herald = herald_with(&hook, &["--auth-hook-timeout", "0.5"]);
    let addr = herald.addr;
    let mut alice = Subscriber::open(addr, "topic=team", &as_person("alice"));
    assert_eq!(alice.status, 200);

    let oversized = format!(r#"{{"listen":"*","pad":"{}"}}"#, "x".repeat(70 * 1024));
    let failures: Vec<(&str, Reply)> = vec![
        ("slow", Reply::Slow(Duration::from_secs(2))),
        ("500", Reply::Json(500, "{}".into())),
        ("garbage", Reply::Raw(b"not http at all\r\n\r\n".to_vec())),
        ("not the answer", Reply::Json(200, "[1,2,3]".into())),
        ("oversized", Reply::Json(200, oversized)),
        ("closed", Reply::Hang),
    ];
    for (name, failure) in failures {
        let failure = std::sync::Mutex::new(Some(failure));
        hook.set_rule(move |_| failure.lock().unwrap().take().unwrap_or(Reply::Hang));
        let started = Instant::now();
        let mut refused = Subscriber::open(addr, "", &as_person(&format!("dave-{name}")));
        assert_eq!(refused.status, 200, "{name}: EventSource must not give up");
        let notice = refused.next_event();
        assert_eq!(
            notice.event.as_deref(),
            Some("herald-unavailable"),
            "{name}"
        );
        assert_eq!(notice.data, r#"{"reason":"auth"}"#, "{name}");
        assert!(refused.retry.is_some_and(|ms| (2000..=5000).contains(&ms)));
        assert!(refused.try_next_event().is_none(), "{name}: then the end");
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{name}: within the timeout"
        );
        // Everyone else is still served.
        publish_to(addr, Some("team"), name);
        assert_eq!(alice.next_event().data, name);
    }
    let down = HeraldProcess::start(&["--auth-hook", "http://127.0.0.1:9/auth"]);
    let mut refused = Subscriber::open(down.addr, "", &as_person("alice"));
    assert_eq!(
        refused.next_event().event.as_deref(),
        Some("herald-unavailable")
    );
    assert_eq!(
        get(down.addr, "/stats").status,
        200,
        "the rest never waits for the hook"
    );
    // The line reaches the test through a thread that reads herald's
    // stderr: wait for it rather than hope it is there already.
    wait_until(Duration::from_secs(5), "the log line on the hook", || {
        down.said("the auth hook could not answer")
    });
}

#[test]
fn publishing_is_decided_by_the_app_unless_the_token_is_given() {
    let hook = Hook::start(app);
    let herald = herald_with(&hook, &[]);
    let addr = herald.addr;
    let post = |body: &str, cookie: &str| {
        raw(
            addr,
            format!(
                "POST /publish HTTP/1.1\r\nHost: t\r\nContent-Type: application/x-www-form-urlencoded\r\n\
                 {}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                as_person(cookie),
                body.len()
            )
            .as_bytes(),
        )
    };
    assert_eq!(post("message=hi&topic=team", "alice").status, 200);
    assert_eq!(post("message=hi&topic=other", "alice").status, 403);
    assert_eq!(
        post("message=hi", "alice").status,
        403,
        "public needs \"*\""
    );
    assert_eq!(post("message=hi", "bob").status, 200);
    assert_eq!(post("message=hi&topic=team", "nobody").status, 403);
    let with_token = format!("message=hi&topic=other&token={TOKEN}");
    assert_eq!(
        post(&with_token, "mallory").status,
        200,
        "the backend's token"
    );
    let publish_question = hook
        .questions()
        .into_iter()
        .find(|q| q.body.contains("publish"))
        .expect("the app was asked about publishing");
    assert!(publish_question.body.contains(r#""topics":["team"]"#));
}

#[test]
fn websockets_follow_the_same_rules() {
    let hook = Hook::start(app);
    let herald = herald_with(&hook, &["--auth-hook-timeout", "0.5"]);
    let addr = herald.addr;

    let (head, _) = Ws::open_with(addr, "?topic=other", &as_person("alice"));
    assert!(head.starts_with("HTTP/1.1 403"), "{head}");
    let (head, _) = Ws::open_with(addr, "", "");
    assert!(head.starts_with("HTTP/1.1 401"), "{head}");

    let (head, mut alice) = Ws::open_with(addr, "", &as_person("alice"));
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    publish_to(addr, Some("other"), "not-for-her");
    publish_to(addr, Some("team"), "for-the-team");
    assert!(alice.next().text().contains("for-the-team"));

    alice.send_text(r#"{"publish":"from alice","topic":"team"}"#);
    // The event itself may come before the answer: both are the hub's to write.
    let acked = (0..2).any(|_| alice.next().text().contains("\"ack\""));
    assert!(acked, "alice may publish to team over the socket");
    alice.send_text(r#"{"publish":"sneaky","topic":"other"}"#);
    let answer = loop {
        let text = alice.next().text();
        if text.contains("error") {
            break text;
        }
    };
    assert!(answer.contains("does not let you publish"), "{answer}");

    hook.set_rule(|_| Reply::Hang);
    let (head, mut later) = Ws::open_with(addr, "", &as_person("erin"));
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    assert_eq!(later.next().close_code(), 1013, "try again later");
}

#[test]
fn a_stream_is_kept_a_while_when_the_app_cannot_be_asked_again() {
    let hook = Hook::start(app);
    let herald = herald_with(&hook, &["--auth-hook-timeout", "0.3"]);
    let mut carol = Subscriber::open(herald.addr, "topic=team", &as_person("carol"));
    assert_eq!(carol.status, 200);
    hook.set_rule(|_| Reply::Hang);
    // Her answer (ttl 1 s) expires and cannot be renewed: she keeps
    // getting events for a grace period...
    std::thread::sleep(Duration::from_millis(2500));
    publish_to(herald.addr, Some("team"), "during-the-outage");
    assert_eq!(carol.next_event().data, "during-the-outage");
    // ...then is asked to come back, not told she lost the right.
    let ending = loop {
        let event = carol.next_event();
        if event.event.is_some() {
            break event;
        }
    };
    assert_eq!(ending.event.as_deref(), Some("herald-unavailable"));
    assert!(carol.try_next_event().is_none());
}
