//! Every limit herald enforces, in one place, each with its unit in its name
//! and the reason for its value.
//!
//! A server that runs for months on a shared box must put a bound on
//! everything a client controls: how many bytes it may send, how long it may
//! take, how many connections it may hold. The limits that a person may want
//! to change are flags (their defaults live here, and `--help` prints them
//! from here); the others are fixed, because no sensible client comes near
//! them. Sizes and counts end in their unit (`_BYTES`, `_EVENTS`, `_MS`, …);
//! times are [`Duration`]s, whose type carries the unit.
//!
//! The sections follow the stages of `lib.rs`, after the flags.

use std::time::Duration;

// ---- Defaults of the flags -------------------------------------------------

/// `herald publish` and `herald listen`'s `--url` when `HERALD_URL` is not
/// set: a herald started with its own defaults.
pub const DEFAULT_CLIENT_URL: &str = "http://127.0.0.1:8000";

/// `--addr`: loopback only, so a first run exposes nothing to the network.
pub const DEFAULT_ADDR: &str = "127.0.0.1:8000";

/// `--history`: events kept for replay to tabs that reconnect.
pub const DEFAULT_HISTORY_EVENTS: usize = 1000;

/// `--history-bytes`: the memory the held events may take, both encodings
/// counted. 1,000 events of a few hundred bytes take well under a MiB; this
/// bound is for large events, so that a history of them cannot take the box.
pub const DEFAULT_HISTORY_BYTES: usize = 64 * 1024 * 1024;

/// `--heartbeat`: seconds between comment lines on every stream. Proxies
/// commonly close a connection that has been silent for 30 to 60 seconds.
pub const DEFAULT_HEARTBEAT: Duration = Duration::from_secs(15);

/// `--max-body`: the largest request body read, in bytes. A chat line or a
/// status update is far smaller; a body is held in memory whole.
pub const DEFAULT_MAX_BODY_BYTES: usize = 64 * 1024;

/// `--header-timeout`: the whole request head (and then the body) must arrive
/// within this time. It is one deadline, not a timeout per read, so a client
/// that sends one byte every few seconds (slowloris) is still cut off.
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// `--keepalive-timeout`: an idle keep-alive connection is closed after this,
/// so that threads are not held by clients that went away.
pub const DEFAULT_KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(15);

/// `--max-clients` when the open-file limit cannot be read: open connections,
/// subscribers included. Each one that is not a subscriber holds a thread,
/// so this also bounds the thread count.
pub const FALLBACK_MAX_CLIENTS: usize = 10_000;

/// File descriptors kept back from `--max-clients` for the listening
/// socket, stdio, `--www` files, the event log and its lock, Redis, and
/// the one connection that wakes the accept loop at a stop.
pub const RESERVED_FILE_DESCRIPTORS: usize = 64;

/// The default `--max-clients`: as many connections as the process's
/// open-file limit (`ulimit -n`) allows, less the reserve above and the
/// sockets the closer may hold while it turns clients away, so a client
/// past the limit still gets its `503` and `accept` never fails for want
/// of a descriptor. Every connection holds exactly one descriptor
/// (`shared_socket.rs`), a subscriber included.
pub fn default_max_clients() -> usize {
    open_file_limit()
        .map(|limit| {
            let kept_back = RESERVED_FILE_DESCRIPTORS + closer_max_sockets(Some(limit));
            limit.saturating_sub(kept_back).max(1)
        })
        .unwrap_or(FALLBACK_MAX_CLIENTS)
}

/// Connection slots that streams may never take, out of `max_clients`:
/// one in 32, at least 1 and at most 64 (and none when there is a single
/// slot). So a page full of tabs, or a script opening streams in a loop,
/// leaves room for the app's backend to publish and for `/health`; 64
/// short requests at once are far more than a backend makes.
pub fn reserved_for_requests(max_clients: usize) -> usize {
    (max_clients / 32)
        .clamp(1, 64)
        .min(max_clients.saturating_sub(1))
}

/// The most sockets the closer holds at once, half lingering and half
/// queued: [`CLOSER_MAX_SOCKETS`], or under a low open-file limit a
/// quarter of what the reserve leaves, so that most descriptors still go
/// to clients. Past it a client is answered and closed at once.
pub fn closer_max_sockets(open_file_limit: Option<usize>) -> usize {
    let quarter = |limit: usize| limit.saturating_sub(RESERVED_FILE_DESCRIPTORS) / 4;
    open_file_limit
        .map_or(CLOSER_MAX_SOCKETS, |limit| {
            CLOSER_MAX_SOCKETS.min(quarter(limit))
        })
        .max(2)
}

/// The soft open-file limit (`ulimit -n`): what the process may open now.
pub fn open_file_limit() -> Option<usize> {
    open_file_limits().map(|limits| limits.soft)
}

/// The process's open-file limits. Only the soft one binds; a process may
/// raise it as far as the hard one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenFileLimits {
    /// The limit in force (`ulimit -Sn`).
    pub soft: usize,
    /// How far the soft limit may be raised without privilege (`ulimit -Hn`).
    pub hard: usize,
}

/// Both open-file limits, from `/proc/self/limits` (Linux). std has no call
/// to read them, and reading this file needs no `unsafe` and no `libc`.
/// Raising the soft limit would need `setrlimit`, which std does not offer
/// either, so herald reports the limits and leaves raising them to the
/// shell or the service manager.
pub fn open_file_limits() -> Option<OpenFileLimits> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    parse_open_file_limits(&limits)
}

/// Reads the `Max open files  SOFT  HARD  files` line.
fn parse_open_file_limits(limits: &str) -> Option<OpenFileLimits> {
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    let mut numbers = line["Max open files".len()..].split_whitespace();
    let soft = numbers.next()?.parse().ok()?;
    let hard = numbers.next()?.parse().ok()?;
    Some(OpenFileLimits { soft, hard })
}

/// `--redis-stream`: the Redis stream's name.
pub const DEFAULT_REDIS_STREAM: &str = "herald";

/// `--max-backlog`: bytes that may wait for one subscriber that does not read.
/// Past this the subscriber is dropped; its browser reconnects with
/// `Last-Event-ID` and catches up from the history.
pub const DEFAULT_MAX_BACKLOG_BYTES: usize = 1024 * 1024;

/// `--state-keys`: the keyed values held over all topics (see
/// `hub/state/`). An intranet's dashboards hold hundreds to a few thousand
/// things (builds, teams, exports); ten thousand leaves room for all of
/// them and keeps a whole snapshot a few MiB at most.
pub const DEFAULT_STATE_KEYS: usize = 10_000;

/// `--state-bytes`: the memory those values may take, both encodings of
/// each counted as in the history. A small box's share: the history's own
/// default is 64 MiB for a thousand events of any size; values are the
/// current ones only, so a quarter of it.
pub const DEFAULT_STATE_BYTES: usize = 16 * 1024 * 1024;

// ---- Fixed limits -------------------------------------------------------------

/// The request line and the headers together (RFC 9112 §2.3 leaves the bound to
/// the server). Past it: 431, or 414 when the request line alone is too long.
pub const MAX_HEAD_BYTES: usize = 16 * 1024;

/// The request target (path and query). Past it: 414 URI Too Long.
pub const MAX_TARGET_BYTES: usize = 8 * 1024;

/// How many header lines a request may have. Past it: 431.
pub const MAX_HEADERS: usize = 64;

/// A topic name or an event type, in bytes. They are labels, not content.
pub const MAX_LABEL_BYTES: usize = 128;

/// An `Idempotency-Key`, in bytes: a UUID is 36, a SHA-256 in hex 64; more
/// is not a key but a payload. Past it: 400.
pub const IDEMPOTENCY_KEY_MAX_BYTES: usize = 128;

/// A state key (`key=`), in bytes: a name such as `build/main` or a UUID,
/// as short as a topic. Past it: 400.
pub const STATE_KEY_MAX_BYTES: usize = 128;

/// The longest `ttl=`, in seconds: 30 days. A value meant to outlive a
/// month should be set without one; the bound keeps `accepted + ttl`
/// far from overflowing, whatever a client sends.
pub const STATE_TTL_MAX_SECONDS: u64 = 30 * 24 * 3600;

/// How many idempotency keys one server remembers: the newest `--history`
/// publishes that carried one, but never more than this, so that a huge
/// `--history` of small events cannot make the keys a memory problem
/// (100,000 keys of 128 bytes, with their map entries, are about 25 MiB).
pub const IDEMPOTENCY_KEYS_MAX: usize = 100_000;

/// With `--redis`, how long Redis remembers an idempotency key, in seconds.
/// A retry comes within seconds of its first try; ten minutes covers a
/// client that was cut off and retried by hand, and expiring keys keep
/// Redis's memory bounded by the publish rate, not by the uptime.
pub const IDEMPOTENCY_REDIS_TTL_SECONDS: u64 = 600;

/// How many `topic=` parameters one subscriber may give.
pub const MAX_TOPICS_PER_LISTENER: usize = 32;

/// A response that a client does not read is given up on after this, so a
/// client cannot hold a thread by never reading.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// The hub looks for silent streams this many times per `--heartbeat`, and
/// gives a heartbeat to one that has been silent for as many looks: so a
/// stream is never silent longer than `--heartbeat`, and an idle one gets a
/// comment every `--heartbeat`. More looks would make the bound no tighter,
/// only cost more passes over the list.
pub const HEARTBEAT_CHECKS_PER_INTERVAL: u8 = 4;

/// How often the hub checks every subscriber for a hang-up, so that a
/// closed tab frees its connection slot within about this time.
pub const SWEEP_INTERVAL: Duration = Duration::from_secs(1);

/// The sweep is done in this many slices spread over [`SWEEP_INTERVAL`], so
/// that with 10,000 subscribers no event waits behind 10,000 reads.
pub const SWEEP_SLICES: usize = 10;

/// How long the hub's upkeep (a slice of the sweep, a look for silent
/// streams) may wait while events are queued for it: one slice. Events go
/// first, but a hub that is never idle still sweeps and sends heartbeats.
pub const UPKEEP_MAX_DELAY: Duration = Duration::from_millis(100);

/// How long a connection thread waits for the hub to answer (a publish or a
/// stats request). The hub answers in microseconds; this only guards a bug.
pub const HUB_REPLY_TIMEOUT: Duration = Duration::from_secs(5);

/// While some subscriber has bytes waiting, the hub retries its writes this
/// often (std has no portable readiness API, so it polls, and only then).
pub const BACKLOG_RETRY_INTERVAL: Duration = Duration::from_millis(5);

/// Stack of a connection thread. Requests are parsed into heap buffers, so
/// a small stack is plenty, and thousands of threads stay cheap.
pub const CONNECTION_STACK_BYTES: usize = 128 * 1024;

/// When `accept` fails for want of file descriptors, wait this long before
/// trying again, instead of spinning.
pub const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// The `retry:` field sent at the start of every stream: how long a browser
/// waits before it reconnects after the stream drops.
pub const SSE_RETRY_MS: u64 = 2000;

/// `Retry-After` on a 503 when the server is full.
pub const RETRY_AFTER_S: u64 = 2;

/// After answering a request it could not read properly, a connection reads
/// and discards what the client still sends for this long before closing
/// (see [`crate::server::connection`]); turned-away connections too (see
/// [`crate::server::closer`]).
pub const LINGER: Duration = Duration::from_secs(1);

/// How much a closing connection reads and discards at most.
pub const LINGER_BYTES: usize = 1024 * 1024;

/// The reconnect delay (`retry:`) of an event stream refused for a while
/// (the server full), picked at random between these two so the refused
/// tabs come back spread over three seconds, not all in one.
pub const REFUSED_STREAM_RETRY_MIN_MS: u64 = 2_000;

/// See [`REFUSED_STREAM_RETRY_MIN_MS`].
pub const REFUSED_STREAM_RETRY_MAX_MS: u64 = 5_000;

/// The most turned-away sockets the closer holds, half lingering and half
/// queued (fewer under a low open-file limit: see [`closer_max_sockets`]);
/// past this they are answered and closed at once, so a flood can neither
/// grow its list nor use up the descriptors.
pub const CLOSER_MAX_SOCKETS: usize = 128;

// ---- Requests (`http/`) -----------------------------------------------------

/// How many bytes one `read` of a request asks for: a request head fits in
/// one, and a large body takes a few.
pub const READ_CHUNK_BYTES: usize = 8 * 1024;

/// A chunk-size line (with any chunk extension): a size needs 15 hex digits
/// at most, and herald ignores extensions, so this is ample.
pub const MAX_CHUNK_LINE_BYTES: usize = 1024;

/// The smallest and largest value of a flag given in seconds: a millisecond
/// (for tests), and a day.
pub const MIN_FLAG_SECONDS: f64 = 0.001;

/// See [`MIN_FLAG_SECONDS`].
pub const MAX_FLAG_SECONDS: f64 = 86_400.0;

/// The smallest `--history-bytes`: a few small events.
pub const MIN_HISTORY_BYTES: usize = 4 * 1024;

/// The smallest `--max-backlog`: below one small event, no stream could
/// ever fall behind by one event without being dropped.
pub const MIN_MAX_BACKLOG_BYTES: usize = 1024;

// ---- The server (`server/`) ---------------------------------------------------

/// The shortest time between two "out of file descriptors" log lines, so a
/// long shortage does not flood the log.
pub const OUT_OF_FDS_LOG_INTERVAL: Duration = Duration::from_secs(60);

/// How long a shutdown waits for connection threads to finish: longer than
/// any one write of a response takes a client that is still reading.
pub const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a stopping hub keeps writing to streams that are in the middle
/// of an event (or of a WebSocket's close frame), so each ends at an event
/// boundary; a client that does not read by then is cut off.
pub const STOP_DRAIN_TIMEOUT: Duration = Duration::from_secs(2);

/// How long a shutdown waits to connect to its own socket, to wake the
/// accept loop: the loopback answers in microseconds.
pub const SHUTDOWN_WAKE_TIMEOUT: Duration = Duration::from_secs(1);

/// How often the closer reads the sockets it is turning away.
pub const CLOSER_POLL_INTERVAL: Duration = Duration::from_millis(10);

/// How long the closer waits for a turned-away client's request head
/// before answering anyway.
pub const CLOSER_WAIT_FOR_HEAD: Duration = Duration::from_millis(500);

/// Reads of one turned-away socket per closer round: a client that keeps
/// sending is not worth more, and the others are waiting.
pub const CLOSER_MAX_READS_PER_ROUND: usize = 16;

/// The most of a turned-away request's head the closer keeps, to see
/// whether it is `GET /events` and, for a page on another origin, its
/// `Origin`: a browser's head is well under this, and a longer one is
/// answered without waiting for the rest. Times [`CLOSER_MAX_SOCKETS`],
/// the closer holds at most 512 KiB.
pub const CLOSER_MAX_HEAD_BYTES: usize = 4096;

/// A WebSocket's reader sleeps this long when nothing has come, at first…
pub const WEBSOCKET_POLL_MIN: Duration = Duration::from_millis(5);

/// …doubling up to this, so an idle WebSocket costs a few wake-ups a
/// second and the first message after a quiet spell waits at most this.
pub const WEBSOCKET_POLL_MAX: Duration = Duration::from_millis(250);

/// A WebSocket that sends nothing, not even the pong to a ping, for this
/// many heartbeats (plus [`WEBSOCKET_SILENCE_GRACE`]) has gone away.
pub const WEBSOCKET_SILENT_HEARTBEATS: u32 = 2;

/// Time for a pong to cross the network, beyond the heartbeats above.
pub const WEBSOCKET_SILENCE_GRACE: Duration = Duration::from_secs(1);

/// Control frames (pings, pongs) a WebSocket may send per second. A browser
/// sends none, a client library one every few seconds; each ping costs the
/// hub a pong to write, so a client that sends more is closed with 1008
/// before it can crowd out the events.
pub const WEBSOCKET_CONTROL_FRAMES_PER_SECOND: u32 = 100;

// ---- Who may listen and publish (`access/`) -------------------------------

/// `--auth-hook-timeout`: how long one question to the app may take, from
/// connecting to the last byte of its answer. An app on the same box
/// answers in milliseconds; past this it is down or stuck, and the
/// subscriber is asked to come back rather than kept waiting.
pub const DEFAULT_AUTH_HOOK_TIMEOUT: Duration = Duration::from_secs(2);

/// The largest answer body read from the hook: a grant of a thousand
/// topics fits many times over.
pub const AUTH_ANSWER_MAX_BYTES: usize = 64 * 1024;

/// How deep JSON that herald reads (the hook's answer, a WebSocket
/// publish) may nest: either needs two levels at most; more is refused
/// before it can make the parser recurse far.
pub const JSON_MAX_DEPTH: usize = 16;

/// Topics one grant may list: more would make every event's filter slow
/// for that listener (a grant of everything is `"*"`).
pub const AUTH_MAX_TOPICS_PER_GRANT: usize = 1024;

/// How long an answer holds when the app does not say (`ttl`).
pub const AUTH_DEFAULT_TTL: Duration = Duration::from_secs(60);

/// The longest an answer may hold, whatever the app says: a revoked
/// permission ends the stream within this.
pub const AUTH_MAX_TTL: Duration = Duration::from_secs(3600);

/// How long a refusal (`401`, `403`) of the same credentials is kept:
/// long enough that a reconnect loop without a login, or a pipeline of
/// requests without credentials, costs the app one call per few seconds;
/// short enough that nobody waits long for a change the app made.
pub const AUTH_REFUSAL_HOLD: Duration = Duration::from_secs(5);

/// Answers kept at most. Each is two hashes and a grant; ten thousand
/// people with a tab each fit.
pub const AUTH_CACHE_MAX_ENTRIES: usize = 10_000;

/// While the app cannot answer about a running stream, it is asked again
/// this often (for at most one more ttl).
pub const AUTH_RECHECK_RETRY: Duration = Duration::from_secs(5);

/// Streams waiting to be handed to the watch thread; past this a stream is
/// not watched (it still ends when its client leaves).
pub const AUTH_WATCH_QUEUE_LEN: usize = 4096;

/// A failing hook is logged at most this often: once per burst of
/// refused subscribers, not once per request.
pub const AUTH_FAILURE_LOG_INTERVAL: Duration = Duration::from_secs(10);

// ---- Publishing (`ingest/`) ---------------------------------------------------

/// How long a publisher waits for the log writer to store its event: far
/// beyond any sync of a healthy disk, so only a failing one trips it.
pub const STORE_TIMEOUT: Duration = Duration::from_secs(30);

/// How often the ledger is asked for values whose `ttl` is up: a value
/// goes within this much (and the hub's next round) of its time, well
/// inside the second the README promises.
pub const STATE_EXPIRY_CHECK_INTERVAL: Duration = Duration::from_millis(250);

/// Values ended in one check at most; more wait for the next, so that a
/// thousand ttls ending together do not hold the publishers' lock long.
pub const STATE_EXPIRIES_PER_CHECK_MAX: usize = 1000;

// ---- The event log and Redis (`store/`) -------------------------------------

/// With `--fsync interval`, how often the log is synced at most: the most
/// acknowledged events a power loss can take.
pub const FSYNC_INTERVAL: Duration = Duration::from_millis(100);

/// Publishes the log writer takes in one batch (one write, one sync).
pub const MAX_EVENTS_PER_WRITE: usize = 4096;

/// A record's payload longer than this is taken for damage, not an event:
/// far above any `--max-body`.
pub const MAX_RECORD_PAYLOAD_BYTES: usize = 64 * 1024 * 1024;

/// The log is compacted once it holds this many times `--history` records,
/// so it stays a small multiple of what is replayed…
pub const COMPACT_AT_HISTORY_MULTIPLE: usize = 4;

/// …counting a history of at least this many events, so a tiny `--history`
/// does not rewrite the file every few events.
pub const COMPACT_MIN_HISTORY_EVENTS: usize = 16;

/// When a record of the event log does not read, the scan looks for an
/// intact record after it; a candidate's id may be at most this far (in
/// microseconds: about 12 days) ahead of the clock or of the last good id.
/// Ids come from the clock, so a real record is never that far ahead, and
/// random bytes almost never pass (about one in 2^23).
pub const RECOVERY_MAX_ID_AHEAD_OF_CLOCK: u64 = 1 << 40;

/// How long connecting to Redis, and each command, may take: a publish
/// with Redis down fails within about this.
pub const REDIS_TIMEOUT: Duration = Duration::from_secs(1);

/// How long one `XREAD` waits for new entries, in milliseconds: also how
/// soon the reader notices a shutdown.
pub const REDIS_READ_BLOCK_MS: u64 = 1000;

/// Entries one `XREAD` returns at most, so a long backlog comes in parts.
pub const REDIS_READ_MAX_ENTRIES: usize = 1000;

/// The Redis reader's first pause before reconnecting…
pub const REDIS_MIN_BACKOFF: Duration = Duration::from_millis(100);

/// …doubling up to this, so a Redis that comes back is found within it.
pub const REDIS_MAX_BACKOFF: Duration = Duration::from_secs(2);

// ---- The hub (`hub/`) --------------------------------------------------------

/// How many commands may wait for the hub. Past this, senders wait: a burst
/// of publishes slows its publishers down instead of filling memory.
pub const HUB_QUEUE_MAX_COMMANDS: usize = 16 * 1024;

/// Bytes of encoded events that may wait for the hub, in its queue and the
/// event log writer's. Past this, publishers wait (see
/// [`crate::hub::queue_budget`]): far more than a round of ordinary
/// events, far less than memory.
pub const HUB_QUEUE_MAX_BYTES: usize = 16 * 1024 * 1024;

/// How long a publisher waits for room in the hub's queue before it is
/// answered `503` with `Retry-After`: the hub drains its queue in
/// milliseconds, so only a hub that is stuck, or a flood far beyond what it
/// can write, makes a publisher wait this long.
pub const HUB_QUEUE_WAIT: Duration = Duration::from_secs(2);

/// How many commands the hub takes in one round before it writes the batch,
/// so that subscribers are served even while publishes keep coming.
pub const MAX_COMMANDS_PER_ROUND: usize = 1024;

/// How often a broadcast looks for events published since it began, so
/// they join it (see `hub::broadcast`): every this many listeners written.
/// A look is two atomic loads when nothing waits, under 1% of the 64 `send`s
/// between looks; an event that comes waits at most 64 of them to join.
pub const PASS_LOOKS_EVERY_LISTENERS: usize = 64;

/// How many held events `?recent=N` looks back through, at most, to find
/// the newest N of a subscriber's topics. The scan runs on the hub thread;
/// 100,000 topic checks take well under a millisecond, and a rare topic in
/// a history of a million small events cannot stall every other stream.
pub const RECENT_SCAN_MAX_EVENTS: usize = 100_000;

/// Room made for the history up front, in events: a large `--history` grows
/// as events come, instead of taking its memory at start.
pub const HISTORY_PREALLOCATED_EVENTS: usize = 4096;

/// Events one `writev` to a subscriber that is behind gathers at most. Few,
/// because in a burst most such sockets are full and refuse the call, and
/// the slices (two per event) are set up each time.
pub const MAX_EVENTS_PER_WRITEV: usize = 16;

/// `writev`s one flush makes at most while the socket takes each whole: a
/// replay of small events still goes out at up to 512 events a round,
/// and one listener cannot hold the hub for long.
pub const MAX_WRITEVS_PER_FLUSH: usize = 32;

/// Bytes of its own (response head, notices, heartbeats, pongs) that may
/// wait for one subscriber: a few hundred in practice. Past it the
/// subscriber is dropped, so a WebSocket that pings and never reads cannot
/// grow its pongs without end.
pub const MAX_LISTENER_OWN_BYTES: usize = 64 * 1024;

/// The kernel's send buffer of each subscriber's socket, fixed (Linux
/// doubles it, to 128 KiB, about 100 KB of events; see
/// `socket_io::bound_send_buffer`). Left to itself Linux grows a
/// loopback socket's buffer to 4 MiB, and a subscriber that never reads
/// then swallows 2.8 MB of copying per event burst: with 500 of them a
/// lap took seconds. Measured with `tests/bounded.rs`'s never-reader
/// attack (500 subscribers, 60 × 60 KB bursts), the normal subscriber's
/// worst delivery was 0.5–2.7 ms at this size, up to 21 ms at 128 KiB;
/// 32 KiB halved large-event throughput for readers that keep up. It also
/// bounds what the kernel holds for all subscribers: 128 KiB each.
pub const LISTENER_SEND_BUFFER_BYTES: usize = 64 * 1024;

/// Bytes one lap offers one subscriber at most (a round's `send`, a
/// flush's `writev`s): what its socket can hold, since the kernel takes
/// no more. So a lap costs the hub at most this much copying per
/// listener, however large the round, and a filtering listener's events
/// are gathered only this far.
pub const MAX_BYTES_PER_LISTENER_PER_LAP: usize = 2 * LISTENER_SEND_BUFFER_BYTES;

/// Reads of one subscriber's socket when looking for a hang-up: it sends
/// nothing after its request, so anything more is not worth reading.
pub const HANGUP_CHECK_MAX_READS: usize = 4;

/// `--presence-interval`: a topic's presence list goes to its streams at
/// most this often. A second is as fast as a person reads "Anna joined",
/// and it turns a thousand people opening a room at once into one event
/// per stream, not a thousand (see `hub/presence/`).
pub const DEFAULT_PRESENCE_INTERVAL: Duration = Duration::from_secs(1);

/// The people a presence list names; the rest are counted as `"more"`.
/// A page shows a handful of names and "and 40 others"; a hundred keeps
/// one list under about 10 KiB, which every stream of the topic is sent.
pub const PRESENCE_LIST_MAX_USERS: usize = 100;

/// The named people herald keeps, over all topics (one entry per person
/// per topic, about 150 bytes). Past it, a newcomer is counted in its
/// topics' `"more"` but not named, so a flood of logins costs 15 MiB at
/// most. Ten times the streams a default box holds, each on one topic.
pub const PRESENCE_MAX_NAMED: usize = 100_000;

/// How often the hub looks for closed event streams of named people
/// (a browser's `EventSource` says nothing when its tab closes; the
/// socket only becomes readable). Five times a second, so a person who
/// leaves is gone from every list within `--presence-interval` and this;
/// anonymous streams wait for the sweep of everyone ([`SWEEP_INTERVAL`]).
pub const PRESENCE_HANGUP_CHECK_INTERVAL: Duration = Duration::from_millis(200);

/// With `--redis`, an instance's presence entries expire after this many
/// `--presence-interval`s without a refresh (it refreshes every interval):
/// two missed refreshes are forgiven (a slow Redis, a long pause), a dead
/// instance's people are gone after the third.
pub const PRESENCE_REDIS_EXPIRY_INTERVALS: u32 = 3;

/// Snapshots of the keyed values kept for reuse, one per set of topics,
/// until the values change: the topic sets of one page's tabs are few, and
/// each kept snapshot is a list of references, 8 bytes per value.
pub const SNAPSHOTS_CACHED_MAX: usize = 8;

// ---- Logging ---------------------------------------------------------------

/// Bytes of access-log lines that may wait for the logger before
/// connections write their own: about 20,000 lines.
pub const LOG_MAX_PENDING_BYTES: usize = 1024 * 1024;

/// How often the logger writes out what is waiting: a line appears within
/// this, and no request wakes a thread for its line.
pub const LOG_FLUSH_INTERVAL: Duration = Duration::from_millis(50);

/// How often one refused origin is logged (`http/refused_origins.rs`): a
/// page retrying every few seconds says so once a minute, not each time.
pub const REFUSED_ORIGIN_LOG_INTERVAL: Duration = Duration::from_secs(60);

/// Origins remembered as lately logged: more than an intranet has sites,
/// and a client inventing origins gains at most this many lines a minute.
pub const REFUSED_ORIGINS_TRACKED_MAX: usize = 256;

/// Origins longer than this are not logged or remembered: a real one
/// (`scheme://host:port`) is far shorter, so the table stays under 64 KiB.
pub const REFUSED_ORIGIN_MAX_BYTES: usize = 255;

// ---- The page (`routes/page.rs`) ----------------------------------------------

/// The largest file served from `--www`: a page's assets, not downloads.
pub const MAX_WWW_FILE_BYTES: u64 = 16 * 1024 * 1024;

// ---- herald's own client (`client/`) -----------------------------------------

/// How long the client's connecting, and each read of an answer, may take.
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(10);

/// The largest response head herald reads as a client (`http/client.rs`:
/// the auth hook's answers too), and the largest short body `herald
/// publish` reads: far above any answer a server sends.
pub const CLIENT_MAX_RESPONSE_HEAD_BYTES: usize = 64 * 1024;

/// The most header lines a response to herald as a client may have.
pub const CLIENT_MAX_RESPONSE_HEADERS: usize = 64;

/// A line of an event stream longer than this ends the stream with an
/// error: far above any event herald sends.
pub const CLIENT_MAX_LINE_BYTES: usize = 1024 * 1024;

/// `herald listen`'s delay before reconnecting, until the server says
/// otherwise (its `retry:` field).
pub const CLIENT_DEFAULT_RETRY: Duration = Duration::from_secs(2);

/// `herald listen` takes a stream that stays silent this long for dead:
/// four times herald's default heartbeat.
pub const CLIENT_SILENCE_LIMIT: Duration = Duration::from_secs(60);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_open_file_limits_are_read() {
        let limits = "Limit                     Soft Limit           Hard Limit           Units     \n\
                      Max processes             63442                63442                processes \n\
                      Max open files            1024                 524288               files     \n";
        assert_eq!(
            parse_open_file_limits(limits),
            Some(OpenFileLimits {
                soft: 1024,
                hard: 524288
            })
        );
        assert_eq!(parse_open_file_limits("Max processes 5 5 processes"), None);
    }

    #[test]
    fn streams_leave_a_share_of_the_slots_to_requests() {
        assert_eq!(reserved_for_requests(1), 0, "a single slot is a stream's");
        assert_eq!(reserved_for_requests(2), 1);
        assert_eq!(reserved_for_requests(300), 9);
        assert_eq!(reserved_for_requests(20_000), 64);
    }
}
