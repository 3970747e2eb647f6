//! Publishing and the live stream: what every subscriber receives.

mod support;

use support::*;

#[test]
fn the_stream_has_the_right_head_and_opens_live() {
    let addr = start();
    let mut subscriber = Subscriber::all(addr);
    let header = |name| {
        subscriber
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    assert_eq!(header("Content-Type").as_deref(), Some("text/event-stream"));
    assert_eq!(header("Cache-Control").as_deref(), Some("no-cache"));
    assert_eq!(header("X-Accel-Buffering").as_deref(), Some("no"));
    assert_eq!(header("Content-Length"), None);
    publish(addr, "message=first");
    assert_eq!(subscriber.next_event().data, "first");
    assert_eq!(subscriber.retry, Some(2000));
    assert!(
        !subscriber.comments.is_empty(),
        "the stream opens with a comment"
    );
}

#[test]
fn a_publish_reaches_every_subscriber() {
    let addr = start();
    let mut subscribers: Vec<Subscriber> = (0..5).map(|_| Subscriber::all(addr)).collect();
    let id = publish(addr, "message=hello");
    for subscriber in &mut subscribers {
        let event = subscriber.next_event();
        assert_eq!(event.data, "hello");
        assert_eq!(event.id(), id);
        assert_eq!(event.event, None);
    }
}

#[test]
fn multi_line_messages_keep_every_line() {
    let addr = start();
    let mut subscriber = Subscriber::all(addr);
    publish(addr, "message=a%0Ab");
    publish(addr, "message=c%0Dd");
    publish(addr, "message=e%0D%0Af%0A%0Ag");
    assert_eq!(subscriber.next_event().data, "a\nb");
    assert_eq!(subscriber.next_event().data, "c\nd");
    assert_eq!(subscriber.next_event().data, "e\nf\n\ng");
}

#[test]
fn an_injection_attempt_arrives_as_one_plain_message() {
    let addr = start();
    let mut subscriber = Subscriber::all(addr);
    publish(addr, "message=a%0A%0Aevent%3A+evil%0Adata%3A+x");
    publish(addr, "message=after");
    let event = subscriber.next_event();
    assert_eq!(event.event, None, "no event type was injected");
    assert_eq!(event.data, "a\n\nevent: evil\ndata: x");
    assert_eq!(subscriber.next_event().data, "after");
}

#[test]
fn utf8_and_percent_encoding_round_trip() {
    let addr = start();
    let mut subscriber = Subscriber::all(addr);
    publish(addr, "message=caf%C3%A9+%F0%9F%8E%89+100%25+a%2Bb");
    assert_eq!(subscriber.next_event().data, "café 🎉 100% a+b");
}

#[test]
fn a_plain_text_body_is_the_message() {
    let addr = start();
    let mut subscriber = Subscriber::all(addr);
    let body = "line one\nline two = yes & no";
    let reply = raw(
        addr,
        format!(
            "POST /publish?event=note HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\n\
             Content-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    );
    assert_eq!(reply.status, 200);
    let event = subscriber.next_event();
    assert_eq!(event.data, body);
    assert_eq!(event.event.as_deref(), Some("note"));
}

/// `echo … | curl --data-binary @-` adds a newline the sender never typed;
/// a line break inside the message stays.
#[test]
fn a_plain_text_body_loses_one_final_newline() {
    let addr = start();
    let mut subscriber = Subscriber::all(addr);
    for body in ["disk 91% full\n", "two lines\nend\r\n", "kept\n\n"] {
        let reply = raw(
            addr,
            format!(
                "POST /publish HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\n\
                 Content-Length: {}\r\n\r\n{body}",
                body.len()
            )
            .as_bytes(),
        );
        assert_eq!(reply.status, 200, "{}", reply.text());
    }
    assert_eq!(subscriber.next_event().data, "disk 91% full");
    assert_eq!(subscriber.next_event().data, "two lines\nend");
    assert_eq!(subscriber.next_event().data, "kept\n");
}

#[test]
fn event_types_are_sent_and_ids_increase() {
    let addr = start();
    let mut subscriber = Subscriber::all(addr);
    let first = publish(addr, "message=one&event=chat");
    let second = publish(addr, "message=two");
    assert!(second > first);
    let event = subscriber.next_event();
    assert_eq!((event.event.as_deref(), event.id()), (Some("chat"), first));
    let event = subscriber.next_event();
    assert_eq!((event.event.as_deref(), event.id()), (None, second));
}

#[test]
fn topics_filter_what_a_subscriber_gets() {
    let addr = start();
    let mut ops = Subscriber::open(addr, "topic=ops", "");
    let mut both = Subscriber::open(addr, "topic=ops&topic=dev", "");
    let mut everything = Subscriber::all(addr);
    publish(addr, "message=to+dev&topic=dev");
    publish(addr, "message=to+nobody+in+particular");
    publish(addr, "message=to+ops&topic=ops");
    let ops_event = ops.next_event();
    assert_eq!(
        (ops_event.data.as_str(), ops_event.topic.as_deref()),
        ("to ops", Some("ops"))
    );
    assert_eq!(both.next_event().data, "to dev");
    assert_eq!(both.next_event().data, "to ops");
    let all: Vec<String> = (0..3).map(|_| everything.next_event().data).collect();
    assert_eq!(all, ["to dev", "to nobody in particular", "to ops"]);
}

#[test]
fn a_browser_form_post_is_sent_back_to_the_page() {
    let addr = start();
    let reply = raw(
        addr,
        b"POST /publish HTTP/1.1\r\nHost: t\r\nAccept: text/html,application/xhtml+xml\r\n\
          Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 20\r\n\r\n\
          message=hi&topic=a+b",
    );
    assert_eq!(reply.status, 303);
    assert_eq!(reply.header("Location"), Some("./?topic=a%20b"));
}

#[test]
fn bad_publishes_get_400_with_a_reason() {
    let addr = start();
    for (body, reason) in [
        ("topic=x", "missing message"),
        ("message=", "message is empty"),
        ("message=x&event=a%0Ab", "event type"),
        ("message=x&topic=a%0Db", "topic"),
        ("message=%zz", "percent-encoding"),
        ("message=%FF", "UTF-8"),
    ] {
        let reply = post_form(addr, body);
        assert_eq!(reply.status, 400, "{body}");
        assert!(reply.text().contains(reason), "{body}: {}", reply.text());
    }
    let reply = raw(
        addr,
        b"POST /publish HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
    );
    assert_eq!(reply.status, 400);
    assert!(
        reply.text().starts_with("missing message"),
        "{}",
        reply.text()
    );
    let reply = raw(
        addr,
        b"POST /publish HTTP/1.1\r\nHost: t\r\nContent-Type: application/xml\r\nContent-Length: 4\r\n\r\n<a/>",
    );
    assert_eq!(reply.status, 415);
    assert_eq!(get(addr, "/").status, 200, "the server still serves");
}
