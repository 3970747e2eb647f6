//! The marker that ends a snapshot of the keyed values (`state=1`, see
//! `hub/state/`), in both framings: `herald-state`, whose data is
//! `{"last_id":N}`.
//!
//! Unlike a notice it carries the id `N`, the newest event the snapshot
//! takes in: a browser that reconnects after it sends `Last-Event-ID: N`
//! and resumes from the snapshot's moment, not from its oldest value.

use crate::event::EventId;
use crate::wire::json;
use crate::wire::notice::{STATE_EVENT_TYPE, state_data};
use crate::wire::websocket::frame;

/// The marker as event-stream lines.
pub fn event_stream(last_id: EventId) -> Vec<u8> {
    let data = state_data(last_id);
    format!("id: {last_id}\nevent: {STATE_EVENT_TYPE}\ndata: {data}\n\n").into_bytes()
}

/// The marker as a WebSocket text frame, shaped as an event's.
pub fn websocket(last_id: EventId) -> Vec<u8> {
    let mut text = format!(
        "{{\"id\":{last_id},\"event\":\"{STATE_EVENT_TYPE}\",\"topic\":null,\"time\":null,\"data\":"
    );
    json::push_string(&mut text, &state_data(last_id));
    text.push('}');
    let mut out = Vec::new();
    frame::encode(frame::TEXT, text.as_bytes(), &mut out);
    out
}
