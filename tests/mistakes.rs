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
