//! Turning connections away when the server is full, on one thread for all.
//!
//! Past `--max-clients` the accept loop starts no thread; it hands the new
//! socket here. This one thread answers each such socket with `503` and
//! `Retry-After`, and closes it gently:
//!
//! - It waits (briefly) for the client's request head before answering,
//!   because an HTTP client that receives a response before it has sent its
//!   request may take it for garbage rather than a `503`.
//! - After answering it keeps reading and discarding for up to [`LINGER`].
//!   Closing a socket that still has unread bytes makes the kernel send a
//!   reset, and a reset can wipe the `503` from the client's receive buffer
//!   before the client reads it.
//!
//! It holds at most [`closer_max_sockets`], half lingering and half queued; past that a socket is answered and closed at once, so a flood of
//! connections can neither grow this list nor use up the descriptors.
//!
//! A browser's `EventSource` gives up for good on any answer but `200
//! text/event-stream`, and a tab that gave up stays dead until reloaded. So
//! `GET /events` is not refused with a `503`: it gets a stream that says
//! why in one `herald-unavailable` event, asks for a reconnect in a few
//! seconds (`retry:`, jittered so the refused tabs do not all come back at
//! once) and ends. The browser reconnects by itself, with its
//! `Last-Event-ID`, and misses nothing the history still holds. A page on
//! another origin allowed by `--cors-origin` gets the same stream with the
//! CORS headers it needs to read it: without them its `EventSource` would
//! see a network error and give up just the same.

use std::io;
use std::io::Write;
use std::net::{Shutdown, TcpStream};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Instant;

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, TrySendError};

use crate::counters::{Counters, TurnedAway};
use crate::http::cors;
use crate::http::error::HttpError;
use crate::http::request_head::parse_head;
use crate::http::response::Response;
use crate::limits::{
    CLOSER_MAX_HEAD_BYTES, CLOSER_MAX_READS_PER_ROUND, CLOSER_POLL_INTERVAL, CLOSER_WAIT_FOR_HEAD,
    LINGER, closer_max_sockets, open_file_limit,
};
use crate::routes::subscribe::stream_head;
use crate::socket_io::read_some;
use crate::wire::sse;

/// The way to the closer thread.
#[derive(Clone)]
pub struct Closer {
    sockets: Sender<TcpStream>,
    counters: Arc<Counters>,
}

impl Closer {
    /// Starts the closer thread. It ends once every `Closer` is dropped and
    /// the sockets it holds are closed. `cors_origins` is `--cors-origin`.
    pub fn spawn(
        counters: Arc<Counters>,
        cors_origins: Vec<String>,
    ) -> io::Result<(Closer, JoinHandle<()>)> {
        let lingering = closer_max_sockets(open_file_limit()) / 2;
        let (sender, receiver) = crossbeam_channel::bounded(lingering);
        let thread = thread::Builder::new()
            .name("herald-closer".into())
            .spawn(move || run(receiver, lingering, &cors_origins))?;
        Ok((
            Closer {
                sockets: sender,
                counters,
            },
            thread,
        ))
    }

    /// Answers `stream` with `503` and closes it, gently if there is room.
    pub fn turn_away(&self, stream: TcpStream) {
        self.counters.refused(TurnedAway::Full);
        if let Err(TrySendError::Full(stream) | TrySendError::Disconnected(stream)) =
            self.sockets.try_send(stream)
        {
            let _ = stream.set_nonblocking(true);
            answer(&stream, b"", &[]);
        }
    }
}

/// Writes the refusal and says no more will be sent: the event-stream form
/// for `GET /events` (the request's first bytes say whether it is one), a
/// `503` for everything else.
fn answer(stream: &TcpStream, head: &[u8], cors_origins: &[String]) {
    // A new socket's send buffer has room for these few bytes.
    if is_event_stream_request(head) {
        let origin = request_origin(head);
        let allowed = cors::allowed_origin(cors_origins, origin.as_deref());
        let _ = (&*stream).write_all(&unavailable_stream("full", allowed));
    } else {
        let full = Response::error(HttpError::ServiceUnavailable("server is at capacity"));
        let _ = full.write_to(&mut &*stream, &mut Vec::new(), false, false);
    }
    let _ = stream.shutdown(Shutdown::Write);
}

/// Whether a request line starts `GET /events` (then a space or a query).
fn is_event_stream_request(request_start: &[u8]) -> bool {
    request_start
        .strip_prefix(b"GET /events")
        .is_some_and(|rest| matches!(rest.first(), Some(b' ' | b'?')))
}

/// The `Origin` of a whole request head, read by the server's own parser;
/// none when the head is not whole or not well formed.
fn request_origin(head: &[u8]) -> Option<String> {
    match parse_head(head) {
        Ok(Some((head, _))) => head.origin,
        _ => None,
    }
}

/// A whole event stream that asks the client to come back later: every
/// stream's head (with CORS for `allowed_origin`), a jittered `retry:` and
/// one `herald-unavailable` event saying why.
pub fn unavailable_stream(reason: &str, allowed_origin: Option<String>) -> Vec<u8> {
    let mut bytes = stream_head(allowed_origin);
    bytes.extend(sse::unavailable_event(reason));
    bytes
}

/// One turned-away socket and where it is in its short life.
struct Held {
    stream: TcpStream,
    /// Answer by then even if no request head has come.
    answer_by: Instant,
    /// Set once answered: close by then even if the client keeps sending.
    close_by: Option<Instant>,
    /// The request's head as read so far, at most
    /// [`CLOSER_MAX_HEAD_BYTES`]: what it asks for, and from which origin.
    head: Vec<u8>,
}

fn run(receiver: Receiver<TcpStream>, max_lingering: usize, cors_origins: &[String]) {
    let mut held: Vec<Held> = Vec::new();
    loop {
        let next = if held.is_empty() {
            receiver.recv().map_err(|_| RecvTimeoutError::Disconnected)
        } else {
            receiver.recv_timeout(CLOSER_POLL_INTERVAL)
        };
        match next {
            Ok(stream) if held.len() >= max_lingering => {
                let _ = stream.set_nonblocking(true);
                answer(&stream, b"", cors_origins);
            }
            Ok(stream) => {
                if stream.set_nonblocking(true).is_ok() {
                    held.push(Held {
                        stream,
                        answer_by: Instant::now() + CLOSER_WAIT_FOR_HEAD,
                        close_by: None,
                        head: Vec::new(),
                    });
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) if held.is_empty() => return,
            Err(RecvTimeoutError::Disconnected) => {}
        }
        let now = Instant::now();
        held.retain_mut(|socket| socket.step(now, cors_origins));
    }
}

impl Held {
    /// Reads, answers when it is time, and says whether to keep the socket.
    fn step(&mut self, now: Instant, cors_origins: &[String]) -> bool {
        let (head_done, client_closed) = self.read_waiting();
        if self.close_by.is_none() && (head_done || client_closed || now >= self.answer_by) {
            answer(&self.stream, &self.head, cors_origins);
            self.close_by = Some(now + LINGER);
        }
        !client_closed && self.close_by.is_none_or(|close_by| now < close_by)
    }

    /// Reads what is waiting: whether a head's end has been seen (or as
    /// much of it as is kept), and whether the client has closed its end.
    /// What comes after is read and dropped.
    fn read_waiting(&mut self) -> (bool, bool) {
        let mut scratch = [0u8; 4096];
        let mut head_done = false;
        for _ in 0..CLOSER_MAX_READS_PER_ROUND {
            match read_some(&mut self.stream, &mut scratch) {
                Ok(0) => return (head_done, true),
                Ok(n) => {
                    // The end may straddle two reads: look from 3 bytes back.
                    let unseen = self.head.len().saturating_sub(3);
                    let room = CLOSER_MAX_HEAD_BYTES - self.head.len();
                    self.head.extend_from_slice(&scratch[..n.min(room)]);
                    head_done |= self.head.len() == CLOSER_MAX_HEAD_BYTES
                        || self.head[unseen..].windows(4).any(|w| w == b"\r\n\r\n");
                }
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => break,
                Err(_) => return (head_done, true),
            }
        }
        (head_done, false)
    }
}
