//! A WebSocket's reader: the thread that reads what the client sends.
//!
//! After the handshake the hub writes the socket (events, pings); this
//! thread reads it, on a second handle to the same socket, and sends every
//! answer through the hub as a [`Command::Frame`], so the hub stays the only
//! writer and an answer never cuts into an event.
//!
//! What it does with each frame, as [`MessageReader`] reads them (RFC 6455
//! §5.5, §6.2, §7; the rules live there, shared with the Autobahn echo server):
//! - ping: answer with a pong carrying the same payload;
//! - text: a whole message (fragments joined, at most `--max-body` bytes,
//!   UTF-8 checked) of the form `{"publish": "…", "event": "…", "topic":
//!   "…", "token": "…"}` is published like `POST /publish`, and answered with
//!   `{"ack": ID}` or `{"error": "reason"}`;
//! - close: answer with a close carrying the same code, then close;
//! - binary: close with 1003, since a publish is text.
//!
//! Any breach of the protocol is answered with the close code it earns, and
//! the connection is closed. So is a flood of control frames (1008), since
//! every ping makes the hub write a pong.
//!
//! The session also ends when the hub drops the listener (a reader too slow
//! for `--max-backlog`, or the server stopping): the hub shuts the socket
//! down, the next read here sees the end, and the thread and its socket go. The hub pings every `--heartbeat`; a client
//! that sends nothing (not even the pong) for two heartbeats has gone away.
//!
//! The two handles share one open socket, and so its non-blocking mode,
//! which the hub needs. std has no way to wait for a socket to become
//! readable, so this reader polls: when nothing has come it sleeps, first
//! [`WEBSOCKET_POLL_MIN`], then twice as long each time up to [`WEBSOCKET_POLL_MAX`], and back to
//! the shortest as soon as something arrives. A busy socket is read within
//! milliseconds; an idle WebSocket costs a thread and a few wake-ups a
//! second, and the first message after a quiet spell waits up to
//! [`WEBSOCKET_POLL_MAX`]. `/events` costs neither.

use std::io;
use std::net::Shutdown;
use std::thread;
use std::time::Instant;

use crate::access::credentials::Credentials;
use crate::counters::TurnedAway;
use crate::event::EventId;
use crate::http::form;
use crate::hub::Command;
use crate::ingest::submission::Submission;
use crate::limits::{
    LINGER, LINGER_BYTES, READ_CHUNK_BYTES, WEBSOCKET_POLL_MAX, WEBSOCKET_POLL_MIN,
    WEBSOCKET_SILENCE_GRACE, WEBSOCKET_SILENT_HEARTBEATS,
};
use crate::routes::context::Context;
use crate::shared_socket::SharedSocket;
use crate::socket_io::read_some;
use crate::wire::json;
use crate::wire::json_reader::read_flat_object;
use crate::wire::websocket::frame::{self, Frame, close_code};
use crate::wire::websocket::messages::{End, MessageReader, Received};

/// Reads frames until the session ends, then has the hub close it.
/// `buf` holds bytes that came after the handshake, `key` names the
/// connection to the hub; with `--auth-hook`, `credentials` are what the
/// handshake carried, for the app to decide on each publish.
pub fn run(
    mut stream: SharedSocket,
    mut buf: Vec<u8>,
    key: u64,
    context: &Context,
    credentials: Option<Credentials>,
) {
    let silence = context.config.heartbeat * WEBSOCKET_SILENT_HEARTBEATS + WEBSOCKET_SILENCE_GRACE;
    // Until the hub makes the socket non-blocking, a read waits this long.
    if stream.set_read_timeout(Some(WEBSOCKET_POLL_MIN)).is_err() {
        return;
    }
    let mut heard_at = Instant::now();
    let mut pause = WEBSOCKET_POLL_MIN;
    let mut session = Session {
        key,
        context,
        messages: MessageReader::new(context.config.max_body),
        credentials,
    };
    let end = loop {
        match frame::parse(&buf, context.config.max_body) {
            Err(code) => break End::Close(code),
            Ok(Some((frame, used))) => {
                buf.drain(..used);
                if let Some(end) = session.handle(frame) {
                    break end;
                }
            }
            Ok(None) => match read_more(&mut stream, &mut buf) {
                Ok(true) => {
                    heard_at = Instant::now();
                    pause = WEBSOCKET_POLL_MIN;
                }
                Ok(false) => break End::Gone,
                Err(error) if is_timeout(&error) => {
                    if heard_at.elapsed() > silence {
                        break End::Close(close_code::GOING_AWAY);
                    }
                    thread::sleep(pause);
                    pause = (pause * 2).min(WEBSOCKET_POLL_MAX);
                }
                Err(_) => break End::Gone,
            },
        }
    };
    let bytes = end.frame();
    let answered = !bytes.is_empty();
    session.send(bytes, true);
    if answered {
        discard_for_a_moment(&mut stream);
    }
    // The socket closes when the last handle goes: the hub has let go of
    // its own, and this thread's goes as it ends.
    let _ = stream.shutdown(Shutdown::Both);
}

/// Reads and discards what the client still sends, until it closes or
/// [`LINGER`] has passed: closing a socket with unread bytes makes the
/// kernel send a reset, which can wipe the close frame from the client's
/// buffer before the client has read it.
fn discard_for_a_moment(stream: &mut SharedSocket) {
    let until = Instant::now() + LINGER;
    let mut scratch = [0u8; READ_CHUNK_BYTES];
    let mut discarded = 0;
    while discarded < LINGER_BYTES && Instant::now() < until {
        match read_some(stream, &mut scratch) {
            Ok(0) => return,
            Ok(n) => discarded += n,
            Err(error) if is_timeout(&error) => thread::sleep(WEBSOCKET_POLL_MIN),
            Err(_) => return,
        }
    }
}

fn read_more(stream: &mut SharedSocket, buf: &mut Vec<u8>) -> io::Result<bool> {
    let mut chunk = [0u8; READ_CHUNK_BYTES];
    let n = read_some(stream, &mut chunk)?;
    buf.extend_from_slice(&chunk[..n]);
    Ok(n > 0)
}

fn is_timeout(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

struct Session<'a> {
    key: u64,
    context: &'a Context,
    messages: MessageReader,
    credentials: Option<Credentials>,
}

impl Session<'_> {
    /// Handles one frame; `Some` when the session must end.
    fn handle(&mut self, frame: Frame) -> Option<End> {
        match self.messages.take(frame) {
            Received::Nothing => None,
            Received::Ping(payload) => {
                let mut pong = Vec::new();
                frame::encode(frame::PONG, &payload, &mut pong);
                self.send(pong, false);
                None
            }
            Received::Text(text) => {
                let answer = self.publish(&text);
                let mut out = Vec::new();
                frame::encode(frame::TEXT, answer.as_bytes(), &mut out);
                self.send(out, false);
                None
            }
            // A publish is text; herald has no use for bytes.
            Received::Binary(_) => Some(End::Close(close_code::UNSUPPORTED_DATA)),
            Received::End(end) => {
                if end == End::Close(close_code::POLICY_VIOLATION) {
                    self.context.counters.refused(TurnedAway::Policy);
                }
                Some(end)
            }
        }
    }

    /// Publishes a `{"publish": …}` message; the answer as JSON.
    fn publish(&self, text: &str) -> String {
        let outcome = read_flat_object(text)
            .map_err(|error| error.reason().to_string())
            .and_then(|fields| self.publish_fields(fields));
        match outcome {
            Ok(id) => format!("{{\"ack\":{id}}}"),
            Err(reason) => format!("{{\"error\":{}}}", json::string_or_null(Some(&reason))),
        }
    }

    fn publish_fields(&self, fields: Vec<(String, String)>) -> Result<EventId, String> {
        let delete = form::first(&fields, "delete").map_or(Some(false), form::flag);
        let delete = delete.ok_or("delete must be 1 or 0")?;
        let message = form::first(&fields, "publish");
        if message.is_none() && !delete {
            return Err(missing_publish(&fields));
        }
        let submission = Submission {
            message,
            event_type: form::first(&fields, "event"),
            topic: form::first(&fields, "topic"),
            key: form::first(&fields, "key"),
            ttl: form::first(&fields, "ttl"),
            delete,
            token: form::first(&fields, "token"),
            // A WebSocket publish is acknowledged on the socket it came
            // by; a client that lost the socket resends without a key.
            idempotency_key: None,
            peer: None,
        };
        self.context
            .publish(submission, self.credentials.as_ref())
            .map_err(|refusal| refusal.reason().to_string())
    }

    /// Has the hub write `bytes` to this connection (and close it).
    fn send(&self, bytes: Vec<u8>, close: bool) {
        let command = Command::Frame {
            key: self.key,
            bytes,
            close,
        };
        let _ = self.context.hub.send(command);
    }
}

/// What a message without `publish` is told: the field it should have
/// used, naming the one it did when that is another server's habit.
fn missing_publish(fields: &[(String, String)]) -> String {
    let habit = ["message", "data", "text"]
        .into_iter()
        .find(|name| form::first(fields, name).is_some());
    let field = match habit {
        Some(name) => format!("the field is publish, not {name}"),
        None => "the field is publish".to_string(),
    };
    format!("{field}: send {{\"publish\": \"your message\"}}")
}
