//! Log lines on stderr: one per request (the access log) and the odd notice.
//!
//! Access-log lines collect in one buffer that the connection threads share:
//! a thread takes the lock only to append its line, then goes on. One logger
//! thread wakes every [`LOG_FLUSH_INTERVAL`], swaps the buffer for an empty one,
//! writes what it took in one write, and sleeps again. It is never woken by a
//! line: waking it for each request would cost a context switch per request,
//! about as much as the request itself. A line therefore appears within that
//! interval, and a request costs no allocation for its line once the two
//! buffers have grown to what one interval holds. If the logger falls behind
//! (the buffer passed [`LOG_MAX_PENDING_BYTES`]) a connection writes its line
//! itself, so no line is lost and the log slows the server down rather than
//! grow memory.
//!
//! Each line is written whole, so lines from different threads never
//! interleave. A failed write to stderr is ignored: logging must never take
//! the server down.

use std::fmt::{self, Write as _};
use std::io::{Write, stderr};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};
use std::thread;
use std::time::Duration;

use crate::limits::{LOG_FLUSH_INTERVAL, LOG_MAX_PENDING_BYTES};

/// Lines waiting for the logger.
static PENDING: Mutex<Vec<u8>> = Mutex::new(Vec::new());

/// Writes one line to stderr, now.
pub fn line(args: fmt::Arguments<'_>) {
    let _ = writeln!(std::io::stderr().lock(), "{args}");
}

/// One access-log line: `GET /events 200 154B 0.3ms`.
pub fn access(method: &str, path: &str, status: u16, bytes: usize, took: Duration) {
    static LOGGER_RUNNING: OnceLock<bool> = OnceLock::new();
    let logger_running = *LOGGER_RUNNING.get_or_init(start_logger);
    // Tenths of a millisecond, rounded, written as integers.
    let tenths = (took.as_micros() + 50) / 100;
    let path = Escaped(path);
    let line = format_args!(
        "{method} {path} {status} {bytes}B {}.{}ms\n",
        tenths / 10,
        tenths % 10
    );
    if logger_running {
        let mut pending = pending();
        if pending.len() < LOG_MAX_PENDING_BYTES {
            let _ = pending.write_fmt(line);
            return;
        }
    }
    let _ = stderr().lock().write_fmt(line);
}

/// A client's text as it goes into a log line: every character that could
/// end the line, move the cursor or turn the text around in a viewer (C0
/// and C1 controls, U+2028/2029, bidirectional marks and overrides) is
/// written as `\u{XX}`, and a backslash as `\\`, so a line always reads as
/// what was sent and one request is always one line. (The method needs no
/// such care: `httparse` allows only token characters in it.)
pub struct Escaped<'a>(pub &'a str);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plain = |b: u8| b.is_ascii_graphic() && b != b'\\';
        if self.0.bytes().all(plain) {
            return f.write_str(self.0);
        }
        for c in self.0.chars() {
            match c {
                '\\' => f.write_str("\\\\")?,
                c if hides_or_breaks(c) => write!(f, "\\u{{{:x}}}", u32::from(c))?,
                c => f.write_char(c)?,
            }
        }
        Ok(())
    }
}

/// Whether `c` could break a log line or hide what it says.
fn hides_or_breaks(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{2028}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        )
}

/// The waiting lines. Nothing that can panic runs under this lock, and if
/// something did, the buffer would still be bytes to write: the lock is
/// taken even then.
fn pending() -> MutexGuard<'static, Vec<u8>> {
    PENDING.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Starts the logger thread; without one, connections write their own lines.
fn start_logger() -> bool {
    thread::Builder::new()
        .name("herald-log".into())
        .spawn(write_lines)
        .is_ok()
}

fn write_lines() {
    let mut taken = Vec::new();
    loop {
        thread::sleep(LOG_FLUSH_INTERVAL);
        std::mem::swap(&mut *pending(), &mut taken);
        if !taken.is_empty() {
            let _ = stderr().lock().write_all(&taken);
            taken.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_could_forge_a_line_is_escaped() {
        let escaped = |text| Escaped(text).to_string();
        assert_eq!(escaped("/plain?a=1"), "/plain?a=1");
        assert_eq!(escaped("/é"), "/é");
        assert_eq!(escaped("/a\nb\rc"), "/a\\u{a}b\\u{d}c");
        assert_eq!(escaped("/\u{85}\u{9b}\u{7f}"), "/\\u{85}\\u{9b}\\u{7f}");
        assert_eq!(
            escaped("/\u{202e}\u{2028}\u{2066}"),
            "/\\u{202e}\\u{2028}\\u{2066}"
        );
        assert_eq!(escaped("/a\\u{85}"), "/a\\\\u{85}");
    }
}
