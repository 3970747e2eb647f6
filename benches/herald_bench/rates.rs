//! Request rates: keep-alive connections sending one request over and over,
//! and what each request cost the server in CPU time.

use std::io::Write;
use std::net::SocketAddr;
use std::thread;
use std::time::{Duration, Instant};

use crate::server::{Herald, keep_alive_client, read_response};

/// A `POST /publish` of the form field `message=TEXT`.
pub(crate) fn publish_request(text: &str) -> String {
    publish_form(&format!("message={text}"))
}

/// A `POST /publish` of the form `body`.
pub(crate) fn publish_form(body: &str) -> String {
    format!(
        "POST /publish HTTP/1.1\r\nHost: b\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

/// Requests answered per second, and the server's CPU time per request:
/// with one core's worth of CPU to spend, the time per request is what
/// sets the rate.
pub(crate) struct RequestRate {
    per_second: f64,
    user_us: f64,
    system_us: f64,
}

impl RequestRate {
    /// Sends `request` over and over on `connections` keep-alive
    /// connections for `seconds`.
    pub(crate) fn measure(
        herald: &Herald,
        request: &str,
        connections: usize,
        seconds: u64,
    ) -> RequestRate {
        Self::measure_each(herald, &vec![request.to_string(); connections], seconds)
    }

    /// Sends `requests[i]` over and over on connection `i`, for `seconds`.
    pub(crate) fn measure_each(herald: &Herald, requests: &[String], seconds: u64) -> RequestRate {
        let (user_before, system_before) = herald.cpu_ticks();
        let started = Instant::now();
        let answered = send_each_repeatedly(herald.addr, requests, seconds);
        let elapsed = started.elapsed().as_secs_f64();
        let (user_after, system_after) = herald.cpu_ticks();
        let us_per_request = |ticks: u64| ticks as f64 * 10_000.0 / answered.max(1) as f64;
        RequestRate {
            per_second: answered as f64 / elapsed,
            user_us: us_per_request(user_after - user_before),
            system_us: us_per_request(system_after - system_before),
        }
    }
}

impl RequestRate {
    /// Requests answered per second.
    pub(crate) fn per_second(&self) -> f64 {
        self.per_second
    }
}

impl std::fmt::Display for RequestRate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:.0} requests/s, server CPU per request {:.1} us user + {:.1} us system",
            self.per_second, self.user_us, self.system_us
        )
    }
}

/// Sends `requests[i]` over and over on keep-alive connection `i` for
/// `seconds`; returns how many were answered.
pub(crate) fn send_each_repeatedly(addr: SocketAddr, requests: &[String], seconds: u64) -> u64 {
    let stop = Instant::now() + Duration::from_secs(seconds);
    let workers: Vec<_> = requests
        .iter()
        .map(|request| {
            let request = request.clone();
            thread::spawn(move || {
                let (mut writer, mut reader) = keep_alive_client(addr);
                let mut answered = 0u64;
                while Instant::now() < stop {
                    writer.write_all(request.as_bytes()).unwrap();
                    read_response(&mut reader);
                    answered += 1;
                }
                answered
            })
        })
        .collect();
    workers.into_iter().map(|w| w.join().unwrap()).sum()
}
