//! Joining other instances on a Redis stream at start-up, or saying why not.
//!
//! With the cargo feature `redis`, `--redis URL` opens the stream (see
//! `redis_bus.rs`), fills the history from it, and starts the reader
//! that feeds the hub; the publisher then publishes through Redis. Without
//! the feature, `--redis` is a start-up error that says how to build herald
//! with it. Either way the server calls the same three functions.

pub use wiring::{Opened, connect, open, recent};

/// `--redis`, with the feature built in: open the stream and its reader.
#[cfg(feature = "redis")]
mod wiring {
    use std::sync::Arc;
    use std::thread::JoinHandle;

    use crossbeam_channel::Sender;

    use crate::config::Config;
    use crate::hub::Command;
    use crate::ingest::publisher::Publisher;
    use crate::server::StartError;
    use crate::store::record::Record;
    use crate::store::redis_bus::RedisBus;

    /// The bus, the newest entries, and the last entry's id.
    pub struct Opened(Arc<RedisBus>, Vec<Record>, String);

    /// Opens `--redis`, if given.
    pub fn open(config: &Config) -> Result<Option<Opened>, StartError> {
        let Some(url) = &config.redis_url else {
            return Ok(None);
        };
        let bus =
            RedisBus::open(url, &config.redis_stream, config.history).map_err(StartError::Redis)?;
        let (recent, last) = bus.recent(config.history).map_err(StartError::Redis)?;
        crate::stderr_log::line(format_args!(
            "herald: sharing events through redis stream '{}' ({} held for replay)",
            config.redis_stream,
            recent.len()
        ));
        Ok(Some(Opened(Arc::new(bus), recent, last)))
    }

    /// The entries that fill the history, if Redis is used.
    pub fn recent(opened: &Option<Opened>) -> Option<Vec<Record>> {
        opened.as_ref().map(|Opened(_, recent, _)| recent.clone())
    }

    /// Starts the reader and routes the publisher through Redis, if used.
    pub fn connect(
        opened: Option<Opened>,
        publisher: Publisher,
        hub: Sender<Command>,
    ) -> Result<(Publisher, Option<JoinHandle<()>>), StartError> {
        let Some(Opened(bus, _, last)) = opened else {
            return Ok((publisher, None));
        };
        let reader = bus.spawn_reader(hub, last).map_err(StartError::Thread)?;
        Ok((publisher.through_redis(bus), Some(reader)))
    }
}

/// `--redis` without the feature: say how to build it.
#[cfg(not(feature = "redis"))]
mod wiring {
    use std::thread::JoinHandle;

    use crossbeam_channel::Sender;

    use crate::config::Config;
    use crate::hub::Command;
    use crate::ingest::publisher::Publisher;
    use crate::server::StartError;
    use crate::store::record::Record;

    /// Nothing: this build has no Redis.
    pub struct Opened;

    /// Opens `--redis`, if given.
    pub fn open(config: &Config) -> Result<Option<Opened>, StartError> {
        match config.redis_url {
            None => Ok(None),
            Some(_) => Err(StartError::Redis(
                "this herald was built without Redis: cargo build --release --features redis"
                    .into(),
            )),
        }
    }

    /// The entries that fill the history, if Redis is used.
    pub fn recent(_: &Option<Opened>) -> Option<Vec<Record>> {
        None
    }

    /// Starts the reader and routes the publisher through Redis, if used.
    pub fn connect(
        _: Option<Opened>,
        publisher: Publisher,
        _: Sender<Command>,
    ) -> Result<(Publisher, Option<JoinHandle<()>>), StartError> {
        Ok((publisher, None))
    }
}
