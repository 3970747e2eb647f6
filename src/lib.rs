//! herald: a small Server-Sent Events broadcast server.
//!
//! Someone types a message into the page's form; every open tab shows it at
//! once. Any program can publish the same way, with one HTTP `POST`.
//!
//! The modules below are listed in the order a message travels. A request
//! comes in as bytes and is read and parsed; it is routed to a handler; a
//! publish goes to the hub, which encodes the event once and writes it to
//! every subscriber's socket.
//!
//! ```no_run
//! let config = herald::Config { addr: "127.0.0.1:8000".into(), ..Default::default() };
//! let server = herald::Server::bind(config)?;
//! println!("listening on {}", server.local_addr()?);
//! server.run();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

// Settings and their bounds.
pub mod cli;
pub mod config;
pub mod limits;

// Bytes in: accept, read, parse.
pub mod body;
pub mod closer;
pub mod connection;
pub mod connections;
pub mod head;
pub mod http_error;
pub mod reader;
pub mod server;

// Route and handle.
pub mod cors;
pub mod form;
pub mod publish;
pub mod route;
pub mod static_files;
pub mod stats;
pub mod subscribe;

// The event log, for history that survives a restart.
pub mod crc32;
pub mod event_log;
pub mod lock_file;
pub mod log_writer;
pub mod record;
#[cfg(feature = "redis")]
pub mod redis_bus;
pub mod scale_out;

// The hub and the event stream: bytes out.
pub mod batch;
pub mod event;
pub mod history;
pub mod hub;
pub mod listener;
pub mod publisher;
pub mod sse;

pub mod json;
pub mod log;
pub mod response;
pub mod websocket;

// herald's own client: `herald publish` and `herald listen`.
pub mod client;

/// The README's Rust examples, compiled as doctests so they stay true.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

pub use config::Config;
pub use event::{Event, EventError, EventId};
pub use publisher::{HubUnavailable, PublishError, Publisher};
pub use server::{RunningServer, Server, StartError};
