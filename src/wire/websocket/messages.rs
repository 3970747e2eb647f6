//! From frames to messages: what RFC 6455 asks of an endpoint that reads.
//!
//! A [`MessageReader`] takes a WebSocket's frames one at a time and says
//! what each one means: a ping to answer, a whole message (fragments
//! joined, text checked as UTF-8), or the end of the session with the
//! close frame it earns (§5.4 fragmentation, §5.5 control frames, §7.4
//! close codes, §8.1 UTF-8). It does no I/O, so `/ws`'s reader thread
//! ([`crate::server::websocket_reader`]) and the echo server that
//! `tests/autobahn.rs` runs the Autobahn cases against share every rule:
//! what that suite finds here, `/ws` has too.
//!
//! Two bounds: a message larger than `max_message_bytes` ends the session
//! with 1009, and more than [`WEBSOCKET_CONTROL_FRAMES_PER_SECOND`] pings
//! and pongs in a second with 1008, since every ping costs a pong.

use std::time::{Duration, Instant};

use crate::limits::WEBSOCKET_CONTROL_FRAMES_PER_SECOND;
use crate::wire::websocket::frame::{self, Frame, close_code};

/// What one frame means.
#[derive(Debug, PartialEq, Eq)]
pub enum Received {
    /// Nothing to do yet (a fragment, a pong).
    Nothing,
    /// A ping: answer with a pong carrying this payload.
    Ping(Vec<u8>),
    /// A whole text message.
    Text(String),
    /// A whole binary message.
    Binary(Vec<u8>),
    /// The session ends.
    End(End),
}

/// How a session ends.
#[derive(Debug, PartialEq, Eq)]
pub enum End {
    /// Answer with a close frame carrying this code: the peer broke a rule.
    Close(u16),
    /// Answer the peer's close with a close frame with this payload.
    Echo(Vec<u8>),
    /// The peer vanished: nothing to answer.
    Gone,
}

impl End {
    /// The close frame to send, if any.
    pub fn frame(&self) -> Vec<u8> {
        match self {
            End::Close(code) => frame::close(*code),
            End::Echo(payload) => {
                let mut out = Vec::new();
                frame::encode(frame::CLOSE, payload, &mut out);
                out
            }
            End::Gone => Vec::new(),
        }
    }
}

/// One session's state between frames.
pub struct MessageReader {
    max_message_bytes: usize,
    /// A fragmented message being put together: its opcode and bytes.
    message: Option<(u8, Vec<u8>)>,
    control: ControlRate,
}

impl MessageReader {
    /// A reader for messages of at most `max_message_bytes`.
    pub fn new(max_message_bytes: usize) -> MessageReader {
        MessageReader {
            max_message_bytes,
            message: None,
            control: ControlRate::new(),
        }
    }

    /// What `frame` means, given the frames before it.
    pub fn take(&mut self, frame: Frame) -> Received {
        let is_control = matches!(frame.opcode, frame::PING | frame::PONG);
        if is_control && !self.control.allow() {
            return Received::End(End::Close(close_code::POLICY_VIOLATION));
        }
        match frame.opcode {
            frame::PING => Received::Ping(frame.payload),
            frame::PONG => Received::Nothing,
            frame::CLOSE => Received::End(close_reply(&frame.payload)),
            frame::CONTINUATION => self.continue_message(frame),
            opcode => self.start_message(opcode, frame),
        }
    }

    fn start_message(&mut self, opcode: u8, frame: Frame) -> Received {
        if self.message.is_some() {
            // A new message while one is still open (§5.4).
            return Received::End(End::Close(close_code::PROTOCOL_ERROR));
        }
        if !frame.fin {
            self.message = Some((opcode, frame.payload));
            return Received::Nothing;
        }
        whole(opcode, frame.payload)
    }

    fn continue_message(&mut self, frame: Frame) -> Received {
        let Some((opcode, message)) = &mut self.message else {
            // A continuation of nothing (§5.4).
            return Received::End(End::Close(close_code::PROTOCOL_ERROR));
        };
        message.extend_from_slice(&frame.payload);
        if message.len() > self.max_message_bytes {
            return Received::End(End::Close(close_code::TOO_BIG));
        }
        if !frame.fin {
            return Received::Nothing;
        }
        let (opcode, message) = (*opcode, std::mem::take(message));
        self.message = None;
        whole(opcode, message)
    }
}

/// A whole message: text must be UTF-8 (§8.1, else 1007).
fn whole(opcode: u8, message: Vec<u8>) -> Received {
    if opcode == frame::BINARY {
        return Received::Binary(message);
    }
    match String::from_utf8(message) {
        Ok(text) => Received::Text(text),
        Err(_) => Received::End(End::Close(close_code::INVALID_DATA)),
    }
}

/// The answer to the peer's close frame: the same code back, or 1002 for
/// a malformed one, 1007 for a reason that is not UTF-8.
fn close_reply(payload: &[u8]) -> End {
    match payload {
        [] => End::Echo(Vec::new()),
        [_] => End::Close(close_code::PROTOCOL_ERROR),
        [high, low, reason @ ..] => {
            let code = u16::from_be_bytes([*high, *low]);
            // Codes a peer may send (RFC 6455 §7.4): 1000-1003, 1007-1011, 3000-4999.
            let allowed = matches!(code, 1000..=1003 | 1007..=1011 | 3000..=4999);
            if !allowed {
                End::Close(close_code::PROTOCOL_ERROR)
            } else if std::str::from_utf8(reason).is_err() {
                End::Close(close_code::INVALID_DATA)
            } else {
                End::Echo(code.to_be_bytes().to_vec())
            }
        }
    }
}

/// Counts control frames in one-second windows.
struct ControlRate {
    window_start: Instant,
    count: u32,
}

impl ControlRate {
    fn new() -> ControlRate {
        ControlRate {
            window_start: Instant::now(),
            count: 0,
        }
    }

    /// Counts one frame; false when it is one too many for its second.
    fn allow(&mut self) -> bool {
        if self.window_start.elapsed() >= Duration::from_secs(1) {
            self.window_start = Instant::now();
            self.count = 0;
        }
        self.count += 1;
        self.count <= WEBSOCKET_CONTROL_FRAMES_PER_SECOND
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(opcode: u8, fin: bool, payload: &[u8]) -> Frame {
        Frame {
            fin,
            opcode,
            payload: payload.to_vec(),
        }
    }

    #[test]
    fn fragments_make_one_message_and_pings_may_come_between() {
        let mut reader = MessageReader::new(100);
        assert_eq!(
            reader.take(frame(frame::TEXT, false, b"he")),
            Received::Nothing
        );
        assert_eq!(
            reader.take(frame(frame::PING, true, b"p")),
            Received::Ping(b"p".to_vec())
        );
        let last = reader.take(frame(frame::CONTINUATION, true, b"llo"));
        assert_eq!(last, Received::Text("hello".into()));
    }

    #[test]
    fn broken_rules_earn_their_close_codes() {
        let mut reader = MessageReader::new(4);
        let continuation = reader.take(frame(frame::CONTINUATION, true, b"x"));
        assert_eq!(continuation, Received::End(End::Close(1002)));
        let bad_utf8 = reader.take(frame(frame::TEXT, true, &[0xff]));
        assert_eq!(bad_utf8, Received::End(End::Close(1007)));
        reader.take(frame(frame::BINARY, false, b"abc"));
        let too_big = reader.take(frame(frame::CONTINUATION, true, b"de"));
        assert_eq!(too_big, Received::End(End::Close(1009)));
        assert_eq!(close_reply(&[0x03, 0xe8]), End::Echo(vec![0x03, 0xe8]));
        assert_eq!(
            close_reply(&[0x03, 0xec]),
            End::Close(1002),
            "1004 is reserved"
        );
    }
}
