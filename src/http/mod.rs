//! HTTP/1.1: bytes in to a request, a response back out to bytes.
//!
//! Nothing here knows what herald does with a request. [`reader`] takes bytes
//! from a socket within a size and a time bound, [`request_head`] and
//! [`body`] turn them into a request (a [`request_head::RequestHead`] and a body), and [`response`] writes an
//! answer. Every failure is an [`error::HttpError`], which maps to its status
//! in one place.

pub mod body;
pub mod cors;
pub mod error;
pub mod form;
pub mod reader;
pub mod request;
pub mod request_head;
pub mod response;
pub mod websocket_upgrade;
