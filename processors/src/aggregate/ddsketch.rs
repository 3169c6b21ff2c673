//! DDSketch: quantiles with a relative-error guarantee, for `percentiles`.
//!
//! Values fall into logarithmic buckets: with relative accuracy `α` = 1%,
//! bucket `i` holds the values in `(γ^(i-1), γ^i]`, `γ = (1+α)/(1-α)`, and
//! answers for them `2γ^i/(γ+1)`, which is within 1% of each. A quantile is
//! the bucket where the cumulative count passes its rank, `q·(n-1)`: the
//! answer is within 1% of the exact value at that rank (Masson, Rim and Lee,
//! "DDSketch", VLDB 2019). Negative values use mirrored buckets; values
//! within 1e-9 of zero count as zero. Only buckets that hold values are
//! kept, so the state grows with the spread of the values, not their number.

use std::collections::BTreeMap;

use super::encoding::{Reader, put_varint, put_zigzag};

/// The relative accuracy of every quantile.
pub(super) const RELATIVE_ACCURACY: f64 = 0.01;
const MIN_MAGNITUDE: f64 = 1e-9;

/// A quantile sketch.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct DdSketch {
    positive: BTreeMap<i32, u64>,
    negative: BTreeMap<i32, u64>,
    zeros: u64,
    count: u64,
}

fn gamma() -> f64 {
    (1.0 + RELATIVE_ACCURACY) / (1.0 - RELATIVE_ACCURACY)
}

fn bucket(magnitude: f64) -> i32 {
    (magnitude.ln() / gamma().ln()).ceil() as i32
}

fn representative(bucket: i32) -> f64 {
    let gamma = gamma();
    2.0 * gamma.powi(bucket) / (gamma + 1.0)
}

impl DdSketch {
    /// Adds a value; NaN and infinities are ignored.
    pub(super) fn insert(&mut self, value: f64) {
        if !value.is_finite() {
            return;
        }
        self.count += 1;
        if value.abs() < MIN_MAGNITUDE {
            self.zeros += 1;
        } else if value > 0.0 {
            *self.positive.entry(bucket(value)).or_default() += 1;
        } else {
            *self.negative.entry(bucket(-value)).or_default() += 1;
        }
    }

    /// The value at quantile `q` (0 to 1), or `None` when empty.
    pub(super) fn quantile(&self, q: f64) -> Option<f64> {
        if self.count == 0 {
            return None;
        }
        let rank = q.clamp(0.0, 1.0) * (self.count - 1) as f64;
        let mut seen = 0u64;
        // Most negative first: the largest magnitudes of the negative side.
        for (bucket, count) in self.negative.iter().rev() {
            seen += count;
            if seen as f64 > rank {
                return Some(-representative(*bucket));
            }
        }
        seen += self.zeros;
        if seen as f64 > rank {
            return Some(0.0);
        }
        for (bucket, count) in &self.positive {
            seen += count;
            if seen as f64 > rank {
                return Some(representative(*bucket));
            }
        }
        self.positive.keys().next_back().map(|b| representative(*b))
    }

    /// Appends the sketch: the zero count, then each side's buckets as
    /// (zigzag delta of the index, count) pairs.
    pub(super) fn encode(&self, out: &mut Vec<u8>) {
        put_varint(out, self.zeros);
        for side in [&self.positive, &self.negative] {
            put_varint(out, side.len() as u64);
            let mut previous = 0i64;
            for (bucket, count) in side {
                put_zigzag(out, i64::from(*bucket) - previous);
                put_varint(out, *count);
                previous = i64::from(*bucket);
            }
        }
    }

    /// Reads a sketch that [`DdSketch::encode`] wrote.
    pub(super) fn decode(input: &mut Reader<'_>) -> Option<Self> {
        let mut sketch = DdSketch {
            zeros: input.varint()?,
            ..DdSketch::default()
        };
        sketch.count = sketch.zeros;
        for side in 0..2 {
            let buckets = input.varint()?;
            let mut previous = 0i64;
            for _ in 0..buckets {
                previous += input.zigzag()?;
                let count = input.varint()?;
                sketch.count = sketch.count.checked_add(count)?;
                let bucket = i32::try_from(previous).ok()?;
                let map = if side == 0 {
                    &mut sketch.positive
                } else {
                    &mut sketch.negative
                };
                map.insert(bucket, count);
            }
        }
        Some(sketch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The exact value at the rank the sketch answers for.
    fn exact(sorted: &[f64], q: f64) -> f64 {
        sorted[(q * (sorted.len() - 1) as f64).floor() as usize]
    }

    #[test]
    fn quantiles_are_within_one_percent() {
        let mut seed = 12345u64;
        let mut values: Vec<f64> = (0..100_000)
            .map(|i| {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let u = (seed >> 11) as f64 / (1u64 << 53) as f64;
                // Latencies over five orders of magnitude, some negative and zero.
                match i % 50 {
                    0 => 0.0,
                    1 => -u * 100.0,
                    _ => (u * 11.0).exp(),
                }
            })
            .collect();
        let mut sketch = DdSketch::default();
        values.iter().for_each(|v| sketch.insert(*v));
        values.sort_by(f64::total_cmp);
        for q in [0.0, 0.01, 0.25, 0.5, 0.9, 0.99, 0.999, 1.0] {
            let (estimate, exact) = (sketch.quantile(q).unwrap(), exact(&values, q));
            let error = if exact == 0.0 {
                estimate.abs()
            } else {
                ((estimate - exact) / exact).abs()
            };
            assert!(
                error <= RELATIVE_ACCURACY + 1e-12,
                "q {q}: {estimate} vs {exact}"
            );
        }
        let mut bytes = Vec::new();
        sketch.encode(&mut bytes);
        assert_eq!(DdSketch::decode(&mut Reader::new(&bytes)).unwrap(), sketch);
        assert!(bytes.len() < 4000, "{} bytes", bytes.len());
        assert_eq!(DdSketch::default().quantile(0.5), None);
    }
}
