//! One connection's life, on its own thread: read a request, answer it,
//! repeat, until the client leaves or the connection becomes an event stream.
//!
//! HTTP/1.1 keeps a connection open for more requests unless either side
//! says `Connection: close` (HTTP/1.0 closes unless the client asks for
//! keep-alive). The loop below follows that, with a bound on each wait (see
//! [`crate::http::reader`]).
//!
//! A request the server cannot read properly (malformed, too large, too
//! slow) gets its error status and then the connection is closed, because
//! after such a request there is no telling where the next one would start.
//! Closing is done gently ("lingering close"): the server stops sending,
//! then reads and discards what the client is still sending for a moment,
//! because closing a socket with unread bytes makes the kernel send a reset,
//! which can destroy the error response before the client reads it.
//!
//! A panic in a handler ends only this thread; its [`ConnectionSlot`] is
//! released as the thread unwinds.

use std::io::{self, Read};
use std::net::{IpAddr, Shutdown};
use std::sync::Arc;
use std::time::Instant;

use crate::connection_slots::ConnectionSlot;
use crate::counters::TurnedAway;
use crate::http::body::read_body;
use crate::http::error::HttpError;
use crate::http::reader::{ReadError, Reader};
use crate::http::request::Request;
use crate::http::request_head::RequestHead;
use crate::http::response::Response;
use crate::hub::Subscription;
use crate::hub::listener::StreamKind;
use crate::limits::{LINGER, LINGER_BYTES, WRITE_TIMEOUT, reserved_for_requests};
use crate::routes::context::Context;
use crate::routes::subscribe::StreamStart;
use crate::routes::{Outcome, dispatch};
use crate::shared_socket::SharedSocket;
use crate::stderr_log;
use crate::wire::sse;
use crate::wire::websocket::frame::{self, close_code};

/// Serves every request on `stream`, then closes it (or hands it to the hub).
pub fn serve(stream: SharedSocket, slot: ConnectionSlot, context: Arc<Context>) {
    // Responses are written whole, so Nagle's delay would only add latency.
    let _ = stream.set_nodelay(true);
    if stream.set_write_timeout(Some(WRITE_TIMEOUT)).is_err() {
        return;
    }
    let peer = stream.peer_addr().ok().map(|addr| addr.ip());
    let connection = Connection {
        peer,
        reader: Reader::new(stream),
        context,
        scratch: Vec::new(),
    };
    connection.run(slot);
}

struct Connection {
    /// The client's address, read once: forwarded to `--auth-hook`.
    peer: Option<IpAddr>,
    reader: Reader,
    context: Arc<Context>,
    /// Reused to assemble each response.
    scratch: Vec<u8>,
}

impl Connection {
    fn run(mut self, slot: ConnectionSlot) {
        let config = &self.context.config;
        let (idle_timeout, head_timeout) = (config.keepalive_timeout, config.header_timeout);
        let max_body = config.max_body;
        loop {
            let head = match self.reader.read_request_head(idle_timeout, head_timeout) {
                Ok(head) => head,
                Err(ReadError::Http(error)) => return self.refuse(error, None),
                Err(ReadError::Closed | ReadError::Io(_)) => return,
            };
            let started = Instant::now();
            let deadline = started + head_timeout;
            let body = match read_body(&mut self.reader, head.body, max_body, deadline) {
                Ok(body) => body,
                Err(ReadError::Http(error)) => return self.refuse(error, Some(&head)),
                Err(ReadError::Closed | ReadError::Io(_)) => return,
            };
            let request = Request {
                head,
                body,
                peer: self.peer,
            };
            match dispatch(&request, &self.context) {
                Outcome::Respond(response) => {
                    if !self.respond(&request, &response, started) {
                        return;
                    }
                }
                Outcome::Stream(start) => {
                    return self.start_stream(&request, *start, slot, started);
                }
            }
        }
    }

    /// Sends a response; returns whether the connection stays open. A
    /// stream refused with `401` or `403` closes it: a client that loops or
    /// pipelines stream requests without a login gets one answer per
    /// connection, not one call to the app per request.
    fn respond(&mut self, request: &Request, response: &Response, started: Instant) -> bool {
        let refused_stream = matches!(response.status, 401 | 403)
            && matches!(request.head.path(), "/events" | "/ws");
        let keep_alive = request.head.keep_alive && !refused_stream;
        let written = response.write_to(
            &mut self.reader.stream(),
            &mut self.scratch,
            request.is_head_method(),
            keep_alive,
        );
        self.log(&request.head, response.status, &written, started);
        written.is_ok() && keep_alive
    }

    /// Answers a request that could not be read, and closes.
    fn refuse(mut self, error: HttpError, head: Option<&RequestHead>) {
        let started = Instant::now();
        let response = Response::error(error);
        let is_head = head.is_some_and(|head| head.method == "HEAD");
        let written =
            response.write_to(&mut self.reader.stream(), &mut self.scratch, is_head, false);
        let unknown = RequestHead {
            method: "-".into(),
            target: "-".into(),
            ..RequestHead::default()
        };
        self.log(head.unwrap_or(&unknown), response.status, &written, started);
        linger_close(self.reader.into_stream());
    }

    /// `HEAD /events` gets the stream's head; `GET` hands the socket to the hub.
    fn start_stream(
        self,
        request: &Request,
        start: StreamStart,
        mut slot: ConnectionSlot,
        started: Instant,
    ) {
        if let Some(last_word) = &start.end_at_once {
            return self.end_at_once(request, &start.response_head, last_word, started);
        }
        let max_clients = self.context.config.max_clients;
        let max_streams = max_clients - reserved_for_requests(max_clients);
        if !request.is_head_method() && !slot.become_stream(max_streams) {
            // Streams hold their share: the rest is kept for publishes.
            self.context.counters.refused(TurnedAway::Full);
            let last_word = match start.kind {
                StreamKind::EventStream => sse::unavailable_event("full"),
                StreamKind::WebSocket => frame::close(close_code::TRY_AGAIN_LATER),
            };
            return self.end_at_once(request, &start.response_head, &last_word, started);
        }
        if start.kind == StreamKind::WebSocket {
            return self.start_websocket(request, start, slot, started);
        }
        let StreamStart {
            mut response_head,
            preamble,
            start,
            filter,
            watch,
            state,
            presence,
            ..
        } = start;
        if request.is_head_method() {
            let written = io::Write::write_all(&mut self.reader.stream(), &response_head)
                .map(|()| response_head.len());
            self.log(&request.head, 200, &written, started);
            return;
        }
        slot.stop_reading();
        let key = slot.key();
        let head_bytes = response_head.len();
        self.log(&request.head, 200, &Ok(head_bytes), started);
        response_head.extend_from_slice(&preamble);
        let subscription = Subscription {
            stream: self.reader.into_stream(),
            opening: response_head,
            start,
            filter,
            slot,
            kind: StreamKind::EventStream,
            state,
            presence,
        };
        // If the hub does not take it, the socket is dropped and closes.
        if self.context.hub.subscribe(subscription).is_ok() {
            self.context.watch(key, watch);
        }
    }

    /// A stream that starts and ends at once, with its last word (the app
    /// could not say whether this person may listen): the client comes
    /// back by itself.
    fn end_at_once(self, request: &Request, head: &[u8], last_word: &[u8], started: Instant) {
        let mut bytes = head.to_vec();
        bytes.extend_from_slice(last_word);
        let written = io::Write::write_all(&mut self.reader.stream(), &bytes).map(|()| bytes.len());
        let status = if request.head.upgrade.is_some() {
            101
        } else {
            200
        };
        self.log(&request.head, status, &written, started);
        linger_close(self.reader.into_stream());
    }

    /// Hands one handle of the socket to the hub (which writes the `101`,
    /// the replay and the events) and stays as its reader.
    fn start_websocket(
        self,
        request: &Request,
        start: StreamStart,
        slot: ConnectionSlot,
        started: Instant,
    ) {
        let StreamStart {
            response_head,
            start,
            filter,
            watch,
            credentials,
            state,
            presence,
            ..
        } = start;
        self.log(&request.head, 101, &Ok(response_head.len()), started);
        let key = slot.key();
        let context = Arc::clone(&self.context);
        let (stream, leftover) = self.reader.into_parts();
        let reading = stream.clone();
        // The hub closes the socket when the server stops, and that ends
        // this reader too.
        slot.stop_reading();
        // The handshake's write timeout would cut a reader that waits.
        let _ = reading.set_write_timeout(None);
        let subscription = Subscription {
            stream,
            opening: response_head,
            start,
            filter,
            slot,
            kind: StreamKind::WebSocket,
            state,
            presence,
        };
        if context.hub.subscribe(subscription).is_ok() {
            context.watch(key, watch);
            crate::server::websocket_reader::run(reading, leftover, key, &context, credentials);
        }
    }

    fn log(&self, head: &RequestHead, status: u16, written: &io::Result<usize>, started: Instant) {
        if self.context.config.access_log {
            let bytes = written.as_ref().map_or(0, |n| *n);
            stderr_log::access(&head.method, head.path(), status, bytes, started.elapsed());
        }
    }
}

/// Stops sending, reads what the client still sends for a moment, closes.
fn linger_close(mut stream: SharedSocket) {
    if stream.shutdown(Shutdown::Write).is_err() {
        return;
    }
    let until = Instant::now() + LINGER;
    let mut discarded = 0;
    let mut scratch = [0u8; 8192];
    while discarded < LINGER_BYTES {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() || stream.set_read_timeout(Some(left)).is_err() {
            return;
        }
        match stream.read(&mut scratch) {
            Ok(0) | Err(_) => return,
            Ok(n) => discarded += n,
        }
    }
}
