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

// The command line, and herald's own client (`herald publish`, `herald listen`).
pub mod cli;
pub mod client;

// The path of a message.
pub mod http;
pub mod hub;
pub mod ingest;
pub mod routes;
pub mod server;
pub mod store;
pub mod wire;

// Leaves that every stage may use.
pub mod config;
pub mod connection_slots;
pub mod event;
pub mod limits;
pub mod stderr_log;

/// The README's Rust examples, compiled as doctests so they stay true.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

pub use config::Config;
pub use event::{Event, EventError, EventId};
pub use ingest::publisher::{HubUnavailable, PublishError, Publisher};
pub use server::{RunningServer, Server, StartError};
