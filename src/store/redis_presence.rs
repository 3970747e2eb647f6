//! Presence across instances on one Redis (cargo feature `redis`; see
//! `hub/presence/`): each instance shares its own entries and reads the
//! others', so every list is the cluster's.
//!
//! Every `--presence-interval`, one thread asks the hub for this
//! instance's entries (as text, `hub/presence/remote.rs`) and runs
//! [`SHARE`]: it stores them under a key of the instance's own that
//! expires after [`PRESENCE_REDIS_EXPIRY_INTERVALS`] intervals, notes the
//! instance in a sorted set by that expiry, forgets instances past
//! theirs, and returns the others' entries, which go back to the hub.
//!
//! So an instance that dies (`kill -9`, a lost box) stops refreshing, and
//! its people leave every list when its key expires: within three
//! intervals, plus one for the others' next read, plus one for the
//! lists' window. A restarted instance has a new name and never takes
//! up the old one's entries; a clean stop deletes its key at once. The
//! times are Redis's own (`TIME`), so the instances' clocks need not agree.

use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use redis::Connection;

use crate::hub::Command;
use crate::hub::handle::Handle;
use crate::hub::presence::{Ask, RemoteTopics};
use crate::limits::PRESENCE_REDIS_EXPIRY_INTERVALS;
use crate::stderr_log;
use crate::store::redis_bus::RedisBus;

/// KEYS: the sorted set of instances (each instance's key is its name
/// after it and a colon). ARGV: this instance's name, its entries, their
/// lifetime in ms. Returns the other live instances' entries.
pub const SHARE: &str = "\
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local life = tonumber(ARGV[3])
redis.call('SET', KEYS[1] .. ':' .. ARGV[1], ARGV[2], 'PX', life)
redis.call('ZADD', KEYS[1], now + life, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local others = {}
for _, name in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if name ~= ARGV[1] then
    local entries = redis.call('GET', KEYS[1] .. ':' .. name)
    if entries then table.insert(others, entries) end
  end
end
return others";

/// Starts the thread that shares this instance's presence every
/// `interval` and hands the others' to the hub.
pub fn spawn(
    bus: &Arc<RedisBus>,
    hub: Handle,
    interval: Duration,
) -> std::io::Result<JoinHandle<()>> {
    let sharing = Sharing {
        bus: Arc::clone(bus),
        hub,
        interval,
        set: format!("{}:presence", bus.stream_name()),
        name: instance_name(),
    };
    thread::Builder::new()
        .name("herald-presence".into())
        .spawn(move || sharing.run())
}

struct Sharing {
    bus: Arc<RedisBus>,
    hub: Handle,
    interval: Duration,
    /// The sorted set of instances.
    set: String,
    /// This instance's name in it.
    name: String,
}

impl Sharing {
    fn run(self) {
        let mut connection: Option<Connection> = None;
        let mut last_heard = Instant::now();
        let life = self.interval * PRESENCE_REDIS_EXPIRY_INTERVALS;
        let mut warned = false;
        while !self.bus.is_stopping() {
            let Ok(local) = self.hub.local_presence() else {
                break; // the hub has stopped
            };
            match self.share(&mut connection, &local, life) {
                Ok(remote) => {
                    last_heard = Instant::now();
                    warned = false;
                    let _ = self.hub.send(Command::Presence(Ask::Remote(remote)));
                }
                Err(error) => {
                    connection = None;
                    if !warned {
                        warned = true;
                        stderr_log::line(format_args!(
                            "herald: cannot share presence through redis ({error})"
                        ));
                    }
                    // The others' entries are as stale as theirs would be.
                    if last_heard.elapsed() > life {
                        let _ = self
                            .hub
                            .send(Command::Presence(Ask::Remote(RemoteTopics::default())));
                    }
                }
            }
            self.pause();
        }
        self.leave(&mut connection);
    }

    /// Stores `local`, and returns the other instances' entries.
    fn share(
        &self,
        connection: &mut Option<Connection>,
        local: &str,
        life: Duration,
    ) -> redis::RedisResult<RemoteTopics> {
        let live = match connection {
            Some(live) => live,
            None => connection.insert(self.bus.connection()?),
        };
        let others: Vec<String> = redis::cmd("EVAL")
            .arg(SHARE)
            .arg(1)
            .arg(&self.set)
            .arg(&self.name)
            .arg(local)
            .arg(life.as_millis() as u64)
            .query(live)?;
        let mut remote = RemoteTopics::default();
        let unread: usize = others.iter().map(|text| remote.add_instance(text)).sum();
        if unread > 0 {
            stderr_log::line(format_args!(
                "herald: skipped {unread} presence lines from redis that herald does not write"
            ));
        }
        Ok(remote)
    }

    /// Sleeps until the next share, waking early when the server stops.
    fn pause(&self) {
        let until = Instant::now() + self.interval;
        while !self.bus.is_stopping() {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            thread::sleep(left.min(Duration::from_millis(50)));
        }
    }

    /// A clean stop: this instance's people leave the lists now.
    fn leave(&self, connection: &mut Option<Connection>) {
        let Some(live) = connection.as_mut() else {
            return;
        };
        let key = format!("{}:{}", self.set, self.name);
        let _: redis::RedisResult<()> = redis::pipe()
            .cmd("DEL")
            .arg(&key)
            .cmd("ZREM")
            .arg(&self.set)
            .arg(&self.name)
            .query(live);
    }
}

/// A name no other instance has, nor this one after a restart: the
/// process id and the start time's nanoseconds.
fn instance_name() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos());
    format!("{}-{nanos}", std::process::id())
}
