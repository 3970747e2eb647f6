//! The herald under test: the release binary started as a child process,
//! and the few ways the benchmark asks it how it is doing.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// A running herald, killed when dropped.
pub(crate) struct Herald {
    child: Child,
    pub(crate) addr: SocketAddr,
}

impl Herald {
    /// Starts `herald --addr 127.0.0.1:0 --quiet EXTRA` and waits until it
    /// says where it listens.
    pub(crate) fn start(extra: &[&str]) -> Herald {
        let mut child = Command::new(env!("CARGO_BIN_EXE_herald"))
            .args(["--addr", "127.0.0.1:0", "--quiet"])
            .args(extra)
            .stderr(Stdio::piped())
            .spawn()
            .expect("cannot start herald");
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        let addr = loop {
            line.clear();
            assert!(
                stderr.read_line(&mut line).unwrap() > 0,
                "herald did not start"
            );
            if let Some(rest) = line.trim().strip_prefix("herald listening on http://") {
                break rest.trim_end_matches('/').parse().unwrap();
            }
        };
        thread::spawn(move || io::copy(&mut stderr, &mut io::sink()));
        Herald { child, addr }
    }

    /// Its resident memory, from `/proc/PID/status`.
    pub(crate) fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    }

    /// The server's CPU time so far, user and system, in clock ticks
    /// (1/100 s: `USER_HZ`, fixed for `/proc` on Linux). Threads that have
    /// ended are included.
    pub(crate) fn cpu_ticks(&self) -> (u64, u64) {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap();
        // After the command name in parentheses come the fields from the 3rd
        // on; utime and stime are the 14th and 15th.
        let after_name = &stat[stat.rfind(')').unwrap() + 1..];
        let mut fields = after_name.split_whitespace().skip(11);
        let mut next = || fields.next().unwrap().parse().unwrap();
        (next(), next())
    }

    /// The whole answer (head and body) to `GET path`.
    pub(crate) fn get(&self, path: &str) -> String {
        let mut stream = TcpStream::connect(self.addr).unwrap();
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut text = String::new();
        stream.read_to_string(&mut text).unwrap();
        text
    }

    /// One number from its `/stats`.
    pub(crate) fn stat(&self, name: &str) -> u64 {
        let text = self.get("/stats");
        let key = format!("\"{name}\":");
        let at = text.find(&key).unwrap() + key.len();
        text[at..]
            .split([',', '}'])
            .next()
            .unwrap()
            .parse()
            .unwrap()
    }

    /// Waits (at most a minute) until it holds `count` subscribers.
    pub(crate) fn wait_for_listeners(&self, count: usize) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.stat("listeners") != count as u64 {
            assert!(Instant::now() < deadline, "listeners never reached {count}");
            thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Herald {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A keep-alive connection to herald: the half to write requests to, and
/// the half to read answers from.
pub(crate) fn keep_alive_client(addr: SocketAddr) -> (TcpStream, BufReader<TcpStream>) {
    let stream = TcpStream::connect(addr).unwrap();
    stream.set_nodelay(true).unwrap();
    let writer = stream.try_clone().unwrap();
    (writer, BufReader::new(stream))
}

/// Reads one response with a `Content-Length` body.
pub(crate) fn read_response(reader: &mut BufReader<TcpStream>) {
    let mut length = 0;
    let mut line = String::new();
    loop {
        line.clear();
        reader.read_line(&mut line).unwrap();
        if line == "\r\n" {
            break;
        }
        if let Some(n) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = n.trim().parse().unwrap();
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
}
