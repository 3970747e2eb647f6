//! The hook's answer: what one person may listen to and publish, and for
//! how long that holds.
//!
//! The hook answers `200` with a JSON object:
//!
//! ```json
//! {"listen": ["a", "b"], "publish": ["a"], "ttl": 300, "user": "42"}
//! ```
//!
//! `listen` and `publish` are lists of topics, or `"*"` (also `["*"]`) for
//! every topic; a missing list allows nothing. `ttl` is in seconds (60 when
//! absent, at most an hour); `user` is an opaque name for the logs and for
//! presence (who is here), and `"presence": false` keeps this person out
//! of every presence list (a service account, a monitor). Other keys are
//! ignored, so an app may send more than herald reads.
//!
//! The JSON is read by [`json_reader`], a small parser bounded in depth;
//! the body is bounded in size before it gets here.

use std::time::Duration;

use crate::limits::{AUTH_DEFAULT_TTL, AUTH_MAX_TOPICS_PER_GRANT, AUTH_MAX_TTL};
use crate::wire::json_reader::{self, JsonError, Value};

/// Topics a grant covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Topics {
    /// Every topic (`"*"`).
    All,
    /// Only these (possibly none).
    Only(Vec<String>),
}

impl Topics {
    /// Whether `topic` is covered. An event without a topic is public: only
    /// `All` covers it (publishing to everyone is the widest right).
    pub fn allows(&self, topic: Option<&str>) -> bool {
        match (self, topic) {
            (Topics::All, _) => true,
            (Topics::Only(topics), Some(topic)) => topics.iter().any(|t| t == topic),
            (Topics::Only(_), None) => false,
        }
    }
}

/// What the hook allowed one person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// Topics they may listen to.
    pub listen: Topics,
    /// Topics they may publish to.
    pub publish: Topics,
    /// How long the answer holds.
    pub ttl: Duration,
    /// The app's name for them, for the logs and presence lists.
    pub user: Option<String>,
    /// They are shown in presence lists (`"presence": false` says not).
    pub listed: bool,
}

/// Why a hook's `200` body is not the answer described above.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantError {
    /// It is not UTF-8.
    NotUtf8,
    /// It is not JSON that herald reads.
    Json(JsonError),
    /// It is JSON, but not an object.
    NotAnObject,
    /// `listen` or `publish` is neither a list of topics nor `"*"`.
    NotTopics,
    /// More than [`AUTH_MAX_TOPICS_PER_GRANT`] topics.
    TooManyTopics,
    /// A topic is not a valid topic name.
    BadTopic,
    /// `ttl` is not a number of seconds.
    BadTtl,
    /// `user` is not a short string.
    BadUser,
    /// `presence` is not `true` or `false`.
    BadPresence,
}

impl std::fmt::Display for GrantError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            GrantError::NotUtf8 => "the answer is not UTF-8",
            GrantError::Json(error) => error.reason(),
            GrantError::NotAnObject => "the answer is not a JSON object",
            GrantError::NotTopics => "listen and publish are lists of topics, or \"*\"",
            GrantError::TooManyTopics => "too many topics in the answer",
            GrantError::BadTopic => "a topic in the answer is not a valid topic name",
            GrantError::BadTtl => "ttl is a number of seconds",
            GrantError::BadUser => "user is a short string",
            GrantError::BadPresence => "presence is true or false",
        })
    }
}

/// Reads a hook's `200` body.
///
/// # Errors
/// A [`GrantError`] when it is not the answer described above.
pub fn parse_grant(body: &[u8]) -> Result<Grant, GrantError> {
    let text = std::str::from_utf8(body).map_err(|_| GrantError::NotUtf8)?;
    let Value::Object(fields) = json_reader::read(text).map_err(GrantError::Json)? else {
        return Err(GrantError::NotAnObject);
    };
    let mut grant = Grant {
        listen: Topics::Only(Vec::new()),
        publish: Topics::Only(Vec::new()),
        ttl: AUTH_DEFAULT_TTL,
        user: None,
        listed: true,
    };
    for (name, value) in fields {
        match name.as_str() {
            "listen" => grant.listen = topics(value)?,
            "publish" => grant.publish = topics(value)?,
            "ttl" => grant.ttl = ttl(&value)?,
            "user" => grant.user = user(value)?,
            "presence" => grant.listed = listed(&value)?,
            _ => {}
        }
    }
    Ok(grant)
}

fn topics(value: Value) -> Result<Topics, GrantError> {
    let list = match value {
        Value::String(star) if star == "*" => return Ok(Topics::All),
        Value::Array(list) => list,
        Value::Null => Vec::new(),
        _ => return Err(GrantError::NotTopics),
    };
    if list.len() > AUTH_MAX_TOPICS_PER_GRANT {
        return Err(GrantError::TooManyTopics);
    }
    let mut topics = Vec::with_capacity(list.len());
    for item in list {
        match item {
            Value::String(star) if star == "*" => return Ok(Topics::All),
            Value::String(topic) if crate::event::is_label(&topic) => topics.push(topic),
            _ => return Err(GrantError::BadTopic),
        }
    }
    Ok(Topics::Only(topics))
}

fn ttl(value: &Value) -> Result<Duration, GrantError> {
    match value {
        Value::Number(seconds) if *seconds >= 0.0 && seconds.is_finite() => Ok(
            Duration::from_secs_f64(seconds.min(AUTH_MAX_TTL.as_secs_f64())),
        ),
        Value::Null => Ok(AUTH_DEFAULT_TTL),
        _ => Err(GrantError::BadTtl),
    }
}

fn user(value: Value) -> Result<Option<String>, GrantError> {
    match value {
        Value::String(user) if crate::event::is_label(&user) => Ok(Some(user)),
        Value::Number(number) => Ok(Some(number.to_string())),
        Value::Null => Ok(None),
        _ => Err(GrantError::BadUser),
    }
}

fn listed(value: &Value) -> Result<bool, GrantError> {
    match value {
        Value::Bool(listed) => Ok(*listed),
        Value::Null => Ok(true),
        _ => Err(GrantError::BadPresence),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(text: &str) -> Result<Grant, GrantError> {
        parse_grant(text.as_bytes())
    }

    #[test]
    fn the_documented_answer_reads() {
        let read = grant(r#"{"listen":["a","b"], "publish":["a"], "ttl":300, "user":"42"}"#);
        assert_eq!(
            read,
            Ok(Grant {
                listen: Topics::Only(vec!["a".into(), "b".into()]),
                publish: Topics::Only(vec!["a".into()]),
                ttl: Duration::from_secs(300),
                user: Some("42".into()),
                listed: true,
            })
        );
        let unlisted = grant(r#"{"listen":"*","user":"monitor","presence":false}"#).unwrap();
        assert!(!unlisted.listed);
        assert!(grant(r#"{"presence":"no"}"#).is_err());
    }

    #[test]
    fn star_defaults_and_bounds() {
        let read = grant(r#"{"listen":"*","publish":["x","*"],"extra":{"deep":[1,2,{"k":null}]}}"#)
            .unwrap();
        assert_eq!(read.listen, Topics::All);
        assert_eq!(read.publish, Topics::All);
        assert_eq!(read.ttl, AUTH_DEFAULT_TTL);
        assert_eq!(grant(r#"{"ttl":999999}"#).unwrap().ttl, AUTH_MAX_TTL);
        assert_eq!(grant("{}").unwrap().listen, Topics::Only(Vec::new()));
        assert!(Topics::All.allows(None));
        assert!(!Topics::Only(vec!["a".into()]).allows(None));
    }

    #[test]
    fn escapes_are_decoded() {
        let read = grant(r#"{"listen":["caf\u00e9","\ud83d\ude00","a\/b"]}"#).unwrap();
        assert_eq!(
            read.listen,
            Topics::Only(vec!["café".into(), "😀".into(), "a/b".into()])
        );
    }

    #[test]
    fn what_is_not_the_answer_is_refused() {
        for text in [
            "",
            "[]",
            "null",
            r#"{"listen":"a"}"#,
            r#"{"listen":[1]}"#,
            r#"{"ttl":"soon"}"#,
            r#"{"ttl":-1}"#,
            r#"{"listen":["a"]"#,
            r#"{"listen":["a"]} x"#,
            r#"{"listen":["a\u"]}"#,
            r#"{"listen":["\ud800"]}"#,
            r#"{"listen":["line\nbreak"]}"#,
            r#"{'listen':[]}"#,
        ] {
            assert!(grant(text).is_err(), "{text}");
        }
        let deep = "[".repeat(1000) + &"]".repeat(1000);
        assert!(grant(&format!("{{\"x\":{deep}}}")).is_err());
    }

    /// A property: whatever bytes the hook sends, parsing ends with an
    /// answer or a reason, never a panic, and a valid answer built from
    /// random topics reads back as built.
    #[test]
    fn random_and_mutated_answers_never_panic() {
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let valid = br#"{"listen":["a","b\u00e9"],"publish":"*","ttl":12.5,"user":"u","x":[true,false,null,{"y":-1e3}]}"#;
        for _ in 0..20_000 {
            let mut bytes = valid.to_vec();
            for _ in 0..(next() % 4 + 1) {
                let at = (next() as usize) % bytes.len();
                match next() % 3 {
                    0 => bytes[at] = next() as u8,
                    1 => {
                        bytes.remove(at);
                    }
                    _ => bytes.insert(at, b"{}[]\",:\\u0"[(next() % 10) as usize]),
                }
                if bytes.is_empty() {
                    break;
                }
            }
            let _ = parse_grant(&bytes);
        }
        for _ in 0..2_000 {
            let count = (next() % 5) as usize;
            let topics: Vec<String> = (0..count)
                .map(|i| format!("t{}-{i}", next() % 1000))
                .collect();
            let listed: Vec<String> = topics.iter().map(|t| format!("\"{t}\"")).collect();
            let text = format!(
                "{{\"listen\":[{}],\"ttl\":{}}}",
                listed.join(","),
                next() % 3600
            );
            assert_eq!(grant(&text).unwrap().listen, Topics::Only(topics));
        }
    }
}
