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
use crate::http::reader::{ReadError, Reader, Source};
use crate::http::request_head::BodyFraming;
use crate::limits::{MAX_CHUNK_LINE_BYTES, MAX_HEAD_BYTES};

/// Reads the body that `framing` announces, at most `max_body` bytes.
///
/// # Errors
/// 413 when the body is larger than `max_body`; 400 for a malformed chunk;
/// 408 when `deadline` passes first.
pub fn read_body<S: Source>(
    reader: &mut Reader<S>,
    framing: BodyFraming,
    max_body: usize,
    deadline: Instant,
) -> Result<Vec<u8>, ReadError> {
    match framing {
        BodyFraming::None => Ok(Vec::new()),
        BodyFraming::Length(n) => {
            let n = usize::try_from(n).map_err(|_| HttpError::PayloadTooLarge(max_body))?;
            if n > max_body {
                return Err(HttpError::PayloadTooLarge(max_body).into());
            }
            reader.take_exact(n, deadline)
        }
        BodyFraming::Chunked => read_chunked(reader, max_body, deadline),
    }
}

fn read_chunked<S: Source>(
    reader: &mut Reader<S>,
    max_body: usize,
    deadline: Instant,
) -> Result<Vec<u8>, ReadError> {
    let mut body = Vec::new();
    loop {
        let size = reader.take_parsed(deadline, parse_chunk_size)?;
        if size == 0 {
            skip_trailers(reader, deadline)?;
            return Ok(body);
        }
        if size > max_body.saturating_sub(body.len()) {
            return Err(HttpError::PayloadTooLarge(max_body).into());
        }
        body.extend(reader.take_exact(size, deadline)?);
        if !reader.take_line(2, deadline)?.is_empty() {
            return Err(HttpError::BadRequest("chunk data longer than its size").into());
        }
    }
}

/// Reads trailer lines up to the empty line that ends the message.
fn skip_trailers<S: Source>(reader: &mut Reader<S>, deadline: Instant) -> Result<(), ReadError> {
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

/// Parses the chunk-size line at the start of `buf`: `1a;name=value\r\n` is
/// a chunk of 26 bytes, with an extension herald ignores. `Ok(None)` while
/// the line is not complete; `Ok(Some((size, used)))` once it is, with the
/// length of the line. `httparse` reads the line; herald adds two rules:
/// the size has at least one hex digit (RFC 9112 §7.1; `httparse` reads an
/// empty size as 0), and the whole line, extension included, is at most
/// [`MAX_CHUNK_LINE_BYTES`], however it arrives.
///
/// # Errors
/// 400 for a malformed or too long line, or a size no body could have.
pub fn parse_chunk_size(buf: &[u8]) -> Result<Option<(usize, usize)>, HttpError> {
    let bad = HttpError::BadRequest("malformed chunk size");
    let too_long = HttpError::BadRequest("chunk-size line too long");
    match buf.first() {
        None => return Ok(None),
        Some(first) if !first.is_ascii_hexdigit() => return Err(bad),
        Some(_) => {}
    }
    match httparse::parse_chunk_size(buf) {
        Ok(httparse::Status::Complete((used, _))) if used > MAX_CHUNK_LINE_BYTES => Err(too_long),
        Ok(httparse::Status::Complete((used, size))) => {
            let size = usize::try_from(size).map_err(|_| bad)?;
            Ok(Some((size, used)))
        }
        Ok(httparse::Status::Partial) if buf.len() > MAX_CHUNK_LINE_BYTES => Err(too_long),
        Ok(httparse::Status::Partial) => Ok(None),
        Err(_) => Err(bad),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_sizes_are_hex_with_optional_extensions() {
        assert_eq!(parse_chunk_size(b"1a\r\n"), Ok(Some((26, 4))));
        assert_eq!(parse_chunk_size(b"0\r\n\r\n"), Ok(Some((0, 3))));
        assert_eq!(
            parse_chunk_size(b"A;name=value\r\nDATA"),
            Ok(Some((10, 14)))
        );
        for bad in [
            &b"\r\n"[..],
            b"x\r\n",
            b"-1\r\n",
            b"1 2\r\n",
            b" 1\r\n",
            b"ffffffffffffffffff\r\n",
        ] {
            assert!(parse_chunk_size(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_line_in_parts_asks_for_more_up_to_the_limit() {
        assert_eq!(parse_chunk_size(b""), Ok(None));
        assert_eq!(parse_chunk_size(b"1a"), Ok(None));
        assert_eq!(parse_chunk_size(b"1a;ext=1\r"), Ok(None));
        let long = format!("1;{}", "e".repeat(MAX_CHUNK_LINE_BYTES));
        assert_eq!(parse_chunk_size(long.as_bytes()).unwrap_err().status(), 400);
        let long_and_whole = format!("{long}\r\n");
        assert_eq!(
            parse_chunk_size(long_and_whole.as_bytes())
                .unwrap_err()
                .status(),
            400,
            "a long line is refused even when it arrives whole"
        );
    }
}
