//! The accept loop: each new connection gets a slot and a thread, or is
//! turned away.
//!
//! Past `--max-clients` no thread is started: the socket goes to the
//! [`Closer`], which answers `503`. When the process runs out of file
//! descriptors, `accept` fails; the loop says so (at most every
//! [`OUT_OF_FDS_LOG_INTERVAL`]), waits a little and carries on, so a shortage
//! slows new connections down but never spins a core.

use std::io;
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Instant;

use super::closer::Closer;
use super::connection;
use crate::limits::{ACCEPT_BACKOFF, CONNECTION_STACK_BYTES, OUT_OF_FDS_LOG_INTERVAL};
use crate::routes::context::Context;
use crate::shared_socket::SharedSocket;
use crate::stderr_log;

/// Accepts connections until the server is stopping.
pub(super) fn accept_loop(
    listener: &TcpListener,
    context: &Arc<Context>,
    stopping: &AtomicBool,
    closer: &Closer,
) {
    let mut last_warning: Option<Instant> = None;
    loop {
        match listener.accept() {
            Ok(_) if stopping.load(Ordering::Acquire) => return,
            Ok((stream, _)) => admit(stream, context, closer),
            Err(error) if is_out_of_descriptors(&error) => {
                // Once a minute at most: a long shortage must not flood the log.
                if last_warning.is_none_or(|at| at.elapsed() >= OUT_OF_FDS_LOG_INTERVAL) {
                    stderr_log::line(format_args!(
                        "herald: out of file descriptors ({error}); new connections wait (raise `ulimit -n` or lower --max-clients)"
                    ));
                    last_warning = Some(Instant::now());
                }
                thread::sleep(ACCEPT_BACKOFF);
            }
            // A client that gave up between connect and accept, and the
            // like: nothing to do but take the next one.
            Err(_) => thread::sleep(ACCEPT_BACKOFF / 10),
        }
    }
}

/// Gives a new connection a slot and a thread, or turns it away.
fn admit(stream: TcpStream, context: &Arc<Context>, closer: &Closer) {
    let max = context.config.max_clients;
    if context.connections.open() >= max {
        return closer.turn_away(stream);
    }
    let stream = SharedSocket::new(stream);
    let Some(slot) = context.connections.admit(&stream, max) else {
        // Only this thread admits, so a place that was free a moment ago
        // is still free; this is for completeness.
        return;
    };
    let context = Arc::clone(context);
    let spawned = thread::Builder::new()
        .name("herald-conn".into())
        .stack_size(CONNECTION_STACK_BYTES)
        .spawn(move || connection::serve(stream, slot, context));
    if let Err(error) = spawned {
        // The closure, and with it the socket and the slot, is dropped:
        // the client sees the connection close.
        stderr_log::line(format_args!(
            "herald: cannot start a connection thread: {error}"
        ));
    }
}

/// EMFILE (this process) and ENFILE (the whole system) on Linux and the BSDs.
fn is_out_of_descriptors(error: &io::Error) -> bool {
    const ENFILE: i32 = 23;
    const EMFILE: i32 = 24;
    matches!(error.raw_os_error(), Some(ENFILE | EMFILE))
}
