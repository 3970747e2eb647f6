//! The wall clock, read in the units herald keeps: microseconds since 1970
//! for the first event id of a run (see [`crate::hub::history`]),
//! milliseconds for when an event was accepted, and that time written for
//! people and browsers as RFC 3339 (`2026-12-01T21:35:42.123Z`).
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

/// `ms` since 1970 as an RFC 3339 UTC time with milliseconds, the form
/// JavaScript's `new Date(text)` reads.
pub fn rfc3339_millis(ms: u64) -> String {
    let (days, ms_of_day) = (ms / 86_400_000, ms % 86_400_000);
    let (year, month, day) = civil_from_days(days);
    let seconds = ms_of_day / 1000;
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60,
        ms_of_day % 1000
    )
}

/// The Gregorian date `days` after 1970-01-01: Howard Hinnant's
/// `civil_from_days`, which counts in 400-year eras of 146,097 days,
/// each starting on 1 March so that leap days fall at the end.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
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

    #[test]
    fn times_are_written_as_rfc3339() {
        assert_eq!(rfc3339_millis(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339_millis(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(
            rfc3339_millis(1_796_160_942_123),
            "2026-12-01T21:35:42.123Z"
        );
        assert_eq!(
            rfc3339_millis(4_107_542_399_999),
            "2100-02-28T23:59:59.999Z"
        );
        assert_eq!(
            rfc3339_millis(1_709_251_199_000),
            "2024-02-29T23:59:59.000Z"
        );
    }
}
