//! The invocation's metrics, as CloudWatch Embedded Metric Format lines on
//! standard output: CloudWatch Logs turns each into metrics, with no call
//! to CloudWatch from the function.
//!
//! An invocation writes a few lines, never one a record: one for the
//! pipeline (records by fate, duration, latency), one for each sink, one
//! for each processor, and one for each stage whose failures were
//! dead-lettered. [`names`] lists every metric with its unit and dimensions;
//! docs/lambda.md explains them.

mod distribution;
pub mod names;

pub use distribution::Distribution;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};

use crate::{BatchMetrics, Totals};
use names::{Family, Metric};

/// The EMF lines of one invocation of `pipeline` that ended at `now`.
pub fn emf_lines(
    pipeline: &str,
    totals: &Totals,
    measured: &BatchMetrics,
    duration: Duration,
    now: SystemTime,
) -> Vec<String> {
    let emf = Emf::new(pipeline, now);
    let mut lines = vec![emf.line(
        Family::Pipeline,
        None,
        pipeline_values(totals, measured, duration),
    )];
    for sink in &measured.sinks {
        let values = vec![
            (names::SINK_RECORDS, json!(sink.records)),
            (names::SINK_DELIVERED, json!(sink.delivered)),
            (names::SINK_BYTES, json!(sink.sent.bytes)),
            (names::SINK_REQUESTS, json!(sink.sent.requests)),
            (names::SINK_RETRIES, json!(sink.sent.retries)),
            (names::SINK_THROTTLED, json!(sink.sent.throttled)),
            (names::SINK_REJECTED, json!(sink.rejected)),
            (names::SINK_FAILED, json!(sink.failed)),
            (names::SINK_DELIVERY_TIME, milliseconds(sink.time)),
        ];
        let latency = Distribution::of(sink.latency.samples());
        let values = with_distribution(values, names::SINK_LATENCY, latency);
        lines.push(emf.line(Family::Sink, Some(&sink.name), values));
    }
    for processor in &measured.processors {
        let values = vec![
            (names::PROCESSOR_RECORDS_IN, json!(processor.records_in)),
            (names::PROCESSOR_RECORDS_OUT, json!(processor.records_out)),
            (names::PROCESSOR_TIME, milliseconds(processor.time)),
        ];
        lines.push(emf.line(Family::Processor, Some(&processor.label), values));
    }
    for (stage, count) in &measured.dead_letters {
        let values = vec![(names::DEAD_LETTERS, json!(count))];
        lines.push(emf.line(Family::DeadLetters, Some(stage), values));
    }
    lines
}

/// The pipeline line's values.
fn pipeline_values(
    totals: &Totals,
    measured: &BatchMetrics,
    duration: Duration,
) -> Vec<(Metric, Value)> {
    let mut values = vec![
        (names::RECORDS_IN, json!(totals.records_in)),
        (names::DROPPED, json!(totals.dropped)),
        (names::SKIPPED, json!(totals.skipped)),
        (names::AGGREGATED, json!(totals.aggregated)),
        (names::DELIVERED, json!(totals.delivered)),
        (names::DEAD_LETTERED, json!(totals.dead_lettered)),
        (names::FAILED, json!(totals.failed)),
        (names::DURATION, milliseconds(duration)),
    ];
    if let Some(age) = measured.oldest_record_age {
        values.push((names::OLDEST_RECORD_AGE, json!(age.as_millis() as u64)));
    }
    let latency = Distribution::of(measured.latency.samples());
    with_distribution(values, names::LATENCY, latency)
}

/// `values` with the distribution `metric`, when it has samples: a metric
/// with no value is left off its line.
fn with_distribution(
    mut values: Vec<(Metric, Value)>,
    metric: Metric,
    distribution: Option<Distribution>,
) -> Vec<(Metric, Value)> {
    if let Some(distribution) = distribution {
        values.push((metric, distribution.to_json()));
    }
    values
}

fn milliseconds(duration: Duration) -> Value {
    json!(duration.as_secs_f64() * 1000.0)
}

/// What every line of an invocation shares.
struct Emf<'a> {
    namespace: String,
    pipeline: &'a str,
    timestamp: u64,
}

impl<'a> Emf<'a> {
    fn new(pipeline: &'a str, now: SystemTime) -> Self {
        Emf {
            namespace: std::env::var(names::NAMESPACE_ENV)
                .unwrap_or_else(|_| names::DEFAULT_NAMESPACE.to_owned()),
            pipeline,
            timestamp: now
                .duration_since(UNIX_EPOCH)
                .map_or(0, |since| since.as_millis() as u64),
        }
    }

    /// One line of `family`, whose dimension after `Pipeline` (if it has
    /// one) is `dimension`, with `values`.
    fn line(
        &self,
        family: Family,
        dimension: Option<&str>,
        values: Vec<(Metric, Value)>,
    ) -> String {
        let definitions: Vec<Value> = values
            .iter()
            .map(|(metric, _)| json!({ "Name": metric.name, "Unit": metric.unit.as_str() }))
            .collect();
        let dimensions = family.dimensions();
        let mut root = Map::new();
        root.insert(
            "_aws".into(),
            json!({
                "Timestamp": self.timestamp,
                "CloudWatchMetrics": [{
                    "Namespace": self.namespace,
                    "Dimensions": [dimensions],
                    "Metrics": definitions,
                }],
            }),
        );
        root.insert(names::PIPELINE.into(), json!(self.pipeline));
        if let (Some(name), Some(value)) = (dimensions.get(1), dimension) {
            root.insert((*name).into(), json!(value));
        }
        root.extend(
            values
                .into_iter()
                .map(|(metric, value)| (metric.name.to_owned(), value)),
        );
        Value::Object(root).to_string()
    }
}

#[cfg(test)]
mod tests;
