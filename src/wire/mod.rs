//! Stage 8: the bytes a subscriber reads. Pure encoders, with no I/O.
//!
//! - [`sse`]: the event-stream format an `EventSource` reads;
//! - [`websocket`]: the same events as WebSocket frames of JSON, and the
//!   frame format itself;
//! - [`encoded`]: an event encoded once for every subscriber, in two parts
//!   so that the id can come last;
//! - [`json`]: writing JSON strings;
//! - [`json_reader`]: reading JSON, bounded in depth (the hook's answer, a
//!   WebSocket client's publish);
//! - [`notice`]: herald's own notices (`herald-missed`), in every framing;
//! - [`state_marker`]: the `herald-state` that ends a snapshot of the
//!   keyed values (see `hub/state/`);
//! - [`presence`]: `herald-presence`, who listens to a topic (see
//!   `hub/presence/`).

pub mod encoded;
pub mod json;
pub mod json_reader;
pub mod notice;
pub mod presence;
pub mod sse;
pub mod state_marker;
pub mod websocket;
