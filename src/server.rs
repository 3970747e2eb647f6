//! The server: a listening socket, an accept loop, a thread per connection.
//!
//! [`Server::bind`] opens the socket and starts the hub; [`Server::run`]
//! accepts connections for ever. Each accepted connection gets a
//! [`ConnectionSlot`], one of `--max-clients`, and a thread of its own that
//! runs [`crate::connection::serve`]. A subscriber's thread hands its socket
//! (and its slot) to the hub and ends, so the slot, not the thread, is what a
//! subscriber holds for as long as it stays.
//!
//! When every slot is taken, the accept loop hands the socket to
//! [`crate::closer`], which answers `503`; no thread is started: a flood of connections costs no more
//! than the sockets it opens. When the process runs out of file descriptors,
//! `accept` fails; the loop says so once, waits a little and carries on.

use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::Instant;

use crate::closer::Closer;
use crate::config::Config;
use crate::limits::{ACCEPT_BACKOFF, CONNECTION_STACK_BYTES};
use crate::log;
use crate::publisher::Publisher;
use crate::static_files::Site;

/// What every connection thread shares: the settings, the page, the hub.
pub struct Shared {
    /// The settings the server was started with.
    pub config: Config,
    /// Where the page's files come from.
    pub site: Site,
    /// The way to the hub.
    pub publisher: Publisher,
    /// Open connections, subscribers included.
    pub open_connections: Arc<AtomicUsize>,
    /// When the server started, for `uptime_s`.
    pub started: Instant,
}

/// A bound, ready server.
pub struct Server {
    listener: TcpListener,
    shared: Arc<Shared>,
    closer: Closer,
}

/// Why a server could not start.
#[derive(Debug)]
pub enum StartError {
    /// The address could not be listened on.
    Listen {
        /// The address asked for.
        addr: String,
        /// What the system said.
        error: io::Error,
    },
    /// The `--www` folder cannot be served.
    Www {
        /// The folder asked for.
        folder: String,
        /// What the system said.
        error: io::Error,
    },
    /// A thread could not be started.
    Thread(io::Error),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::Listen { addr, error } => {
                write!(f, "cannot listen on {addr}: {error} (try --addr HOST:PORT)")
            }
            StartError::Www { folder, error } => {
                write!(f, "cannot serve --www {folder}: {error}")
            }
            StartError::Thread(error) => write!(f, "cannot start a thread: {error}"),
        }
    }
}

impl std::error::Error for StartError {}

impl Server {
    /// Opens the listening socket and starts the hub.
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
        let first_id = crate::history::clock_id();
        let hub = crate::hub::spawn(&config, first_id).map_err(StartError::Thread)?;
        let closer = Closer::spawn().map_err(StartError::Thread)?;
        let shared = Shared {
            config,
            site,
            publisher: Publisher::new(hub, first_id),
            open_connections: Arc::new(AtomicUsize::new(0)),
            started: Instant::now(),
        };
        Ok(Server {
            listener,
            shared: Arc::new(shared),
            closer,
        })
    }

    /// The address the server listens on (useful after binding port 0).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// A handle for publishing to this server's subscribers from Rust.
    pub fn publisher(&self) -> Publisher {
        self.shared.publisher.clone()
    }

    /// Accepts connections for ever.
    pub fn run(self) {
        let mut told_out_of_descriptors = false;
        loop {
            match self.listener.accept() {
                Ok((stream, _)) => {
                    told_out_of_descriptors = false;
                    self.admit(stream);
                }
                Err(error) if is_out_of_descriptors(&error) => {
                    if !told_out_of_descriptors {
                        log::line(format_args!(
                            "herald: out of file descriptors ({error}); new connections wait (raise `ulimit -n` or lower --max-clients)"
                        ));
                        told_out_of_descriptors = true;
                    }
                    thread::sleep(ACCEPT_BACKOFF);
                }
                // A client that gave up between connect and accept, and the
                // like: nothing to do but take the next one.
                Err(_) => thread::sleep(ACCEPT_BACKOFF / 10),
            }
        }
    }

    /// Gives a new connection a slot and a thread, or turns it away.
    fn admit(&self, stream: TcpStream) {
        let max = self.shared.config.max_clients;
        let Some(slot) = ConnectionSlot::take(&self.shared.open_connections, max) else {
            self.closer.turn_away(stream);
            return;
        };
        let shared = Arc::clone(&self.shared);
        let spawned = thread::Builder::new()
            .name("herald-conn".into())
            .stack_size(CONNECTION_STACK_BYTES)
            .spawn(move || crate::connection::serve(stream, slot, shared));
        if let Err(error) = spawned {
            // The closure, and with it the socket and the slot, is dropped:
            // the client sees the connection close.
            log::line(format_args!(
                "herald: cannot start a connection thread: {error}"
            ));
        }
    }
}

/// EMFILE (this process) and ENFILE (the whole system) on Linux and the BSDs.
fn is_out_of_descriptors(error: &io::Error) -> bool {
    const ENFILE: i32 = 23;
    const EMFILE: i32 = 24;
    matches!(error.raw_os_error(), Some(ENFILE | EMFILE))
}

/// One of the `--max-clients` places, held for as long as a connection is
/// open; dropping it frees the place.
pub struct ConnectionSlot(Arc<AtomicUsize>);

impl ConnectionSlot {
    /// Takes a place if fewer than `max` are taken.
    pub fn take(open: &Arc<AtomicUsize>, max: usize) -> Option<ConnectionSlot> {
        open.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
            (n < max).then_some(n + 1)
        })
        .ok()
        .map(|_| ConnectionSlot(Arc::clone(open)))
    }
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}
