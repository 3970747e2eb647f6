//! WebSocket frames (RFC 6455 §5): reading the client's, writing the server's.
//!
//! ```text
//!  byte 0: FIN (last fragment) | 3 reserved bits | opcode (4 bits)
//!  byte 1: MASK | payload length (7 bits: 0-125, or 126 / 127 for a
//!          16-bit / 64-bit length that follows)
//!  then:   the 4-byte masking key (client frames only), then the payload
//! ```
//!
//! A client must mask every frame (XOR with the key, against proxy cache
//! poisoning); a server must not. A control frame (close, ping, pong) is
//! never fragmented and carries at most 125 bytes. Anything else is a
//! protocol error, answered with close code 1002. Parsing is a pure function
//! over the bytes received so far, like [`crate::http::request_head::parse_head`].

/// Continuation of a fragmented message.
pub const CONTINUATION: u8 = 0x0;
/// A UTF-8 text message.
pub const TEXT: u8 = 0x1;
/// A binary message.
pub const BINARY: u8 = 0x2;
/// The closing handshake.
pub const CLOSE: u8 = 0x8;
/// A ping, to be answered with a pong carrying the same payload.
pub const PING: u8 = 0x9;
/// The answer to a ping.
pub const PONG: u8 = 0xA;

/// Close codes (RFC 6455 §7.4.1).
pub mod close_code {
    /// Normal closure.
    pub const NORMAL: u16 = 1000;
    /// The server is going away, or the peer stopped answering.
    pub const GOING_AWAY: u16 = 1001;
    /// The peer broke the protocol.
    pub const PROTOCOL_ERROR: u16 = 1002;
    /// A kind of data the endpoint does not accept (binary, here).
    pub const UNSUPPORTED_DATA: u16 = 1003;
    /// A text message that is not UTF-8.
    pub const INVALID_DATA: u16 = 1007;
    /// The peer broke a rule of this server (here: too many control frames).
    pub const POLICY_VIOLATION: u16 = 1008;
    /// A message too big to process.
    pub const TOO_BIG: u16 = 1009;
    /// The server cannot take the connection now; come back later.
    pub const TRY_AGAIN_LATER: u16 = 1013;
    /// The app no longer allows this stream (a private-use code, 4000-4999,
    /// chosen to echo HTTP's 403).
    pub const REVOKED: u16 = 4403;
}

/// One frame from the client, unmasked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// Whether this is the last fragment of its message.
    pub fin: bool,
    /// What the frame is (see the constants above).
    pub opcode: u8,
    /// Its payload, unmasked.
    pub payload: Vec<u8>,
}

/// Parses one client frame from the start of `buf`: `Ok(None)` while more
/// bytes are needed, `Ok(Some((frame, used)))` once it is whole.
///
/// # Errors
/// The close code to answer with: 1002 for an unmasked frame, reserved bits
/// or opcodes, or a malformed control frame; 1009 for a payload over
/// `max_payload`.
pub fn parse(buf: &[u8], max_payload: usize) -> Result<Option<(Frame, usize)>, u16> {
    let [first, second, ..] = *buf else {
        return Ok(None);
    };
    let fin = first & 0x80 != 0;
    let opcode = first & 0x0F;
    let known = matches!(opcode, CONTINUATION | TEXT | BINARY | CLOSE | PING | PONG);
    if first & 0x70 != 0 || !known || second & 0x80 == 0 {
        return Err(close_code::PROTOCOL_ERROR);
    }
    let (length, mut at) = match second & 0x7F {
        126 => match buf.get(2..4) {
            Some(b) => (u64::from(u16::from_be_bytes([b[0], b[1]])), 4),
            None => return Ok(None),
        },
        127 => match buf.get(2..10) {
            Some(b) => (u64::from_be_bytes(b.try_into().unwrap_or([0xFF; 8])), 10),
            None => return Ok(None),
        },
        short => (u64::from(short), 2),
    };
    let is_control = opcode >= CLOSE;
    if is_control && (!fin || length > 125) {
        return Err(close_code::PROTOCOL_ERROR);
    }
    if length > max_payload as u64 {
        return Err(close_code::TOO_BIG);
    }
    let length = length as usize;
    let Some(mask) = buf.get(at..at + 4) else {
        return Ok(None);
    };
    let mask = [mask[0], mask[1], mask[2], mask[3]];
    at += 4;
    let Some(masked) = buf.get(at..at + length) else {
        return Ok(None);
    };
    let payload = masked
        .iter()
        .enumerate()
        .map(|(i, byte)| byte ^ mask[i % 4])
        .collect();
    Ok(Some((
        Frame {
            fin,
            opcode,
            payload,
        },
        at + length,
    )))
}

/// Appends one unmasked, unfragmented server frame to `out`.
pub fn encode(opcode: u8, payload: &[u8], out: &mut Vec<u8>) {
    encode_header(opcode, payload.len(), out);
    out.extend_from_slice(payload);
}

/// Appends the header of a server frame whose payload is `len` bytes long.
pub fn encode_header(opcode: u8, len: usize, out: &mut Vec<u8>) {
    let mut bytes = [0; MAX_HEADER_BYTES];
    out.extend_from_slice(header(opcode, len, &mut bytes));
}

/// The longest header of a server frame (which is never masked): the first
/// byte, the length byte, and an 8-byte length.
pub const MAX_HEADER_BYTES: usize = 10;

/// The header of a server frame whose payload is `len` bytes long, written
/// into `bytes`.
pub fn header(opcode: u8, len: usize, bytes: &mut [u8; MAX_HEADER_BYTES]) -> &[u8] {
    bytes[0] = 0x80 | opcode;
    match len {
        n if n < 126 => {
            bytes[1] = n as u8;
            &bytes[..2]
        }
        n if n <= usize::from(u16::MAX) => {
            bytes[1] = 126;
            bytes[2..4].copy_from_slice(&(n as u16).to_be_bytes());
            &bytes[..4]
        }
        n => {
            bytes[1] = 127;
            bytes[2..10].copy_from_slice(&(n as u64).to_be_bytes());
            &bytes[..10]
        }
    }
}

/// A close frame with `code`.
pub fn close(code: u16) -> Vec<u8> {
    let mut out = Vec::with_capacity(4);
    encode(CLOSE, &code.to_be_bytes(), &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A client frame, masked with a fixed key.
    fn client_frame(first: u8, payload: &[u8]) -> Vec<u8> {
        let mask = [1, 2, 3, 4];
        let mut out = vec![first];
        match payload.len() {
            n if n < 126 => out.push(0x80 | n as u8),
            n => {
                out.push(0x80 | 126);
                out.extend_from_slice(&(n as u16).to_be_bytes());
            }
        }
        out.extend_from_slice(&mask);
        out.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        out
    }

    #[test]
    fn a_masked_text_frame_is_unmasked() {
        let bytes = client_frame(0x81, b"hello");
        let (frame, used) = parse(&bytes, 100).unwrap().unwrap();
        assert_eq!(
            (frame.fin, frame.opcode, frame.payload.as_slice(), used),
            (true, TEXT, &b"hello"[..], bytes.len())
        );
        assert_eq!(parse(&bytes[..bytes.len() - 1], 100), Ok(None));
        let long = client_frame(0x81, &[b'x'; 300]);
        assert_eq!(parse(&long, 1000).unwrap().unwrap().0.payload.len(), 300);
    }

    #[test]
    fn protocol_errors_have_their_close_codes() {
        let mut unmasked = client_frame(0x81, b"hi");
        unmasked[1] &= 0x7F;
        assert_eq!(parse(&unmasked, 100), Err(close_code::PROTOCOL_ERROR));
        assert_eq!(
            parse(&client_frame(0xC1, b"x"), 100),
            Err(close_code::PROTOCOL_ERROR),
            "reserved bit"
        );
        assert_eq!(
            parse(&client_frame(0x83, b"x"), 100),
            Err(close_code::PROTOCOL_ERROR),
            "opcode 3"
        );
        assert_eq!(
            parse(&client_frame(0x09, b"x"), 100),
            Err(close_code::PROTOCOL_ERROR),
            "fragmented ping"
        );
        assert_eq!(
            parse(&client_frame(0x89, &[0; 126]), 1000),
            Err(close_code::PROTOCOL_ERROR)
        );
        assert_eq!(
            parse(&client_frame(0x81, &[0; 200]), 100),
            Err(close_code::TOO_BIG)
        );
        assert_eq!(
            parse(
                &[0x81, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF],
                100
            ),
            Err(close_code::TOO_BIG)
        );
    }

    #[test]
    fn server_frames() {
        let mut out = Vec::new();
        encode(TEXT, b"hi", &mut out);
        assert_eq!(out, [0x81, 2, b'h', b'i']);
        out.clear();
        encode(TEXT, &[0; 200], &mut out);
        assert_eq!(&out[..4], [0x81, 126, 0, 200]);
        assert_eq!(close(1002), [0x88, 2, 0x03, 0xEA]);
    }
}
