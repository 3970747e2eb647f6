//! Joining other instances on a Redis stream at start-up, or saying why not.
//!
//! With the cargo feature `redis`, `--redis URL` opens the stream (see
//! `redis_bus.rs`), fills the history from it, and starts the reader that
//! feeds the hub; the publisher then publishes through the [`Bus`]. Without
//! the feature, `--redis` is a start-up error that says how to build herald
//! with it, and [`Bus`] is a type with no values, so the publisher's
//! "through Redis?" branch is there in both builds and never taken in one.
//! Every `cfg` about Redis lives in this file.

pub use wiring::{Bus, Opened, open};

/// `--redis`, with the feature built in: open the stream and its reader.
#[cfg(feature = "redis")]
mod wiring {
    use std::sync::Arc;
    use std::thread::JoinHandle;

    use crate::config::Config;
    use crate::hub::handle::Handle;
    use crate::hub::queue_budget::QueueBudget;
    use crate::hub::state::ledger::Ledger;
    use crate::store::not_stored::RedisUnusable;
    use crate::store::record::Record;
    use crate::store::redis_bus::{RedisBus, Restored};
    use crate::store::redis_presence;
    use std::sync::Mutex;

    /// The shared way to the Redis stream.
    pub type Bus = Arc<RedisBus>;

    /// The stream, opened: its newest entries, the keys' values older than
    /// them, and the last entry's id.
    pub struct Opened {
        bus: Bus,
        restored: Restored,
    }

    /// Opens `--redis`, if given.
    ///
    /// # Errors
    /// Why Redis cannot be used, for the start-up message.
    pub fn open(config: &Config) -> Result<Option<Opened>, RedisUnusable> {
        let Some(url) = &config.redis_url else {
            return Ok(None);
        };
        let bus = RedisBus::open(url, &config.redis_stream, config.history)?;
        let restored = bus.recent(config.history)?;
        crate::stderr_log::line(format_args!(
            "herald: sharing events through redis stream '{}' ({} held for replay)",
            config.redis_stream,
            restored.recent.len()
        ));
        Ok(Some(Opened {
            bus: Arc::new(bus),
            restored,
        }))
    }

    impl Opened {
        /// The entries that fill the history, and the keys' values older
        /// than them, oldest first (once).
        pub fn take_recent(&mut self) -> (Vec<Record>, Vec<Record>) {
            let recent = std::mem::take(&mut self.restored.recent);
            (recent, std::mem::take(&mut self.restored.older_values))
        }

        /// Starts the reader that follows the stream into the hub, and
        /// each keyed event into `ledger`, and the thread that shares
        /// presence every `presence_interval`.
        pub fn start_reader(
            self,
            hub: Handle,
            budget: Arc<QueueBudget>,
            ledger: Arc<Mutex<Ledger>>,
            presence_interval: std::time::Duration,
        ) -> std::io::Result<(Bus, Vec<JoinHandle<()>>)> {
            let after = self.restored.last_entry;
            let sharing = redis_presence::spawn(&self.bus, hub.clone(), presence_interval)?;
            let reader = self.bus.spawn_reader(hub, budget, ledger, after)?;
            Ok((self.bus, vec![reader, sharing]))
        }
    }
}

/// `--redis` without the feature: say how to build it.
#[cfg(not(feature = "redis"))]
mod wiring {
    use std::thread::JoinHandle;

    use std::sync::{Arc, Mutex};

    use crate::config::Config;
    use crate::event::{Event, EventId};
    use crate::hub::handle::Handle;
    use crate::hub::queue_budget::QueueBudget;
    use crate::hub::state::ledger::Ledger;
    use crate::store::not_stored::NotStored;
    use crate::store::not_stored::RedisUnusable;
    use crate::store::record::Record;

    /// No way to Redis: this build has none, so no value of this type exists.
    #[derive(Clone)]
    pub enum Bus {}

    impl Bus {
        /// Never called: there is no `Bus` to call it on.
        pub fn publish(&self, _: &Event) -> Result<EventId, NotStored> {
            match *self {}
        }

        /// Never called.
        pub fn is_up(&self) -> bool {
            match *self {}
        }

        /// Never called.
        pub fn reader_lag_ms(&self) -> u64 {
            match *self {}
        }

        /// Never called.
        pub fn stop(&self) {
            match *self {}
        }
    }

    /// Never made: [`open`] refuses `--redis` in this build.
    pub enum Opened {}

    /// Refuses `--redis`, which this build cannot serve.
    ///
    /// # Errors
    /// How to build herald with Redis.
    pub fn open(config: &Config) -> Result<Option<Opened>, RedisUnusable> {
        match config.redis_url {
            None => Ok(None),
            Some(_) => Err(RedisUnusable {
                doing: "this herald was built without Redis",
                detail: "cargo build --release --features redis".into(),
            }),
        }
    }

    impl Opened {
        /// Never called.
        pub fn take_recent(&mut self) -> (Vec<Record>, Vec<Record>) {
            match *self {}
        }

        /// Never called.
        pub fn start_reader(
            self,
            _: Handle,
            _: Arc<QueueBudget>,
            _: Arc<Mutex<Ledger>>,
            _: std::time::Duration,
        ) -> std::io::Result<(Bus, Vec<JoinHandle<()>>)> {
            match self {}
        }
    }
}
