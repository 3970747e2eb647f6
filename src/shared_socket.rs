//! A connection's socket, shared without a second file descriptor.
//!
//! Several owners need the same socket at once: the connection's thread
//! reads it, [`ConnectionSlots`](crate::connection_slots::ConnectionSlots)
//! keeps it to wake that thread when the server stops, and a WebSocket's
//! socket is written by the hub while its reader thread reads. std's
//! `try_clone` would give each owner its own descriptor (`dup`), so a
//! connection would cost two or three of the process's `ulimit -n`, and
//! `--max-clients` could not tell how many connections fit.
//!
//! Reads and writes need only `&TcpStream`, so one `Arc` shares one
//! descriptor among all owners: every connection costs exactly one, and
//! the socket closes when its last owner lets go.

use std::io::{self, IoSlice, Read, Write};
use std::net::TcpStream;
use std::ops::Deref;
use std::sync::Arc;

/// One socket, one descriptor, any number of owners.
#[derive(Debug, Clone)]
pub struct SharedSocket(Arc<TcpStream>);

impl SharedSocket {
    /// Takes over `stream`.
    pub fn new(stream: TcpStream) -> SharedSocket {
        SharedSocket(Arc::new(stream))
    }
}

impl Deref for SharedSocket {
    type Target = TcpStream;

    fn deref(&self) -> &TcpStream {
        &self.0
    }
}

// As std does for `TcpStream`, reading and writing work through a shared
// reference too, so `&SharedSocket` can be written without a `mut` owner.
impl Read for &SharedSocket {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&*self.0).read(buf)
    }
}

impl Read for SharedSocket {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&*self).read(buf)
    }
}

impl Write for &SharedSocket {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        (&*self.0).write(bytes)
    }

    fn write_vectored(&mut self, slices: &[IoSlice<'_>]) -> io::Result<usize> {
        (&*self.0).write_vectored(slices)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Write for SharedSocket {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        (&*self).write(bytes)
    }

    fn write_vectored(&mut self, slices: &[IoSlice<'_>]) -> io::Result<usize> {
        (&*self).write_vectored(slices)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
