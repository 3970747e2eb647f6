//! What the integration tests share: a real server on `127.0.0.1:0`, and
//! clients that speak to it over TCP with raw bytes, as any client would.
//!
//! Every client socket has a read timeout, and every wait has a deadline, so
//! a server that does not answer makes a test fail with a message instead of
//! hanging.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use herald::{Config, Server};

pub mod browser;
pub mod hook;
pub mod ws;

/// How long any single read by a test client may wait.
pub const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// Starts a server with the default settings, changed by `adjust`.
pub fn start_with(adjust: impl FnOnce(&mut Config)) -> SocketAddr {
    let mut config = Config {
        addr: "127.0.0.1:0".into(),
        access_log: false,
        ..Config::default()
    };
    adjust(&mut config);
    let server = Server::bind(config).expect("server did not start");
    let addr = server.local_addr().expect("no local address");
    thread::spawn(move || server.run());
    addr
}

/// Starts a server with the default settings.
pub fn start() -> SocketAddr {
    start_with(|_| {})
}

/// Polls `condition` until it holds, failing the test after `limit`.
pub fn wait_until(limit: Duration, what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        thread::sleep(Duration::from_millis(10));
    }
}

/// Opens a TCP connection with a read timeout.
pub fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).expect("cannot connect");
    stream.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    stream.set_nodelay(true).unwrap();
    stream
}

/// A response as a test sees it.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Reads one response (sized by `Content-Length`) from a buffered socket.
/// `head_only` is for answers to `HEAD`, which have no body.
pub fn read_reply(reader: &mut impl BufRead, head_only: bool) -> Reply {
    let mut status_line = String::new();
    reader.read_line(&mut status_line).expect("no status line");
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).expect("header line");
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':').expect("header without colon");
        headers.push((name.to_string(), value.trim().to_string()));
    }
    let mut reply = Reply {
        status,
        headers,
        body: Vec::new(),
    };
    if !head_only {
        let length: usize = reply
            .header("Content-Length")
            .map(|v| v.parse().expect("numeric length"))
            .unwrap_or(0);
        reply.body = vec![0; length];
        reader.read_exact(&mut reply.body).expect("short body");
    }
    reply
}

/// Sends raw bytes on a new connection and reads one response.
pub fn raw(addr: SocketAddr, request: &[u8]) -> Reply {
    let mut stream = connect(addr);
    stream.write_all(request).unwrap();
    let head_only = request.starts_with(b"HEAD ");
    read_reply(&mut BufReader::new(stream), head_only)
}

/// `GET path` on a new connection.
pub fn get(addr: SocketAddr, path: &str) -> Reply {
    raw(
        addr,
        format!("GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").as_bytes(),
    )
}

/// `POST /publish` with a form body; returns the response.
pub fn post_form(addr: SocketAddr, body: &str) -> Reply {
    raw(
        addr,
        format!(
            "POST /publish HTTP/1.1\r\nHost: t\r\nContent-Type: application/x-www-form-urlencoded\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    )
}

/// `POST /publish` with `Idempotency-Key: key` (the header's value as given).
pub fn publish_with_key(addr: SocketAddr, body: &str, key: &str) -> Reply {
    raw(
        addr,
        format!(
            "POST /publish HTTP/1.1\r\nHost: t\r\nContent-Type: application/x-www-form-urlencoded\r\n\
             Idempotency-Key: {key}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    )
}

/// Publishes a form body and returns the event id from the answer.
pub fn publish(addr: SocketAddr, body: &str) -> u64 {
    let reply = post_form(addr, body);
    assert_eq!(reply.status, 200, "publish failed: {}", reply.text());
    reply
        .text()
        .trim()
        .parse()
        .expect("the body is the event id")
}

/// `/stats` as (name, number) pairs; `null` is left out.
pub fn stats(addr: SocketAddr) -> Vec<(String, u64)> {
    let reply = get(addr, "/stats");
    assert_eq!(reply.status, 200);
    let text = reply.text();
    text.trim()
        .trim_matches(|c| c == '{' || c == '}')
        .split(',')
        .filter_map(|pair| {
            let (name, value) = pair.split_once(':')?;
            Some((name.trim_matches('"').to_string(), value.parse().ok()?))
        })
        .collect()
}

/// One number from `/stats`.
pub fn stat(addr: SocketAddr, name: &str) -> u64 {
    stats(addr)
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("/stats has no {name}"))
}

/// One event as a subscriber's parser builds it (WHATWG rules).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SseEvent {
    pub id: Option<String>,
    pub event: Option<String>,
    pub topic: Option<String>,
    pub key: Option<String>,
    pub time: Option<String>,
    pub data: String,
}

impl SseEvent {
    pub fn id(&self) -> u64 {
        self.id
            .as_deref()
            .expect("event has an id")
            .parse()
            .unwrap()
    }
}

/// A subscriber to `/events`, reading and parsing the stream.
pub struct Subscriber {
    reader: BufReader<TcpStream>,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// Comment lines seen so far.
    pub comments: Vec<String>,
    /// The last `retry:` value seen.
    pub retry: Option<u64>,
}

impl Subscriber {
    /// Opens `/events?query` with extra request headers.
    pub fn open(addr: SocketAddr, query: &str, extra_headers: &str) -> Subscriber {
        let mut stream = connect(addr);
        let target = if query.is_empty() {
            "/events".to_string()
        } else {
            format!("/events?{query}")
        };
        write!(
            stream,
            "GET {target} HTTP/1.1\r\nHost: t\r\nAccept: text/event-stream\r\n{extra_headers}\r\n"
        )
        .unwrap();
        let mut reader = BufReader::new(stream);
        let reply = read_reply(&mut reader, true);
        Subscriber {
            reader,
            status: reply.status,
            headers: reply.headers,
            comments: Vec::new(),
            retry: None,
        }
    }

    /// Subscribes to everything, live only.
    pub fn all(addr: SocketAddr) -> Subscriber {
        let subscriber = Subscriber::open(addr, "", "");
        assert_eq!(subscriber.status, 200);
        subscriber
    }

    /// Resumes after `last_id` with the `Last-Event-ID` header.
    pub fn resume(addr: SocketAddr, last_id: u64) -> Subscriber {
        Subscriber::open(addr, "", &format!("Last-Event-ID: {last_id}\r\n"))
    }

    /// The next event, or a panic if none comes in time.
    pub fn next_event(&mut self) -> SseEvent {
        self.try_next_event().expect("no event arrived in time")
    }

    /// The next event, or `None` on timeout or end of stream.
    pub fn try_next_event(&mut self) -> Option<SseEvent> {
        let mut event = SseEvent::default();
        let mut has_data = false;
        loop {
            let mut line = String::new();
            match self.reader.read_line(&mut line) {
                Ok(0) | Err(_) => return None,
                Ok(_) => {}
            }
            let line = line.strip_suffix('\n').unwrap_or(&line);
            if line.is_empty() {
                if has_data {
                    return Some(event);
                }
                event = SseEvent::default();
                continue;
            }
            if let Some(comment) = line.strip_prefix(':') {
                self.comments.push(comment.trim().to_string());
                continue;
            }
            let (field, value) = line.split_once(':').unwrap_or((line, ""));
            let value = value.strip_prefix(' ').unwrap_or(value);
            match field {
                "id" => event.id = Some(value.to_string()),
                "event" => event.event = Some(value.to_string()),
                "topic" => event.topic = Some(value.to_string()),
                "key" => event.key = Some(value.to_string()),
                "time" => event.time = Some(value.to_string()),
                "retry" => self.retry = value.parse().ok(),
                "data" => {
                    if has_data {
                        event.data.push('\n');
                    }
                    event.data.push_str(value);
                    has_data = true;
                }
                _ => {}
            }
        }
    }

    /// The socket, and what was read from it but not parsed yet.
    pub fn into_parts(self) -> (Vec<u8>, TcpStream) {
        let buffered = self.reader.buffer().to_vec();
        (buffered, self.reader.into_inner())
    }

    /// Sets how long reads wait, for tests that expect silence.
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.reader
            .get_ref()
            .set_read_timeout(Some(timeout))
            .unwrap();
    }

    /// Reads until a comment line arrives; true if one did.
    pub fn wait_for_comment(&mut self, text: &str) -> bool {
        loop {
            if self.comments.iter().any(|c| c == text) {
                return true;
            }
            let mut line = String::new();
            match self.reader.read_line(&mut line) {
                Ok(0) | Err(_) => return false,
                Ok(_) => {
                    if let Some(comment) = line.trim_end().strip_prefix(':') {
                        self.comments.push(comment.trim().to_string());
                    }
                }
            }
        }
    }
}

/// A TCP proxy to `upstream` whose connections can be cut while the server
/// behind it keeps running: how a client sees a dropped network.
pub struct Proxy {
    pub addr: SocketAddr,
    open: std::sync::Arc<std::sync::Mutex<Vec<TcpStream>>>,
}

impl Proxy {
    pub fn start(upstream: SocketAddr) -> Proxy {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let open = std::sync::Arc::new(std::sync::Mutex::new(Vec::<TcpStream>::new()));
        let registry = std::sync::Arc::clone(&open);
        thread::spawn(move || {
            for client in listener.incoming().map_while(Result::ok) {
                let Ok(server) = TcpStream::connect(upstream) else {
                    continue;
                };
                let mut list = registry.lock().unwrap();
                list.push(client.try_clone().unwrap());
                list.push(server.try_clone().unwrap());
                drop(list);
                pipe(client.try_clone().unwrap(), server.try_clone().unwrap());
                pipe(server, client);
            }
        });
        Proxy { addr, open }
    }

    /// Closes every connection made so far, both ways.
    pub fn cut(&self) {
        for stream in self.open.lock().unwrap().drain(..) {
            let _ = stream.shutdown(std::net::Shutdown::Both);
        }
    }
}

fn pipe(mut from: TcpStream, mut to: TcpStream) {
    thread::spawn(move || {
        let _ = std::io::copy(&mut from, &mut to);
        let _ = to.shutdown(std::net::Shutdown::Both);
    });
}

/// The real `herald` binary in a child process, killed when dropped.
pub struct HeraldProcess {
    pub child: std::process::Child,
    pub addr: SocketAddr,
    /// Everything it has written to stderr so far.
    pub stderr: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl HeraldProcess {
    /// Starts `herald --addr 127.0.0.1:0 ARGS`, waiting until it listens.
    pub fn start(args: &[&str]) -> HeraldProcess {
        Self::try_start(args).unwrap_or_else(|lines| panic!("herald did not start: {lines:?}"))
    }

    /// Like `start`, but gives back the stderr lines if herald exits instead.
    pub fn try_start(args: &[&str]) -> Result<HeraldProcess, Vec<String>> {
        Self::launch(
            std::process::Command::new(env!("CARGO_BIN_EXE_herald"))
                .args(["--addr", "127.0.0.1:0", "--quiet"])
                .args(args),
        )
    }

    /// Runs `script` with `sh -c`, `$0` being the herald binary: for what
    /// only a shell sets up (a `ulimit`), or for arguments other than
    /// `start`'s. The script ends in `exec "$0" ...`, so the process is
    /// herald itself.
    pub fn start_in_shell(script: &str) -> HeraldProcess {
        Self::launch(
            std::process::Command::new("sh")
                .arg("-c")
                .arg(script)
                .arg(env!("CARGO_BIN_EXE_herald")),
        )
        .unwrap_or_else(|lines| panic!("herald did not start: {lines:?}"))
    }

    /// Starts `command` (herald, or a shell that execs it), waiting until
    /// it listens.
    pub fn start_command(command: &mut std::process::Command) -> HeraldProcess {
        Self::launch(command).unwrap_or_else(|lines| panic!("herald did not start: {lines:?}"))
    }

    /// Starts `command`, collects its stderr lines, and waits until herald
    /// says where it listens.
    fn launch(command: &mut std::process::Command) -> Result<HeraldProcess, Vec<String>> {
        let mut child = command
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("cannot run herald");
        let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = std::sync::Arc::clone(&lines);
        let stderr = child.stderr.take().unwrap();
        thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                seen.lock().unwrap().push(line);
            }
        });
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let listening = lines.lock().unwrap().iter().find_map(|line| {
                line.strip_prefix("herald listening on http://")
                    .map(|rest| rest.trim_end_matches('/').parse::<SocketAddr>().unwrap())
            });
            if let Some(addr) = listening {
                return Ok(HeraldProcess {
                    child,
                    addr,
                    stderr: lines,
                });
            }
            if let Ok(Some(_)) = child.try_wait() {
                thread::sleep(Duration::from_millis(50));
                return Err(lines.lock().unwrap().clone());
            }
            assert!(Instant::now() < deadline, "herald did not start in time");
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// `kill -9`, and wait until the process is gone.
    pub fn crash(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn said(&self, text: &str) -> bool {
        self.lines_with(text) > 0
    }

    /// How many of its stderr lines so far contain `text`.
    pub fn lines_with(&self, text: &str) -> usize {
        self.stderr
            .lock()
            .unwrap()
            .iter()
            .filter(|line| line.contains(text))
            .count()
    }
}

impl Drop for HeraldProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A child process that is killed when the test ends, even by a panic.
pub struct Running(pub std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Running {
    /// Starts `command` with its stdout piped; hands back its output lines.
    pub fn with_lines(
        command: &mut std::process::Command,
    ) -> (Running, std::sync::mpsc::Receiver<String>) {
        let mut child = command
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("cannot start the command");
        let stdout = child.stdout.take().unwrap();
        let (lines, receiver) = std::sync::mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if lines.send(line).is_err() {
                    return;
                }
            }
        });
        (Running(child), receiver)
    }
}

/// xorshift64*: tiny, seeded, good enough to pick mutations.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Debian's nginx with a site config of ours, stopped when dropped.
pub struct Nginx(std::process::Child);

impl Nginx {
    /// Runs `site` (a `conf.d` file: `upstream` and `server` blocks), with
    /// each `(from, to)` address replaced and `listen 80;` moved to a free
    /// loopback port; returns the guard and that port's address.
    pub fn start(site: &str, upstreams: &[(&str, SocketAddr)]) -> (Nginx, SocketAddr) {
        let dir = std::env::temp_dir().join(format!(
            "herald-nginx-{}-{}",
            std::process::id(),
            NGINX_RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut site = site.replace("listen 80;", &format!("listen 127.0.0.1:{port};"));
        for (from, to) in upstreams {
            site = site.replace(from, &to.to_string());
        }
        // The recipe is a conf.d file; nginx needs a main file around it.
        let main = format!(
            "pid {dir}/nginx.pid;\nerror_log {dir}/error.log;\nevents {{}}\nhttp {{\n\
             access_log off;\nclient_body_temp_path {dir}/body;\nproxy_temp_path {dir}/proxy;\n\
             fastcgi_temp_path {dir}/fastcgi;\nuwsgi_temp_path {dir}/uwsgi;\nscgi_temp_path {dir}/scgi;\n\
             {site}\n}}\n",
            dir = dir.display()
        );
        std::fs::write(dir.join("nginx.conf"), main).unwrap();
        let child = std::process::Command::new("nginx")
            .args([
                "-p",
                &dir.display().to_string(),
                "-c",
                "nginx.conf",
                "-g",
                "daemon off;",
            ])
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("cannot run nginx");
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let nginx = Nginx(child);
        wait_until(Duration::from_secs(10), "nginx to listen", || {
            TcpStream::connect(addr).is_ok()
        });
        (nginx, addr)
    }
}

static NGINX_RUNS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

impl Drop for Nginx {
    fn drop(&mut self) {
        // SIGTERM, so the master takes its workers down too.
        let _ = std::process::Command::new("kill")
            .arg(self.0.id().to_string())
            .status();
        let _ = self.0.wait();
    }
}
