//! Closing turned-away connections gently, on one thread for all of them.
//!
//! When the server is full, the accept loop answers `503` at once. If it then
//! closed the socket while the client's request was still arriving, the
//! kernel would answer those late bytes with a reset, and a reset can wipe
//! the `503` from the client's receive buffer before the client reads it: the
//! client would see "connection reset" instead of "try again later".
//!
//! So the accept loop hands the socket here instead. This one thread keeps
//! each socket for up to [`LINGER`], reading and discarding whatever arrives,
//! and closes it when the client closes its end or the time is up. It holds
//! at most [`MAX_LINGERING_SOCKETS`]; past that, a socket is closed at once,
//! so a flood of connections cannot grow this list.

use std::io::{self, Read};
use std::net::TcpStream;
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, TrySendError};

use crate::limits::{LINGER, MAX_LINGERING_SOCKETS};

/// How often the held sockets are read.
const POLL_INTERVAL: Duration = Duration::from_millis(20);

/// The way to the closer thread.
#[derive(Clone)]
pub struct Closer(Sender<TcpStream>);

impl Closer {
    /// Starts the closer thread.
    pub fn spawn() -> io::Result<Closer> {
        let (sender, receiver) = crossbeam_channel::bounded(MAX_LINGERING_SOCKETS);
        thread::Builder::new()
            .name("herald-closer".into())
            .spawn(move || run(receiver))?;
        Ok(Closer(sender))
    }

    /// Closes `stream` gently, or at once if too many are waiting already.
    pub fn close(&self, stream: TcpStream) {
        match self.0.try_send(stream) {
            Ok(()) => {}
            Err(TrySendError::Full(stream) | TrySendError::Disconnected(stream)) => drop(stream),
        }
    }
}

fn run(receiver: Receiver<TcpStream>) {
    let mut held: Vec<(TcpStream, Instant)> = Vec::new();
    loop {
        let next = if held.is_empty() {
            receiver.recv().map_err(|_| ())
        } else {
            match receiver.recv_timeout(POLL_INTERVAL) {
                Ok(stream) => Ok(stream),
                Err(crossbeam_channel::RecvTimeoutError::Timeout) => Err(()),
                Err(crossbeam_channel::RecvTimeoutError::Disconnected) => return,
            }
        };
        match next {
            Ok(stream)
                if held.len() < MAX_LINGERING_SOCKETS && stream.set_nonblocking(true).is_ok() =>
            {
                held.push((stream, Instant::now() + LINGER));
            }
            Ok(stream) => drop(stream),
            Err(()) if held.is_empty() => return,
            Err(()) => {}
        }
        let now = Instant::now();
        held.retain_mut(|(stream, until)| *until > now && !drained_to_end(stream));
    }
}

/// Reads what is waiting; true once the client has closed its end.
fn drained_to_end(stream: &mut TcpStream) -> bool {
    let mut scratch = [0u8; 4096];
    for _ in 0..16 {
        match stream.read(&mut scratch) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => return false,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return true,
        }
    }
    false
}
