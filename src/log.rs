//! Log lines on stderr: one per request (the access log) and the odd notice.
//!
//! Access-log lines go through one logger thread. Connection threads hand it
//! their line over a channel and go on; the logger wakes every
//! [`FLUSH_INTERVAL`], writes whatever lines are waiting in one buffered
//! write, and sleeps again. It is never woken by a line: waking it for each
//! request would cost a context switch per request, about as much as the
//! request itself. A line therefore appears within that interval. If the
//! logger falls behind (its queue is full) a connection writes its line
//! itself, so no line is lost and the log slows the server down rather than
//! grow memory.
//!
//! Each line is written whole, so lines from different threads never
//! interleave. A failed write to stderr is ignored: logging must never take
//! the server down.

use std::fmt;
use std::io::{BufWriter, Write};
use std::sync::OnceLock;
use std::thread;
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender, TrySendError};

/// Lines that may wait for the logger before connections write their own.
const QUEUE_LINES: usize = 8192;

/// How often the logger writes out what is waiting.
pub const FLUSH_INTERVAL: Duration = Duration::from_millis(50);

/// Writes one line to stderr, now.
pub fn line(args: fmt::Arguments<'_>) {
    let _ = writeln!(std::io::stderr().lock(), "{args}");
}

/// One access-log line: `GET /events 200 154B 0.3ms`.
pub fn access(method: &str, path: &str, status: u16, bytes: usize, took: Duration) {
    let ms = took.as_secs_f64() * 1000.0;
    let text = format!("{method} {path} {status} {bytes}B {ms:.1}ms\n");
    let unsent = match logger() {
        Some(queue) => queue.try_send(text).err().map(TrySendError::into_inner),
        None => Some(text),
    };
    if let Some(text) = unsent {
        let _ = std::io::stderr().lock().write_all(text.as_bytes());
    }
}

/// The logger's queue, starting the logger on first use.
fn logger() -> Option<&'static Sender<String>> {
    static QUEUE: OnceLock<Option<Sender<String>>> = OnceLock::new();
    QUEUE
        .get_or_init(|| {
            let (sender, receiver) = crossbeam_channel::bounded(QUEUE_LINES);
            thread::Builder::new()
                .name("herald-log".into())
                .spawn(move || write_lines(receiver))
                .ok()
                .map(|_| sender)
        })
        .as_ref()
}

fn write_lines(queue: Receiver<String>) {
    let mut out = BufWriter::with_capacity(64 * 1024, std::io::stderr());
    loop {
        thread::sleep(FLUSH_INTERVAL);
        for text in queue.try_iter() {
            let _ = out.write_all(text.as_bytes());
        }
        let _ = out.flush();
    }
}
