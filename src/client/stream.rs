//! Reading an event stream, as a browser's `EventSource` does.
//!
//! WHATWG HTML §9.2.6, "Interpreting an event stream": lines end with CRLF,
//! LF or CR; a line starting with `:` is a comment; `field: value` sets a
//! field (one space after the colon is dropped); an empty line dispatches
//! the event if it has data. `id` persists from one event to the next, and
//! `retry` sets the reconnection delay. herald adds a `topic` field, which
//! browsers ignore and this client reports.
//!
//! A proxy may re-send the stream with chunked transfer coding, so
//! [`Chunked`](crate::http::client::Chunked) undoes that first when the
//! response says so.

use std::io::{self, BufRead};
use std::time::Duration;

use crate::limits::CLIENT_MAX_LINE_BYTES;

/// One event as dispatched.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReceivedEvent {
    /// The last event id at dispatch (it carries over between events).
    pub id: Option<String>,
    /// The event type, if one was given.
    pub event: Option<String>,
    /// herald's topic field, if present.
    pub topic: Option<String>,
    /// herald's key field (the state key whose value it is), if present.
    pub key: Option<String>,
    /// herald's time field (when it accepted the event), if present.
    pub time: Option<String>,
    /// The data lines, joined with `\n`.
    pub data: String,
}

/// Parses events from a byte stream.
pub struct EventReader<R> {
    input: R,
    /// The last event id seen, kept across events (and reconnections).
    pub last_id: Option<String>,
    /// The reconnection delay the server asked for, if it did.
    pub retry: Option<Duration>,
}

impl<R: BufRead> EventReader<R> {
    /// Reads events from `input`, starting with `last_id` as the last id.
    pub fn new(input: R, last_id: Option<String>) -> EventReader<R> {
        EventReader {
            input,
            last_id,
            retry: None,
        }
    }

    /// The next event, or `None` when the stream ends.
    pub fn next_event(&mut self) -> io::Result<Option<ReceivedEvent>> {
        let mut event = ReceivedEvent::default();
        let mut data: Option<String> = None;
        let mut line = Vec::new();
        loop {
            if !read_line(&mut self.input, &mut line)? {
                return Ok(None);
            }
            if line.is_empty() {
                if let Some(data) = data.take() {
                    event.data = data;
                    event.id.clone_from(&self.last_id);
                    return Ok(Some(event));
                }
                event = ReceivedEvent::default();
                continue;
            }
            if line[0] == b':' {
                continue;
            }
            let text = String::from_utf8_lossy(&line);
            let (field, value) = text.split_once(':').unwrap_or((&text, ""));
            let value = value.strip_prefix(' ').unwrap_or(value);
            match field {
                "data" => match &mut data {
                    Some(data) => {
                        data.push('\n');
                        data.push_str(value);
                    }
                    None => data = Some(value.to_string()),
                },
                "event" => event.event = Some(value.to_string()),
                "topic" => event.topic = Some(value.to_string()),
                "key" => event.key = Some(value.to_string()),
                "time" => event.time = Some(value.to_string()),
                "id" if !value.contains('\0') => self.last_id = Some(value.to_string()),
                "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                    self.retry = value.parse().ok().map(Duration::from_millis);
                }
                _ => {}
            }
        }
    }
}

/// Reads one line ending in CRLF, LF or CR into `line` (without its end).
/// Returns false at the end of the stream.
fn read_line(input: &mut impl BufRead, line: &mut Vec<u8>) -> io::Result<bool> {
    line.clear();
    loop {
        let buf = input.fill_buf()?;
        if buf.is_empty() {
            return Ok(false);
        }
        match buf.iter().position(|&b| b == b'\n' || b == b'\r') {
            Some(at) => {
                let ended_by_cr = buf[at] == b'\r';
                line.extend_from_slice(&buf[..at]);
                input.consume(at + 1);
                if ended_by_cr && input.fill_buf()?.first() == Some(&b'\n') {
                    input.consume(1);
                }
                return Ok(true);
            }
            None => {
                let n = buf.len();
                line.extend_from_slice(buf);
                input.consume(n);
            }
        }
        if line.len() > CLIENT_MAX_LINE_BYTES {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "line too long"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::client::Chunked;

    fn events(input: &str) -> (Vec<ReceivedEvent>, Option<Duration>) {
        let mut reader = EventReader::new(input.as_bytes(), None);
        let mut all = Vec::new();
        while let Some(event) = reader.next_event().unwrap() {
            all.push(event);
        }
        (all, reader.retry)
    }

    #[test]
    fn every_line_ending_and_field() {
        let (all, retry) = events(
            "retry: 1500\r\n: hi\rid: 7\nevent: chat\ntopic: ops\ndata: a\r\ndata:b\n\n\
             data: c\n\nid\ndata: d\n\n",
        );
        assert_eq!(retry, Some(Duration::from_millis(1500)));
        assert_eq!(all[0].id.as_deref(), Some("7"));
        assert_eq!(all[0].event.as_deref(), Some("chat"));
        assert_eq!(all[0].topic.as_deref(), Some("ops"));
        assert_eq!(all[0].data, "a\nb");
        assert_eq!(
            (all[1].id.as_deref(), all[1].data.as_str()),
            (Some("7"), "c")
        );
        assert_eq!(
            (all[2].id.as_deref(), all[2].data.as_str()),
            (Some(""), "d")
        );
    }

    #[test]
    fn an_event_without_data_is_not_dispatched() {
        let (all, _) = events("event: x\n\ndata: y\n\n");
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].event, None);
    }

    #[test]
    fn chunked_bodies_are_joined() {
        let body = "5\r\ndata:\r\n7;x=1\r\n hi\n\nda\r\n6\r\nta: b\n\r\n1\r\n\n\r\n0\r\n\r\n";
        let mut reader = EventReader::new(Chunked::new(body.as_bytes()), None);
        assert_eq!(reader.next_event().unwrap().unwrap().data, "hi");
        assert_eq!(reader.next_event().unwrap().unwrap().data, "b");
        assert_eq!(reader.next_event().unwrap(), None);
    }
}
