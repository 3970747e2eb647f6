//! A small JSON reader: objects, arrays, strings (with every escape,
//! surrogate pairs included), numbers, `true`, `false` and `null`, and
//! nothing else. It reads the auth hook's answer, and a WebSocket client's
//! `{"publish": …}` message ([`read_flat_object`]).
//!
//! herald takes no JSON crate for two small messages. This reader is
//! bounded in depth ([`JSON_MAX_DEPTH`]), so no input can make it recurse
//! far; it returns a [`JsonError`] for anything it cannot read and never
//! panics (`access/grant.rs` holds the property test that throws mutated
//! answers at it). The writing side is in [`crate::wire::json`].

use crate::limits::JSON_MAX_DEPTH;

/// Why a text is not the JSON asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonError {
    /// Not JSON at all, or broken.
    Invalid,
    /// A string with a bad escape, a control character, or no end.
    BadString,
    /// A number that is not one.
    BadNumber,
    /// Nested deeper than [`JSON_MAX_DEPTH`].
    TooDeep,
    /// Something more after the value.
    TrailingText,
    /// Not an object whose values are all strings.
    NotFlatObject,
}

impl JsonError {
    /// The reason, for a log line or a client.
    pub fn reason(self) -> &'static str {
        match self {
            JsonError::Invalid => "not valid JSON",
            JsonError::BadString => "a JSON string is not valid",
            JsonError::BadNumber => "a JSON number is not valid",
            JsonError::TooDeep => "the JSON is nested too deeply",
            JsonError::TrailingText => "there is more after the JSON",
            JsonError::NotFlatObject => "expected a JSON object of strings",
        }
    }
}

/// Reads a flat JSON object whose values are all strings, such as
/// `{"publish": "hi", "topic": "ops"}`, into its pairs.
///
/// # Errors
/// A [`JsonError`] when the text is not such an object.
pub fn read_flat_object(text: &str) -> Result<Vec<(String, String)>, JsonError> {
    let Value::Object(fields) = read(text)? else {
        return Err(JsonError::NotFlatObject);
    };
    fields
        .into_iter()
        .map(|(name, value)| match value {
            Value::String(text) => Ok((name, text)),
            _ => Err(JsonError::NotFlatObject),
        })
        .collect()
}

/// Reads `text` as one JSON value, with nothing but white space after it.
///
/// # Errors
/// A [`JsonError`] for anything else.
pub fn read(text: &str) -> Result<Value, JsonError> {
    let mut parser = Parser {
        bytes: text.as_bytes(),
        at: 0,
    };
    let value = parser.value(0)?;
    parser.skip_space();
    if parser.at != parser.bytes.len() {
        return Err(JsonError::TrailingText);
    }
    Ok(value)
}

/// A JSON value.
pub enum Value {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number.
    Number(f64),
    /// A string, its escapes decoded.
    String(String),
    /// An array.
    Array(Vec<Value>),
    /// An object's fields, in order.
    Object(Vec<(String, Value)>),
}

struct Parser<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Parser<'_> {
    fn value(&mut self, depth: usize) -> Result<Value, JsonError> {
        if depth > JSON_MAX_DEPTH {
            return Err(JsonError::TooDeep);
        }
        self.skip_space();
        match self.peek() {
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => self.string().map(Value::String),
            Some(b't') => self.word("true").map(|()| Value::Bool(true)),
            Some(b'f') => self.word("false").map(|()| Value::Bool(false)),
            Some(b'n') => self.word("null").map(|()| Value::Null),
            Some(b'-' | b'0'..=b'9') => self.number().map(Value::Number),
            _ => Err(JsonError::Invalid),
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value, JsonError> {
        self.at += 1;
        let mut fields = Vec::new();
        self.skip_space();
        if self.eat(b'}') {
            return Ok(Value::Object(fields));
        }
        loop {
            self.skip_space();
            if self.peek() != Some(b'"') {
                return Err(JsonError::Invalid);
            }
            let name = self.string()?;
            self.skip_space();
            if !self.eat(b':') {
                return Err(JsonError::Invalid);
            }
            fields.push((name, self.value(depth + 1)?));
            self.skip_space();
            if self.eat(b'}') {
                return Ok(Value::Object(fields));
            }
            if !self.eat(b',') {
                return Err(JsonError::Invalid);
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Value, JsonError> {
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
                return Err(JsonError::Invalid);
            }
        }
    }

    /// A string, with its escapes (`\uXXXX` surrogate pairs included).
    fn string(&mut self) -> Result<String, JsonError> {
        const BAD: JsonError = JsonError::BadString;
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

    fn escape(&mut self) -> Result<char, JsonError> {
        const BAD: JsonError = JsonError::BadString;
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

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let digits = self
            .bytes
            .get(self.at..self.at + 4)
            .and_then(|digits| std::str::from_utf8(digits).ok())
            .filter(|digits| digits.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or(JsonError::BadString)?;
        self.at += 4;
        u32::from_str_radix(digits, 16).map_err(|_| JsonError::BadString)
    }

    fn number(&mut self) -> Result<f64, JsonError> {
        let start = self.at;
        while let Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9') = self.peek() {
            self.at += 1;
        }
        std::str::from_utf8(&self.bytes[start..self.at])
            .ok()
            .and_then(|text| text.parse().ok())
            .ok_or(JsonError::BadNumber)
    }

    fn word(&mut self, word: &str) -> Result<(), JsonError> {
        if self.bytes[self.at..].starts_with(word.as_bytes()) {
            self.at += word.len();
            Ok(())
        } else {
            Err(JsonError::Invalid)
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

    #[test]
    fn flat_objects_are_read() {
        let pairs =
            read_flat_object(r#" { "publish" : "a\"b\n\u00e9\ud83c\udf89", "topic":"ops" } "#)
                .unwrap();
        assert_eq!(
            pairs,
            vec![
                ("publish".into(), "a\"b\né🎉".into()),
                ("topic".into(), "ops".into())
            ]
        );
        assert_eq!(read_flat_object("{}"), Ok(vec![]));
        for bad in [
            "",
            "[]",
            r#"{"a":1}"#,
            r#"{"a":"b""#,
            r#"{"a":"b"} x"#,
            r#"{"a":"\ud800"}"#,
            "{\"a\":\"\u{1}\"}",
        ] {
            assert!(read_flat_object(bad).is_err(), "{bad}");
        }
    }
}
