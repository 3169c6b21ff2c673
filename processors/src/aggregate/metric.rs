//! The metrics an aggregate computes per group, and their accumulators.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Number as JsonNumber, Value, json};

use super::ddsketch::DdSketch;
use super::encoding::{Reader, put_varint};
use super::hll::HyperLogLog;
use tributary_core::json::{FieldId, Leaf};

/// What a metric computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// Records; with a `field`, records where it is present and not null.
    Count,
    /// The sum of the field's numbers.
    Sum,
    /// The smallest of the field's numbers.
    Min,
    /// The largest of the field's numbers.
    Max,
    /// The mean of the field's numbers.
    Avg,
    /// The field's first value (not null), in stream order.
    First,
    /// The field's last value (not null), in stream order.
    Last,
    /// How many distinct values the field has (HyperLogLog: exact up to
    /// 3,000 values, then within 2%).
    CountDistinct,
    /// Quantiles of the field's numbers (DDSketch: within 1% of the exact
    /// value), as `{"p50": ..., "p99": ...}`.
    Percentiles,
}

impl Op {
    pub(super) fn needs_field(self) -> bool {
        self != Op::Count
    }
}

/// One metric, compiled.
#[derive(Debug, Clone)]
pub(super) struct Metric {
    pub(super) name: String,
    pub(super) op: Op,
    pub(super) field: Option<FieldId>,
    /// For `percentiles`: the quantiles wanted, 0 to 100.
    pub(super) percentiles: Vec<f64>,
}

/// A scalar value kept by `first` and `last`.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Scalar {
    String(String),
    Number(f64),
    Bool(bool),
}

impl Scalar {
    fn set_from(slot: &mut Option<Scalar>, leaf: Leaf<'_>) {
        match (slot.as_mut(), leaf) {
            (Some(Scalar::String(text)), Leaf::String(bytes)) => {
                text.clear();
                text.push_str(&String::from_utf8_lossy(bytes));
            }
            (_, Leaf::String(bytes)) => {
                *slot = Some(Scalar::String(String::from_utf8_lossy(bytes).into_owned()))
            }
            (_, Leaf::Number(number)) => *slot = Some(Scalar::Number(number.exact_value())),
            (_, Leaf::Bool(b)) => *slot = Some(Scalar::Bool(b)),
            (_, Leaf::Null) => {}
        }
    }

    fn to_json(&self) -> Value {
        match self {
            Scalar::String(text) => Value::String(text.clone()),
            Scalar::Number(number) => number_json(*number),
            Scalar::Bool(b) => Value::Bool(*b),
        }
    }

    fn encode(slot: &Option<Scalar>, out: &mut Vec<u8>) {
        match slot {
            None => out.push(0),
            Some(Scalar::String(text)) => {
                out.push(1);
                put_varint(out, text.len() as u64);
                out.extend_from_slice(text.as_bytes());
            }
            Some(Scalar::Number(number)) => {
                out.push(2);
                out.extend_from_slice(&number.to_le_bytes());
            }
            Some(Scalar::Bool(b)) => out.push(if *b { 3 } else { 4 }),
        }
    }

    fn decode(input: &mut Reader<'_>) -> Option<Option<Scalar>> {
        Some(match input.byte()? {
            0 => None,
            1 => {
                let length = usize::try_from(input.varint()?).ok()?;
                Some(Scalar::String(
                    String::from_utf8(input.bytes(length)?.to_vec()).ok()?,
                ))
            }
            2 => Some(Scalar::Number(input.f64()?)),
            3 => Some(Scalar::Bool(true)),
            4 => Some(Scalar::Bool(false)),
            _ => return None,
        })
    }
}

/// A JSON number: integral values that fit print as integers.
pub(super) fn number_json(value: f64) -> Value {
    if value.fract() == 0.0 && value.abs() < 9.007_199_254_740_992e15 {
        Value::Number(JsonNumber::from(value as i64))
    } else {
        JsonNumber::from_f64(value).map_or(Value::Null, Value::Number)
    }
}

/// One metric's running value for one group.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Accumulator {
    Count(u64),
    /// `sum` and `avg`: the sum and how many numbers it has.
    Sum {
        sum: f64,
        n: u64,
    },
    Min(Option<f64>),
    Max(Option<f64>),
    First(Option<Scalar>),
    Last(Option<Scalar>),
    Distinct(Box<HyperLogLog>),
    Percentiles(Box<DdSketch>),
}

impl Accumulator {
    pub(super) fn new(op: Op) -> Self {
        match op {
            Op::Count => Accumulator::Count(0),
            Op::Sum | Op::Avg => Accumulator::Sum { sum: 0.0, n: 0 },
            Op::Min => Accumulator::Min(None),
            Op::Max => Accumulator::Max(None),
            Op::First => Accumulator::First(None),
            Op::Last => Accumulator::Last(None),
            Op::CountDistinct => Accumulator::Distinct(Box::default()),
            Op::Percentiles => Accumulator::Percentiles(Box::default()),
        }
    }

    /// Folds in one record's value of the metric's field (`None` when the
    /// record does not have it, or the metric has no field).
    pub(super) fn update(&mut self, value: Option<Leaf<'_>>, has_field: bool) {
        let number = match value {
            Some(Leaf::Number(number)) => Some(number.exact_value()),
            _ => None,
        };
        match self {
            Accumulator::Count(count) => {
                let counted = !has_field || value.is_some_and(|v| !matches!(v, Leaf::Null));
                *count += u64::from(counted);
            }
            Accumulator::Sum { sum, n } => {
                if let Some(number) = number {
                    *sum += number;
                    *n += 1;
                }
            }
            Accumulator::Min(min) => {
                if let Some(number) = number {
                    *min = Some(min.map_or(number, |m| m.min(number)));
                }
            }
            Accumulator::Max(max) => {
                if let Some(number) = number {
                    *max = Some(max.map_or(number, |m| m.max(number)));
                }
            }
            Accumulator::First(first) => {
                if first.is_none()
                    && let Some(leaf) = value
                {
                    Scalar::set_from(first, leaf);
                }
            }
            Accumulator::Last(last) => {
                if let Some(leaf) = value {
                    Scalar::set_from(last, leaf);
                }
            }
            Accumulator::Distinct(sketch) => {
                if let Some(hash) = value.and_then(distinct_hash) {
                    sketch.insert(hash);
                }
            }
            Accumulator::Percentiles(sketch) => {
                if let Some(number) = number {
                    sketch.insert(number);
                }
            }
        }
    }

    /// The metric's value in a document.
    pub(super) fn to_json(&self, metric: &Metric) -> Value {
        let optional = |value: Option<f64>| value.map_or(Value::Null, number_json);
        match self {
            Accumulator::Count(count) => json!(count),
            Accumulator::Sum { sum, n } if metric.op == Op::Avg => {
                optional((*n > 0).then(|| sum / *n as f64))
            }
            Accumulator::Sum { sum, n } => optional((*n > 0).then_some(*sum)),
            Accumulator::Min(value) | Accumulator::Max(value) => optional(*value),
            Accumulator::First(value) | Accumulator::Last(value) => {
                value.as_ref().map_or(Value::Null, Scalar::to_json)
            }
            Accumulator::Distinct(sketch) => json!(sketch.estimate().round() as u64),
            Accumulator::Percentiles(sketch) => {
                let mut out = Map::new();
                for p in &metric.percentiles {
                    out.insert(percentile_name(*p), optional(sketch.quantile(p / 100.0)));
                }
                Value::Object(out)
            }
        }
    }

    /// What a consumer needs to combine this metric across partial
    /// documents, beyond its value; `None` when the value is enough.
    pub(super) fn combine_json(&self, metric: &Metric) -> Option<Value> {
        let mut bytes = Vec::new();
        match self {
            Accumulator::Sum { sum, n } if metric.op == Op::Avg => {
                Some(json!({"sum": number_json(*sum), "n": n}))
            }
            Accumulator::Distinct(sketch) => {
                sketch.encode(&mut bytes);
                Some(json!({"hll": base64(&bytes)}))
            }
            Accumulator::Percentiles(sketch) => {
                sketch.encode(&mut bytes);
                Some(json!({"ddsketch": base64(&bytes)}))
            }
            _ => None,
        }
    }

    pub(super) fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Accumulator::Count(count) => put_varint(out, *count),
            Accumulator::Sum { sum, n } => {
                out.extend_from_slice(&sum.to_le_bytes());
                put_varint(out, *n);
            }
            Accumulator::Min(value) | Accumulator::Max(value) => match value {
                None => out.push(0),
                Some(value) => {
                    out.push(1);
                    out.extend_from_slice(&value.to_le_bytes());
                }
            },
            Accumulator::First(value) | Accumulator::Last(value) => Scalar::encode(value, out),
            Accumulator::Distinct(sketch) => sketch.encode(out),
            Accumulator::Percentiles(sketch) => sketch.encode(out),
        }
    }

    pub(super) fn decode(metric: &Metric, input: &mut Reader<'_>) -> Option<Self> {
        let optional = |input: &mut Reader<'_>| match input.byte()? {
            0 => Some(None),
            1 => Some(Some(input.f64()?)),
            _ => None,
        };
        Some(match metric.op {
            Op::Count => Accumulator::Count(input.varint()?),
            Op::Sum | Op::Avg => Accumulator::Sum {
                sum: input.f64()?,
                n: input.varint()?,
            },
            Op::Min => Accumulator::Min(optional(input)?),
            Op::Max => Accumulator::Max(optional(input)?),
            Op::First => Accumulator::First(Scalar::decode(input)?),
            Op::Last => Accumulator::Last(Scalar::decode(input)?),
            Op::CountDistinct => Accumulator::Distinct(Box::new(HyperLogLog::decode(input)?)),
            Op::Percentiles => Accumulator::Percentiles(Box::new(DdSketch::decode(input)?)),
        })
    }
}

/// `p50`, `p99`, `p99.9`.
pub(super) fn percentile_name(p: f64) -> String {
    format!("p{p}")
}

fn base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The hash a value counts under in `count_distinct`: strings by their
/// bytes, numbers by value (`1` and `1.0` are one value), booleans apart.
fn distinct_hash(leaf: Leaf<'_>) -> Option<u64> {
    use xxhash_rust::xxh3::xxh3_64_with_seed;
    match leaf {
        Leaf::String(bytes) => Some(xxh3_64_with_seed(bytes, 1)),
        Leaf::Number(number) => {
            let value = number.exact_value();
            let value = if value == 0.0 { 0.0 } else { value };
            Some(xxh3_64_with_seed(&value.to_le_bytes(), 2))
        }
        Leaf::Bool(b) => Some(xxh3_64_with_seed(&[u8::from(b)], 3)),
        Leaf::Null => None,
    }
}
