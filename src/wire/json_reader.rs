//! A small JSON reader for the auth hook's answer: objects, arrays,
//! strings (with every escape, surrogate pairs included), numbers, `true`,
//! `false` and `null`, and nothing else.
//!
//! herald takes no JSON crate for one small answer. This reader is bounded
//! in depth ([`AUTH_ANSWER_MAX_DEPTH`]), so no answer can make it recurse
//! far; it returns a reason for anything it cannot read and never panics
//! (`grant.rs` holds the property test that throws mutated answers at it).

use crate::limits::AUTH_ANSWER_MAX_DEPTH;

/// Reads `text` as one JSON value, with nothing but white space after it.
///
/// # Errors
/// A short reason, for the log.
pub fn read(text: &str) -> Result<Value, &'static str> {
    let mut parser = Parser {
        bytes: text.as_bytes(),
        at: 0,
    };
    let value = parser.value(0)?;
    parser.skip_space();
    if parser.at != parser.bytes.len() {
        return Err("the answer has more after its JSON");
    }
    Ok(value)
}

/// A JSON value, as far as the answer needs one.
pub enum Value {
    /// `null`.
    Null,
    /// `true` or `false` (the answer needs neither's value).
    Bool,
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
