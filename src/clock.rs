//! The wall clock, read in the units herald keeps: microseconds since 1970
//! for the first event id of a run (see [`crate::hub::history`]),
//! milliseconds for when an event was stored.
//!
//! A clock set before 1970 reads as 0 rather than failing: the ids then
//! start low, and the event log's times are wrong, but nothing stops.

use std::time::{SystemTime, UNIX_EPOCH};

/// Microseconds since 1970.
pub fn micros_since_epoch() -> u64 {
    since_epoch().map_or(0, |since| {
        u64::try_from(since.as_micros()).unwrap_or(u64::MAX / 2)
    })
}

/// Milliseconds since 1970.
pub fn millis_since_epoch() -> u64 {
    since_epoch().map_or(0, |since| {
        u64::try_from(since.as_millis()).unwrap_or(u64::MAX / 2)
    })
}

fn since_epoch() -> Option<std::time::Duration> {
    SystemTime::now().duration_since(UNIX_EPOCH).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_reads_after_2020_in_both_units() {
        // 2020-01-01: any reading of today's clock is above it.
        assert!(micros_since_epoch() > 1_577_836_800_000_000);
        assert!(millis_since_epoch() > 1_577_836_800_000);
    }
}
