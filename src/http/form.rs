//! Decoding `application/x-www-form-urlencoded`: form bodies and query strings.
//!
//! `message=hello+world&topic=ops` is a list of `name=value` pairs joined by
//! `&`. Within each, `+` stands for a space and `%XX` for the byte with that
//! hex value (WHATWG URL Standard, "application/x-www-form-urlencoded
//! parsing"). The order matters: split on `&` and `=` first, then decode
//! each part exactly once, or an encoded `%26` would split a value in two.
//!
//! `percent-encoding` does the decoding, but it passes a malformed escape
//! such as `%zz` through unchanged; herald refuses it instead, and refuses a
//! value that is not UTF-8, so a client learns its mistake.

use percent_encoding::percent_decode;

/// Why a form could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormError {
    /// A `%` not followed by two hex digits.
    BadPercentEncoding,
    /// The decoded bytes are not UTF-8.
    NotUtf8,
}

impl FormError {
    /// The reason given to the client.
    pub fn reason(self) -> &'static str {
        match self {
            FormError::BadPercentEncoding => {
                "malformed percent-encoding: write a % as %25 (curl --data-urlencode does it)"
            }
            FormError::NotUtf8 => "form field is not UTF-8",
        }
    }
}

/// Decodes every `name=value` pair, in order. Empty pieces (`a=1&&b=2`) are
/// skipped; a name without `=` has an empty value.
pub fn parse_form(input: &[u8]) -> Result<Vec<(String, String)>, FormError> {
    input
        .split(|&b| b == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let mut parts = pair.splitn(2, |&b| b == b'=');
            let name = parts.next().unwrap_or_default();
            let value = parts.next().unwrap_or_default();
            Ok((decode(name)?, decode(value)?))
        })
        .collect()
}

/// The first value given for `name`, if any.
pub fn first<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(field, _)| field == name)
        .map(|(_, value)| value.as_str())
}

/// Decodes one name or value: `+` to space, then `%XX` escapes, then UTF-8.
pub fn decode(part: &[u8]) -> Result<String, FormError> {
    if !part.contains(&b'+') {
        return decode_percent(part);
    }
    let spaced: Vec<u8> = part
        .iter()
        .map(|&b| if b == b'+' { b' ' } else { b })
        .collect();
    decode_percent(&spaced)
}

/// Decodes `%XX` escapes, then UTF-8, and nothing else: how a segment of a
/// URL's path is decoded, where a `+` is a plus (WHATWG URL Standard,
/// "percent-decode"). Only a form's fields turn `+` into a space.
pub fn decode_percent(part: &[u8]) -> Result<String, FormError> {
    check_escapes(part)?;
    // Decoding only shortens: one allocation, never grown.
    let mut bytes = Vec::with_capacity(part.len());
    bytes.extend(percent_decode(part));
    String::from_utf8(bytes).map_err(|_| FormError::NotUtf8)
}

fn check_escapes(part: &[u8]) -> Result<(), FormError> {
    let mut rest = part;
    while let Some(at) = rest.iter().position(|&b| b == b'%') {
        match rest.get(at + 1..at + 3) {
            Some([hi, lo]) if hi.is_ascii_hexdigit() && lo.is_ascii_hexdigit() => {
                rest = &rest[at + 3..];
            }
            _ => return Err(FormError::BadPercentEncoding),
        }
    }
    Ok(())
}

/// A yes-or-no field: `1` or `true`, `0`, `false` or empty; `None` for
/// anything else.
pub fn flag(value: &str) -> Option<bool> {
    match value {
        "1" | "true" => Some(true),
        "0" | "false" | "" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(input: &str) -> Vec<(String, String)> {
        parse_form(input.as_bytes()).unwrap()
    }

    #[test]
    fn plus_is_a_space_and_escapes_decode_once() {
        assert_eq!(
            pairs("message=hello+world%21&topic=a%26b"),
            vec![
                ("message".into(), "hello world!".into()),
                ("topic".into(), "a&b".into())
            ]
        );
        assert_eq!(pairs("m=%2541"), vec![("m".into(), "%41".into())]);
        assert_eq!(pairs("m=a%2Bb"), vec![("m".into(), "a+b".into())]);
    }

    #[test]
    fn utf8_round_trips() {
        assert_eq!(pairs("m=%C3%A9t%C3%A9+%F0%9F%8E%89")[0].1, "été 🎉");
    }

    #[test]
    fn empty_pieces_and_bare_names() {
        assert_eq!(
            pairs("&a=1&&b&c="),
            vec![
                ("a".into(), "1".into()),
                ("b".into(), "".into()),
                ("c".into(), "".into())
            ]
        );
        assert_eq!(pairs(""), vec![]);
        assert_eq!(pairs("a=x=y")[0].1, "x=y");
    }

    #[test]
    fn malformed_input_is_refused() {
        for bad in ["m=%zz", "m=%4", "m=%", "m=100%"] {
            assert_eq!(
                parse_form(bad.as_bytes()),
                Err(FormError::BadPercentEncoding),
                "{bad}"
            );
        }
        assert_eq!(parse_form(b"m=%FF"), Err(FormError::NotUtf8));
        assert_eq!(parse_form(b"m=\xff"), Err(FormError::NotUtf8));
    }

    #[test]
    fn a_path_keeps_its_plus() {
        assert_eq!(decode_percent(b"a+b%20c").unwrap(), "a+b c");
        assert_eq!(decode(b"a+b%20c").unwrap(), "a b c");
        assert_eq!(decode_percent(b"%zz"), Err(FormError::BadPercentEncoding));
    }

    #[test]
    fn first_finds_the_first_value() {
        let fields = pairs("a=1&a=2");
        assert_eq!(first(&fields, "a"), Some("1"));
        assert_eq!(first(&fields, "b"), None);
    }
}
