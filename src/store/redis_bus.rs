//! Several herald instances on one Redis stream (cargo feature `redis`).
//!
//! With `--redis URL`, a publish is appended to a Redis stream (`XADD`, with
//! an approximate `MAXLEN` of the history size) and acknowledged only once
//! Redis has taken it. The event's id comes from the stream entry's id, so
//! every instance gives the same event the same id. Each instance runs one
//! reader thread that follows the stream (`XREAD BLOCK`) from the last entry
//! it saw and feeds its own hub; a local publish reaches local subscribers
//! the same way as a remote one, so every instance sends events in the
//! stream's order. Everything after the hub is unchanged.
//!
//! An entry id is `MILLISECONDS-SEQUENCE`; herald's id is
//! `MILLISECONDS * 1000 + SEQUENCE`, which keeps ids in the same range as a
//! single server's (microseconds since 1970) and below 2^53, so browsers
//! compare them exactly. That allows 1,000 entries per millisecond; an entry
//! past that is refused with 503 rather than given an id out of order.
//!
//! A publish with an idempotency key runs [`ADD_ONCE`], a Lua script, in
//! place of `XADD`: Redis checks the key and appends in one step, so a
//! retry gets the first entry's id from whichever instance it reaches,
//! even while the first try is still on its way. Redis keeps each key for
//! [`IDEMPOTENCY_REDIS_TTL_SECONDS`].
//!
//! A keyed event (live state, see `hub/state/`) runs [`ADD_KEYED`] instead,
//! which also keeps the key's current value in a hash beside the stream,
//! so that an instance started later serves every key
//! (`store/redis_state.rs`). The reader follows each keyed event into the
//! publishers' ledger, so every instance counts the same keys and ends the
//! same ttls.
//!
//! When Redis fails, a publish gets `503` within about a second (the
//! connection's timeouts), subscribers keep their streams, and the reader
//! reconnects with a growing pause and resumes after its last entry, so
//! nothing appended in the meantime is skipped.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use redis::{Connection, Value};

use crate::clock::millis_since_epoch;
use crate::event::Change;
use crate::event::{Event, EventId};
use crate::hub::Command;
use crate::hub::handle::Handle;
use crate::hub::history::Stored;
use crate::hub::queue_budget::QueueBudget;
use crate::hub::state::ledger::{Keying, Ledger};
use crate::limits::{
    HUB_QUEUE_WAIT, IDEMPOTENCY_REDIS_TTL_SECONDS, REDIS_MAX_BACKOFF, REDIS_MIN_BACKOFF,
    REDIS_READ_BLOCK_MS, REDIS_READ_MAX_ENTRIES, REDIS_TIMEOUT,
};
use crate::stderr_log;
use crate::store::not_stored::{NotStored, RedisUnusable};
use crate::store::record::Record;
use crate::store::redis_state::{self, ADD_KEYED};
use crate::wire::encoded::EncodedEvent;

/// What the reader hands events to: the hub, the queue's byte budget, and
/// the publishers' ledger of keys.
struct Reader {
    hub: Handle,
    budget: Arc<QueueBudget>,
    ledger: Arc<Mutex<Ledger>>,
}

/// What the stream gives back at start-up.
pub struct Restored {
    /// The newest entries, oldest first.
    pub recent: Vec<Record>,
    /// Each key's current value older than `recent`, oldest first.
    pub older_values: Vec<Record>,
    /// The last entry's id, to follow the stream from.
    pub last_entry: String,
}

/// The way to one Redis stream, shared by every connection thread.
pub struct RedisBus {
    client: redis::Client,
    stream: String,
    max_len: usize,
    /// The publishing connection, made again after a failure.
    connection: Mutex<Option<Connection>>,
    /// Set at shutdown: the reader stops after its current `XREAD`.
    stopping: AtomicBool,
    /// What `/stats` shows.
    pub state: Arc<RedisState>,
}

/// The Redis link's health, for `/stats`.
#[derive(Default)]
pub struct RedisState {
    up: AtomicBool,
    /// When the reader last heard from Redis, in ms since 1970.
    last_read_ms: AtomicU64,
}

impl RedisState {
    /// Whether the last command to Redis worked.
    pub fn is_up(&self) -> bool {
        self.up.load(Ordering::Acquire)
    }

    /// Milliseconds since the reader last heard from Redis.
    pub fn reader_lag_ms(&self) -> u64 {
        millis_since_epoch().saturating_sub(self.last_read_ms.load(Ordering::Acquire))
    }
}

/// Turns a Redis error met at start-up into the reason herald gives.
fn unusable(doing: &'static str) -> impl Fn(redis::RedisError) -> RedisUnusable {
    move |error| RedisUnusable {
        doing,
        detail: error.to_string(),
    }
}

impl RedisBus {
    /// Opens the bus (the URL is checked now; connections are made lazily).
    pub fn open(url: &str, stream: &str, max_len: usize) -> Result<RedisBus, RedisUnusable> {
        let client = redis::Client::open(url).map_err(unusable("bad --redis URL"))?;
        Ok(RedisBus {
            client,
            stream: stream.to_string(),
            max_len,
            connection: Mutex::new(None),
            stopping: AtomicBool::new(false),
            state: Arc::default(),
        })
    }

    fn connect(&self) -> redis::RedisResult<Connection> {
        let connection = self.client.get_connection_with_timeout(REDIS_TIMEOUT)?;
        connection.set_read_timeout(Some(REDIS_TIMEOUT))?;
        connection.set_write_timeout(Some(REDIS_TIMEOUT))?;
        Ok(connection)
    }

    /// Appends `event` to the stream; its id once Redis has it.
    ///
    /// # Errors
    /// The reason for the client when Redis cannot be reached or refuses.
    pub fn publish(&self, event: &Event) -> Result<EventId, NotStored> {
        if let Some(command) = self.keyed_command(event) {
            return self.run_add(with_fields(command, event));
        }
        let command = match event.idempotency_key_value() {
            None => {
                let mut command = redis::cmd("XADD");
                command
                    .arg(&self.stream)
                    .arg("MAXLEN")
                    .arg("~")
                    .arg(self.max_len)
                    .arg("*");
                command
            }
            Some(key) => {
                let mut command = redis::cmd("EVAL");
                command.arg(ADD_ONCE).arg(2).arg(&self.stream);
                command.arg(format!("{}:idempotency:{key}", self.stream));
                command.arg(self.max_len).arg(IDEMPOTENCY_REDIS_TTL_SECONDS);
                command
            }
        };
        self.run_add(with_fields(command, event))
    }

    /// The [`ADD_KEYED`] call for a keyed event, without its fields.
    fn keyed_command(&self, event: &Event) -> Option<redis::Cmd> {
        let (field, change, ends, framed) = redis_state::arguments(event)?;
        let once = event.idempotency_key_value().map_or(String::new(), |key| {
            format!("{}:idempotency:{key}", self.stream)
        });
        let mut command = redis::cmd("EVAL");
        command.arg(ADD_KEYED).arg(3).arg(&self.stream);
        command.arg(redis_state::hash_name(&self.stream)).arg(once);
        command.arg(self.max_len).arg(IDEMPOTENCY_REDIS_TTL_SECONDS);
        command.arg(field).arg(change).arg(ends).arg(framed);
        Some(command)
    }

    /// Runs an `XADD` (or [`ADD_ONCE`]) on the publishing connection.
    fn run_add(&self, command: redis::Cmd) -> Result<EventId, NotStored> {
        let mut connection = self
            .connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if connection.is_none() {
            *connection = self.connect().ok();
        }
        let reply = match connection.as_mut() {
            Some(live) => command.query::<Option<String>>(live),
            None => Err(redis::RedisError::from((
                redis::ErrorKind::Io,
                "no connection",
            ))),
        };
        match reply {
            Ok(entry) => {
                self.state.up.store(true, Ordering::Release);
                // No entry: an expiry another instance got to first.
                let entry = entry.ok_or(NotStored::Superseded)?;
                event_id(&entry).ok_or(NotStored::TooManyInOneMillisecond)
            }
            Err(_) => {
                *connection = None;
                self.state.up.store(false, Ordering::Release);
                Err(NotStored::RedisDown)
            }
        }
    }

    /// The newest `count` entries, oldest first, the keys' current values
    /// older than them, and the last entry's id (`0` for an empty stream),
    /// read as one step, to fill the hub at start-up.
    pub fn recent(&self, count: usize) -> Result<Restored, RedisUnusable> {
        let mut connection = self.connect().map_err(unusable("cannot reach redis"))?;
        let (reply, values): (Value, Value) = redis::pipe()
            .atomic()
            .cmd("XREVRANGE")
            .arg(&self.stream)
            .arg("+")
            .arg("-")
            .arg("COUNT")
            .arg(count.max(1))
            .cmd("HGETALL")
            .arg(redis_state::hash_name(&self.stream))
            .query(&mut connection)
            .map_err(unusable("cannot read the redis stream"))?;
        let mut entries = entries(&reply);
        entries.reverse();
        let last = entries
            .last()
            .map_or("0".to_string(), |(entry, _)| entry.clone());
        let records: Vec<Record> = entries
            .into_iter()
            .filter_map(|(entry, event)| {
                let id = event_id(&entry)?;
                Some(Record {
                    id,
                    time_ms: id / 1000,
                    event,
                })
            })
            .collect();
        let oldest = records.first().map_or(EventId::MAX, |record| record.id);
        let mut values = redis_state::values(&values);
        values.retain(|value| value.id < oldest);
        self.state.up.store(true, Ordering::Release);
        self.state
            .last_read_ms
            .store(millis_since_epoch(), Ordering::Release);
        Ok(Restored {
            recent: records,
            older_values: values,
            last_entry: last,
        })
    }

    /// Starts the reader, which follows the stream after entry `after` and
    /// hands each event to the hub.
    pub fn spawn_reader(
        self: &Arc<Self>,
        hub: Handle,
        budget: Arc<QueueBudget>,
        ledger: Arc<Mutex<Ledger>>,
        after: String,
    ) -> std::io::Result<JoinHandle<()>> {
        let bus = Arc::clone(self);
        let reader = Reader {
            hub,
            budget,
            ledger,
        };
        thread::Builder::new()
            .name("herald-redis".into())
            .spawn(move || bus.follow(&reader, after))
    }

    /// Encodes an event read from the stream and queues it for the hub,
    /// waiting for room in the queue as a publisher does; false once the
    /// hub or this reader has stopped.
    fn queue(&self, reader: &Reader, id: u64, event: &Event) -> bool {
        let Reader {
            hub,
            budget,
            ledger,
        } = reader;
        // The entry's id is the time Redis appended it, in ms: the same
        // time on every instance.
        let encoded = EncodedEvent::new(event, id / 1000);
        if let Some(keyed) = &encoded.keyed {
            let size = Stored::size_of(&encoded);
            let keying = Keying::from_parts(encoded.topic.as_deref(), keyed, size, id / 1000);
            ledger
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .record(id, &keying);
        }
        let reserved = loop {
            if self.stopping.load(Ordering::Acquire) {
                return false;
            }
            if let Some(reserved) = budget.reserve(encoded.size_bytes(), HUB_QUEUE_WAIT) {
                break reserved;
            }
        };
        let command = Command::Publish {
            id,
            event: encoded,
            reserved,
        };
        hub.send_waiting(command)
    }

    fn follow(&self, reader: &Reader, mut after: String) {
        let mut pause = REDIS_MIN_BACKOFF;
        let mut connection: Option<Connection> = None;
        while !self.stopping.load(Ordering::Acquire) {
            let live = match connection.as_mut() {
                Some(live) => live,
                None => match self.connect_reader() {
                    Ok(made) => connection.insert(made),
                    Err(error) => {
                        self.went_down(&error.to_string(), pause);
                        thread::sleep(pause);
                        pause = (pause * 2).min(REDIS_MAX_BACKOFF);
                        continue;
                    }
                },
            };
            let reply: redis::RedisResult<Value> = redis::cmd("XREAD")
                .arg("COUNT")
                .arg(REDIS_READ_MAX_ENTRIES)
                .arg("BLOCK")
                .arg(REDIS_READ_BLOCK_MS)
                .arg("STREAMS")
                .arg(&self.stream)
                .arg(&after)
                .query(live);
            match reply {
                Ok(value) => {
                    pause = REDIS_MIN_BACKOFF;
                    if !self.state.up.swap(true, Ordering::AcqRel) {
                        stderr_log::line(format_args!("herald: redis is reachable again"));
                    }
                    self.state
                        .last_read_ms
                        .store(millis_since_epoch(), Ordering::Release);
                    for (entry, event) in streams_entries(&value) {
                        if let Some(id) = event_id(&entry)
                            && !self.queue(reader, id, &event)
                        {
                            return; // the hub has stopped: so does the reader
                        }
                        after = entry;
                    }
                }
                Err(error) => {
                    connection = None;
                    self.went_down(&error.to_string(), pause);
                    thread::sleep(pause);
                    pause = (pause * 2).min(REDIS_MAX_BACKOFF);
                }
            }
        }
    }

    /// Whether the last command to Redis worked.
    pub fn is_up(&self) -> bool {
        self.state.is_up()
    }

    /// Milliseconds since the reader last heard from Redis.
    pub fn reader_lag_ms(&self) -> u64 {
        self.state.reader_lag_ms()
    }

    /// Asks the reader to stop (within one `XREAD BLOCK`).
    pub fn stop(&self) {
        self.stopping.store(true, Ordering::Release);
    }

    /// Whether the server is stopping: the threads on the bus end.
    pub fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::Acquire)
    }

    /// The stream's name, which names what lies beside it.
    pub fn stream_name(&self) -> &str {
        &self.stream
    }

    /// A new connection with the bus's timeouts, for a thread of its own.
    pub fn connection(&self) -> redis::RedisResult<Connection> {
        self.connect()
    }

    /// A reader connection: its reads wait longer than `XREAD BLOCK`.
    fn connect_reader(&self) -> redis::RedisResult<Connection> {
        let connection = self.connect()?;
        connection.set_read_timeout(Some(
            Duration::from_millis(REDIS_READ_BLOCK_MS) + REDIS_TIMEOUT,
        ))?;
        Ok(connection)
    }

    fn went_down(&self, error: &str, pause: Duration) {
        if self.state.up.swap(false, Ordering::AcqRel) {
            stderr_log::line(format_args!(
                "herald: redis failed ({error}); retrying every {} ms at most",
                pause.max(REDIS_MAX_BACKOFF).as_millis()
            ));
        }
    }
}

/// Appends a stream entry's fields for `event` to `command`: `d`, `e`,
/// `t`, and for a keyed event `k` (the key), `c` (`s`, `d` or `x`) and `n`
/// (a value's ttl in seconds, 0 for none; the id an expiry ends).
fn with_fields(mut command: redis::Cmd, event: &Event) -> redis::Cmd {
    command.arg("d").arg(event.data());
    if let Some(event_type) = event.event_type() {
        command.arg("e").arg(event_type);
    }
    if let Some(topic) = event.topic_name() {
        command.arg("t").arg(topic);
    }
    if let Some(keyed) = event.keyed() {
        let (change, number) = match keyed.change {
            Change::Set { ttl_seconds } => ("s", ttl_seconds.map_or(0, u64::from)),
            Change::Delete => ("d", 0),
            Change::Expire { of } => ("x", of),
        };
        command
            .arg("k")
            .arg(&keyed.key)
            .arg("c")
            .arg(change)
            .arg("n")
            .arg(number);
    }
    command
}

/// The change of the fields `c` and `n`.
fn change_of(change: &str, number: u64) -> Option<Change> {
    match change {
        "s" => Some(Change::Set {
            ttl_seconds: u32::try_from(number).ok().filter(|ttl| *ttl > 0),
        }),
        "d" => Some(Change::Delete),
        "x" => Some(Change::Expire { of: number }),
        _ => None,
    }
}

/// `XADD` unless the idempotency key was seen: KEYS are the stream and the
/// key's name; ARGV the stream's `MAXLEN`, the key's ttl in seconds, then
/// the entry's fields. Returns the entry id, new or first.
pub const ADD_ONCE: &str = "\
local first = redis.call('GET', KEYS[2])
if first then return first end
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', unpack(ARGV, 3))
redis.call('SET', KEYS[2], id, 'EX', ARGV[2])
return id";

/// `1700000000123-4` becomes `1700000000123004`.
pub fn event_id(entry: &str) -> Option<EventId> {
    let (ms, seq) = entry.split_once('-')?;
    let (ms, seq): (u64, u64) = (ms.parse().ok()?, seq.parse().ok()?);
    (seq < 1000).then(|| ms * 1000 + seq)
}

/// The entries of an `XREAD` reply: `[[stream, [entry…]]]`.
fn streams_entries(value: &Value) -> Vec<(String, Event)> {
    match value {
        Value::Array(streams) => streams
            .iter()
            .filter_map(|stream| match stream {
                Value::Array(pair) if pair.len() == 2 => Some(entries(&pair[1])),
                _ => None,
            })
            .flatten()
            .collect(),
        _ => Vec::new(),
    }
}

/// Entries `[[id, [field, value, …]], …]` as ids and events.
fn entries(value: &Value) -> Vec<(String, Event)> {
    let Value::Array(items) = value else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|item| {
            let Value::Array(pair) = item else {
                return None;
            };
            let id = text(pair.first()?)?;
            let Value::Array(fields) = pair.get(1)? else {
                return None;
            };
            Some((id, event_from_fields(fields)?))
        })
        .collect()
}

fn event_from_fields(fields: &[Value]) -> Option<Event> {
    let mut data = None;
    let (mut event_type, mut topic) = (None, None);
    let (mut key, mut change, mut number) = (None, None, 0);
    for pair in fields.chunks_exact(2) {
        match text(&pair[0])?.as_str() {
            "d" => data = text(&pair[1]),
            "e" => event_type = text(&pair[1]),
            "t" => topic = text(&pair[1]),
            "k" => key = text(&pair[1]),
            "c" => change = text(&pair[1]),
            "n" => number = text(&pair[1])?.parse().ok()?,
            _ => {}
        }
    }
    let event = Event::from_parts(&data?, event_type.as_deref(), topic.as_deref()).ok()?;
    match (key, change) {
        (Some(key), Some(change)) => event.with_change(key, change_of(&change, number)?).ok(),
        _ => Some(event),
    }
}

fn text(value: &Value) -> Option<String> {
    match value {
        Value::BulkString(bytes) => String::from_utf8(bytes.clone()).ok(),
        Value::SimpleString(text) => Some(text.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_ids_become_event_ids() {
        assert_eq!(event_id("1700000000123-4"), Some(1_700_000_000_123_004));
        assert_eq!(event_id("1700000000123-999"), Some(1_700_000_000_123_999));
        assert_eq!(event_id("1700000000123-1000"), None);
        assert_eq!(event_id("nonsense"), None);
        assert!(event_id("1700000000123-0") < event_id("1700000000124-0"));
    }

    #[test]
    fn replies_become_events() {
        let bulk = |s: &str| Value::BulkString(s.as_bytes().to_vec());
        let reply = Value::Array(vec![Value::Array(vec![
            bulk("herald"),
            Value::Array(vec![Value::Array(vec![
                bulk("5-1"),
                Value::Array(vec![bulk("d"), bulk("hi"), bulk("t"), bulk("ops")]),
            ])]),
        ])]);
        let got = streams_entries(&reply);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0, "5-1");
        assert_eq!(
            (got[0].1.data(), got[0].1.topic_name()),
            ("hi", Some("ops"))
        );
    }
}
