//! Writing JSON strings by hand: the one piece of JSON herald needs beyond
//! numbers.
//!
//! RFC 8259 §7: a string is quoted; inside it, `"` and `\` are escaped, and
//! so is every control character below U+0020 (`\n`, `\r`, `\t`, `\b`, `\f`
//! by name, the rest as `\u00XX`). Every other character, including those
//! outside the Basic Multilingual Plane, is written as its UTF-8 bytes.

use std::fmt::Write;

/// Appends `text` to `out` as a JSON string, quotes included.
pub fn push_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if c < '\u{20}' => {
                // Writing to a String cannot fail.
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `text` as a JSON string, or `null` when there is none.
pub fn string_or_null(text: Option<&str>) -> String {
    let mut out = String::new();
    match text {
        Some(text) => push_string(&mut out, text),
        None => out.push_str("null"),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
