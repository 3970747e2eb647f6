//! The opening handshake (RFC 6455 §4.2): an HTTP `GET` asks to switch
//! protocols, and the server agrees with `101 Switching Protocols`.
//!
//! The request must say `Upgrade: websocket` and `Connection: Upgrade`, use
//! version 13, and carry `Sec-WebSocket-Key`, 16 random bytes in base64. The
//! server proves it understood by answering `Sec-WebSocket-Accept:
//! base64(sha1(key + GUID))`, with the GUID fixed by the RFC. A request that
//! is not a proper upgrade gets `400`; one for another version gets `426`
//! with the version herald speaks.

use crate::http::error::HttpError;
use crate::http::request_head::RequestHead;
use crate::wire::websocket::{base64, sha1};

/// The GUID every WebSocket server appends to the client's key.
const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// The `Sec-WebSocket-Accept` value for a client's key.
pub fn accept_key(key: &str) -> String {
    base64::encode(&sha1::sha1(format!("{key}{GUID}").as_bytes()))
}

/// Checks an upgrade request; returns the accept key.
///
/// # Errors
/// 400 for a request that is not a valid upgrade, 426 for a version other
/// than 13.
pub fn check(head: &RequestHead) -> Result<String, HttpError> {
    let upgrade = head.upgrade.as_deref().unwrap_or("");
    if head.minor_version != 1 || !has_token(upgrade, "websocket") || !head.connection_upgrade {
        return Err(HttpError::BadRequest(
            "not a WebSocket upgrade (Upgrade: websocket, Connection: Upgrade)",
        ));
    }
    if head.websocket_version.as_deref() != Some("13") {
        return Err(HttpError::UpgradeRequired);
    }
    let key = head.websocket_key.as_deref().unwrap_or("");
    if base64::decoded_len(key) != Some(16) {
        return Err(HttpError::BadRequest(
            "Sec-WebSocket-Key must be 16 bytes in base64",
        ));
    }
    Ok(accept_key(key))
}

/// Whether a comma-separated header value holds `token` (any case).
pub fn has_token(value: &str, token: &str) -> bool {
    value
        .split(',')
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}

/// The `101` response head.
pub fn switching_protocols(accept: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {accept}\r\n\r\n"
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rfc_example_key() {
        // RFC 6455 §1.3.
        assert_eq!(
            accept_key("dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    fn upgrade() -> RequestHead {
        RequestHead {
            method: "GET".into(),
            target: "/ws".into(),
            minor_version: 1,
            upgrade: Some("websocket".into()),
            connection_upgrade: true,
            websocket_version: Some("13".into()),
            websocket_key: Some("dGhlIHNhbXBsZSBub25jZQ==".into()),
            ..RequestHead::default()
        }
    }

    #[test]
    fn bad_handshakes() {
        assert!(check(&upgrade()).is_ok());
        let mut head = upgrade();
        head.websocket_version = Some("8".into());
        assert_eq!(check(&head), Err(HttpError::UpgradeRequired));
        for broken in [
            RequestHead {
                upgrade: None,
                ..upgrade()
            },
            RequestHead {
                connection_upgrade: false,
                ..upgrade()
            },
            RequestHead {
                websocket_key: Some("short".into()),
                ..upgrade()
            },
            RequestHead {
                minor_version: 0,
                ..upgrade()
            },
        ] {
            assert_eq!(check(&broken).map_err(HttpError::status), Err(400));
        }
    }
}
