//! Stage 5: where a published event enters.
//!
//! - [`submission`]: what a client asked to publish, over HTTP or WebSocket
//!   alike: the token is checked and the event is built, by one set of rules;
//! - [`idempotency`]: a retried publish with the same key is recognised;
//! - [`publisher`]: the event gets its id (in order, under one small lock)
//!   and goes to the store when there is one (the event log, or Redis), or
//!   straight to the hub's queue.
//!
//! And beside them, for live state (see `hub/state/`): [`state_keys`], the
//! ledger of keys a publish is checked against, and [`expiry`], the
//! `herald-delete` event and the thread that ends a value whose `ttl` is
//! up.

pub mod expiry;
pub mod idempotency;
pub mod publisher;
pub mod state_keys;
pub mod submission;
