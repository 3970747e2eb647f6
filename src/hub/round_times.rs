//! How long the hub's passes take: the cost of fan-out, as a user sees it
//! in production.
//!
//! A subscriber's wait for an event is set by one pass of the hub over the
//! listeners: the last one written waits for all the others. So the hub
//! times each pass that writes (each lap of a broadcast, from its first
//! write to its last) and keeps two histograms, which `/metrics` shows in
//! Prometheus's form under the name `round`: the pass's time, and that
//! time divided by the listeners it wrote (what one delivery costs,
//! whatever the number of subscribers). Both are counted on
//! the hub thread alone, in plain integers, and copied out with the
//! [`HubStats`](crate::hub::stats::HubStats).

use std::time::Duration;

/// Upper bounds of the round-time buckets, in seconds: from a handful of
/// listeners to a pass over tens of thousands on a busy machine.
pub const ROUND_BUCKETS_SECONDS: [f64; 14] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// Upper bounds of the per-delivery buckets, in seconds: a loopback `send`
/// costs a few microseconds; tens mean the machine or the network is busy.
pub const DELIVERY_BUCKETS_SECONDS: [f64; 11] = [
    0.000001, 0.000002, 0.000003, 0.000005, 0.0000075, 0.00001, 0.000015, 0.00002, 0.00003,
    0.00005, 0.0001,
];

/// Counts of observations by bucket, as Prometheus's histogram wants them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Histogram<const N: usize> {
    /// Observations at most each bound, cumulative as in the exposition
    /// format (the last bucket, `+Inf`, is `count`).
    pub at_most: [u64; N],
    /// All observations summed, in nanoseconds.
    pub sum_nanos: u64,
    /// How many observations.
    pub count: u64,
}

impl<const N: usize> Default for Histogram<N> {
    fn default() -> Self {
        Histogram {
            at_most: [0; N],
            sum_nanos: 0,
            count: 0,
        }
    }
}

impl<const N: usize> Histogram<N> {
    fn observe(&mut self, took: Duration, bounds: &[f64; N]) {
        let seconds = took.as_secs_f64();
        for (bound, at_most) in bounds.iter().zip(&mut self.at_most) {
            if seconds <= *bound {
                *at_most += 1;
            }
        }
        let nanos = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
        self.sum_nanos = self.sum_nanos.saturating_add(nanos);
        self.count += 1;
    }
}

/// The hub's passes over the listeners, timed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RoundTimes {
    /// Each pass that wrote to some listener: how long it took.
    pub round: Histogram<{ ROUND_BUCKETS_SECONDS.len() }>,
    /// Each such pass's time divided by the listeners it wrote.
    pub per_delivery: Histogram<{ DELIVERY_BUCKETS_SECONDS.len() }>,
    /// Listeners written, summed over the rounds.
    pub deliveries: u64,
}

impl RoundTimes {
    /// Counts a pass that wrote to `listeners` listeners in `took`.
    pub fn observe(&mut self, took: Duration, listeners: usize) {
        if listeners == 0 {
            return;
        }
        self.round.observe(took, &ROUND_BUCKETS_SECONDS);
        let each = took / u32::try_from(listeners).unwrap_or(u32::MAX);
        self.per_delivery.observe(each, &DELIVERY_BUCKETS_SECONDS);
        self.deliveries += listeners as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_round_lands_in_every_bucket_from_its_own_up() {
        let mut times = RoundTimes::default();
        times.observe(Duration::from_millis(30), 10_000);
        times.observe(Duration::from_micros(80), 10);
        assert_eq!(times.round.count, 2);
        assert_eq!(times.deliveries, 10_010);
        // 80 µs is under every bound; 30 ms only from 50 ms on.
        let at_most: Vec<(f64, u64)> = ROUND_BUCKETS_SECONDS
            .iter()
            .copied()
            .zip(times.round.at_most)
            .collect();
        assert_eq!(at_most[0], (0.0001, 1));
        assert_eq!(at_most[7], (0.025, 1));
        assert_eq!(at_most[8], (0.05, 2));
        assert_eq!(times.round.sum_nanos, 30_080_000);
        // 3 µs per delivery in the first, 8 µs in the second.
        assert_eq!(times.per_delivery.at_most[2], 1, "3 µs at most 3 µs");
        assert_eq!(times.per_delivery.at_most[4], 1, "8 µs is above 7.5 µs");
        assert_eq!(times.per_delivery.at_most[5], 2);
    }

    #[test]
    fn a_round_that_wrote_to_no_one_is_not_counted() {
        let mut times = RoundTimes::default();
        times.observe(Duration::from_micros(5), 0);
        assert_eq!(times, RoundTimes::default());
    }
}
