//! herald: a small Server-Sent Events broadcast server.
//!
//! Someone types a message into the page's form; every open tab shows it at
//! once. Any program can publish the same way, with one HTTP `POST`.
//!
//! ```no_run
//! let config = herald::Config { addr: "127.0.0.1:8000".into(), ..Default::default() };
//! let server = herald::Server::bind(config)?;
//! println!("listening on {}", server.local_addr()?);
//! server.run();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # The layout: one folder per stage
//!
//! The folders below are the stages a message passes through, declared in
//! the order it meets them:
//!
//! ```text
//! server/   accepts a connection and runs its thread ─┐
//! routes/   picks the endpoint; one file per endpoint │ a request
//! access/   asks the app who may listen and publish   │
//! http/     bytes to a request, a response to bytes ──┘
//! ingest/   a published event gets its id ─┐
//! store/    ... is kept on disk or in Redis │ an event
//! hub/      ... and the broadcaster thread  │
//! wire/     writes its bytes to every tab ──┘
//! ```
//!
//! A stage uses only the stages declared after it (and the leaves at the
//! end: settings, limits, the event itself). So the server may call a route,
//! and a route may read HTTP and hand an event to ingest, but the hub never
//! reaches back up into a handler: there is no import circle, and each stage
//! can be read knowing only what comes after it. `tests/layers.rs` holds
//! the code to this.
//!
//! Two places are not where a first guess would put them, and why:
//! - `http/` comes after `routes/`, though a request's bytes are read
//!   before it is routed: `server/` reads with `http/`, and so do the
//!   routes, so it sits below both.
//! - The count of open connections (`connection_slots`) is a leaf, not part
//!   of `server/`: a subscriber's slot travels with its socket into the hub,
//!   which must not import the server.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

// herald's other side: the command line, and the client behind
// `herald publish` and `herald listen`.
pub mod cli;
// (the client speaks to a server over TCP, as any other program would)
pub mod client;

// 1. Accept a connection, run its thread, read its WebSocket.
pub mod server;
// 2. Route a request to its endpoint, and the endpoints themselves.
pub mod routes;
// 3. Who may listen and publish: the app's answer, through --auth-hook.
pub mod access;
// 4. HTTP: from bytes to a request, from a response to bytes.
pub mod http;
// 5. A published event gets its id, and goes to the store or the hub.
pub mod ingest;
// 6. The event log on disk, or a Redis stream shared by instances.
pub mod store;
// 7. The broadcaster: one thread, every listener, the history.
pub mod hub;
// 8. The bytes a subscriber reads: event stream, WebSocket frames, JSON.
pub mod wire;

// Leaves that every stage may use.
pub mod config;
// (an event: the message, its type and topic, checked when built)
pub mod event;
// (the open connections, one slot each, up to --max-clients)
pub mod connection_slots;
// (what was turned away and why, and the log's sync time, for /metrics)
pub mod counters;
// (lines on stderr: the access log and notices)
pub mod stderr_log;
// (the wall clock, in the units herald keeps)
pub mod clock;
// (socket reads and writes that a signal cannot break)
pub mod socket_io;
// (one socket, one file descriptor, shared by the threads that use it)
pub mod shared_socket;
// (each limit, with its unit and its reason)
pub mod limits;
// (telling systemd that herald is ready, or stopping)
pub mod service_manager;

/// The README's Rust examples, compiled as doctests so they stay true.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

pub use config::Config;
pub use event::{Event, EventError, EventId};
pub use hub::handle::HubUnavailable;
pub use ingest::publisher::{PublishError, Publisher};
pub use server::{RunningServer, Server, StartError};
