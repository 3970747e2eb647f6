//! The first ten minutes: each mistake a newcomer makes gets an answer that
//! names the fix, from the real binary.

mod support;

use std::process::Command;

use support::*;

/// `herald ARGS`: its exit code and what it said on stderr.
fn run(args: &[&str]) -> (Option<i32>, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_herald"))
        .args(args)
        .output()
        .expect("run herald");
    let said = String::from_utf8_lossy(&output.stderr).into_owned();
    (output.status.code(), said)
}

#[test]
fn a_publish_that_goes_wrong_says_what_to_send() {
    let addr = start();
    let said = |body: &str| {
        let reply = post_form(addr, body);
        (reply.status, reply.text())
    };
    // `curl -d hello`, the habit of other servers.
    let (status, text) = said("hello");
    assert_eq!(status, 400);
    assert!(
        text.contains("message=TEXT") && text.contains("text/plain"),
        "{text}"
    );
    // `curl -d message='disk 91% full'`: a bare % is no escape.
    let (status, text) = said("message=disk 91% full");
    assert_eq!(status, 400);
    assert!(
        text.contains("%25") && text.contains("--data-urlencode"),
        "{text}"
    );
    // `-d data=…`, another server's field name.
    let (status, text) = said("data=hello");
    assert_eq!(status, 400);
    assert!(text.contains("the field is message, not data"), "{text}");
    // An empty topic names no topic: the same 400 as on /events.
    let (status, text) = said("message=hi&topic=");
    assert_eq!(status, 400);
    assert!(text.contains("topic must be 1 to 128 bytes"), "{text}");
    let events = get(addr, "/events?topic=");
    assert_eq!(events.status, 400);
    // A body over --max-body says the limit and the flag.
    let big = format!("message={}", "x".repeat(70 * 1024));
    let (status, text) = said(&big);
    assert_eq!(status, 413);
    assert!(
        text.contains("--max-body") && text.contains("65536 bytes"),
        "{text}"
    );
}

#[test]
fn an_address_without_a_host_says_how_to_write_one() {
    for wrong in [
        &["--addr", "8000"][..],
        &["--addr", ":8000"],
        &["--port", "8000"],
    ] {
        let (code, said) = run(wrong);
        assert_eq!(code, Some(2), "{wrong:?}: {said}");
        assert!(said.contains("--addr 127.0.0.1:8000"), "{wrong:?}: {said}");
    }
}

#[test]
fn a_server_that_cannot_be_reached_is_named_with_where_its_url_came_from() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let (code, said) = run(&["publish", "--url", &url, "hello"]);
    assert_ne!(code, Some(0));
    assert!(
        said.contains(&format!("cannot reach {url} (from --url)")),
        "{said}"
    );
}

#[test]
fn listening_beyond_loopback_with_no_token_says_anyone_can_publish() {
    let open = HeraldProcess::start(&["--addr", "0.0.0.0:0"]);
    wait_until(std::time::Duration::from_secs(5), "the warning", || {
        open.said("anyone who can reach")
    });
    assert!(open.said("HERALD_PUBLISH_TOKEN"));
    let guarded = HeraldProcess::start(&["--addr", "0.0.0.0:0", "--publish-token", "t"]);
    let local = HeraldProcess::start(&[]);
    // The connection limit is said after the warning would be.
    for quiet in [&guarded, &local] {
        wait_until(std::time::Duration::from_secs(5), "the limit line", || {
            quiet.said("open connections")
        });
        assert!(!quiet.said("anyone who can reach"));
    }
}

/// A page on another origin that `--cors-origin` does not name stays at
/// "reconnecting" with the reason only in its browser's console; herald's
/// log says it once a minute, and never for herald's own page.
#[test]
fn a_refused_origin_is_logged_once_with_the_flag_that_lets_it_in() {
    let herald = HeraldProcess::start(&["--cors-origin", "http://allowed.example"]);
    let from = |origin: &str, request_line: &str, body: &str| {
        let head = format!(
            "{request_line}\r\nHost: {}\r\nOrigin: {origin}\r\n",
            herald.addr
        );
        let form = "Content-Type: application/x-www-form-urlencoded";
        let framing = format!(
            "{form}\r\nContent-Length: {}\r\nConnection: close",
            body.len()
        );
        raw(
            herald.addr,
            format!("{head}{framing}\r\n\r\n{body}").as_bytes(),
        )
    };
    let own = format!("http://{}", herald.addr);
    let page = "http://127.0.0.1:8001";
    // herald's own page posts its form with its own Origin: no CORS there.
    let reply = from(&own, "POST /publish HTTP/1.1", "message=a");
    assert_eq!(reply.status, 200, "{}", reply.text());
    for _ in 0..3 {
        let reply = from(page, "HEAD /events HTTP/1.1", "");
        assert_eq!(reply.header("access-control-allow-origin"), None);
    }
    from("http://other.example", "GET /stats HTTP/1.1", "");
    // stderr is one pipe, in order: once the last origin's line is read,
    // any line the earlier requests wrote has been too.
    wait_until(std::time::Duration::from_secs(5), "the log line", || {
        herald.said("refused origin http://other.example")
    });
    let line = format!("refused origin {page}: not in --cors-origin (add --cors-origin {page}");
    assert_eq!(herald.lines_with(&line), 1, "{:?}", herald.stderr);
    assert_eq!(herald.lines_with("refused origin"), 2, "not its own page");
    assert_eq!(herald.lines_with("allowed.example"), 0);
}

#[test]
fn a_cors_origin_that_is_not_an_origin_is_refused_at_start() {
    for wrong in ["127.0.0.1:8001", "http://intranet/", "intranet", "ftp://x"] {
        let (code, said) = run(&["--cors-origin", wrong]);
        assert_eq!(code, Some(2), "{wrong}: {said}");
        assert!(
            said.contains("SCHEME://HOST[:PORT]") && said.contains(wrong),
            "{wrong}: {said}"
        );
    }
}
