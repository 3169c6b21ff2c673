//! HyperLogLog: distinct counts in little space, for `count_distinct`.
//!
//! Small sets are kept exactly, as the sorted top 32 bits of each value's
//! hash (a few bytes each in the state). Past [`SPARSE_LIMIT`] values the
//! sketch turns dense: 2^14 registers, whose standard error is 0.81%, read
//! with Ertl's improved estimator ("New cardinality estimation algorithms
//! for HyperLogLog sketches", 2017), which needs no bias tables and holds
//! across the whole range. Ranks come from the 18 hash bits after the
//! register index, which is exact for counts below about 10^8.

/// Register index bits.
const P: u32 = 14;
const REGISTERS: usize = 1 << P;
/// The hash bits a rank is read from, and so the largest rank minus one.
const Q: u32 = 32 - P;
/// The most values kept exactly; the dense form is smaller beyond.
pub(super) const SPARSE_LIMIT: usize = 3000;

/// A distinct-count sketch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum HyperLogLog {
    /// The distinct 32-bit hash prefixes seen, sorted.
    Sparse(Vec<u32>),
    /// One register a bucket: the largest rank seen.
    Dense(Box<[u8; REGISTERS]>),
}

impl Default for HyperLogLog {
    fn default() -> Self {
        HyperLogLog::Sparse(Vec::new())
    }
}

impl HyperLogLog {
    /// Adds a value by its 64-bit hash.
    pub(super) fn insert(&mut self, hash: u64) {
        let prefix = (hash >> 32) as u32;
        match self {
            HyperLogLog::Sparse(values) => {
                if let Err(at) = values.binary_search(&prefix) {
                    values.insert(at, prefix);
                    if values.len() > SPARSE_LIMIT {
                        *self = HyperLogLog::Dense(densify(values));
                    }
                }
            }
            HyperLogLog::Dense(registers) => set_register(registers, prefix),
        }
    }

    /// The estimated number of distinct values.
    pub(super) fn estimate(&self) -> f64 {
        match self {
            HyperLogLog::Sparse(values) => values.len() as f64,
            HyperLogLog::Dense(registers) => ertl_estimate(registers),
        }
    }

    /// Appends the sketch: a tag byte, then the sorted prefixes as varint
    /// deltas, or the registers.
    pub(super) fn encode(&self, out: &mut Vec<u8>) {
        match self {
            HyperLogLog::Sparse(values) => {
                out.push(0);
                super::encoding::put_varint(out, values.len() as u64);
                let mut previous = 0u32;
                for value in values {
                    super::encoding::put_varint(out, u64::from(value - previous));
                    previous = *value;
                }
            }
            HyperLogLog::Dense(registers) => {
                out.push(1);
                out.extend_from_slice(&registers[..]);
            }
        }
    }

    /// Reads a sketch that [`HyperLogLog::encode`] wrote.
    pub(super) fn decode(input: &mut super::encoding::Reader<'_>) -> Option<Self> {
        match input.byte()? {
            0 => {
                let count = usize::try_from(input.varint()?).ok()?;
                if count > SPARSE_LIMIT {
                    return None;
                }
                let mut values = Vec::with_capacity(count);
                let mut previous = 0u32;
                for _ in 0..count {
                    previous = previous.checked_add(u32::try_from(input.varint()?).ok()?)?;
                    values.push(previous);
                }
                Some(HyperLogLog::Sparse(values))
            }
            1 => {
                let bytes = input.bytes(REGISTERS)?;
                let mut registers = Box::new([0u8; REGISTERS]);
                registers.copy_from_slice(bytes);
                if registers.iter().any(|&r| u32::from(r) > Q + 1) {
                    return None;
                }
                Some(HyperLogLog::Dense(registers))
            }
            _ => None,
        }
    }
}

fn densify(values: &[u32]) -> Box<[u8; REGISTERS]> {
    let mut registers = Box::new([0u8; REGISTERS]);
    for value in values {
        set_register(&mut registers, *value);
    }
    registers
}

fn set_register(registers: &mut [u8; REGISTERS], prefix: u32) {
    let index = (prefix >> Q) as usize;
    let rest = prefix << P;
    // The position of the first 1 bit in the Q rank bits, or Q + 1.
    let rank = (rest.leading_zeros().min(Q) + 1) as u8;
    if registers[index] < rank {
        registers[index] = rank;
    }
}

/// Ertl's improved raw estimator, from the register-value histogram.
fn ertl_estimate(registers: &[u8; REGISTERS]) -> f64 {
    let mut histogram = [0u32; Q as usize + 2];
    for &register in registers {
        histogram[usize::from(register)] += 1;
    }
    let m = REGISTERS as f64;
    let q = Q as usize;
    let mut z = m * tau(1.0 - f64::from(histogram[q + 1]) / m);
    for k in (1..=q).rev() {
        z = 0.5 * (z + f64::from(histogram[k]));
    }
    z += m * sigma(f64::from(histogram[0]) / m);
    let alpha_infinity = 1.0 / (2.0 * std::f64::consts::LN_2);
    alpha_infinity * m * m / z
}

fn sigma(mut x: f64) -> f64 {
    if x == 1.0 {
        return f64::INFINITY;
    }
    let mut y = 1.0;
    let mut z = x;
    loop {
        x *= x;
        let previous = z;
        z += x * y;
        y += y;
        if z == previous {
            return z;
        }
    }
}

fn tau(mut x: f64) -> f64 {
    if x == 0.0 || x == 1.0 {
        return 0.0;
    }
    let mut y = 1.0;
    let mut z = 1.0 - x;
    loop {
        x = x.sqrt();
        let previous = z;
        y *= 0.5;
        z -= (1.0 - x).powi(2) * y;
        if z == previous {
            return z / 3.0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::encoding::Reader;

    fn hash(i: u64) -> u64 {
        xxhash_rust::xxh3::xxh3_64(&i.to_le_bytes())
    }

    #[test]
    fn small_sets_are_exact_and_large_ones_within_two_percent() {
        for n in [0u64, 1, 10, 2999, 3001, 10_000, 50_000, 200_000, 1_000_000] {
            let mut sketch = HyperLogLog::default();
            for i in 0..n {
                sketch.insert(hash(i));
                sketch.insert(hash(i)); // duplicates change nothing
            }
            let estimate = sketch.estimate();
            if n <= SPARSE_LIMIT as u64 {
                assert_eq!(estimate, n as f64);
            } else {
                let error = (estimate - n as f64).abs() / n as f64;
                assert!(error < 0.02, "n = {n}: estimate {estimate}, error {error}");
            }
        }
    }

    #[test]
    fn encodes_and_decodes_both_forms() {
        for n in [5u64, 5000] {
            let mut sketch = HyperLogLog::default();
            (0..n).for_each(|i| sketch.insert(hash(i)));
            let mut bytes = Vec::new();
            sketch.encode(&mut bytes);
            let decoded = HyperLogLog::decode(&mut Reader::new(&bytes)).unwrap();
            assert_eq!(decoded, sketch);
        }
        assert_eq!(HyperLogLog::decode(&mut Reader::new(&[7])), None);
        assert_eq!(HyperLogLog::decode(&mut Reader::new(&[0, 5, 1])), None);
    }
}
