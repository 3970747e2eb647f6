//! Bad input gets a clear status and a short plain-text reason, and the
//! server keeps serving: one test per row of the table in the README's
//! "Limits and security" section.

mod support;

use std::io::{BufReader, Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use support::*;

fn server() -> SocketAddr {
    start_with(|config| config.header_timeout = Duration::from_secs(1))
}

/// Sends `request` on a new connection; checks the status, that the reason
/// is plain text, whether the connection is then closed, and that the
/// server still serves a normal request.
fn expect(addr: SocketAddr, request: &[u8], status: u16, closes: bool) -> Reply {
    let mut stream = connect(addr);
    stream.write_all(request).unwrap();
    let mut reader = BufReader::new(stream);
    let reply = read_reply(&mut reader, false);
    let shown = String::from_utf8_lossy(&request[..request.len().min(80)]).into_owned();
    assert_eq!(reply.status, status, "for {shown:?}: {}", reply.text());
    assert!(
        reply
            .header("Content-Type")
            .unwrap_or("")
            .starts_with("text/plain"),
        "{shown:?}"
    );
    assert!(!reply.body.is_empty(), "a reason is given for {shown:?}");
    if closes {
        assert_eq!(reply.header("Connection"), Some("close"), "{shown:?}");
        let mut rest = Vec::new();
        let closed = reader.read_to_end(&mut rest);
        assert!(
            closed.is_ok() && rest.is_empty(),
            "{shown:?}: the server closes"
        );
    }
    assert_eq!(get(addr, "/").status, 200, "still serving after {shown:?}");
    reply
}

fn form_post(body: &[u8]) -> Vec<u8> {
    let mut request = format!(
        "POST /publish HTTP/1.1\r\nHost: t\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(body);
    request
}

#[test]
fn malformed_requests_are_400() {
    let addr = server();
    expect(addr, b"GARBAGE\r\n\r\n", 400, true);
    expect(
        addr,
        b"GET / HTTP/1.1\r\nHost: t\r\nBad Header\r\n\r\n",
        400,
        true,
    );
    expect(
        addr,
        b"GET / HTTP/1.1\r\nHost: t\r\nX: a\r\n folded\r\n\r\n",
        400,
        true,
    );
    expect(addr, b"GET /\x01 HTTP/1.1\r\nHost: t\r\n\r\n", 400, true);
    expect(addr, &form_post(b"message=%zz"), 400, false);
    expect(addr, &form_post(b"topic=no-message"), 400, false);
    expect(addr, &form_post(b"message=%C3%28"), 400, false);
    let not_utf8 = b"POST /publish HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\n\xff\xfe";
    expect(addr, not_utf8, 400, false);
}

#[test]
fn ambiguous_framing_is_400_and_closes() {
    let addr = server();
    for request in [
        &b"POST /publish HTTP/1.1\r\nHost: t\r\nContent-Length: 9\r\nTransfer-Encoding: chunked\r\n\r\nmessage=x"[..],
        b"POST /publish HTTP/1.1\r\nHost: t\r\nContent-Length: 9\r\nContent-Length: 10\r\n\r\nmessage=x",
        b"POST /publish HTTP/1.1\r\nHost: t\r\nContent-Length: nine\r\n\r\nmessage=x",
        b"POST /publish HTTP/1.1\r\nHost: t\r\nContent-Length: +9\r\n\r\nmessage=x",
    ] {
        expect(addr, request, 400, true);
    }
}

#[test]
fn unknown_paths_and_wrong_methods() {
    let addr = server();
    expect(
        addr,
        b"GET /missing HTTP/1.1\r\nHost: t\r\n\r\n",
        404,
        false,
    );
    let reply = expect(
        addr,
        b"GET /publish HTTP/1.1\r\nHost: t\r\n\r\n",
        405,
        false,
    );
    assert_eq!(reply.header("Allow"), Some("POST, OPTIONS"));
}

#[test]
fn a_head_that_does_not_finish_in_time_is_408() {
    let addr = server();
    let started = Instant::now();
    expect(addr, b"GET / HTTP/1.1\r\nHost: t\r\n", 408, true);
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(3),
        "{took:?}"
    );
}

#[test]
fn a_body_that_stalls_is_408() {
    let addr = server();
    expect(
        addr,
        b"POST /publish HTTP/1.1\r\nHost: t\r\nContent-Length: 20\r\n\r\nmessage=",
        408,
        true,
    );
    expect(
        addr,
        b"POST /publish HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nmes",
        408,
        true,
    );
}

#[test]
fn a_body_over_the_limit_is_413_before_it_is_read() {
    let addr = start_with(|config| config.max_body = 1000);
    // Only the head is sent: the answer must not wait for the body.
    expect(
        addr,
        b"POST /publish HTTP/1.1\r\nHost: t\r\nContent-Length: 1001\r\n\r\n",
        413,
        true,
    );
    expect(
        addr,
        b"POST /publish HTTP/1.1\r\nHost: t\r\nContent-Length: 99999999999999999999\r\n\r\n",
        400,
        true,
    );
    let mut chunked =
        b"POST /publish HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    chunked.extend_from_slice(format!("3e8\r\nmessage={}\r\n", "x".repeat(992)).as_bytes());
    chunked.extend_from_slice(b"1\r\n");
    expect(addr, &chunked, 413, true);
    // At the limit is fine.
    let at_limit = format!("message={}", "x".repeat(992));
    expect(addr, &form_post(at_limit.as_bytes()), 200, false);
}

#[test]
fn a_request_target_over_8_kib_is_414() {
    let addr = server();
    let request = format!("GET /{} HTTP/1.1\r\nHost: t\r\n\r\n", "a".repeat(8 * 1024));
    expect(addr, request.as_bytes(), 414, true);
}

#[test]
fn a_header_section_over_16_kib_or_too_many_headers_is_431() {
    let addr = server();
    let big = format!(
        "GET / HTTP/1.1\r\nHost: t\r\nX-Big: {}\r\n\r\n",
        "a".repeat(16 * 1024)
    );
    expect(addr, big.as_bytes(), 431, true);
    let many = format!(
        "GET / HTTP/1.1\r\nHost: t\r\n{}\r\n",
        "X-A: b\r\n".repeat(100)
    );
    expect(addr, many.as_bytes(), 431, true);
}

#[test]
fn a_transfer_coding_other_than_chunked_is_501() {
    let addr = server();
    expect(
        addr,
        b"POST /publish HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\n",
        501,
        true,
    );
    expect(
        addr,
        b"POST /publish HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
        501,
        true,
    );
}

#[test]
fn an_http_version_other_than_1_0_or_1_1_is_505() {
    let addr = server();
    expect(addr, b"GET / HTTP/2.0\r\nHost: t\r\n\r\n", 505, true);
    expect(addr, b"GET / HTTP/1.2\r\nHost: t\r\n\r\n", 505, true);
}

#[test]
fn a_malformed_request_line_is_400_even_if_it_ends_in_a_version() {
    // 505 is for a well-formed request line naming another version (RFC 9110
    // §15.6.6); a line that is not method, target and version is a 400.
    let addr = server();
    for request in [
        &b"G E T / HTTP/1.1\r\nHost: t\r\n\r\n"[..],
        b"GET  / HTTP/1.1\r\nHost: t\r\n\r\n",
        b"GET / x HTTP/2.0\r\nHost: t\r\n\r\n",
        b"GET / HTTP/x\r\nHost: t\r\n\r\n",
    ] {
        expect(addr, request, 400, true);
    }
}

#[test]
fn chunked_bodies_are_decoded_and_trailers_ignored() {
    let addr = server();
    let mut subscriber = Subscriber::all(addr);
    let reply = raw(
        addr,
        b"POST /publish HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\
          Content-Type: application/x-www-form-urlencoded\r\n\r\n\
          8;ext=1\r\nmessage=\r\n5\r\nchunk\r\n6\r\ned+bod\r\n1\r\ny\r\n0\r\nX-Trailer: yes\r\n\r\n",
    );
    assert_eq!(reply.status, 200);
    assert_eq!(subscriber.next_event().data, "chunked body");
}

#[test]
fn idle_keep_alive_connections_are_closed_quietly() {
    let addr = start_with(|config| config.keepalive_timeout = Duration::from_millis(500));
    let mut stream = connect(addr);
    stream
        .write_all(b"GET /stats HTTP/1.1\r\nHost: t\r\n\r\n")
        .unwrap();
    let mut reader = BufReader::new(stream);
    assert_eq!(read_reply(&mut reader, false).status, 200);
    let started = Instant::now();
    let mut rest = Vec::new();
    reader
        .read_to_end(&mut rest)
        .expect("closed, not timed out");
    assert!(rest.is_empty(), "closed quietly, without a 408");
    assert!(started.elapsed() < Duration::from_secs(2));
}
