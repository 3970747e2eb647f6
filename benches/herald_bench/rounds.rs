//! The hub's own account of a run: its round-time histograms from
//! `/metrics` (`herald_hub_round_seconds`, `herald_hub_delivery_seconds`),
//! taken before and after, so the bench reports what a user of the server
//! would see in production for the same load. They count passes over the
//! listeners: a broadcast that events joined has several laps.

use crate::server::Herald;

/// One reading of the round histograms.
#[derive(Clone, Default)]
pub(crate) struct Rounds {
    /// `(upper bound in seconds, rounds at most that long)`, cumulative.
    round_buckets: Vec<(f64, f64)>,
    round_seconds: f64,
    rounds: f64,
    deliveries: f64,
}

impl Rounds {
    pub(crate) fn read(herald: &Herald) -> Rounds {
        let text = herald.get("/metrics");
        let mut rounds = Rounds::default();
        for line in text.lines() {
            let Some((name, value)) = line.rsplit_once(' ') else {
                continue;
            };
            let value: f64 = value.parse().unwrap_or(0.0);
            if let Some(bound) = name
                .strip_prefix("herald_hub_round_seconds_bucket{le=\"")
                .and_then(|rest| rest.strip_suffix("\"}"))
                .and_then(|bound| bound.parse().ok())
            {
                rounds.round_buckets.push((bound, value));
            }
            match name {
                "herald_hub_round_seconds_sum" => rounds.round_seconds = value,
                "herald_hub_round_seconds_count" => rounds.rounds = value,
                "herald_hub_deliveries_total" => rounds.deliveries = value,
                _ => {}
            }
        }
        rounds
    }

    /// What happened between `before` and this reading, in words: the
    /// passes, their mean and the bucket their median and p99 fall in, and
    /// the time per delivery.
    pub(crate) fn since(&self, before: &Rounds) -> String {
        let rounds = self.rounds - before.rounds;
        let seconds = self.round_seconds - before.round_seconds;
        let deliveries = self.deliveries - before.deliveries;
        if rounds == 0.0 || deliveries == 0.0 {
            return "hub: no passes".to_string();
        }
        let at_most = |share: f64| {
            let wanted = rounds * share;
            self.round_buckets
                .iter()
                .zip(
                    before
                        .round_buckets
                        .iter()
                        .chain(std::iter::repeat(&(0.0, 0.0))),
                )
                .find(|((_, now), (_, then))| now - then >= wanted)
                .map_or("more".to_string(), |((bound, _), _)| {
                    format!("{:.2}", bound * 1000.0)
                })
        };
        format!(
            "hub: {rounds:.0} passes, {:.2} ms each on average (median at most {} ms, p99 at most {} ms), {:.2} µs per delivery",
            seconds * 1000.0 / rounds,
            at_most(0.5),
            at_most(0.99),
            seconds * 1e6 / deliveries,
        )
    }
}
