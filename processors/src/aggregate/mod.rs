//! `type = "aggregate"`: per-group metrics over a window.
//!
//! The records of a window are grouped by the values of the `group_by`
//! fields, and each group gets its metrics (count, sum, min, max, avg,
//! first, last, count_distinct, percentiles) and its record count. A window
//! is either Lambda's tumbling window (`window = "lambda"`: the groups
//! travel in the window state between invocations, and documents are
//! emitted on the final invocation) or one invocation (`window = "batch"`).
//!
//! Only the fields the aggregate needs are read from each payload, without
//! parsing the rest (the filter's scanner). The state encoding is in
//! [`state`]; documents, their ids and partial documents in [`document`].

mod ddsketch;
mod document;
mod encoding;
mod groups;
mod hll;
mod metric;
mod state;

pub use metric::Op;

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;
use tributary_core::{Batch, BoxError, Processor, Record, Window};

use crate::{BuildContext, BuildError, ProcessorConfig};
use document::Documents;
use metric::{Accumulator, Metric};
use state::WindowState;
use tributary_core::json::{FieldId, FieldReader};

/// Groups records and computes metrics per group, over Lambda's tumbling
/// window or over one invocation.
///
/// ```toml
/// [[processors]]
/// type = "aggregate"
/// window = "lambda"
/// group_by = ["page"]
/// metrics.views = { op = "count" }
/// metrics.revenue = { op = "sum", field = "price" }
/// metrics.users = { op = "count_distinct", field = "user_id" }
/// metrics.latency = { op = "percentiles", field = "latency_ms", percentiles = [50, 99] }
/// ```
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AggregateConfig {
    /// `lambda`: over the event source mapping's tumbling window
    /// (`tumbling_window_secs` in `[source]`), emitting on the window's final
    /// invocation; `batch`: over each invocation. No default.
    pub window: WindowMode,
    /// The fields (dotted paths) whose values make a group. Default: none,
    /// one group for all records.
    #[serde(default)]
    pub group_by: Vec<String>,
    /// The metrics, by the name they have in documents.
    pub metrics: BTreeMap<String, MetricConfig>,
    /// The most bytes the aggregate's window state may take before the
    /// groups are emitted as partial documents and the state starts afresh.
    /// Lambda allows 1 MB per shard. Default 786432 (768 KiB).
    #[serde(default = "default_max_state_bytes")]
    pub max_state_bytes: usize,
}

/// Which window an aggregate covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum WindowMode {
    /// Lambda's tumbling window.
    Lambda,
    /// One invocation.
    Batch,
}

/// One metric.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MetricConfig {
    /// What it computes: `count`, `sum`, `min`, `max`, `avg`, `first`,
    /// `last`, `count_distinct` or `percentiles`.
    pub op: Op,
    /// The field (dotted path) it reads. Required except for `count`. A
    /// field inside arrays gives its first value.
    #[serde(default)]
    pub field: Option<String>,
    /// For `percentiles`: which, from 0 to 100. Default `[50, 90, 99]`.
    #[serde(default)]
    pub percentiles: Vec<f64>,
}

fn default_max_state_bytes() -> usize {
    768 * 1024
}

/// Names documents use for their own fields; metrics cannot take them.
const RESERVED: [&str; 6] = [
    "window_start",
    "window_end",
    "shard",
    "records",
    "partial",
    "combine",
];

impl ProcessorConfig for AggregateConfig {
    const TYPE: &'static str = "aggregate";

    fn build(self, context: &BuildContext) -> Result<Box<dyn Processor>, BuildError> {
        if context.source == tributary_core::SourceKind::Eventbridge {
            return Err(BuildError::at("", "an aggregate needs a stream source, and EventBridge delivers one event an invocation")
                .hint("aggregate Kinesis or DynamoDB Streams records, or use EventBridge Pipes to put the events in a stream"));
        }
        if self.window == WindowMode::Lambda && context.tumbling_window_secs.is_none() {
            return Err(BuildError::at("window", "`window = \"lambda\"` needs a tumbling window on the source")
                .hint("set `tumbling_window_secs` (1 to 900) in [source], or aggregate each invocation with `window = \"batch\"`"));
        }
        if self.metrics.is_empty() {
            return Err(
                BuildError::at("metrics", "an aggregate needs at least one metric")
                    .hint("such as metrics.views = { op = \"count\" }"),
            );
        }
        if self.max_state_bytes < 1024 || self.max_state_bytes > 1_000_000 {
            return Err(BuildError::at(
                "max_state_bytes",
                "`max_state_bytes` must be between 1024 and 1000000",
            )
            .hint("Lambda keeps at most 1 MB of window state per shard"));
        }
        if let Some(taken) = self
            .group_by
            .iter()
            .find(|path| RESERVED.contains(&path.as_str()))
        {
            return Err(BuildError::at(
                "group_by",
                format!("`{taken}` is a field of every aggregate document"),
            )
            .hint("group by another field, or rename it first with a `project` processor"));
        }
        let mut reader = FieldReader::default();
        let group_by: Vec<FieldId> = self
            .group_by
            .iter()
            .map(|path| reader.intern(path))
            .collect();
        let mut metrics = Vec::with_capacity(self.metrics.len());
        let mut paths = Vec::with_capacity(self.metrics.len());
        for (name, config) in self.metrics {
            let key = format!("metrics.{name}");
            if RESERVED.contains(&name.as_str()) || self.group_by.contains(&name) {
                return Err(BuildError::at(
                    &key,
                    format!("the metric name `{name}` is taken by the document"),
                )
                .hint(format!(
                    "documents have {} and the group_by fields; name the metric otherwise",
                    RESERVED.join(", ")
                )));
            }
            let field = match (&config.field, config.op.needs_field()) {
                (Some(path), _) => Some(reader.intern(path)),
                (None, false) => None,
                (None, true) => {
                    return Err(
                        BuildError::at(&key, format!("metric `{name}` needs a `field`")).hint(
                            format!(
                                "such as metrics.{name} = {{ op = \"{:?}\", field = \"price\" }}",
                                config.op
                            )
                            .to_lowercase(),
                        ),
                    );
                }
            };
            let percentiles = match (config.op, config.percentiles.is_empty()) {
                (Op::Percentiles, true) => vec![50.0, 90.0, 99.0],
                (Op::Percentiles, false) => config.percentiles,
                (_, true) => Vec::new(),
                (_, false) => {
                    return Err(BuildError::at(
                        format!("{key}.percentiles"),
                        "`percentiles` is for `op = \"percentiles\"` only",
                    ));
                }
            };
            if let Some(bad) = percentiles.iter().find(|p| !(0.0..=100.0).contains(*p)) {
                return Err(BuildError::at(
                    format!("{key}.percentiles"),
                    format!("percentile {bad} is not between 0 and 100"),
                ));
            }
            paths.push(config.field.clone());
            metrics.push(Metric {
                name,
                op: config.op,
                field,
                percentiles,
            });
        }
        reader.seal();
        let fingerprint = fingerprint(&self.group_by, &metrics, &paths);
        Ok(Box::new(Aggregate {
            window: self.window,
            state_key: format!("tributary:{}", context.label),
            max_state_bytes: self.max_state_bytes,
            fingerprint,
            documents: Documents::new(&context.pipeline, context.source, self.group_by.clone()),
            reader,
            group_by,
            metrics,
            key: Vec::new(),
        }))
    }
}

/// A hash of the settings that shape the state, so a state written under
/// other settings is never misread.
fn fingerprint(group_by: &[String], metrics: &[Metric], paths: &[Option<String>]) -> u64 {
    let mut text = group_by.join("\u{1}");
    for (metric, path) in metrics.iter().zip(paths) {
        text.push_str(&format!(
            "\u{2}{}\u{1}{:?}\u{1}{:?}",
            metric.name, metric.op, path
        ));
    }
    xxhash_rust::xxh3::xxh3_64(text.as_bytes())
}

/// The aggregate, built.
pub struct Aggregate {
    window: WindowMode,
    state_key: String,
    max_state_bytes: usize,
    fingerprint: u64,
    documents: Documents,
    reader: FieldReader,
    group_by: Vec<FieldId>,
    metrics: Vec<Metric>,
    /// Scratch: the key of the record being folded.
    key: Vec<u8>,
}

impl Processor for Aggregate {
    fn process(&mut self, batch: &mut Batch) -> Result<(), BoxError> {
        match self.window {
            WindowMode::Batch => {
                let mut state = WindowState::default();
                let records = batch.take_records();
                let Some(first) = records.first() else {
                    return Ok(());
                };
                let scope = document::Scope::batch(first, records.last().unwrap_or(first));
                self.fold(&mut state, records, batch);
                self.documents
                    .emit(&state, &self.metrics, &scope, false, batch);
                Ok(())
            }
            WindowMode::Lambda => self.process_window(batch),
        }
    }

    fn needs_window(&self) -> bool {
        self.window == WindowMode::Lambda
    }
}

impl Aggregate {
    fn process_window(&mut self, batch: &mut Batch) -> Result<(), BoxError> {
        let Some(window) = batch.window() else {
            return Err("the aggregate has `window = \"lambda\"`, but the invocation has no tumbling window: \
                        give the event source mapping TumblingWindowInSeconds (`tumbling_window_secs` in [source])"
                .into());
        };
        let mut state = self.read_state(window);
        let scope = self.documents.window_scope(window);
        let is_final = window.is_final;
        let records = batch.take_records();
        self.fold(&mut state, records, batch);
        if is_final {
            let split = state.partials > 0;
            self.documents
                .emit(&state, &self.metrics, &scope, split, batch);
            self.write_state(batch, None);
            return Ok(());
        }
        let encoded = state.encode(self.fingerprint);
        if encoded.len() + self.state_key.len() > self.max_state_bytes {
            // Too big for Lambda's state: emit what there is, start afresh.
            self.documents
                .emit(&state, &self.metrics, &scope, true, batch);
            let next = WindowState {
                partials: state.partials + 1,
                ..WindowState::default()
            };
            self.write_state(batch, Some(next.encode(self.fingerprint)));
        } else {
            self.write_state(batch, Some(encoded));
        }
        Ok(())
    }

    fn read_state(&self, window: &Window) -> WindowState {
        let Some(text) = window.state.get(&self.state_key) else {
            return WindowState::default();
        };
        WindowState::decode(text, self.fingerprint, &self.metrics).unwrap_or_else(|| {
            tracing::warn!(key = %self.state_key, "window state from other aggregate settings, or damaged; the window starts afresh");
            WindowState::default()
        })
    }

    fn write_state(&self, batch: &mut Batch, text: Option<String>) {
        if let Some(window) = batch.window_mut() {
            match text {
                Some(text) => window.state.insert(self.state_key.clone(), text),
                None => window.state.remove(&self.state_key),
            };
        }
    }

    /// Folds records into the groups; each leaves the batch as aggregated.
    /// A record whose payload is not JSON fails alone.
    fn fold(&mut self, state: &mut WindowState, records: Vec<Record>, batch: &mut Batch) {
        for mut record in records {
            if batch.is_stopped(&record) {
                let error = Box::new(tributary_core::HeldBack);
                batch.fail_with(record, error, tributary_core::FailureKind::Transient);
                continue;
            }
            match self.fold_one(state, &mut record) {
                Ok(()) => batch.absorb(record),
                Err(error) => batch.fail(record, error),
            }
        }
    }

    fn fold_one(&mut self, state: &mut WindowState, record: &mut Record) -> Result<(), BoxError> {
        let fields = self.reader.read(&mut record.payload)?;
        self.key.clear();
        fields.push_key(&self.group_by, &mut self.key);
        let metrics = &self.metrics;
        let group = state.groups.entry(&self.key, || {
            metrics.iter().map(|m| Accumulator::new(m.op)).collect()
        });
        *group.records += 1;
        for (metric, accumulator) in metrics.iter().zip(group.accumulators) {
            let value = metric.field.and_then(|field| fields.get(field));
            accumulator.update(value, metric.field.is_some());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
