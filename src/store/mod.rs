//! Stage 6: keeping events beyond the process, on disk (`--data-dir`) or in
//! a Redis stream shared by several instances (`--redis`).
//!
//! A stored event reaches the hub only once it is kept, so no subscriber
//! ever sees an event the store lost. The files:
//!
//! - [`writer`]: the thread that appends waiting events and syncs once for
//!   all of them (group commit), then passes them on to the hub;
//! - [`event_log`]: the append-only file, its compaction;
//! - [`record`] and [`crc32`]: one event as framed, checksummed bytes;
//! - [`recovery`]: reading the log back at start-up, torn tails and damage;
//! - [`repair`]: `herald repair`, which keeps every intact record of a
//!   damaged log;
//! - [`lock_file`]: one server per data folder;
//! - [`state_records`]: where each key's current value lies in the log,
//!   so that compaction keeps it (see `hub/state/`);
//! - `redis_bus` (feature `redis`) and [`scale_out`]: the Redis stream, and
//!   the start-up wiring that is the same with the feature or without;
//!   `redis_state`, the keys' values beside the stream (live state);
//!   `redis_presence`, each instance's presence entries, shared;
//! - [`not_stored`]: why an event was not stored, or Redis cannot be used.

pub mod crc32;
pub mod event_log;
pub mod lock_file;
pub mod not_stored;
pub mod record;
pub mod recovery;
#[cfg(feature = "redis")]
pub mod redis_bus;
#[cfg(feature = "redis")]
pub mod redis_presence;
#[cfg(feature = "redis")]
pub mod redis_state;
pub mod repair;
pub mod scale_out;
pub mod state_records;
pub mod writer;
