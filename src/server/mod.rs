//! Stage 1, the server: a listening socket, an accept loop, a thread per
//! connection.
//!
//! - this file: [`Server::bind`] (start everything), [`Server::run`], and
//!   [`RunningServer::shutdown`];
//! - `start`: what starting opens, and how it fails ([`StartError`]);
//! - `accept`: the accept loop, a slot and a thread for each connection;
//! - [`connection`]: one connection's thread, request after request;
//! - [`closer`]: the one thread that turns connections away when full;
//! - [`websocket_reader`]: a WebSocket's reader thread.
//!
//! [`Server::bind`] opens the socket and starts the hub. [`Server::run`]
//! then accepts connections for ever, or [`Server::spawn`] does it on a
//! thread of its own and returns a [`RunningServer`] that can be shut down.
//! Each accepted connection gets a
//! [`ConnectionSlot`](crate::connection_slots::ConnectionSlot), one of
//! `--max-clients`, and a thread of its own that runs [`connection::serve`].
//! A subscriber's thread hands its socket (and its slot) to the hub and
//! ends, so the slot, not the thread, is what a subscriber holds for as long
//! as it stays.
//!
//! When every slot is taken, the accept loop hands the socket to [`closer`],
//! which answers `503`; no thread is started, so a flood of connections
//! costs no more than the sockets it opens.
//!
//! Shutting down goes in the order the data flows: stop accepting, stop the
//! hub (which closes every stream after its last whole event), close the
//! connections that are still reading, wait for their threads, and let the
//! closer finish its last refusals.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};
use std::time::Instant;

use crate::access::hook::HookAddress;
use crate::access::watch::Watch;
use crate::access::{Access, Asker};
use crate::config::Config;
use crate::connection_slots::ConnectionSlots;
use crate::counters::Counters;
use crate::hub::handle::Handle;
use crate::hub::queue_budget::QueueBudget;
use crate::hub::state::ledger::Ledger;
use crate::ingest::expiry::Expiry;
use crate::ingest::publisher::Publisher;
use crate::ingest::state_keys::StateKeys;
use crate::limits::{HUB_QUEUE_MAX_BYTES, SHUTDOWN_TIMEOUT, SHUTDOWN_WAKE_TIMEOUT};
use crate::routes::context::Context;
use crate::routes::page::Site;
use crate::stderr_log;

mod accept;
pub mod closer;
pub mod connection;
mod start;
pub mod websocket_reader;

use accept::accept_loop;
use closer::Closer;
pub use start::StartError;
use start::{open_storage, take_restored};

/// A bound, ready server.
pub struct Server {
    listener: TcpListener,
    context: Arc<Context>,
    closer: Closer,
    threads: Threads,
}

/// The threads a server starts besides those of its connections.
struct Threads {
    hub: JoinHandle<()>,
    writer: Option<JoinHandle<()>>,
    /// With `--redis`: the reader, and the presence sharer.
    redis: Vec<JoinHandle<()>>,
    closer: JoinHandle<()>,
    expiry: Expiry,
}

/// A server accepting connections on a thread of its own.
///
/// ```
/// use herald::{Config, Event, Server};
///
/// let config = Config { addr: "127.0.0.1:0".into(), access_log: false, ..Config::default() };
/// let server = Server::bind(config)?.spawn()?;
/// let id = server.publisher().publish(Event::new("hello")?)?;
/// assert!(id > 0);
/// server.shutdown();
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct RunningServer {
    addr: SocketAddr,
    context: Arc<Context>,
    /// Set when the server is shutting down: the accept loop stops.
    stopping: Arc<AtomicBool>,
    accept: JoinHandle<()>,
    threads: Threads,
}

impl Server {
    /// Opens the listening socket and starts the hub.
    ///
    /// ```
    /// let config = herald::Config { addr: "127.0.0.1:0".into(), ..Default::default() };
    /// let server = herald::Server::bind(config)?;
    /// assert_ne!(server.local_addr()?.port(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`StartError`] when the address cannot be listened on, the `--www`
    /// folder cannot be served, or the hub thread cannot start.
    pub fn bind(config: Config) -> Result<Server, StartError> {
        let site = match &config.www {
            None => Site::Embedded,
            Some(folder) => Site::folder(folder).map_err(|error| StartError::Www {
                folder: folder.display().to_string(),
                error,
            })?,
        };
        let listener = TcpListener::bind(&config.addr).map_err(|error| StartError::Listen {
            addr: config.addr.clone(),
            error,
        })?;
        let (stored, redis) = open_storage(&config)?;
        let (stored, redis, kept, keys) = take_restored(stored, redis, config.history);
        // Ids go on from the newest stored, or from the clock if that is higher.
        let newest_stored = kept.recent.last().map_or(0, |(id, _)| *id);
        let first_id = crate::clock::micros_since_epoch().max(newest_stored + 1);
        let mut ledger = Ledger::new(config.state_keys, config.state_bytes);
        ledger.follow_restored(kept.older_values.iter().chain(&kept.recent));
        let state_keys = StateKeys::new(ledger);
        let (hub, hub_thread) =
            crate::hub::spawn(&config, first_id, kept.recent, kept.older_values)
                .map_err(StartError::Thread)?;
        let counters = Arc::new(Counters::default());
        let (store, writer_thread) = match stored {
            Some(opened) => {
                let (store, thread) = crate::store::writer::spawn(
                    opened.log,
                    config.fsync,
                    hub.clone(),
                    Arc::clone(&counters),
                )
                .map_err(StartError::Thread)?;
                (Some(store), Some(thread))
            }
            None => (None, None),
        };
        let budget = QueueBudget::new(HUB_QUEUE_MAX_BYTES);
        let (redis, redis_threads) = match redis {
            Some(opened) => {
                let ledger = state_keys.shared_ledger();
                let interval = config.presence_interval;
                let (bus, threads) = opened
                    .start_reader(hub.clone(), Arc::clone(&budget), ledger, interval)
                    .map_err(StartError::Thread)?;
                (Some(bus), threads)
            }
            None => (None, Vec::new()),
        };
        let (closer, closer_thread) =
            Closer::spawn(Arc::clone(&counters), config.cors_origins.clone())
                .map_err(StartError::Thread)?;
        let publisher = Publisher::new(
            hub.clone(),
            store,
            redis,
            first_id,
            budget,
            keys,
            state_keys,
        );
        let expiry = Expiry::spawn(publisher.clone()).map_err(StartError::Thread)?;
        let connections = Arc::new(ConnectionSlots::default());
        let access = match &config.auth_hook {
            Some(url) => Some(start_access(url, &config, &hub, &connections)?),
            None => None,
        };
        let context = Context {
            config,
            site,
            hub,
            publisher,
            connections,
            counters,
            access,
            started: Instant::now(),
            refused_origins: Default::default(),
        };
        Ok(Server {
            listener,
            context: Arc::new(context),
            closer,
            threads: Threads {
                hub: hub_thread,
                writer: writer_thread,
                redis: redis_threads,
                closer: closer_thread,
                expiry,
            },
        })
    }

    /// The address the server listens on (useful after binding port 0).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// A handle for publishing to this server's subscribers from Rust,
    /// before or after it starts accepting.
    ///
    /// ```
    /// let config = herald::Config { addr: "127.0.0.1:0".into(), ..Default::default() };
    /// let server = herald::Server::bind(config)?;
    /// let publisher = server.publisher();
    /// let event = herald::Event::new("from a thread")?;
    /// let sent = std::thread::spawn(move || publisher.publish(event)).join();
    /// assert!(matches!(sent, Ok(Ok(_))));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn publisher(&self) -> Publisher {
        self.context.publisher.clone()
    }

    /// Accepts connections for ever, on this thread.
    pub fn run(self) {
        accept_loop(
            &self.listener,
            &self.context,
            &AtomicBool::new(false),
            &self.closer,
        );
    }

    /// Accepts connections on a thread of its own; the returned
    /// [`RunningServer`] can shut the server down.
    ///
    /// # Errors
    /// [`StartError::Thread`] if the thread cannot start.
    pub fn spawn(self) -> Result<RunningServer, StartError> {
        let addr = self.listener.local_addr().map_err(StartError::Thread)?;
        let Server {
            listener,
            context,
            closer,
            threads,
        } = self;
        let stopping = Arc::new(AtomicBool::new(false));
        let (accepting, stop_flag) = (Arc::clone(&context), Arc::clone(&stopping));
        let accept = thread::Builder::new()
            .name("herald-accept".into())
            // The closer moves in here, and is dropped when the loop ends.
            .spawn(move || accept_loop(&listener, &accepting, &stop_flag, &closer))
            .map_err(StartError::Thread)?;
        Ok(RunningServer {
            addr,
            context,
            stopping,
            accept,
            threads,
        })
    }
}

impl RunningServer {
    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// A handle for publishing to this server's subscribers.
    pub fn publisher(&self) -> Publisher {
        self.context.publisher.clone()
    }

    /// Stops accepting, ends every stream cleanly (after its last whole
    /// event), closes every other connection, joins the threads, and returns.
    pub fn shutdown(self) {
        self.stopping.store(true, Ordering::Release);
        // `accept` blocks; a connection of our own wakes it to see the flag.
        let _ = TcpStream::connect_timeout(&wake_address(self.addr), SHUTDOWN_WAKE_TIMEOUT);
        let _ = self.accept.join();
        self.threads.expiry.stop();
        self.context.publisher.stop();
        self.context.hub.shut_down();
        if let Some(writer) = self.threads.writer {
            let _ = writer.join();
        }
        for thread in self.threads.redis {
            let _ = thread.join();
        }
        let _ = self.threads.hub.join();
        self.context.connections.close_all();
        if !self
            .context
            .connections
            .wait_until_all_closed(SHUTDOWN_TIMEOUT)
        {
            stderr_log::line(format_args!(
                "herald: some connections did not close in time"
            ));
        }
        let _ = self.threads.closer.join();
    }
}

/// The hook's address (resolved now) and the thread that watches the
/// streams it allowed.
fn start_access(
    url: &str,
    config: &Config,
    hub: &Handle,
    connections: &Arc<ConnectionSlots>,
) -> Result<Access, StartError> {
    let hook = HookAddress::parse(url).map_err(StartError::AuthHook)?;
    let asker = Arc::new(Asker::new(hook, config.auth_hook_timeout));
    let watch = Watch::spawn(Arc::clone(&asker), hub.clone(), Arc::clone(connections))
        .map_err(StartError::Thread)?;
    Ok(Access { asker, watch })
}

/// Where to connect to reach a listener bound to `addr` (an unspecified
/// address such as `0.0.0.0` is reached through loopback).
fn wake_address(addr: SocketAddr) -> SocketAddr {
    let ip = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, addr.port())
}
