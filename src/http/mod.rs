//! Stage 4, HTTP/1.1: from bytes to a request, from a response to bytes.
//!
//! HTTP/1.1 as herald speaks it. The framing is generic: reading within
//! bounds, parsing with `httparse`, bodies by length or chunks, forms,
//! responses. Two things in it are herald's own, kept here so that each is
//! in one place, and marked so: the [`request_head::RequestHead`] gathers
//! the few headers herald's routes decide by (`Last-Event-ID`,
//! `Idempotency-Key`, the credentials the auth hook is sent, the WebSocket
//! handshake's), read once as the head is parsed; and
//! [`error::HttpError`] has, beside HTTP's own failures, the refusals of
//! herald's routes (a token, the app's answer, a full queue), each mapped
//! to its status in the one `match`. The server reads with this stage and
//! the routes answer with it. The files, in the order a request meets
//! them:
//!
//! - [`reader`]: bytes from a socket, within a size and a time bound;
//! - [`request_head`]: the request line and headers, parsed by `httparse`;
//! - [`body`]: the body, by `Content-Length` or chunks, within `--max-body`;
//! - [`request`]: the head and the body together, as a handler gets them;
//! - [`form`]: decoding `a=1&b=2` (form bodies and query strings);
//! - [`cors`]: the headers that let pages of other origins read an answer;
//! - [`refused_origins`]: a log line for the origins `--cors-origin` refuses;
//! - [`websocket_upgrade`]: the handshake that turns a request into a WebSocket;
//! - [`response`]: an answer, and the one function that writes it;
//! - [`error`]: every way a request can fail, and the status each becomes;
//! - [`client`]: the other way round, herald as a client (the auth hook,
//!   `herald publish` and `herald listen`).

pub mod body;
pub mod client;
pub mod cors;
pub mod error;
pub mod form;
pub mod reader;
pub mod refused_origins;
pub mod request;
pub mod request_head;
pub mod response;
pub mod websocket_upgrade;
