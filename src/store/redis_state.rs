//! Live state on a Redis stream (cargo feature `redis`; see `hub/state/`):
//! every instance holds the same values, and one started after the stream
//! was trimmed still serves every key.
//!
//! Beside the stream, a hash (`STREAM:state`) holds each key's current
//! value: its field is the topic and the key, its value the entry's id and
//! the event as the event log frames it (`store/record.rs`, with the id and
//! time left at 0, since they are the entry's). A keyed publish runs
//! [`ADD_KEYED`], a Lua script, so that the entry and the hash change as
//! one step: a value sets its field, a delete removes it, and an expiry
//! removes it only if the field still holds the value whose ttl ended.
//! When two instances end the same ttl, the second finds the field gone
//! and appends nothing, so the tabs get one `herald-delete`.
//!
//! At start-up the stream's newest entries and the hash are read in one
//! `MULTI`, so the values and the history agree; the values older than the
//! history go to the hub beside it.

use redis::Value;

use crate::event::{Change, Event, EventId};
use crate::store::record::{self, FRAME_BYTES, Record};
use crate::store::redis_bus::event_id;

/// The keyed append: KEYS are the stream, the state hash and the
/// idempotency key's name (empty for none); ARGV the stream's `MAXLEN`, the
/// idempotency ttl, the hash field, the change (`set`, `delete` or
/// `expire`), the entry that set the value an expiry ends, the framed
/// event, then the entry's fields. Returns the entry id, or nil for an
/// expiry that came too late.
pub const ADD_KEYED: &str = "\
if KEYS[3] ~= '' then
  local first = redis.call('GET', KEYS[3])
  if first then return first end
end
if ARGV[4] == 'expire' then
  local held = redis.call('HGET', KEYS[2], ARGV[3])
  if not held or string.sub(held, 1, string.len(ARGV[5]) + 1) ~= ARGV[5] .. '\\n' then
    return false
  end
end
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', unpack(ARGV, 7))
if ARGV[4] == 'set' then
  redis.call('HSET', KEYS[2], ARGV[3], id .. '\\n' .. ARGV[6])
else
  redis.call('HDEL', KEYS[2], ARGV[3])
end
if KEYS[3] ~= '' then redis.call('SET', KEYS[3], id, 'EX', ARGV[2]) end
return id";

/// The state hash of `stream`.
pub fn hash_name(stream: &str) -> String {
    format!("{stream}:state")
}

/// A key's field in the hash: its topic (empty for none, which no topic's
/// name is) and the key, apart by a NUL, which neither may hold.
pub fn field(event: &Event) -> Option<String> {
    let keyed = event.keyed()?;
    Some(format!(
        "{}\0{}",
        event.topic_name().unwrap_or(""),
        keyed.key
    ))
}

/// The ARGV after the two ttls: the field, the change, the entry an expiry
/// names, and the framed event.
pub fn arguments(event: &Event) -> Option<(String, &'static str, String, Vec<u8>)> {
    let keyed = event.keyed()?;
    let (change, ends) = match keyed.change {
        Change::Set { .. } => ("set", String::new()),
        Change::Delete => ("delete", String::new()),
        Change::Expire { of } => ("expire", format!("{}-{}", of / 1000, of % 1000)),
    };
    let mut framed = Vec::new();
    record::encode(0, 0, event, &mut framed);
    Some((field(event)?, change, ends, framed))
}

/// The values a `HGETALL` of the hash answered, oldest first: each as a
/// record with its entry's id and time. A field that does not read is
/// skipped (a hash written by something else).
pub fn values(reply: &Value) -> Vec<Record> {
    let Value::Array(items) = reply else {
        return Vec::new();
    };
    let mut values: Vec<Record> = items
        .chunks_exact(2)
        .filter_map(|pair| match &pair[1] {
            Value::BulkString(bytes) => value(bytes),
            _ => None,
        })
        .collect();
    values.sort_by_key(|record| record.id);
    values
}

/// One field's value: `ENTRY\nFRAMED`.
fn value(bytes: &[u8]) -> Option<Record> {
    let newline = bytes.iter().position(|&byte| byte == b'\n')?;
    let id: EventId = event_id(std::str::from_utf8(&bytes[..newline]).ok()?)?;
    let framed = &bytes[newline + 1..];
    let header = framed.get(..FRAME_BYTES)?.try_into().ok()?;
    let (length, checksum) = record::frame(header);
    let payload = framed.get(FRAME_BYTES..FRAME_BYTES + length)?;
    let stored = record::decode(payload, checksum)?;
    Some(Record {
        id,
        time_ms: id / 1000,
        event: stored.event,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_goes_into_the_hash_and_comes_back() {
        let event = Event::new("passing")
            .unwrap()
            .topic("builds")
            .unwrap()
            .key("main", Some(60))
            .unwrap();
        let (field, change, ends, framed) = arguments(&event).unwrap();
        assert_eq!(
            (field.as_str(), change, ends.as_str()),
            ("builds\0main", "set", "")
        );
        let mut stored = b"1700000000123-4\n".to_vec();
        stored.extend_from_slice(&framed);
        let got = value(&stored).unwrap();
        assert_eq!(
            (got.id, got.time_ms),
            (1_700_000_000_123_004, 1_700_000_000_123)
        );
        assert_eq!(got.event, event);
        let expiry = event.with_change(
            "main",
            Change::Expire {
                of: 1_700_000_000_123_004,
            },
        );
        let (_, change, ends, _) = arguments(&expiry.unwrap()).unwrap();
        assert_eq!((change, ends.as_str()), ("expire", "1700000000123-4"));
        assert!(value(b"garbage").is_none());
    }
}
