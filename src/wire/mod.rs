//! The bytes subscribers read: pure encoders, with no I/O.

pub mod json;
pub mod notice;
pub mod sse;
pub mod websocket;
