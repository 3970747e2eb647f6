//! One event in the event log, as bytes.
//!
//! The log (see [`crate::store::event_log`]) starts with [`FILE_HEADER`] and then
//! holds one record per event, each framed so that a reader can tell a
//! whole record from one a crash cut short:
//!
//! ```text
//! | length: u32 LE | crc32 of payload: u32 LE | payload: `length` bytes |
//!
//! payload = id: u64 LE | time in ms since 1970: u64 LE
//!         | type length: u16 LE | type | topic length: u16 LE | topic
//!         | [key length: u16 LE | idempotency key]
//!         | [state key length: u16 LE | state key | change: u8 | number: u64 LE]
//!         | data
//! ```
//!
//! The idempotency key is there only when the topic length's top bit
//! ([`KEY_FOLLOWS`]) is set: labels are at most 128 bytes, so the bit was
//! always clear, and a log written before keys existed reads the same.
//! Likewise the state key (see `hub/state/`) is there only when the type
//! length's top bit ([`STATE_FOLLOWS`]) is set; its change is 0 for a
//! value (the number its ttl in seconds, 0 for none), 1 for a delete, 2
//! for an expiry (the number the id of the value it ends).
//!
//! The length says where the next record starts; the checksum says whether
//! this one was written completely. Encoding and decoding do no I/O.

use crate::event::{Change, Event, EventId};
use crate::store::crc32::crc32;

/// The first bytes of every log file: what it is, and the format's version.
pub const FILE_HEADER: &[u8] = b"herald event log v1\n";

/// Length and checksum before each payload.
pub const FRAME_BYTES: usize = 8;

/// Set in the topic's length when an idempotency key follows the topic.
pub const KEY_FOLLOWS: u16 = 0x8000;

/// Set in the type's length when a state key and its change follow.
pub const STATE_FOLLOWS: u16 = 0x8000;

/// An event as the log keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Its id.
    pub id: EventId,
    /// When it was stored, in milliseconds since 1970.
    pub time_ms: u64,
    /// The event.
    pub event: Event,
}

/// Appends one framed record to `out`.
pub fn encode(id: EventId, time_ms: u64, event: &Event, out: &mut Vec<u8>) {
    let frame_start = out.len();
    out.extend_from_slice(&[0; FRAME_BYTES]);
    out.extend_from_slice(&id.to_le_bytes());
    out.extend_from_slice(&time_ms.to_le_bytes());
    let key = event.idempotency_key_value();
    let keyed = event.keyed();
    put_label(out, event.event_type(), keyed.map_or(0, |_| STATE_FOLLOWS));
    put_label(out, event.topic_name(), key.map_or(0, |_| KEY_FOLLOWS));
    if key.is_some() {
        put_label(out, key, 0);
    }
    if let Some(keyed) = keyed {
        put_label(out, Some(&keyed.key), 0);
        let (change, number) = match keyed.change {
            Change::Set { ttl_seconds } => (0, ttl_seconds.map_or(0, u64::from)),
            Change::Delete => (1, 0),
            Change::Expire { of } => (2, of),
        };
        out.push(change);
        out.extend_from_slice(&number.to_le_bytes());
    }
    out.extend_from_slice(event.data().as_bytes());
    let payload = &out[frame_start + FRAME_BYTES..];
    let length = (payload.len() as u32).to_le_bytes();
    let checksum = crc32(payload).to_le_bytes();
    out[frame_start..frame_start + 4].copy_from_slice(&length);
    out[frame_start + 4..frame_start + 8].copy_from_slice(&checksum);
}

/// Appends a length-prefixed label (none is empty), with `flag` in the
/// length's top bit.
fn put_label(out: &mut Vec<u8>, label: Option<&str>, flag: u16) {
    let label = label.unwrap_or("").as_bytes();
    // Labels and keys are at most 128 bytes (see `crate::event`).
    out.extend_from_slice(&(label.len() as u16 | flag).to_le_bytes());
    out.extend_from_slice(label);
}

/// Reads a frame's header: the payload's length and checksum.
pub fn frame(header: [u8; FRAME_BYTES]) -> (usize, u32) {
    let length = u32::from_le_bytes([header[0], header[1], header[2], header[3]]);
    let checksum = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
    (length as usize, checksum)
}

/// Decodes a payload whose checksum is `checksum`; `None` if it does not
/// match or the payload does not hold a valid event.
pub fn decode(payload: &[u8], checksum: u32) -> Option<Record> {
    if crc32(payload) != checksum {
        return None;
    }
    let mut rest = payload;
    let id = u64::from_le_bytes(take(&mut rest, 8)?.try_into().ok()?);
    let time_ms = u64::from_le_bytes(take(&mut rest, 8)?.try_into().ok()?);
    let (event_type, state_follows) = label(&mut rest)?;
    let (topic, key_follows) = label(&mut rest)?;
    let key = if key_follows {
        label(&mut rest)?.0
    } else {
        None
    };
    let keyed = if state_follows {
        Some(state_part(&mut rest)?)
    } else {
        None
    };
    let data = std::str::from_utf8(rest).ok()?;
    let mut event = Event::from_parts(data, event_type, topic).ok()?;
    if let Some(key) = key {
        event = event.idempotency_key(key).ok()?;
    }
    if let Some((state_key, change)) = keyed {
        event = event.with_change(state_key, change).ok()?;
    }
    Some(Record { id, time_ms, event })
}

/// The state key and its change.
fn state_part<'a>(rest: &mut &'a [u8]) -> Option<(&'a str, Change)> {
    let key = label(rest)?.0?;
    let change = take(rest, 1)?[0];
    let number = u64::from_le_bytes(take(rest, 8)?.try_into().ok()?);
    let change = match change {
        0 => Change::Set {
            ttl_seconds: (number > 0).then_some(u32::try_from(number).ok()?),
        },
        1 => Change::Delete,
        2 => Change::Expire { of: number },
        _ => return None,
    };
    Some((key, change))
}

/// A length-prefixed label (an empty one is no label), and whether the
/// length's top bit ([`KEY_FOLLOWS`], [`STATE_FOLLOWS`]) was set.
fn label<'a>(rest: &mut &'a [u8]) -> Option<(Option<&'a str>, bool)> {
    // The two flags are the same bit, each of its own label.
    let length = u16::from_le_bytes(take(rest, 2)?.try_into().ok()?);
    let flagged = length & KEY_FOLLOWS != 0;
    let text = std::str::from_utf8(take(rest, usize::from(length & !KEY_FOLLOWS))?).ok()?;
    Some(((!text.is_empty()).then_some(text), flagged))
}

fn take<'a>(rest: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
    if rest.len() < n {
        return None;
    }
    let (taken, left) = rest.split_at(n);
    *rest = left;
    Some(taken)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(event: Event) {
        let mut bytes = Vec::new();
        encode(42, 1_700_000_000_000, &event, &mut bytes);
        let (length, checksum) = frame(bytes[..FRAME_BYTES].try_into().unwrap());
        assert_eq!(length, bytes.len() - FRAME_BYTES);
        let record = decode(&bytes[FRAME_BYTES..], checksum).unwrap();
        assert_eq!(
            (record.id, record.time_ms, record.event),
            (42, 1_700_000_000_000, event)
        );
    }

    #[test]
    fn events_round_trip() {
        round_trip(Event::new("plain").unwrap());
        round_trip(
            Event::new("a\nb é 🎉")
                .unwrap()
                .event("chat")
                .unwrap()
                .topic("ops")
                .unwrap(),
        );
        round_trip(Event::new("only a topic").unwrap().topic("t").unwrap());
        let keyed = Event::new("retried")
            .unwrap()
            .idempotency_key("k-1")
            .unwrap();
        round_trip(keyed.clone());
        round_trip(keyed.clone().topic("ops").unwrap());
        let value = Event::new("passing").unwrap().topic("builds").unwrap();
        round_trip(value.clone().key("main", None).unwrap());
        round_trip(value.clone().key("main", Some(3600)).unwrap());
        round_trip(keyed.key("with an idempotency key too", Some(1)).unwrap());
        for change in [Change::Delete, Change::Expire { of: u64::MAX }] {
            round_trip(value.clone().with_change("main", change).unwrap());
        }
    }

    #[test]
    fn a_record_without_a_key_is_as_before_keys() {
        let mut bytes = Vec::new();
        encode(
            7,
            8,
            &Event::new("hi").unwrap().topic("t").unwrap(),
            &mut bytes,
        );
        let payload = &bytes[FRAME_BYTES..];
        // id, time, type length 0, topic length 1 with no flag, "t", "hi"
        assert_eq!(&payload[16..], b"\x00\x00\x01\x00thi");
    }

    #[test]
    fn damage_is_detected() {
        let mut bytes = Vec::new();
        encode(1, 2, &Event::new("hello").unwrap(), &mut bytes);
        let (_, checksum) = frame(bytes[..FRAME_BYTES].try_into().unwrap());
        let mut payload = bytes[FRAME_BYTES..].to_vec();
        payload[20] ^= 1;
        assert_eq!(decode(&payload, checksum), None);
        assert_eq!(decode(&bytes[FRAME_BYTES..bytes.len() - 1], checksum), None);
    }
}
