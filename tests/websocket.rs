//! `/ws` over raw TCP: the handshake, events as JSON text frames, publishing
//! over the socket, and every protocol duty, frame by frame.

mod support;

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use support::ws::*;
use support::*;

#[test]
fn events_arrive_as_json_text_frames() {
    let addr = start();
    let mut ws = Ws::open(addr, "");
    let id = publish(
        addr,
        "message=say+%22hi%22%0A%F0%9F%8E%89&event=chat&topic=ops",
    );
    let frame = ws.next();
    assert_eq!(frame.opcode, 1);
    assert_eq!(
        without_time(&frame.text()),
        format!(r#"{{"id":{id},"event":"chat","topic":"ops","data":"say \"hi\"\n🎉"}}"#)
    );
}

/// The frame's JSON with its `"time":"…",` member taken out, after checking
/// that it is there and looks like RFC 3339 in UTC with milliseconds
/// (`tests/times.rs` checks its value).
fn without_time(text: &str) -> String {
    let start = text.find(r#""time":""#).expect("a time member");
    let value = &text[start + 8..start + 8 + 24];
    assert!(
        value.len() == 24 && value.as_bytes()[10] == b'T' && value.ends_with('Z'),
        "time looks like 2026-12-01T21:35:42.123Z: {value}"
    );
    let end = start + 8 + 24 + 2; // the closing quote and the comma
    format!("{}{}", &text[..start], &text[end..])
}

#[test]
fn sse_and_websocket_subscribers_see_the_same_events_in_the_same_order() {
    let addr = start();
    let mut ws = Ws::open(addr, "");
    let mut sse = Subscriber::all(addr);
    let ids: Vec<u64> = (0..20)
        .map(|i| publish(addr, &format!("message=m{i}")))
        .collect();
    for (i, id) in ids.iter().enumerate() {
        let event = sse.next_event();
        assert_eq!(
            (event.id(), event.data.as_str()),
            (*id, format!("m{i}").as_str())
        );
        assert_eq!(
            without_time(&ws.next().text()),
            format!(r#"{{"id":{id},"event":null,"topic":null,"data":"m{i}"}}"#)
        );
    }
}

#[test]
fn publishing_over_the_socket_is_acknowledged_and_reaches_sse() {
    let addr = start();
    let mut ws = Ws::open(addr, "?topic=ops");
    let mut sse = Subscriber::all(addr);
    ws.send_text(r#"{"publish": "from a socket", "event": "note", "topic": "ops"}"#);
    let event = sse.next_event();
    assert_eq!(
        (event.data.as_str(), event.event.as_deref()),
        ("from a socket", Some("note"))
    );
    // The socket gets its ack and the event itself, in either order.
    let mut frames = [ws.next().text(), ws.next().text()];
    frames.sort();
    assert_eq!(frames[0], format!(r#"{{"ack":{}}}"#, event.id()));
    assert!(frames[1].contains(r#""data":"from a socket""#));
    ws.send_text(r#"{"publish": ""}"#);
    assert_eq!(ws.next().text(), r#"{"error":"message is empty"}"#);
    ws.send_text(r#"{"say": "x"}"#);
    assert_eq!(
        ws.next().text(),
        r#"{"error":"the field is publish: send {\"publish\": \"your message\"}"}"#
    );
    ws.send_text(r#"{"message": "x", "topic": "ops"}"#);
    assert!(
        ws.next()
            .text()
            .starts_with(r#"{"error":"the field is publish, not message: send"#)
    );
    ws.send_text("not json");
    assert!(ws.next().text().starts_with(r#"{"error":"#));
}

#[test]
fn with_a_token_the_socket_must_give_it() {
    let addr = start_with(|config| config.publish_token = Some("s3cret".into()));
    let mut ws = Ws::open(addr, "");
    ws.send_text(r#"{"publish": "x"}"#);
    assert_eq!(ws.next().text(), r#"{"error":"publishing needs a token"}"#);
    ws.send_text(r#"{"publish": "x", "token": "nope"}"#);
    assert_eq!(ws.next().text(), r#"{"error":"wrong token"}"#);
    ws.send_text(r#"{"publish": "x", "token": "s3cret"}"#);
    let answers = [ws.next().text(), ws.next().text()];
    assert!(
        answers.iter().any(|a| a.starts_with(r#"{"ack":"#)),
        "{answers:?}"
    );
}

#[test]
fn recent_works_as_on_events() {
    let addr = start();
    publish(addr, "message=old&topic=a");
    let newest_a = publish(addr, "message=new&topic=a");
    publish(addr, "message=other&topic=b");
    let mut ws = Ws::open(addr, "?topic=a&recent=1");
    assert!(ws.next().text().contains(&format!(r#""id":{newest_a}"#)));
    let live = publish(addr, "message=live&topic=a");
    assert!(ws.next().text().contains(&format!(r#""id":{live}"#)));
}

#[test]
fn replay_and_topics_work_as_on_events() {
    let addr = start();
    let first = publish(addr, "message=one");
    let a = publish(addr, "message=two&topic=a");
    publish(addr, "message=three&topic=b");
    let mut ws = Ws::open(addr, &format!("?topic=a&lastEventId={first}"));
    assert!(ws.next().text().contains(&format!(r#""id":{a}"#)));
    let c = publish(addr, "message=four&topic=a");
    assert!(ws.next().text().contains(&format!(r#""id":{c}"#)));

    let small = start_with(|config| config.history = 2);
    let ids: Vec<u64> = (0..4)
        .map(|i| publish(small, &format!("message={i}")))
        .collect();
    let mut ws = Ws::open(small, &format!("?lastEventId={}", ids[0]));
    let notice = ws.next().text();
    assert!(
        notice.contains(r#""event":"herald-missed""#) && notice.contains(r#""id":null"#),
        "{notice}"
    );
    assert!(ws.next().text().contains(&format!(r#""id":{}"#, ids[2])));
}

#[test]
fn fragmented_messages_are_joined() {
    let addr = start();
    let mut ws = Ws::open(addr, "");
    let mut sse = Subscriber::all(addr);
    ws.send_raw(0x01, br#"{"publish": "in "#, true);
    ws.send_raw(0x89, b"between", true); // a ping may come between fragments
    ws.send_raw(0x00, br#"three "#, true);
    ws.send_raw(0x80, br#"parts"}"#, true);
    let pong = ws.next();
    assert_eq!(
        (pong.opcode, pong.payload.as_slice()),
        (10, &b"between"[..])
    );
    assert_eq!(sse.next_event().data, "in three parts");
}

#[test]
fn a_ping_gets_a_pong_and_a_close_is_echoed() {
    let addr = start();
    let mut ws = Ws::open(addr, "");
    ws.send_raw(0x89, b"are you there", true);
    let pong = ws.next();
    assert_eq!((pong.opcode, pong.text().as_str()), (10, "are you there"));
    let mut close = 4000u16.to_be_bytes().to_vec();
    close.extend_from_slice(b"bye");
    ws.send_raw(0x88, &close, true);
    assert_eq!(ws.next().close_code(), 4000);
    assert!(ws.closed());
    wait_until(Duration::from_secs(3), "the listener to go", || {
        stat(addr, "listeners") == 0
    });
}

#[test]
fn protocol_errors_close_with_their_codes() {
    let addr = start_with(|config| config.max_body = 1000);
    type Send = Box<dyn Fn(&mut Ws)>;
    let cases: [(&str, Send, u16); 6] = [
        (
            "unmasked",
            Box::new(|ws| ws.send_raw(0x81, b"hi", false)),
            1002,
        ),
        (
            "bad UTF-8",
            Box::new(|ws| ws.send_raw(0x81, &[0xC3, 0x28], true)),
            1007,
        ),
        (
            "too big",
            Box::new(|ws| ws.send_raw(0x81, &[b'x'; 1001], true)),
            1009,
        ),
        (
            "too big in fragments",
            Box::new(|ws| {
                ws.send_raw(0x01, &[b'x'; 600], true);
                ws.send_raw(0x80, &[b'x'; 600], true);
            }),
            1009,
        ),
        (
            "continuation first",
            Box::new(|ws| ws.send_raw(0x80, b"x", true)),
            1002,
        ),
        ("binary", Box::new(|ws| ws.send_raw(0x82, b"x", true)), 1003),
    ];
    for (what, send, code) in cases {
        let mut ws = Ws::open(addr, "");
        send(&mut ws);
        assert_eq!(ws.next().close_code(), code, "{what}");
        assert!(ws.closed(), "{what}: the connection is closed");
    }
    assert_eq!(get(addr, "/").status, 200, "the server keeps serving");
}

#[test]
fn a_peer_that_never_answers_pings_is_closed_and_does_not_stall_others() {
    let addr = start_with(|config| config.heartbeat = Duration::from_millis(300));
    let mut silent = Ws::open(addr, "");
    // Half a frame, then nothing: no pong will ever come.
    let _ = silent.stream.write_all(&[0x81, 0x85, 1, 2]);
    let mut sse = Subscriber::all(addr);
    let started = Instant::now();
    publish(addr, "message=others+are+fine");
    assert_eq!(sse.next_event().data, "others are fine");
    assert!(started.elapsed() < Duration::from_millis(500));
    assert!(
        silent.next().text().contains("others are fine"),
        "it got the event"
    );
    assert_eq!(silent.next_any().opcode, 9, "the hub pings every heartbeat");
    let close = silent.next();
    assert_eq!(close.close_code(), 1001);
    assert!(started.elapsed() < Duration::from_secs(4));
}

#[test]
fn bad_handshakes_get_400_or_426() {
    let addr = start();
    let handshake = |version: &str, key: &str, upgrade: &str| {
        raw(
            addr,
            format!(
                "GET /ws HTTP/1.1\r\nHost: t\r\nUpgrade: {upgrade}\r\nConnection: Upgrade\r\n\
                 Sec-WebSocket-Version: {version}\r\nSec-WebSocket-Key: {key}\r\n\r\n"
            )
            .as_bytes(),
        )
    };
    let wrong_version = handshake("8", KEY, "websocket");
    assert_eq!(wrong_version.status, 426);
    assert_eq!(wrong_version.header("Sec-WebSocket-Version"), Some("13"));
    assert_eq!(handshake("13", "short", "websocket").status, 400);
    assert_eq!(handshake("13", KEY, "h2c").status, 400);
    assert_eq!(get(addr, "/ws").status, 400);
    assert_eq!(
        raw(
            addr,
            b"POST /ws HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n"
        )
        .status,
        405
    );
}

/// Mutated frames after a good handshake: the server answers with frames
/// or closes, never panics, and keeps serving everyone else.
#[test]
fn mutated_frames_never_break_the_server() {
    let addr = start_with(|config| {
        config.max_body = 2000;
        config.heartbeat = Duration::from_millis(200);
    });
    let mut sse = Subscriber::all(addr);
    let seeds: [&[u8]; 4] = [
        &[0x81, 0x85, 1, 2, 3, 4, b'i', b'f', b'm', b'm', b'p'],
        &[0x89, 0x80, 9, 9, 9, 9],
        &[
            0x01, 0x82, 0, 0, 0, 0, b'{', b'"', 0x80, 0x81, 0, 0, 0, 0, b'}',
        ],
        &[0x88, 0x82, 0, 0, 0, 0, 0x03, 0xE8],
    ];
    let mut rng = Rng(0x5DEE_CE66_D1CE_4E5B);
    for round in 0..150 {
        let mut bytes = seeds[round % seeds.len()].to_vec();
        for _ in 0..=rng.below(3) {
            let at = rng.below(bytes.len());
            match rng.below(3) {
                0 => bytes[at] ^= 1 << rng.below(8),
                1 => bytes.truncate(at.max(1)),
                _ => bytes.insert(at, (rng.next() & 0xFF) as u8),
            }
        }
        let mut ws = Ws::open(addr, "");
        ws.stream
            .set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        let _ = ws.stream.write_all(&bytes);
        // Read what comes for a moment (an answer, a close), then move on.
        let until = Instant::now() + Duration::from_millis(100);
        let mut chunk = [0u8; 4096];
        while Instant::now() < until && !matches!(ws.stream.read(&mut chunk), Ok(0)) {}
    }
    let id = publish(addr, "message=still+fine");
    assert_eq!(sse.next_event().id(), id);
}
