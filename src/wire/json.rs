//! JSON by hand, the writing side: strings, escaped as RFC 8259 says (the
//! reading side is [`crate::wire::json_reader`]).
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::json_reader::read_flat_object;

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
            assert_eq!(read_flat_object(&object), Ok(vec![("a".into(), text)]));
        }
    }
}
