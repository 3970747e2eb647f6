//! The request body, read by `Content-Length` or as chunks, never past a bound.
//!
//! A body is at most `--max-body` bytes. A declared length over that is
//! refused with 413 before a byte of the body is read; a chunked body is
//! refused as soon as its chunks add up to more. The whole body must arrive
//! before the deadline the connection sets, or the client gets 408.
//!
//! The chunked coding (RFC 9112 §7.1) is a series of `SIZE-IN-HEX\r\n`,
//! then that many bytes and `\r\n`, ended by a chunk of size 0 and an
//! optional trailer section, which herald reads and ignores.

use std::time::Instant;

use crate::http::error::HttpError;
use crate::http::reader::{ReadError, Reader};
use crate::http::request_head::BodyFraming;
use crate::limits::MAX_HEAD_BYTES;

/// A chunk-size line (with any chunk extension) is never longer than this.
const MAX_CHUNK_LINE_BYTES: usize = 1024;

/// Reads the body that `framing` announces, at most `max_body` bytes.
///
/// # Errors
/// 413 when the body is larger than `max_body`; 400 for a malformed chunk;
/// 408 when `deadline` passes first.
pub fn read_body(
    reader: &mut Reader,
    framing: BodyFraming,
    max_body: usize,
    deadline: Instant,
) -> Result<Vec<u8>, ReadError> {
    match framing {
        BodyFraming::None => Ok(Vec::new()),
        BodyFraming::Length(n) => {
            let n = usize::try_from(n).map_err(|_| HttpError::PayloadTooLarge)?;
            if n > max_body {
                return Err(HttpError::PayloadTooLarge.into());
            }
            reader.take_exact(n, deadline)
        }
        BodyFraming::Chunked => read_chunked(reader, max_body, deadline),
    }
}

fn read_chunked(
    reader: &mut Reader,
    max_body: usize,
    deadline: Instant,
) -> Result<Vec<u8>, ReadError> {
    let mut body = Vec::new();
    loop {
        let line = reader.take_line(MAX_CHUNK_LINE_BYTES, deadline)?;
        let size = parse_chunk_size(&line)?;
        if size == 0 {
            skip_trailers(reader, deadline)?;
            return Ok(body);
        }
        if size > max_body.saturating_sub(body.len()) {
            return Err(HttpError::PayloadTooLarge.into());
        }
        body.extend(reader.take_exact(size, deadline)?);
        if !reader.take_line(2, deadline)?.is_empty() {
            return Err(HttpError::BadRequest("chunk data longer than its size").into());
        }
    }
}

/// Reads trailer lines up to the empty line that ends the message.
fn skip_trailers(reader: &mut Reader, deadline: Instant) -> Result<(), ReadError> {
    let mut trailer_bytes = 0;
    loop {
        let line = reader.take_line(MAX_HEAD_BYTES, deadline)?;
        if line.is_empty() {
            return Ok(());
        }
        trailer_bytes += line.len();
        if trailer_bytes > MAX_HEAD_BYTES {
            return Err(HttpError::HeaderFieldsTooLarge.into());
        }
    }
}

/// `1a;name=value` is 26: hex digits, then an extension herald ignores.
pub fn parse_chunk_size(line: &[u8]) -> Result<usize, HttpError> {
    let bad = HttpError::BadRequest("malformed chunk size");
    let digits = line.split(|&b| b == b';').next().unwrap_or(line);
    let digits = digits.trim_ascii();
    // Sixteen hex digits already overflow any size herald accepts.
    if digits.is_empty() || digits.len() > 15 || !digits.iter().all(u8::is_ascii_hexdigit) {
        return Err(bad);
    }
    let text = std::str::from_utf8(digits).map_err(|_| bad)?;
    usize::from_str_radix(text, 16).map_err(|_| bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_sizes_are_hex_with_optional_extensions() {
        assert_eq!(parse_chunk_size(b"1a"), Ok(26));
        assert_eq!(parse_chunk_size(b"0"), Ok(0));
        assert_eq!(parse_chunk_size(b"A;name=value"), Ok(10));
        for bad in [&b""[..], b"x", b"-1", b"1 2", b"ffffffffffffffffff"] {
            assert!(parse_chunk_size(bad).is_err(), "{bad:?}");
        }
    }
}
