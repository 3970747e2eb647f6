//! Random and mutated requests: valid requests with bytes flipped, cut,
//! repeated and spliced, thrown at the parser in process and at the server
//! over TCP. The parser never panics; the server always answers with a
//! well-formed response or closes cleanly, and keeps serving.
//!
//! The mutations come from a small seeded generator, so a failure can be
//! replayed: the seed is in the assertion message.

mod support;

use std::io::{Read, Write};
use std::net::Shutdown;
use std::time::Duration;

use support::*;

const SEEDS: &[&[u8]] = &[
    b"GET / HTTP/1.1\r\nHost: t\r\n\r\n",
    b"GET /events?topic=a&lastEventId=5 HTTP/1.1\r\nHost: t\r\nLast-Event-ID: 3\r\n\r\n",
    b"POST /publish HTTP/1.1\r\nHost: t\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 19\r\n\r\nmessage=hi&topic=a",
    b"POST /publish HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n9\r\nmessage=x\r\n0\r\n\r\n",
    b"POST /publish HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello",
    b"HEAD /stats HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    b"OPTIONS /publish HTTP/1.1\r\nHost: t\r\nOrigin: http://o\r\n\r\n",
    b"\x81\x85\x01\x02\x03\x04ifmmp",
    b"{\"publish\": \"a\\u00e9\\ud83c\\udf89\", \"topic\": \"t\"}",
];

const INTERESTING: &[&[u8]] = &[
    b"\r\n",
    b"\n",
    b"\r",
    b"\0",
    b"%",
    b"%zz",
    b"%00",
    b"\xff",
    b" ",
    b":",
    b"\t",
    b"Content-Length: 5\r\n",
    b"Transfer-Encoding: chunked\r\n",
    b"99999999999999999999",
    b"/../",
    b"HTTP/9.9",
    b"\r\n\r\n",
    b";",
    b"=",
    b"&",
];

fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut bytes = input.to_vec();
    for _ in 0..=rng.below(4) {
        let at = rng.below(bytes.len() + 1);
        match rng.below(6) {
            0 if !bytes.is_empty() => {
                let i = at.min(bytes.len() - 1);
                bytes[i] ^= 1 << rng.below(8);
            }
            1 => bytes.truncate(at),
            2 => {
                let end = (at + rng.below(16)).min(bytes.len());
                let piece = bytes[at..end].to_vec();
                for _ in 0..rng.below(4) {
                    bytes.splice(at..at, piece.iter().copied());
                }
            }
            3 => {
                let piece = INTERESTING[rng.below(INTERESTING.len())];
                bytes.splice(at..at, piece.iter().copied());
            }
            4 if at < bytes.len() => {
                let end = (at + rng.below(8)).min(bytes.len());
                bytes.drain(at..end);
            }
            _ => {
                let random = (rng.next() & 0xff) as u8;
                bytes.insert(at, random);
            }
        }
    }
    bytes
}

#[test]
fn the_parsers_never_panic_on_mutated_input() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for round in 0..50_000 {
        let seed = SEEDS[round % SEEDS.len()];
        let bytes = mutate(&mut rng, seed);
        let _ = herald::http::request_head::parse_head(&bytes);
        let _ = herald::http::form::parse_form(&bytes);
        let _ = herald::http::body::parse_chunk_size(&bytes);
        let _ = herald::wire::websocket::frame::parse(&bytes, 1000);
        let _ = herald::store::record::decode(&bytes, 0);
        if let Ok(text) = std::str::from_utf8(&bytes) {
            let _ = herald::Event::new(text).and_then(|e| e.event(text));
            let _ = herald::wire::json_reader::read_flat_object(text);
        }
    }
}

/// The statuses herald sends, to check that every answer is one of them.
const STATUSES: &[&str] = &[
    "200", "204", "303", "400", "401", "403", "404", "405", "408", "413", "414", "415", "431",
    "501", "503", "505",
];

#[test]
fn the_server_answers_mutated_requests_well_or_closes() {
    let addr = start_with(|config| config.header_timeout = Duration::from_millis(300));
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    for round in 0..400 {
        let seed = SEEDS[round % SEEDS.len()];
        let bytes = mutate(&mut rng, seed);
        let mut stream = connect(addr);
        let _ = stream.write_all(&bytes);
        let _ = stream.shutdown(Shutdown::Write);
        let mut answer = Vec::new();
        // An event stream stays open: read what comes within the timeout.
        stream
            .set_read_timeout(Some(Duration::from_millis(500)))
            .unwrap();
        let _ = stream.read_to_end(&mut answer);
        check_answer(&answer, &bytes, round);
    }
    assert_eq!(get(addr, "/").status, 200, "still serving");
}

/// Every response in `answer` starts with a known status line and has a
/// head that ends, and its body is as long as it says; nothing else is
/// sent (an event stream's body aside).
fn check_answer(answer: &[u8], request: &[u8], round: usize) {
    let shown = || {
        format!(
            "round {round}, request {:?}",
            String::from_utf8_lossy(request)
        )
    };
    let mut rest = answer;
    while !rest.is_empty() {
        let text = String::from_utf8_lossy(rest);
        let status = text.get(9..12).unwrap_or("");
        assert!(
            text.starts_with("HTTP/1.1 "),
            "not a status line: {}",
            shown()
        );
        assert!(STATUSES.contains(&status), "status {status:?}: {}", shown());
        let head_end = text
            .find("\r\n\r\n")
            .unwrap_or_else(|| panic!("unended head: {}", shown()));
        let head = &text[..head_end];
        if head.contains("text/event-stream") {
            return;
        }
        let length = head
            .lines()
            .find_map(|l| l.strip_prefix("Content-Length: "))
            .map_or(0, |n| n.parse::<usize>().unwrap());
        // A response to HEAD has a length but no body; a pipelined request
        // may have been a HEAD, so either place may start the next answer.
        let with_body = head_end + 4 + length;
        let without_body = head_end + 4;
        let fits =
            |at: usize| at == rest.len() || rest[at.min(rest.len())..].starts_with(b"HTTP/1.1 ");
        let next = if with_body <= rest.len() && fits(with_body) {
            with_body
        } else {
            assert!(
                fits(without_body),
                "body shorter than its length: {}",
                shown()
            );
            without_body
        };
        rest = &rest[next..];
    }
}
