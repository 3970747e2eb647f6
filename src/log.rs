//! Log lines on stderr: one per request (the access log) and the odd notice.
//!
//! Each line is written whole under stderr's lock, so lines from different
//! connection threads never interleave. A failed write to stderr is ignored:
//! logging must never take the server down.

use std::fmt;
use std::io::Write;
use std::time::Duration;

/// Writes one line to stderr.
pub fn line(args: fmt::Arguments<'_>) {
    let _ = writeln!(std::io::stderr().lock(), "{args}");
}

/// One access-log line: `GET /events 200 154B 0.3ms`.
pub fn access(method: &str, path: &str, status: u16, bytes: usize, took: Duration) {
    let ms = took.as_secs_f64() * 1000.0;
    line(format_args!("{method} {path} {status} {bytes}B {ms:.1}ms"));
}
