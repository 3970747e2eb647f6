//! JSON by hand: writing strings, and reading the one shape herald accepts,
//! a flat object of strings (a WebSocket client's publish message).
//!
//! RFC 8259 §7: a string is quoted; inside it, `"` and `\` are escaped, and
//! so is every control character below U+0020 (`\n`, `\r`, `\t`, `\b`, `\f`
//! by name, the rest as `\u00XX`). Every other character, including those
//! outside the Basic Multilingual Plane, is written as its UTF-8 bytes.

use std::fmt::Write;

/// Appends `text` to `out` as a JSON string, quotes included. The runs
/// between escapes are copied whole: every character that needs one is
/// ASCII, so a run ends on a character boundary.
pub fn push_string(out: &mut String, text: &str) {
    out.push('"');
    let mut rest = text;
    while let Some(at) = rest
        .bytes()
        .position(|b| b == b'"' || b == b'\\' || b < 0x20)
    {
        out.push_str(&rest[..at]);
        push_escaped(out, char::from(rest.as_bytes()[at]));
        rest = &rest[at + 1..];
    }
    out.push_str(rest);
    out.push('"');
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '"' => out.push_str("\\\""),
        '\\' => out.push_str("\\\\"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\u{8}' => out.push_str("\\b"),
        '\u{c}' => out.push_str("\\f"),
        // Writing to a String cannot fail.
        c => drop(write!(out, "\\u{:04x}", u32::from(c))),
    }
}

/// `text` as a JSON string, or `null` when there is none.
pub fn string_or_null(text: Option<&str>) -> String {
    let mut out = String::new();
    push_string_or_null(&mut out, text);
    out
}

/// Appends `text` to `out` as a JSON string, or `null` when there is none.
pub fn push_string_or_null(out: &mut String, text: Option<&str>) {
    match text {
        Some(text) => push_string(out, text),
        None => out.push_str("null"),
    }
}

/// Reads a flat JSON object whose values are all strings, such as
/// `{"publish": "hi", "topic": "ops"}`, into its pairs.
///
/// # Errors
/// A short reason when the text is not such an object.
pub fn parse_flat_object(text: &str) -> Result<Vec<(String, String)>, &'static str> {
    let mut input = Input(text.trim().chars().peekable());
    input.require('{')?;
    let mut pairs = Vec::new();
    input.skip_space();
    if input.eat('}') {
        return input.end(pairs);
    }
    loop {
        input.skip_space();
        let name = input.string()?;
        input.skip_space();
        input.require(':')?;
        input.skip_space();
        let value = input.string()?;
        pairs.push((name, value));
        input.skip_space();
        if input.eat('}') {
            return input.end(pairs);
        }
        input.require(',')?;
    }
}

struct Input<'a>(std::iter::Peekable<std::str::Chars<'a>>);

impl Input<'_> {
    fn skip_space(&mut self) {
        while self
            .0
            .next_if(|c| matches!(c, ' ' | '\t' | '\n' | '\r'))
            .is_some()
        {}
    }

    fn eat(&mut self, wanted: char) -> bool {
        self.0.next_if_eq(&wanted).is_some()
    }

    fn require(&mut self, wanted: char) -> Result<(), &'static str> {
        if self.eat(wanted) {
            Ok(())
        } else {
            Err("expected a JSON object of strings")
        }
    }

    fn end(mut self, pairs: Vec<(String, String)>) -> Result<Vec<(String, String)>, &'static str> {
        self.skip_space();
        match self.0.next() {
            None => Ok(pairs),
            Some(_) => Err("text after the JSON object"),
        }
    }

    /// A string, after its opening quote is next.
    fn string(&mut self) -> Result<String, &'static str> {
        self.require('"').map_err(|_| "expected a JSON string")?;
        let mut out = String::new();
        loop {
            match self.0.next().ok_or("unterminated JSON string")? {
                '"' => return Ok(out),
                '\\' => out.push(self.escape()?),
                c if c < '\u{20}' => return Err("control character in a JSON string"),
                c => out.push(c),
            }
        }
    }

    fn escape(&mut self) -> Result<char, &'static str> {
        Ok(match self.0.next().ok_or("unterminated JSON string")? {
            '"' => '"',
            '\\' => '\\',
            '/' => '/',
            'b' => '\u{8}',
            'f' => '\u{c}',
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            'u' => {
                let high = self.hex4()?;
                if (0xD800..0xDC00).contains(&high) {
                    // A surrogate pair: a character outside the first plane.
                    if !(self.eat('\\') && self.eat('u')) {
                        return Err("lone surrogate in a JSON string");
                    }
                    let low = self.hex4()?;
                    if !(0xDC00..0xE000).contains(&low) {
                        return Err("lone surrogate in a JSON string");
                    }
                    let code = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
                    char::from_u32(code).ok_or("bad escape in a JSON string")?
                } else {
                    char::from_u32(high).ok_or("lone surrogate in a JSON string")?
                }
            }
            _ => return Err("bad escape in a JSON string"),
        })
    }

    fn hex4(&mut self) -> Result<u32, &'static str> {
        let mut value = 0;
        for _ in 0..4 {
            let digit = self.0.next().and_then(|c| c.to_digit(16));
            value = value * 16 + digit.ok_or("bad \\u escape in a JSON string")?;
        }
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_objects_are_read() {
        let pairs =
            parse_flat_object(r#" { "publish" : "a\"b\n\u00e9\ud83c\udf89", "topic":"ops" } "#)
                .unwrap();
        assert_eq!(
            pairs,
            vec![
                ("publish".into(), "a\"b\né🎉".into()),
                ("topic".into(), "ops".into())
            ]
        );
        assert_eq!(parse_flat_object("{}"), Ok(vec![]));
        for bad in [
            "",
            "[]",
            r#"{"a":1}"#,
            r#"{"a":"b""#,
            r#"{"a":"b"} x"#,
            r#"{"a":"\ud800"}"#,
            "{\"a\":\"\u{1}\"}",
        ] {
            assert!(parse_flat_object(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn escapes() {
        assert_eq!(string_or_null(Some("a\"b\\c")), r#""a\"b\\c""#);
        assert_eq!(
            string_or_null(Some("1\n2\r3\t4\u{8}5\u{c}6\u{1}")),
            r#""1\n2\r3\t4\b5\f6\u0001""#
        );
        assert_eq!(string_or_null(Some("é 🎉 </script>")), "\"é 🎉 </script>\"");
        assert_eq!(string_or_null(None), "null");
    }

    /// Any text, written as a JSON string and read back, is itself: runs
    /// of plain and multi-byte characters around escapes of every kind.
    #[test]
    fn any_text_survives_writing_and_reading() {
        let pieces = [
            "a", "é", "🎉", "\"", "\\", "\n", "\r", "\t", "\u{1}", "\u{1f}", " ", "</",
        ];
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..2_000 {
            let mut text = String::new();
            for _ in 0..state % 24 {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                text.push_str(pieces[(state % pieces.len() as u64) as usize]);
            }
            let object = format!("{{\"a\":{}}}", string_or_null(Some(&text)));
            assert_eq!(parse_flat_object(&object), Ok(vec![("a".into(), text)]));
        }
    }
}
