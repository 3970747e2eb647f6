//! A clean stop: SIGTERM (or SIGINT) while streams are busy ends every event
//! stream after a whole event, sends each WebSocket close 1001, syncs the
//! event log, removes its lock file, and exits 0 within a few seconds.

mod support;

use std::io::Read;
use std::net::TcpStream;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use support::ws::{Ws, parse_server_frame};
use support::*;

/// How long herald may take to stop, at worst: it drains streams for up to
/// 2 s (the WebSocket here does not read until herald has exited, so its
/// drain takes all of that), then waits up to 5 s for connections to close,
/// and a loaded test machine needs room beyond that.
const STOP_BOUND: Duration = Duration::from_secs(10);

/// Reads everything until the server closes the connection.
fn read_to_end(mut stream: TcpStream) -> Vec<u8> {
    stream
        .set_read_timeout(Some(STOP_BOUND + Duration::from_secs(5)))
        .unwrap();
    let mut all = Vec::new();
    let _ = stream.read_to_end(&mut all);
    all
}

fn signal(herald: &HeraldProcess, name: &str) {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &herald.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Publishes 8 KiB events as fast as it can until told to stop.
fn busy_publisher(addr: std::net::SocketAddr, stop: Arc<AtomicBool>) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        let body = format!("message={}", "b".repeat(8 * 1024));
        while !stop.load(Ordering::Relaxed) {
            // Refusals and resets are expected once herald stops.
            let Ok(mut stream) = TcpStream::connect(addr) else {
                return;
            };
            let request = format!(
                "POST /publish HTTP/1.1\r\nHost: t\r\nContent-Type: application/x-www-form-urlencoded\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = std::io::Write::write_all(&mut stream, request.as_bytes());
            let _ = stream.read(&mut [0u8; 256]);
        }
    })
}

fn stops_cleanly(signal_name: &str) {
    let dir =
        std::env::temp_dir().join(format!("herald-stop-{signal_name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut herald = HeraldProcess::start(&["--data-dir", &dir.display().to_string()]);
    let addr = herald.addr;
    assert!(dir.join("herald.pid").exists());

    let sse = Subscriber::all(addr);
    let (mut sse_bytes, sse_stream) = sse.into_parts();
    let mut ws = Ws::open(addr, "");
    wait_until(Duration::from_secs(5), "both to listen", || {
        stat(addr, "listeners") == 2
    });
    let stop = Arc::new(AtomicBool::new(false));
    let publisher = busy_publisher(addr, Arc::clone(&stop));
    wait_until(Duration::from_secs(5), "events to flow", || {
        stat(addr, "published") > 20
    });

    let sse_reader = thread::spawn(move || read_to_end(sse_stream));
    signal(&herald, signal_name);
    let asked = Instant::now();
    let status = loop {
        if let Some(status) = herald.child.try_wait().unwrap() {
            break status;
        }
        assert!(asked.elapsed() < STOP_BOUND, "herald did not stop in time");
        thread::sleep(Duration::from_millis(10));
    };
    stop.store(true, Ordering::Relaxed);
    publisher.join().unwrap();
    assert!(status.success(), "exit status {status:?}");

    sse_bytes.extend(sse_reader.join().unwrap());
    assert!(
        sse_bytes.ends_with(b"\n\n"),
        "the event stream ends after a whole event: {:?}",
        String::from_utf8_lossy(&sse_bytes[sse_bytes.len().saturating_sub(80)..])
    );

    let mut rest = std::mem::take(&mut ws.buf);
    rest.extend(read_to_end(ws.stream.try_clone().unwrap()));
    let mut frames = Vec::new();
    let mut at = 0;
    while let Some((frame, used)) = parse_server_frame(&rest[at..]) {
        frames.push(frame);
        at += used;
    }
    assert_eq!(at, rest.len(), "no frame cut in half");
    let last = frames.last().expect("at least the close frame");
    assert_eq!(last.close_code(), 1001, "going away");

    assert!(!dir.join("herald.pid").exists(), "the lock file is removed");
    // Read from its stderr by a thread of the test's: wait for the line.
    wait_until(
        std::time::Duration::from_secs(5),
        "herald to say it stops",
        || herald.said("stopping"),
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sigterm_stops_cleanly_with_streams_busy() {
    stops_cleanly("TERM");
}

#[test]
fn sigint_stops_cleanly_too() {
    stops_cleanly("INT");
}
