//! Reads and writes that a signal cannot break, and that tell "nothing now"
//! from "failed".
//!
//! A system call interrupted by a signal fails with `EINTR` (std's
//! [`io::ErrorKind::Interrupted`]) having done nothing; the right answer is
//! to try again. std's `read_exact` and `write_all` do, but a single `read`
//! or `write` does not, and herald makes single calls on purpose: the hub
//! must never wait on one socket. Every such call goes through here.

use std::io::{self, IoSlice, Read, Write};
use std::net::TcpStream;

/// One `read`, tried again if a signal interrupted it.
pub fn read_some(source: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match source.read(buf) {
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

/// One `send` to a non-blocking socket: how many bytes of `bytes` it took,
/// 0 when its send buffer is full. Tried again if a signal interrupted it.
///
/// For one slice this is what the hub should call, not a `writev` of one:
/// std's `write` on a socket is `send`, which finds the socket more
/// cheaply than the file layer's `writev` does, and the hub makes one such
/// call per listener per event.
pub fn write_now(mut sink: impl Write, bytes: &[u8]) -> io::Result<usize> {
    taken_now(|| sink.write(bytes))
}

/// One `writev` to a non-blocking socket: how many bytes it took of all of
/// `slices`, 0 when its send buffer is full. Tried again if a signal
/// interrupted it.
pub fn write_vectored_now(mut sink: impl Write, slices: &[IoSlice<'_>]) -> io::Result<usize> {
    taken_now(|| sink.write_vectored(slices))
}

/// What one non-blocking `write` took: a full buffer is 0 bytes, not an
/// error, and a call a signal interrupted is made again.
fn taken_now(mut write: impl FnMut() -> io::Result<usize>) -> io::Result<usize> {
    loop {
        match write() {
            Ok(n) => return Ok(n),
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => return Ok(0),
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        }
    }
}

/// Fixes the kernel's send buffer of `stream` at `bytes` (Linux doubles
/// it for its own bookkeeping) and turns off its growth: a socket whose
/// reader never reads can then swallow only that much of the hub's time,
/// not the megabytes Linux would otherwise let the buffer grow to. std has
/// no call for `SO_SNDBUF`, hence `socket2`.
pub fn bound_send_buffer(stream: &TcpStream, bytes: usize) -> io::Result<()> {
    socket2::SockRef::from(stream).set_send_buffer_size(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Interrupted once, then does `then`.
    struct Flaky {
        interrupted: bool,
        then: io::ErrorKind,
    }

    impl Read for Flaky {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if !std::mem::replace(&mut self.interrupted, true) {
                return Err(io::ErrorKind::Interrupted.into());
            }
            buf[0] = b'x';
            Ok(1)
        }
    }

    impl Write for Flaky {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            if !std::mem::replace(&mut self.interrupted, true) {
                return Err(io::ErrorKind::Interrupted.into());
            }
            Err(self.then.into())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn flaky(then: io::ErrorKind) -> Flaky {
        Flaky {
            interrupted: false,
            then,
        }
    }

    #[test]
    fn an_interrupted_call_is_tried_again() {
        let mut buf = [0u8; 4];
        assert_eq!(
            read_some(&mut flaky(io::ErrorKind::Other), &mut buf).unwrap(),
            1
        );
        assert_eq!(
            write_vectored_now(flaky(io::ErrorKind::WouldBlock), &[IoSlice::new(b"abc")]).unwrap(),
            0
        );
        let failed = write_vectored_now(flaky(io::ErrorKind::BrokenPipe), &[IoSlice::new(b"abc")]);
        assert_eq!(failed.unwrap_err().kind(), io::ErrorKind::BrokenPipe);
    }
}
