//! HTTP/1.1 as a client sees it: keep-alive, pipelining, split packets,
//! HTTP/1.0, HEAD, and the statuses for unknown paths and wrong methods.

mod support;

use std::io::{BufReader, Write};
use std::thread;
use std::time::Duration;

use support::*;

#[test]
fn a_hundred_requests_on_one_connection() {
    let addr = start();
    let stream = connect(addr);
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    for i in 0..100 {
        if i % 2 == 0 {
            writer
                .write_all(b"GET /stats HTTP/1.1\r\nHost: t\r\n\r\n")
                .unwrap();
        } else {
            let body = format!("message=n{i}");
            write!(
                writer,
                "POST /publish HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
            .unwrap();
        }
        let reply = read_reply(&mut reader, false);
        assert_eq!(reply.status, 200, "request {i}");
        assert_eq!(reply.header("Connection"), Some("keep-alive"));
    }
}

#[test]
fn three_pipelined_requests_in_one_write_get_three_answers_in_order() {
    let addr = start();
    let mut stream = connect(addr);
    stream
        .write_all(
            b"GET /app.css HTTP/1.1\r\nHost: t\r\n\r\n\
              POST /publish HTTP/1.1\r\nHost: t\r\nContent-Length: 9\r\n\r\nmessage=p\
              GET /nope HTTP/1.1\r\nHost: t\r\n\r\n",
        )
        .unwrap();
    let mut reader = BufReader::new(stream);
    let first = read_reply(&mut reader, false);
    assert_eq!(
        (first.status, first.header("Content-Type")),
        (200, Some("text/css; charset=utf-8"))
    );
    let second = read_reply(&mut reader, false);
    assert_eq!(second.status, 200);
    assert!(second.text().trim().parse::<u64>().is_ok());
    assert_eq!(read_reply(&mut reader, false).status, 404);
}

#[test]
fn a_head_split_over_many_packets_is_read_whole() {
    let addr = start();
    let stream = connect(addr);
    let mut writer = stream.try_clone().unwrap();
    for byte in b"GET /stats HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n" {
        writer.write_all(&[*byte]).unwrap();
        thread::sleep(Duration::from_millis(1));
    }
    let reply = read_reply(&mut BufReader::new(stream), false);
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("Connection"), Some("close"));
}

#[test]
fn connection_close_and_http_1_0_end_the_connection() {
    let addr = start();
    for request in [
        &b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"[..],
        b"GET / HTTP/1.0\r\n\r\n",
    ] {
        let mut stream = connect(addr);
        stream.write_all(request).unwrap();
        let mut reader = BufReader::new(stream);
        let reply = read_reply(&mut reader, false);
        assert_eq!(reply.status, 200);
        assert_eq!(reply.header("Connection"), Some("close"));
        let mut rest = Vec::new();
        std::io::Read::read_to_end(&mut reader, &mut rest).expect("the server closes");
        assert!(rest.is_empty());
    }
    let reply = raw(
        addr,
        b"GET /stats HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    );
    assert_eq!(reply.header("Connection"), Some("keep-alive"));
}

#[test]
fn head_works_wherever_get_does() {
    let addr = start();
    for path in ["/", "/app.js", "/stats"] {
        let got = get(addr, path);
        let head = raw(
            addr,
            format!("HEAD {path} HTTP/1.1\r\nHost: t\r\n\r\n").as_bytes(),
        );
        assert_eq!(head.status, 200, "{path}");
        assert_eq!(
            head.header("Content-Type"),
            got.header("Content-Type"),
            "{path}"
        );
        if path != "/stats" {
            assert_eq!(
                head.header("Content-Length"),
                got.header("Content-Length"),
                "{path}"
            );
        }
    }
    let head = raw(addr, b"HEAD /events HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(head.status, 200);
    assert_eq!(head.header("Content-Type"), Some("text/event-stream"));
    assert_eq!(stat(addr, "listeners"), 0, "HEAD does not subscribe");
}

#[test]
fn unknown_paths_are_404_and_wrong_methods_405_with_allow() {
    let addr = start();
    assert_eq!(get(addr, "/nothing-here").status, 404);
    assert_eq!(
        raw(
            addr,
            b"POST /nothing HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n"
        )
        .status,
        404
    );
    for (request, allow) in [
        (
            &b"GET /publish HTTP/1.1\r\nHost: t\r\n\r\n"[..],
            "POST, OPTIONS",
        ),
        (
            b"POST /events HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n",
            "GET, HEAD, OPTIONS",
        ),
        (
            b"DELETE /stats HTTP/1.1\r\nHost: t\r\n\r\n",
            "GET, HEAD, OPTIONS",
        ),
        (
            b"PUT / HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n",
            "GET, HEAD",
        ),
    ] {
        let reply = raw(addr, request);
        assert_eq!(reply.status, 405);
        assert_eq!(reply.header("Allow"), Some(allow));
    }
}

#[test]
fn stats_report_listeners_published_dropped_and_uptime() {
    let addr = start();
    let _subscriber = Subscriber::all(addr);
    publish(addr, "message=one");
    let reply = get(addr, "/stats");
    assert_eq!(reply.header("Content-Type"), Some("application/json"));
    assert_eq!(stat(addr, "listeners"), 1);
    assert_eq!(stat(addr, "published"), 1);
    assert_eq!(stat(addr, "dropped"), 0);
    assert!(stats(addr).iter().any(|(name, _)| name == "uptime_s"));
}

#[test]
fn health_says_ok_while_herald_serves() {
    let addr = start();
    let reply = get(addr, "/health");
    assert_eq!((reply.status, reply.text().as_str()), (200, "ok\n"));
    assert_eq!(reply.header("Cache-Control"), Some("no-store"));
    let head = raw(
        addr,
        b"HEAD /health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(head.status, 200);
    let post = raw(
        addr,
        b"POST /health HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(
        (post.status, post.header("Allow")),
        (405, Some("GET, HEAD"))
    );
}
