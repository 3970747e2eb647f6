//! A publish as JSON: `POST /publish` with `Content-Type: application/json`
//! and an object such as `{"message": "passing", "topic": "builds",
//! "key": "main", "ttl": 3600}`, for apps that already speak JSON and
//! should not have to build a form.
//!
//! The object becomes the same fields a form has, and from there the
//! same rules apply, in the same order, with the same answers: `message`,
//! `topic`, `event`, `key` and `token` are strings, `ttl` a whole number
//! of seconds, `delete` `true` or `false`. Any other field is ignored, as
//! a form's is. A field of the wrong kind is a `400` that names it.

use crate::http::error::HttpError;
use crate::wire::json_reader::{self, Value};

/// The fields of a JSON body, as a form would carry them.
///
/// # Errors
/// 400 for a body that is not UTF-8, not JSON, not an object, or has a
/// field of the wrong kind.
pub fn fields_of_json(body: &[u8]) -> Result<Vec<(String, String)>, HttpError> {
    let text =
        std::str::from_utf8(body).map_err(|_| HttpError::BadRequest("the body is not UTF-8"))?;
    let value = json_reader::read(text).map_err(|error| HttpError::BadRequest(error.reason()))?;
    let Value::Object(members) = value else {
        return Err(HttpError::BadRequest(
            "the body must be a JSON object, such as {\"message\": \"hello\"}",
        ));
    };
    let mut fields = Vec::with_capacity(members.len());
    for (name, value) in members {
        if let Some(text) = field_text(&name, value)? {
            fields.push((name, text));
        }
    }
    Ok(fields)
}

/// A member's value as a form field's text; `None` for `null` or a
/// member herald does not read.
fn field_text(name: &str, value: Value) -> Result<Option<String>, HttpError> {
    let text = match (name, value) {
        (_, Value::Null) => return Ok(None),
        ("message" | "topic" | "event" | "key" | "token" | "data", Value::String(text)) => text,
        ("message", _) => return Err(HttpError::BadRequest("message must be a JSON string")),
        ("topic", _) => return Err(HttpError::BadRequest("topic must be a JSON string")),
        ("event", _) => return Err(HttpError::BadRequest("event must be a JSON string")),
        ("key", _) => return Err(HttpError::BadRequest("key must be a JSON string")),
        ("token", _) => return Err(HttpError::BadRequest("token must be a JSON string")),
        ("ttl", Value::Number(seconds)) => seconds_text(seconds)?,
        ("ttl", _) => return Err(TTL_NOT_A_NUMBER),
        ("delete", Value::Bool(delete)) => if delete { "1" } else { "0" }.to_string(),
        ("delete", _) => return Err(HttpError::BadRequest("delete must be true or false")),
        _ => return Ok(None),
    };
    Ok(Some(text))
}

const TTL_NOT_A_NUMBER: HttpError =
    HttpError::BadRequest("ttl must be a JSON number: whole seconds, such as 3600");

/// A whole, positive number of seconds as digits; the range is checked
/// with the form's rules after.
fn seconds_text(seconds: f64) -> Result<String, HttpError> {
    if seconds.fract() != 0.0 || !(1.0..=f64::from(u32::MAX)).contains(&seconds) {
        return Err(TTL_NOT_A_NUMBER);
    }
    Ok(format!("{seconds:.0}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(body: &str) -> Result<Vec<(String, String)>, &'static str> {
        fields_of_json(body.as_bytes()).map_err(HttpError::reason)
    }

    #[test]
    fn an_object_becomes_the_fields_of_a_form() {
        let body = r#"{"message":"passing","topic":"builds","key":"main","ttl":60,"delete":false,"extra":[1]}"#;
        let expected = [
            ("message", "passing"),
            ("topic", "builds"),
            ("key", "main"),
            ("ttl", "60"),
            ("delete", "0"),
        ];
        let expected: Vec<_> = expected
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        assert_eq!(fields(body), Ok(expected));
        assert_eq!(fields(r#"{"message":null}"#), Ok(vec![]));
    }

    #[test]
    fn a_field_of_the_wrong_kind_is_named() {
        assert_eq!(
            fields(r#"{"message":5}"#),
            Err("message must be a JSON string")
        );
        assert!(
            fields(r#"{"ttl":"60"}"#)
                .unwrap_err()
                .starts_with("ttl must be")
        );
        assert!(
            fields(r#"{"ttl":1.5}"#)
                .unwrap_err()
                .starts_with("ttl must be")
        );
        assert!(
            fields(r#"{"ttl":-3}"#)
                .unwrap_err()
                .starts_with("ttl must be")
        );
        assert_eq!(
            fields(r#"{"delete":1}"#),
            Err("delete must be true or false")
        );
        assert!(
            fields("[1]")
                .unwrap_err()
                .starts_with("the body must be a JSON object")
        );
        assert_eq!(fields("{"), Err("not valid JSON"));
    }
}
