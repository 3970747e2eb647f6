//! `herald publish`: send one message, print its id.
//!
//! ```text
//! herald publish [--url URL] [--event TYPE] [--topic NAME] [--token TOKEN]
//!                [--key KEY [--ttl SECONDS] [--delete]] [MESSAGE | -]
//! ```
//!
//! With `-` or no message, the message is read from standard input, whole
//! (less one final line break): one event per run, however many lines it
//! has. With `--key` the event becomes that key's current value (see
//! `hub/state/`); `--delete` removes it, and reads no message. The exit status is 0 when
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
    /// The state key whose value this is.
    pub key: Option<String>,
    /// How long the value lasts, in seconds, as given.
    pub ttl: Option<String>,
    /// Remove the key's value instead.
    pub delete: bool,
}

/// Publishes and returns the event id the server gave.
pub fn publish(args: &PublishArgs) -> Result<String, ClientError> {
    let server = Server::at(&args.url, args.url_from)?;
    let message = match &args.message {
        _ if args.delete => None,
        Some(message) => Some(message.clone()),
        None => {
            let mut message = String::new();
            std::io::stdin().read_to_string(&mut message)?;
            Some(without_final_line_break(message))
        }
    };
    let delete = args.delete.then_some("1");
    let body = form_body(&[
        ("message", message.as_deref()),
        ("event", args.event.as_deref()),
        ("topic", args.topic.as_deref()),
        ("key", args.key.as_deref()),
        ("ttl", args.ttl.as_deref()),
        ("delete", delete),
    ]);
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

/// `message=…&event=…&topic=…` with the fields given, each value
/// percent-encoded.
fn form_body(fields: &[(&str, Option<&str>)]) -> String {
    let given = fields
        .iter()
        .filter_map(|(name, value)| Some((name, (*value)?)));
    let encoded = given
        .map(|(name, value)| format!("{name}={}", utf8_percent_encode(value, NON_ALPHANUMERIC)));
    encoded.collect::<Vec<_>>().join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_is_a_form() {
        assert_eq!(
            form_body(&[
                ("message", Some("a b&c")),
                ("event", None),
                ("topic", Some("ops"))
            ]),
            "message=a%20b%26c&topic=ops"
        );
        assert_eq!(
            form_body(&[("message", Some("x\ny")), ("event", Some("t"))]),
            "message=x%0Ay&event=t"
        );
    }
}
