//! The SSE clients people use, written by others, against the real binary.
//!
//! Each client runs as a small listener program (`tests/sse_clients/*.py`,
//! `tests/browser/listen-*.mjs`) that prints one JSON line per event. Every
//! client goes through the same story, as a user's program would meet it:
//!
//! 1. Its first stream is refused the way herald refuses without killing a
//!    tab (the app behind `--auth-hook` fails once): `200 text/event-stream`,
//!    a `retry:`, one `herald-unavailable` event, the end. It must come back
//!    and get a stream.
//! 2. Named events, multi-line and Unicode data, and herald's own fields
//!    (`topic:`, `time:`) and heartbeat comments (every 0.5 s) around them:
//!    each event arrives whole, as sent, and the extra fields break nothing.
//! 3. herald restarts (killed, started again on its `--data-dir`): the
//!    client comes back no sooner than `retry:` says (2 s), with its
//!    `Last-Event-ID`, and gets what was published meanwhile, once.
//!
//! Clients that do not reconnect by themselves (httpx-sse, sseclient-py,
//! eventsource-parser) get the loop their documentation leaves to the user,
//! in their script; the README's clients table says which is which.
//! `.ci/run` installs the Python clients in a virtualenv (`target/sse-clients`)
//! and the Node ones with `npm ci --prefix tests/browser`; outside CI a
//! machine without them skips.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use support::hook::{Hook, Reply};
use support::*;

/// A message with all a client's parser must get right: lines, Unicode,
/// a colon, and leading spaces.
const HARD_MESSAGE: &str = "line one: ünïcødé 🎉\n  line two\nline three";

/// The project folder.
fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `program` if it exists; outside CI, None (and the test skips).
fn installed(program: PathBuf, how: &str) -> Option<PathBuf> {
    if program.exists() {
        return Some(program);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{} is missing in CI ({how})",
        program.display()
    );
    eprintln!("skipped: {} is missing ({how})", program.display());
    None
}

fn python_client(script: &str) -> Option<Command> {
    let python = installed(
        root().join("target/sse-clients/bin/python"),
        ".ci/run makes the virtualenv target/sse-clients",
    )?;
    let mut command = Command::new(python);
    command.arg(root().join("tests/sse_clients").join(script));
    Some(command)
}

fn node_client(script: &str) -> Option<Command> {
    installed(
        root().join("tests/browser/node_modules/eventsource"),
        "npm ci --prefix tests/browser",
    )?;
    let mut command = Command::new("node");
    command.arg(root().join("tests/browser").join(script));
    Some(command)
}

/// One event as a client printed it.
#[derive(Debug, PartialEq)]
struct Seen {
    event: String,
    id: String,
    data: String,
}

/// The next event the client prints, within a bound.
fn next_seen(lines: &Receiver<String>, client: &str) -> Seen {
    let line = lines
        .recv_timeout(Duration::from_secs(20))
        .unwrap_or_else(|_| panic!("{client} printed no event in time"));
    let field = |name: &str| {
        let start = format!("\"{name}\": ");
        let compact = format!("\"{name}\":");
        let rest = line
            .split_once(&start)
            .or_else(|| line.split_once(&compact))
            .map(|(_, rest)| rest)
            .unwrap_or_else(|| panic!("{client} printed {line}"));
        json_string(rest)
    };
    Seen {
        event: field("event"),
        id: field("id"),
        data: field("data"),
    }
}

/// The JSON string (or null) at the start of `text`, decoded.
fn json_string(text: &str) -> String {
    let Some(body) = text.strip_prefix('"') else {
        return String::new();
    };
    let mut out = String::new();
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => break,
            '\\' => match chars.next() {
                Some('n') => out.push('\n'),
                Some('u') => {
                    let hex: String = chars.by_ref().take(4).collect();
                    let unit = u32::from_str_radix(&hex, 16).unwrap();
                    // A surrogate pair: the second half follows as \uXXXX.
                    if (0xD800..0xDC00).contains(&unit) {
                        let low: String = chars.by_ref().skip(2).take(4).collect();
                        let low = u32::from_str_radix(&low, 16).unwrap();
                        let joined = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
                        out.extend(char::from_u32(joined));
                    } else {
                        out.extend(char::from_u32(unit));
                    }
                }
                Some(other) => out.push(other),
                None => break,
            },
            c => out.push(c),
        }
    }
    out
}

/// What a client does differently from the WHATWG parsing rules, shown by
/// the test so that a fix in the client shows too.
#[derive(Default)]
struct Quirks {
    /// Removes every leading space of a `data:` line; the spec removes one.
    strips_all_leading_spaces: bool,
}

/// The whole story of the module comment, for one client.
fn the_story(client: &str, command: Option<Command>) {
    the_story_with(client, command, Quirks::default());
}

fn the_story_with(client: &str, command: Option<Command>, quirks: Quirks) {
    let Some(mut command) = command else { return };
    // The app fails its first question, then lets everyone listen and publish.
    let asked = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&asked);
    let hook = Hook::start(move |_| match count.fetch_add(1, Ordering::SeqCst) {
        0 => Reply::Json(500, String::new()),
        _ => Reply::Json(200, r#"{"listen":["*"],"publish":["*"],"ttl":60}"#.into()),
    });
    let data =
        std::env::temp_dir().join(format!("herald-sse-client-{client}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    let data_dir = data.to_string_lossy().into_owned();
    let hook_url = hook.url();
    let args = [
        "--data-dir",
        &data_dir,
        "--auth-hook",
        &hook_url,
        "--heartbeat",
        "0.5",
    ];
    let herald = HeraldProcess::start(&args);
    let addr = herald.addr;
    let (_client, lines) = Running::with_lines(command.arg(format!("http://{addr}/events")));

    // 1. Refused once, then back by itself.
    let refusal = next_seen(&lines, client);
    assert_eq!(refusal.event, "herald-unavailable", "{client}: {refusal:?}");
    assert_eq!(refusal.data, r#"{"reason":"auth"}"#);
    wait_until(
        Duration::from_secs(20),
        "the client's second stream",
        || stat(addr, "listeners") == 1,
    );

    // 2. Events as sent, whatever herald adds around them.
    let form = |message: &str| {
        percent_encoding::utf8_percent_encode(message, percent_encoding::NON_ALPHANUMERIC)
            .to_string()
    };
    let alert = publish(
        addr,
        &format!("message={}&event=alert&topic=ops", form(HARD_MESSAGE)),
    );
    let plain = publish(addr, "message=plain");
    let seen = [next_seen(&lines, client), next_seen(&lines, client)];
    let hard = match quirks.strips_all_leading_spaces {
        true => HARD_MESSAGE.replace("\n  ", "\n"),
        false => HARD_MESSAGE.to_string(),
    };
    assert_eq!(
        seen,
        [
            Seen {
                event: "alert".into(),
                id: alert.to_string(),
                data: hard
            },
            Seen {
                event: "message".into(),
                id: plain.to_string(),
                data: "plain".into()
            },
        ],
        "{client}"
    );

    // 3. A restart: back no sooner than retry:, resumed from its last id.
    let addr_text = addr.to_string();
    herald.crash();
    let dropped_at = Instant::now();
    let mut restarted_args = vec!["--addr", addr_text.as_str()];
    restarted_args.extend(args);
    let herald = HeraldProcess::start(&restarted_args);
    let meanwhile = publish(addr, "message=while+you+were+away");
    wait_until(Duration::from_secs(20), "the client's reconnect", || {
        stat(addr, "listeners") == 1
    });
    let back_after = dropped_at.elapsed();
    let last = publish(addr, "message=last");
    let seen = [next_seen(&lines, client), next_seen(&lines, client)];
    assert_eq!(
        seen.map(|s| (s.id, s.data)),
        [
            (meanwhile.to_string(), "while you were away".to_string()),
            (last.to_string(), "last".to_string()),
        ],
        "{client}: nothing missed or doubled across the restart"
    );
    assert!(
        back_after >= Duration::from_millis(1500),
        "{client} came back after {back_after:?}, before retry: 2000"
    );
    drop(herald);
    let _ = std::fs::remove_dir_all(&data);
}

#[test]
fn httpx_sse() {
    the_story("httpx-sse", python_client("listen_httpx_sse.py"));
}

#[test]
fn requests_sse() {
    let quirks = Quirks {
        strips_all_leading_spaces: true,
    };
    the_story_with(
        "requests-sse",
        python_client("listen_requests_sse.py"),
        quirks,
    );
}

#[test]
fn sseclient_py() {
    the_story("sseclient-py", python_client("listen_sseclient.py"));
}

#[test]
fn npm_eventsource() {
    the_story("eventsource", node_client("listen-eventsource.mjs"));
}

#[test]
fn npm_eventsource_parser() {
    the_story(
        "eventsource-parser",
        node_client("listen-eventsource-parser.mjs"),
    );
}

/// requests-sse reads the stream with `iter_lines()`, which waits for 512
/// bytes before it hands anything over: a small event waits until more
/// comes (a heartbeat, every `--heartbeat`, adds 13 bytes). What the
/// README's clients table warns of, shown.
#[test]
fn requests_sse_holds_a_small_event_until_more_bytes_come() {
    let Some(mut command) = python_client("listen_requests_sse.py") else {
        return;
    };
    let herald = HeraldProcess::start(&[]);
    let addr = herald.addr;
    let (_client, lines) = Running::with_lines(command.arg(format!("http://{addr}/events")));
    wait_until(Duration::from_secs(20), "the client's stream", || {
        stat(addr, "listeners") == 1
    });
    publish(addr, "message=small");
    // A bounded wait for something that must not happen yet.
    assert!(
        lines.recv_timeout(Duration::from_secs(1)).is_err(),
        "requests-sse handed a small event over at once: the README's table is out of date"
    );
    publish(addr, &format!("message={}", "x".repeat(600)));
    assert_eq!(next_seen(&lines, "requests-sse").data, "small");
}
