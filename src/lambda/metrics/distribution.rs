//! Latency samples as an EMF distribution: at most 100 distinct values,
//! each with how many samples it stands for, and the samples' statistics.
//!
//! The shape (`Values`, `Counts`, `Max`, `Min`, `Count`, `Sum`) is the one
//! AWS's own EMF library for Java writes for histograms
//! (awslabs/aws-embedded-metrics-java, `Histogram`), with its limit of 100
//! values a metric; CloudWatch's `PutMetricData` takes the same pairs.
//! When the samples hold more than 100 distinct values, they are rounded to
//! fewer significant digits (3, then 2, then 1) until they fit, so a
//! percentile read from the distribution is off by at most 0.5%, 5% or
//! 50% of the value; a few neighbours are merged if even one digit is too
//! many.

use serde_json::{Value, json};

/// The most distinct values a metric takes.
pub const MAX_VALUES: usize = 100;

/// A distribution of samples.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Distribution {
    /// The distinct values, ascending.
    pub values: Vec<u64>,
    /// How many samples each value stands for.
    pub counts: Vec<u64>,
    /// The smallest sample.
    pub min: u64,
    /// The largest sample.
    pub max: u64,
    /// How many samples.
    pub count: u64,
    /// Their sum.
    pub sum: u64,
}

impl Distribution {
    /// The distribution of `samples`; `None` when there are none.
    pub fn of(samples: &[u64]) -> Option<Self> {
        let mut sorted = samples.to_vec();
        sorted.sort_unstable();
        let (min, max) = (*sorted.first()?, *sorted.last()?);
        let mut bins = runs(sorted.iter().copied().map(|value| (value, 1)));
        for digits in [3, 2, 1] {
            if bins.len() <= MAX_VALUES {
                break;
            }
            bins = runs(
                bins.iter()
                    .map(|&(value, count)| (rounded(value, digits), count)),
            );
        }
        while bins.len() > MAX_VALUES {
            bins = merge_neighbours(&bins);
        }
        let (values, counts) = bins.into_iter().unzip();
        Some(Distribution {
            values,
            counts,
            min,
            max,
            count: samples.len() as u64,
            sum: samples
                .iter()
                .fold(0, |sum, sample| sum.saturating_add(*sample)),
        })
    }

    /// The distribution as an EMF metric value.
    pub fn to_json(&self) -> Value {
        json!({
            "Values": self.values,
            "Counts": self.counts,
            "Min": self.min,
            "Max": self.max,
            "Count": self.count,
            "Sum": self.sum,
        })
    }
}

/// Adjacent equal values joined, their counts added; `pairs` ascending.
fn runs(pairs: impl Iterator<Item = (u64, u64)>) -> Vec<(u64, u64)> {
    let mut bins: Vec<(u64, u64)> = Vec::new();
    for (value, count) in pairs {
        match bins.last_mut() {
            Some((last, total)) if *last == value => *total += count,
            _ => bins.push((value, count)),
        }
    }
    bins
}

/// `value` rounded to `digits` significant decimal digits.
fn rounded(value: u64, digits: u32) -> u64 {
    let magnitude = value.checked_ilog10().unwrap_or(0) + 1;
    if magnitude <= digits {
        return value;
    }
    let unit = 10u64.pow(magnitude - digits);
    value.saturating_add(unit / 2) / unit * unit
}

/// Each pair of neighbours as one bin, at the value with more samples.
fn merge_neighbours(bins: &[(u64, u64)]) -> Vec<(u64, u64)> {
    bins.chunks(2)
        .map(|pair| match pair {
            [(a, m), (b, n)] => (if m >= n { *a } else { *b }, m + n),
            [single] => *single,
            _ => unreachable!("chunks of at most two"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn few_distinct_samples_are_kept_exactly_with_their_counts() {
        let distribution = Distribution::of(&[30, 10, 20, 10, 30, 30]).unwrap();
        assert_eq!(distribution.values, [10, 20, 30]);
        assert_eq!(distribution.counts, [2, 1, 3]);
        assert_eq!(
            (
                distribution.min,
                distribution.max,
                distribution.count,
                distribution.sum
            ),
            (10, 30, 6, 130)
        );
        assert_eq!(Distribution::of(&[]), None);
    }

    #[test]
    fn many_distinct_samples_are_rounded_to_at_most_100_values_keeping_every_count() {
        // 10,000 samples from 0 to 99,990 ms: 3 digits leave 1,000 values,
        // 2 digits fit (values like 12,000 and 990).
        let samples: Vec<u64> = (0..10_000).map(|i| i * 10).collect();
        let distribution = Distribution::of(&samples).unwrap();
        assert!(distribution.values.len() <= MAX_VALUES);
        assert!(distribution.values.is_sorted());
        assert_eq!(distribution.counts.iter().sum::<u64>(), 10_000);
        assert_eq!((distribution.min, distribution.max), (0, 99_990));
        assert_eq!(distribution.sum, samples.iter().sum::<u64>());
        for value in &distribution.values {
            assert_eq!(
                *value,
                rounded(*value, 2),
                "{value} has 2 significant digits"
            );
        }
    }

    #[test]
    fn samples_over_every_magnitude_are_merged_down_to_100_values() {
        let samples: Vec<u64> = (0..19)
            .flat_map(|e| (1..10).map(move |d| d * 10u64.pow(e)))
            .collect();
        assert!(samples.len() > MAX_VALUES);
        let distribution = Distribution::of(&samples).unwrap();
        assert!(distribution.values.len() <= MAX_VALUES);
        assert_eq!(
            distribution.counts.iter().sum::<u64>(),
            samples.len() as u64
        );
    }

    #[test]
    fn rounding_keeps_the_significant_digits() {
        assert_eq!(rounded(12_345, 3), 12_300);
        assert_eq!(rounded(12_351, 2), 12_000);
        assert_eq!(rounded(96, 1), 100);
        assert_eq!(rounded(7, 3), 7);
        assert_eq!(rounded(0, 1), 0);
    }
}
