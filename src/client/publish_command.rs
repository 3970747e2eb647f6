//! `herald publish`: send one message, print its id.
//!
//! ```text
//! herald publish [--url URL] [--event TYPE] [--topic NAME] [--token TOKEN] [MESSAGE | -]
//! ```
//!
//! With `-` or no message, the message is read from standard input, whole
//! (less one final line break): one event per run, however many lines it
//! has. The exit status is 0 when
//! the server accepted the event; otherwise the server's reason is printed
//! and the status is 1.

use crate::event::without_final_line_break;
use crate::limits::CLIENT_TIMEOUT;
use std::io::Read;

use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

use super::{ClientError, Server, read_text};

/// What to publish, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishArgs {
    /// The server.
    pub url: String,
    /// Where `url` came from (`--url`, `HERALD_URL`, the default), to say
    /// when it cannot be reached.
    pub url_from: &'static str,
    /// The message, or `None` to read standard input.
    pub message: Option<String>,
    /// The event type.
    pub event: Option<String>,
    /// The topic.
    pub topic: Option<String>,
    /// The publish token.
    pub token: Option<String>,
}

/// Publishes and returns the event id the server gave.
pub fn publish(args: &PublishArgs) -> Result<String, ClientError> {
    let server = Server::at(&args.url, args.url_from)?;
    let message = match &args.message {
        Some(message) => message.clone(),
        None => {
            let mut message = String::new();
            std::io::stdin().read_to_string(&mut message)?;
            without_final_line_break(message)
        }
    };
    let body = form_body(&message, args.event.as_deref(), args.topic.as_deref());
    let authorization = args.token.as_ref().map(|token| format!("Bearer {token}"));
    let mut headers = vec![
        ("Content-Type", "application/x-www-form-urlencoded"),
        ("Connection", "close"),
    ];
    if let Some(value) = &authorization {
        headers.push(("Authorization", value));
    }
    let publish = ("POST", "/publish");
    let (head, mut reader) = server.request(publish, &headers, body.as_bytes(), CLIENT_TIMEOUT)?;
    let text = read_text(&mut reader, &head)?;
    if (200..300).contains(&head.status) {
        Ok(text)
    } else {
        Err(ClientError::Refused {
            status: head.status,
            reason: text,
        })
    }
}

/// `message=…&event=…&topic=…`, each value percent-encoded.
fn form_body(message: &str, event: Option<&str>, topic: Option<&str>) -> String {
    let encode = |text| utf8_percent_encode(text, NON_ALPHANUMERIC).to_string();
    let mut body = format!("message={}", encode(message));
    for (name, value) in [("event", event), ("topic", topic)] {
        if let Some(value) = value {
            body.push_str(&format!("&{name}={}", encode(value)));
        }
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_is_a_form() {
        assert_eq!(
            form_body("a b&c", None, Some("ops")),
            "message=a%20b%26c&topic=ops"
        );
        assert_eq!(form_body("x\ny", Some("t"), None), "message=x%0Ay&event=t");
    }
}
