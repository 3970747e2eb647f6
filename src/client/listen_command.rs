//! `herald listen`: print each event as it arrives, for ever.
//!
//! ```text
//! herald listen [--url URL] [--topic NAME]... [--state] [--presence] [--json]
//! ```
//!
//! With `--state` the stream starts from every key's current value, then
//! `herald-state`, then the live events (see `hub/state/`); `--json` shows
//! each event's `key`. With `--presence` it also prints each topic's list
//! of who is listening (a `herald-presence` event, whose data is the
//! list's JSON) first and whenever it changes (see `hub/presence/`).
//!
//! One line per event: the data, with `\` written as `\\` and each line
//! break as `\n`, so a multi-line message stays on one line; or, with
//! `--json`, one JSON object per line with `id`, `event`, `topic`, `time`
//! and `data`. When the stream drops, it waits as long as the server's `retry:`
//! said and reconnects with `Last-Event-ID`, so the server replays what was
//! missed. A refusal that retrying cannot fix (a bad topic, 4xx) ends it
//! with status 1; so does nothing else.

use std::io::{BufRead, Write};
use std::thread;
use std::time::Duration;

use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

use super::stream::{EventReader, ReceivedEvent};
use super::{ClientError, Server, read_text};
use crate::http::client::{self, Chunked};
use crate::limits::{CLIENT_DEFAULT_RETRY, CLIENT_SILENCE_LIMIT};
use crate::wire::json;

/// What to listen to, and how to print it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenArgs {
    /// The server.
    pub url: String,
    /// Where `url` came from, to say when it cannot be reached.
    pub url_from: &'static str,
    /// Only these topics; none for all.
    pub topics: Vec<String>,
    /// One JSON object per line instead of the data alone.
    pub json: bool,
    /// Start from the keyed values (`state=1`).
    pub state: bool,
    /// Print the topics' presence lists too (`presence=1`).
    pub presence: bool,
}

/// Where a stream left off, carried from one connection to the next.
struct Resume {
    last_id: Option<String>,
    retry: Duration,
}

/// Listens until a refusal that retrying cannot fix, or until `out` closes
/// (then it returns `Ok`, as `herald listen | head -1` expects).
pub fn listen(args: &ListenArgs, out: &mut impl Write) -> Result<(), ClientError> {
    let server = Server::at(&args.url, args.url_from)?;
    let mut resume = Resume {
        last_id: None,
        retry: CLIENT_DEFAULT_RETRY,
    };
    loop {
        match follow(&server, args, &mut resume, out) {
            Ok(Followed::OutputClosed) => return Ok(()),
            Ok(Followed::Ended) => eprintln!("herald listen: the stream ended"),
            Err(ClientError::Refused { status, reason }) if is_final(status) => {
                return Err(ClientError::Refused { status, reason });
            }
            Err(error) => eprintln!("herald listen: {error}"),
        }
        eprintln!(
            "herald listen: reconnecting in {:.1} s",
            resume.retry.as_secs_f64()
        );
        thread::sleep(resume.retry);
    }
}

/// 4xx answers other than 408 and 429 will not change by retrying.
fn is_final(status: u16) -> bool {
    (400..500).contains(&status) && status != 408 && status != 429
}

enum Followed {
    Ended,
    OutputClosed,
}

/// One connection: open the stream and print its events until it ends.
fn follow(
    server: &Server,
    args: &ListenArgs,
    resume: &mut Resume,
    out: &mut impl Write,
) -> Result<Followed, ClientError> {
    let mut query: Vec<String> = args
        .topics
        .iter()
        .map(|t| format!("topic={}", utf8_percent_encode(t, NON_ALPHANUMERIC)))
        .collect();
    if args.state {
        query.push("state=1".into());
    }
    if args.presence {
        query.push("presence=1".into());
    }
    let target = match query.is_empty() {
        true => "/events".to_string(),
        false => format!("/events?{}", query.join("&")),
    };
    let mut headers = vec![
        ("Accept", "text/event-stream"),
        ("Cache-Control", "no-cache"),
    ];
    if let Some(last_id) = &resume.last_id {
        headers.push(("Last-Event-ID", last_id));
    }
    let (head, mut reader) =
        server.request(("GET", &target), &headers, b"", CLIENT_SILENCE_LIMIT)?;
    if head.status != 200 {
        let reason = read_text(&mut reader, &head)?;
        return Err(ClientError::Refused {
            status: head.status,
            reason,
        });
    }
    if !head
        .header("content-type")
        .is_some_and(|t| t.starts_with("text/event-stream"))
    {
        return Err(client::ClientError::BadResponse("not an event stream").into());
    }
    let body: Box<dyn BufRead> = match head.is_chunked() {
        true => Box::new(Chunked::new(reader)),
        false => Box::new(reader),
    };
    let mut events = EventReader::new(body, resume.last_id.clone());
    loop {
        let next = events.next_event();
        resume.retry = events.retry.unwrap_or(resume.retry);
        match next? {
            None => return Ok(Followed::Ended),
            Some(event) => {
                resume.last_id.clone_from(&events.last_id);
                let line = match args.json {
                    true => json_line(&event),
                    false => plain_line(&event.data),
                };
                if writeln!(out, "{line}").and_then(|()| out.flush()).is_err() {
                    return Ok(Followed::OutputClosed);
                }
            }
        }
    }
}

/// The data on one line: `\` as `\\`, line breaks as `\n`.
fn plain_line(data: &str) -> String {
    data.replace('\\', "\\\\").replace('\n', "\\n")
}

/// `{"id":…,"event":…,"topic":…,"time":…,"data":…}`, as on `/ws`, with
/// `"key"` after the topic for a keyed event; a numeric id is a number.
fn json_line(event: &ReceivedEvent) -> String {
    let id = match event.id.as_deref() {
        Some(id) if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) => id.to_string(),
        other => json::string_or_null(other),
    };
    let key = event.key.as_deref().map_or(String::new(), |key| {
        format!(",\"key\":{}", json::string_or_null(Some(key)))
    });
    format!(
        "{{\"id\":{id},\"event\":{},\"topic\":{}{key},\"time\":{},\"data\":{}}}",
        json::string_or_null(event.event.as_deref()),
        json::string_or_null(event.topic.as_deref()),
        json::string_or_null(event.time.as_deref()),
        json::string_or_null(Some(&event.data)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines() {
        assert_eq!(plain_line("a\nb\\c"), "a\\nb\\\\c");
        let event = ReceivedEvent {
            id: Some("42".into()),
            event: None,
            topic: Some("ops".into()),
            key: None,
            time: Some("2026-12-01T21:35:42.123Z".into()),
            data: "x\"y".into(),
        };
        assert_eq!(
            json_line(&event),
            r#"{"id":42,"event":null,"topic":"ops","time":"2026-12-01T21:35:42.123Z","data":"x\"y"}"#
        );
        let keyed = ReceivedEvent {
            key: Some("main".into()),
            ..event
        };
        assert!(json_line(&keyed).contains(r#""topic":"ops","key":"main","time""#));
    }
}
