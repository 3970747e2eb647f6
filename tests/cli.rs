//! The command-line client against a real server: `herald publish` piped
//! into by a script reaches `herald listen`, which survives a dropped
//! connection without missing or repeating an event.

mod support;

use std::io::Write;
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use support::*;

const HERALD: &str = env!("CARGO_BIN_EXE_herald");

fn url(addr: SocketAddr) -> String {
    format!("http://{addr}")
}

/// Starts `herald listen` and hands back its output lines on a channel.
fn listen(addr: SocketAddr, extra: &[&str]) -> (Running, mpsc::Receiver<String>) {
    Running::with_lines(
        Command::new(HERALD)
            .args(["listen", "--url", &url(addr)])
            .args(extra),
    )
}

fn next_line(lines: &mpsc::Receiver<String>) -> String {
    lines
        .recv_timeout(Duration::from_secs(10))
        .expect("herald listen printed nothing in time")
}

#[test]
fn a_script_piping_into_herald_publish_reaches_herald_listen() {
    let addr = start();
    let (_listener, lines) = listen(addr, &[]);
    wait_until(Duration::from_secs(5), "herald listen to connect", || {
        stat(addr, "listeners") == 1
    });
    let script = format!(
        "printf 'line one\\nline two\\n' | {HERALD} publish --url {} --topic ops -",
        url(addr)
    );
    let output = Command::new("sh").arg("-c").arg(&script).output().unwrap();
    assert!(output.status.success());
    let id: u64 = String::from_utf8(output.stdout)
        .unwrap()
        .trim()
        .parse()
        .expect("an id");
    assert!(id > 0);
    assert_eq!(next_line(&lines), "line one\\nline two");
    let output = Command::new(HERALD)
        .args(["publish", "--url", &url(addr), r"back\slash"])
        .output()
        .unwrap();
    assert!(output.status.success());
    assert_eq!(next_line(&lines), r"back\\slash");
}

#[test]
fn json_lines_carry_id_event_topic_time_and_data() {
    let addr = start();
    let (_listener, lines) = listen(addr, &["--json", "--topic", "ops"]);
    wait_until(Duration::from_secs(5), "herald listen to connect", || {
        stat(addr, "listeners") == 1
    });
    publish(addr, "message=skipped&topic=dev");
    let id = publish(addr, "message=say+%22hi%22%0A&event=chat&topic=ops");
    let line = next_line(&lines);
    let (start, rest) = line.split_once(r#","time":""#).expect("a time");
    let (time, end) = rest.split_once('"').unwrap();
    assert_eq!(
        start,
        format!(r#"{{"id":{id},"event":"chat","topic":"ops""#)
    );
    assert_eq!(end, r#","data":"say \"hi\"\n"}"#);
    assert_eq!(time.len(), "2026-12-01T21:35:42.123Z".len(), "{time}");
}

#[test]
fn herald_listen_resumes_after_a_drop_without_missing_or_repeating() {
    let addr = start();
    let proxy = Proxy::start(addr);
    let (_listener, lines) = listen(proxy.addr, &["--json"]);
    wait_until(Duration::from_secs(5), "herald listen to connect", || {
        stat(addr, "listeners") == 1
    });
    publish(addr, "message=one");
    assert!(next_line(&lines).contains("\"one\""));
    proxy.cut();
    wait_until(Duration::from_secs(5), "the cut stream to go", || {
        stat(addr, "listeners") == 0
    });
    publish(addr, "message=two");
    publish(addr, "message=three");
    assert!(
        next_line(&lines).contains("\"two\""),
        "replayed after reconnecting"
    );
    assert!(next_line(&lines).contains("\"three\""));
    publish(addr, "message=four");
    assert!(
        next_line(&lines).contains("\"four\""),
        "and live again, nothing repeated"
    );
}

#[test]
fn refusals_print_the_servers_reason_and_fail() {
    let addr = start_with(|config| config.publish_token = Some("s3cret".into()));
    let output = Command::new(HERALD)
        .args(["publish", "--url", &url(addr), "hello"])
        .env_remove("HERALD_PUBLISH_TOKEN")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("401 publishing needs a token"), "{stderr}");
    let output = Command::new(HERALD)
        .args(["publish", "--url", &url(addr), "hello"])
        .env("HERALD_PUBLISH_TOKEN", "s3cret")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "the token comes from the environment"
    );

    let output = Command::new(HERALD)
        .args(["listen", "--url", &url(addr), "--topic", "a\u{7}b"])
        .output()
        .unwrap();
    assert!(
        !output.status.success(),
        "a bad topic cannot be fixed by retrying"
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("400"));

    let output = Command::new(HERALD)
        .args(["publish", "--url", "https://x", "m"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let output = Command::new(HERALD).args(["--bogus"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2), "a usage error exits with 2");
    let mut child = Command::new(HERALD)
        .args(["publish", "--url", "http://127.0.0.1:9", "-"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"nobody listens")
        .unwrap();
    assert!(
        !child.wait().unwrap().success(),
        "an unreachable server is a failure"
    );
}

/// `herald` without `--quiet` logs one line per request on stderr,
/// `METHOD PATH STATUS BYTESB TIMEms`, within the logger's interval.
#[test]
fn the_access_log_has_a_line_per_request() {
    let herald = HeraldProcess::start_in_shell("exec \"$0\" --addr 127.0.0.1:0");
    let addr = herald.addr;
    let page = get(addr, "/");
    publish(addr, "message=logged");
    assert_eq!(get(addr, "/nowhere").status, 404);

    let logged = || -> Vec<String> {
        let lines = herald.stderr.lock().unwrap();
        lines
            .iter()
            .filter(|l| !l.starts_with("herald"))
            .cloned()
            .collect()
    };
    wait_until(Duration::from_secs(5), "three access-log lines", || {
        logged().len() >= 3
    });
    // Each connection logs after it has answered, so the client may be on
    // to its next request first: the lines come in any order.
    let mut logged = logged();
    logged.sort_by_key(|line| line.split(' ').nth(1).map(str::to_string));
    let expected = [
        ("GET", "/", "200", page.body.len()),
        ("GET", "/nowhere", "404", 1),
        ("POST", "/publish", "200", 1),
    ];
    for (line, (method, path, status, body_bytes)) in logged.iter().zip(expected) {
        let fields: Vec<&str> = line.split(' ').collect();
        assert_eq!(fields.len(), 5, "{line}");
        assert_eq!(
            (fields[0], fields[1], fields[2]),
            (method, path, status),
            "{line}"
        );
        // The bytes sent count the head as well as the body.
        let bytes: usize = fields[3].strip_suffix('B').unwrap().parse().unwrap();
        assert!(bytes > body_bytes, "{line}");
        let time = fields[4].strip_suffix("ms").unwrap();
        let (whole, tenths) = time.split_once('.').unwrap();
        assert!(whole.parse::<u64>().is_ok() && tenths.len() == 1, "{line}");
    }
}

#[test]
fn the_access_log_escapes_what_could_forge_or_hide_a_line() {
    let herald = HeraldProcess::start_in_shell("exec \"$0\" --addr 127.0.0.1:0");
    // U+0085 (a C1 line break), U+009B (a C1 escape), U+202E (right-to-left
    // override) and a backslash, sent raw in the path.
    let path = "/a\u{85}b\u{9b}c\u{202e}d\\e";
    let request = format!("GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    assert_eq!(raw(herald.addr, request.as_bytes()).status, 404);
    wait_until(Duration::from_secs(5), "the access-log line", || {
        herald.lines_with("GET /a") == 1
    });
    let lines = herald.stderr.lock().unwrap();
    let line = lines.iter().find(|l| l.starts_with("GET /a")).unwrap();
    assert!(
        line.starts_with("GET /a\\u{85}b\\u{9b}c\\u{202e}d\\\\e 404 "),
        "{line:?}"
    );
    assert!(
        !line.chars().any(|c| c.is_control() || c == '\u{202e}'),
        "{line:?}"
    );
}

#[test]
fn herald_publish_sets_and_deletes_keys_and_herald_listen_starts_from_them() {
    let addr = start();
    let run = |args: &[&str]| {
        Command::new(HERALD)
            .args(["publish", "--url", &url(addr)])
            .args(args)
            .output()
            .unwrap()
    };
    let set = run(&[
        "--topic", "builds", "--key", "main", "--ttl", "600", "passing",
    ]);
    assert!(set.status.success(), "{set:?}");
    let set_id = String::from_utf8(set.stdout).unwrap().trim().to_string();
    assert!(
        run(&["--topic", "builds", "--key", "dev", "failing"])
            .status
            .success()
    );
    let deleted = run(&["--topic", "builds", "--key", "dev", "--delete"]);
    assert!(
        deleted.status.success(),
        "--delete reads no message: {deleted:?}"
    );
    let refused = run(&["--delete", "x"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--delete and --ttl need --key"));

    let (_listener, lines) = listen(addr, &["--state", "--json", "--topic", "builds"]);
    let value = next_line(&lines);
    assert!(
        value.starts_with(&format!(
            r#"{{"id":{set_id},"event":null,"topic":"builds","key":"main","#
        )),
        "{value}"
    );
    assert!(value.ends_with(r#""data":"passing"}"#), "{value}");
    let marker = next_line(&lines);
    assert!(marker.contains(r#""event":"herald-state""#), "{marker}");
    publish(addr, "topic=builds&key=main&delete=1");
    let delete = next_line(&lines);
    assert!(
        delete.contains(r#""event":"herald-delete","topic":"builds","key":"main""#),
        "{delete}"
    );
}

#[test]
fn herald_listen_presence_prints_who_is_listening() {
    let addr = start_with(|config| config.presence_interval = Duration::from_millis(200));
    let (_listener, lines) = listen(addr, &["--presence", "--topic", "room"]);
    assert_eq!(
        next_line(&lines),
        r#"{"topic":"room","users":[],"more":0,"anonymous":1}"#,
        "its own topic's list first, itself counted"
    );
    let _other = Subscriber::open(addr, "topic=room", "");
    assert_eq!(
        next_line(&lines),
        r#"{"topic":"room","users":[],"more":0,"anonymous":2}"#
    );
    let (_json, json_lines) = listen(addr, &["--presence", "--json", "--topic", "room"]);
    let line = next_line(&json_lines);
    assert!(
        line.starts_with(r#"{"id":null,"event":"herald-presence","topic":"room","#),
        "{line}"
    );
}
