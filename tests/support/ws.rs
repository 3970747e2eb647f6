//! A raw WebSocket client for the tests: opens `/ws`, sends masked frames
//! (or unmasked ones, to test the server's refusal) and reads the server's
//! frames one by one.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};

use super::connect;

pub const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
pub const ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

/// A raw WebSocket client.
pub struct Ws {
    pub stream: TcpStream,
    pub buf: Vec<u8>,
}

/// One frame from the server.
#[derive(Debug, PartialEq, Eq)]
pub struct Frame {
    pub opcode: u8,
    pub payload: Vec<u8>,
}

impl Frame {
    pub fn text(&self) -> String {
        String::from_utf8(self.payload.clone()).unwrap()
    }

    pub fn close_code(&self) -> u16 {
        assert_eq!(self.opcode, 8, "expected a close frame, got {self:?}");
        u16::from_be_bytes([self.payload[0], self.payload[1]])
    }
}

impl Ws {
    pub fn open(addr: SocketAddr, query: &str) -> Ws {
        let mut stream = connect(addr);
        write!(
            stream,
            "GET /ws{query} HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {KEY}\r\n\r\n"
        )
        .unwrap();
        let mut ws = Ws {
            stream,
            buf: Vec::new(),
        };
        let head = ws.read_until_head();
        assert!(
            head.starts_with("HTTP/1.1 101 Switching Protocols\r\n"),
            "{head}"
        );
        assert!(
            head.contains(&format!("Sec-WebSocket-Accept: {ACCEPT}\r\n")),
            "{head}"
        );
        ws
    }

    /// Opens `/ws{query}` with extra header lines; the response head as
    /// well, whatever its status.
    pub fn open_with(addr: SocketAddr, query: &str, headers: &str) -> (String, Ws) {
        let mut stream = connect(addr);
        write!(
            stream,
            "GET /ws{query} HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {KEY}\r\n{headers}\r\n"
        )
        .unwrap();
        let mut ws = Ws {
            stream,
            buf: Vec::new(),
        };
        let head = ws.read_until_head();
        (head, ws)
    }

    pub fn read_until_head(&mut self) -> String {
        loop {
            if let Some(end) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head: Vec<u8> = self.buf.drain(..end + 4).collect();
                return String::from_utf8(head).unwrap();
            }
            self.fill();
        }
    }

    pub fn fill(&mut self) -> usize {
        let mut chunk = [0u8; 4096];
        let n = self
            .stream
            .read(&mut chunk)
            .expect("the server sent nothing in time");
        self.buf.extend_from_slice(&chunk[..n]);
        n
    }

    /// Sends a frame, masked unless `masked` is false.
    pub fn send_raw(&mut self, first: u8, payload: &[u8], masked: bool) {
        let mask = [0x12, 0x34, 0x56, 0x78];
        let mut out = vec![first];
        let mask_bit = if masked { 0x80 } else { 0 };
        match payload.len() {
            n if n < 126 => out.push(mask_bit | n as u8),
            n if n < 65536 => {
                out.push(mask_bit | 126);
                out.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                out.push(mask_bit | 127);
                out.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        if masked {
            out.extend_from_slice(&mask);
            out.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        } else {
            out.extend_from_slice(payload);
        }
        let _ = self.stream.write_all(&out);
    }

    pub fn send_text(&mut self, text: &str) {
        self.send_raw(0x81, text.as_bytes(), true);
    }

    /// The next frame, skipping the server's pings.
    pub fn next(&mut self) -> Frame {
        loop {
            let frame = self.next_any();
            if frame.opcode != 9 {
                return frame;
            }
        }
    }

    pub fn next_any(&mut self) -> Frame {
        loop {
            if let Some((frame, used)) = parse_server_frame(&self.buf) {
                self.buf.drain(..used);
                return frame;
            }
            assert!(self.fill() > 0, "the connection closed");
        }
    }

    /// Whether the server closed the TCP connection (after any frames).
    pub fn closed(&mut self) -> bool {
        let mut chunk = [0u8; 4096];
        matches!(self.stream.read(&mut chunk), Ok(0) | Err(_))
    }
}

pub fn parse_server_frame(buf: &[u8]) -> Option<(Frame, usize)> {
    let [first, second, ..] = *buf else {
        return None;
    };
    assert_eq!(second & 0x80, 0, "server frames are not masked");
    let (length, at) = match second & 0x7F {
        126 => (u16::from_be_bytes([*buf.get(2)?, *buf.get(3)?]) as usize, 4),
        127 => (
            u64::from_be_bytes(buf.get(2..10)?.try_into().unwrap()) as usize,
            10,
        ),
        n => (n as usize, 2),
    };
    let payload = buf.get(at..at + length)?.to_vec();
    Some((
        Frame {
            opcode: first & 0x0F,
            payload,
        },
        at + length,
    ))
}
