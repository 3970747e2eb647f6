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
//! absent, at most an hour); `user` is an opaque name for the logs. Other
//! keys are ignored, so an app may send more than herald reads.
//!
//! The JSON is read by the small parser below, not a crate: it takes only
//! what the answer needs (objects, arrays, strings, numbers, `true`,
//! `false`, `null`), refuses anything else, and is bounded in depth, so no
//! answer can make it recurse far or panic. The body is bounded in size
//! before it gets here.

use std::time::Duration;

use crate::limits::{
    AUTH_ANSWER_MAX_DEPTH, AUTH_DEFAULT_TTL, AUTH_MAX_TOPICS_PER_GRANT, AUTH_MAX_TTL,
};

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
    /// The app's name for them, for the logs.
    pub user: Option<String>,
}

/// Reads a hook's `200` body; `Err` with the reason when it is not the
/// answer described above.
pub fn parse_grant(body: &[u8]) -> Result<Grant, &'static str> {
    let text = std::str::from_utf8(body).map_err(|_| "the answer is not UTF-8")?;
    let mut parser = Parser {
        bytes: text.as_bytes(),
        at: 0,
    };
    let value = parser.value(0)?;
    parser.skip_space();
    if parser.at != parser.bytes.len() {
        return Err("the answer has more after its JSON");
    }
    let Value::Object(fields) = value else {
        return Err("the answer is not a JSON object");
    };
    let mut grant = Grant {
        listen: Topics::Only(Vec::new()),
        publish: Topics::Only(Vec::new()),
        ttl: AUTH_DEFAULT_TTL,
        user: None,
    };
    for (name, value) in fields {
        match name.as_str() {
            "listen" => grant.listen = topics(value)?,
            "publish" => grant.publish = topics(value)?,
            "ttl" => grant.ttl = ttl(&value)?,
            "user" => grant.user = user(value)?,
            _ => {}
        }
    }
    Ok(grant)
}

fn topics(value: Value) -> Result<Topics, &'static str> {
    let list = match value {
        Value::String(star) if star == "*" => return Ok(Topics::All),
        Value::Array(list) => list,
        Value::Null => Vec::new(),
        _ => return Err("listen and publish are lists of topics, or \"*\""),
    };
    if list.len() > AUTH_MAX_TOPICS_PER_GRANT {
        return Err("too many topics in the answer");
    }
    let mut topics = Vec::with_capacity(list.len());
    for item in list {
        match item {
            Value::String(star) if star == "*" => return Ok(Topics::All),
            Value::String(topic) if crate::event::is_label(&topic) => topics.push(topic),
            _ => return Err("a topic in the answer is not a valid topic name"),
        }
    }
    Ok(Topics::Only(topics))
}

fn ttl(value: &Value) -> Result<Duration, &'static str> {
    match value {
        Value::Number(seconds) if *seconds >= 0.0 && seconds.is_finite() => Ok(
            Duration::from_secs_f64(seconds.min(AUTH_MAX_TTL.as_secs_f64())),
        ),
        Value::Null => Ok(AUTH_DEFAULT_TTL),
        _ => Err("ttl is a number of seconds"),
    }
}

fn user(value: Value) -> Result<Option<String>, &'static str> {
    match value {
        Value::String(user) if crate::event::is_label(&user) => Ok(Some(user)),
        Value::Number(number) => Ok(Some(number.to_string())),
        Value::Null => Ok(None),
        _ => Err("user is a short string"),
    }
}

/// A JSON value, as far as the answer needs one.
enum Value {
    Null,
    Bool,
    Number(f64),
    String(String),
    Array(Vec<Value>),
    Object(Vec<(String, Value)>),
}

struct Parser<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Parser<'_> {
    fn value(&mut self, depth: usize) -> Result<Value, &'static str> {
        if depth > AUTH_ANSWER_MAX_DEPTH {
            return Err("the answer is nested too deeply");
        }
        self.skip_space();
        match self.peek() {
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => self.string().map(Value::String),
            Some(b't') => self.word("true").map(|()| Value::Bool),
            Some(b'f') => self.word("false").map(|()| Value::Bool),
            Some(b'n') => self.word("null").map(|()| Value::Null),
            Some(b'-' | b'0'..=b'9') => self.number().map(Value::Number),
            _ => Err("the answer is not valid JSON"),
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value, &'static str> {
        self.at += 1;
        let mut fields = Vec::new();
        self.skip_space();
        if self.eat(b'}') {
            return Ok(Value::Object(fields));
        }
        loop {
            self.skip_space();
            if self.peek() != Some(b'"') {
                return Err("the answer is not valid JSON");
            }
            let name = self.string()?;
            self.skip_space();
            if !self.eat(b':') {
                return Err("the answer is not valid JSON");
            }
            fields.push((name, self.value(depth + 1)?));
            self.skip_space();
            if self.eat(b'}') {
                return Ok(Value::Object(fields));
            }
            if !self.eat(b',') {
                return Err("the answer is not valid JSON");
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Value, &'static str> {
        self.at += 1;
        let mut items = Vec::new();
        self.skip_space();
        if self.eat(b']') {
            return Ok(Value::Array(items));
        }
        loop {
            items.push(self.value(depth + 1)?);
            self.skip_space();
            if self.eat(b']') {
                return Ok(Value::Array(items));
            }
            if !self.eat(b',') {
                return Err("the answer is not valid JSON");
            }
        }
    }

    /// A string, with its escapes (`\uXXXX` surrogate pairs included).
    fn string(&mut self) -> Result<String, &'static str> {
        const BAD: &str = "a string in the answer is not valid JSON";
        self.at += 1;
        let mut out = String::new();
        loop {
            let rest = &self.bytes[self.at..];
            let plain = rest
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
                .ok_or(BAD)?;
            // The input is a `str` and these stops are ASCII: a boundary.
            out.push_str(std::str::from_utf8(&rest[..plain]).map_err(|_| BAD)?);
            self.at += plain;
            match self.bytes[self.at] {
                b'"' => {
                    self.at += 1;
                    return Ok(out);
                }
                b'\\' => {
                    self.at += 1;
                    out.push(self.escape()?);
                }
                _ => return Err(BAD),
            }
        }
    }

    fn escape(&mut self) -> Result<char, &'static str> {
        const BAD: &str = "a string in the answer is not valid JSON";
        let byte = *self.bytes.get(self.at).ok_or(BAD)?;
        self.at += 1;
        Ok(match byte {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let first = self.hex4()?;
                if (0xD800..0xDC00).contains(&first) {
                    if !(self.eat(b'\\') && self.eat(b'u')) {
                        return Err(BAD);
                    }
                    let second = self.hex4()?;
                    if !(0xDC00..0xE000).contains(&second) {
                        return Err(BAD);
                    }
                    let code = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
                    char::from_u32(code).ok_or(BAD)?
                } else {
                    char::from_u32(first).ok_or(BAD)?
                }
            }
            _ => return Err(BAD),
        })
    }

    fn hex4(&mut self) -> Result<u32, &'static str> {
        let digits = self
            .bytes
            .get(self.at..self.at + 4)
            .and_then(|digits| std::str::from_utf8(digits).ok())
            .filter(|digits| digits.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or("a string in the answer is not valid JSON")?;
        self.at += 4;
        u32::from_str_radix(digits, 16).map_err(|_| "a string in the answer is not valid JSON")
    }

    fn number(&mut self) -> Result<f64, &'static str> {
        let start = self.at;
        while let Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9') = self.peek() {
            self.at += 1;
        }
        std::str::from_utf8(&self.bytes[start..self.at])
            .ok()
            .and_then(|text| text.parse().ok())
            .ok_or("a number in the answer is not valid JSON")
    }

    fn word(&mut self, word: &str) -> Result<(), &'static str> {
        if self.bytes[self.at..].starts_with(word.as_bytes()) {
            self.at += word.len();
            Ok(())
        } else {
            Err("the answer is not valid JSON")
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn eat(&mut self, byte: u8) -> bool {
        let found = self.peek() == Some(byte);
        self.at += usize::from(found);
        found
    }

    fn skip_space(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.at += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(text: &str) -> Result<Grant, &'static str> {
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
            })
        );
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
