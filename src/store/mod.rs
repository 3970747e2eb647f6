//! Keeping events beyond the process: the event log on disk (`--data-dir`),
//! or a Redis stream shared by several instances (`--redis`).

pub mod crc32;
pub mod event_log;
pub mod lock_file;
pub mod record;
pub mod recovery;
#[cfg(feature = "redis")]
pub mod redis_bus;
pub mod scale_out;
pub mod writer;
