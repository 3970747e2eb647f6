//! A stub of the app behind `--auth-hook`, with std only: it records every
//! question herald asks and answers as the test tells it, including the
//! ways a real app fails (slow, wrong status, garbage, too large, gone).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// One question herald asked.
#[derive(Debug, Clone)]
pub struct Question {
    /// Header lines as sent, lower-cased names.
    pub headers: Vec<(String, String)>,
    /// The JSON body.
    pub body: String,
}

impl Question {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn cookie(&self) -> &str {
        self.header("cookie").unwrap_or("")
    }
}

/// How the stub answers a question.
pub enum Reply {
    /// This status and JSON body (with its length).
    Json(u16, String),
    /// Wait this long before answering 200 with everything allowed.
    Slow(Duration),
    /// These bytes, as they are, then close.
    Raw(Vec<u8>),
    /// Close without a word.
    Hang,
}

type Rule = dyn Fn(&Question) -> Reply + Send + Sync;

/// The stub app.
pub struct Hook {
    pub addr: SocketAddr,
    questions: Arc<Mutex<Vec<Question>>>,
    rule: Arc<Mutex<Arc<Rule>>>,
}

impl Hook {
    /// Starts the stub, answering by `rule`.
    pub fn start(rule: impl Fn(&Question) -> Reply + Send + Sync + 'static) -> Hook {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let questions = Arc::new(Mutex::new(Vec::new()));
        let rule: Arc<Mutex<Arc<Rule>>> = Arc::new(Mutex::new(Arc::new(rule)));
        let (seen, rules) = (Arc::clone(&questions), Arc::clone(&rule));
        thread::spawn(move || {
            for stream in listener.incoming().map_while(Result::ok) {
                let (seen, rule) = (Arc::clone(&seen), Arc::clone(&*rules.lock().unwrap()));
                thread::spawn(move || answer(stream, &seen, &*rule));
            }
        });
        Hook {
            addr,
            questions,
            rule,
        }
    }

    /// Answers by `rule` from now on.
    pub fn set_rule(&self, rule: impl Fn(&Question) -> Reply + Send + Sync + 'static) {
        *self.rule.lock().unwrap() = Arc::new(rule);
    }

    /// The URL to give `--auth-hook`.
    pub fn url(&self) -> String {
        format!("http://{}/herald/auth", self.addr)
    }

    /// Every question so far.
    pub fn questions(&self) -> Vec<Question> {
        self.questions.lock().unwrap().clone()
    }

    pub fn calls(&self) -> usize {
        self.questions.lock().unwrap().len()
    }
}

fn answer(stream: TcpStream, seen: &Mutex<Vec<Question>>, rule: &Rule) {
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
    }
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let question = Question {
        headers,
        body: String::from_utf8_lossy(&body).to_string(),
    };
    seen.lock().unwrap().push(question.clone());
    let mut stream = reader.into_inner();
    let bytes = match rule(&question) {
        Reply::Json(status, body) => format!(
            "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .into_bytes(),
        Reply::Slow(pause) => {
            thread::sleep(pause);
            let body = r#"{"listen":"*","publish":"*"}"#;
            format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{body}", body.len()).into_bytes()
        }
        Reply::Raw(bytes) => bytes,
        Reply::Hang => return,
    };
    let _ = stream.write_all(&bytes);
}

/// A grant as the hook sends it.
pub fn grant(listen: &str, publish: &str, ttl: u64) -> Reply {
    Reply::Json(
        200,
        format!(r#"{{"listen":{listen},"publish":{publish},"ttl":{ttl},"user":"u"}}"#),
    )
}
