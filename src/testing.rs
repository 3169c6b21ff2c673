//! Testing pipelines from Rust: replay records through a pipeline, as
//! Lambda would deliver them, with every sink replaced by one that keeps
//! what it gets, then assert on the outputs, the fates of the records and
//! what Lambda was told.
//!
//! ```
//! use serde_json::json;
//! use tributary::testing::{PipelineTest, kinesis_records};
//!
//! let mut test = PipelineTest::new(r#"
//!     [pipeline]
//!     name = "purchases"
//!     [source]
//!     type = "kinesis"
//!     [[processors]]
//!     type = "filter"
//!     pattern = { type = ["purchase"] }
//!     [sinks.out]
//!     type = "jsonl"
//! "#).unwrap();
//! let run = test.replay(kinesis_records("shardId-0", &[
//!     json!({"type": "purchase", "amount": 12}),
//!     json!({"type": "view"}),
//! ]));
//! assert_eq!(run.outputs["out"], [json!({"type": "purchase", "amount": 12})]);
//! assert_eq!((run.report.totals.delivered, run.report.totals.dropped), (1, 1));
//! ```
//!
//! Records arrive at a fixed clock (2026-01-01T00:00:00Z, then one every
//! 100 ms), so windows and time-based index names are the same every run;
//! the pipeline's own clock stands still an hour later ([`CLOCK_NOW_MS`]),
//! so the latencies each invocation measured (`report.invocations`) are too.
//! `tests/testing_api.rs` has more.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use serde_json::Value;
use tributary_connectors::recording::{RecordingError, RecordingReader};
use tributary_connectors::sources::SourceRecord;
use tributary_core::{BoxFuture, Delivery, Origin, Record, Sink, SourceKind};
use tributary_processors::Registry;

use crate::{Clock, Plan};

use crate::replay::{ReplayOptions, ReplayReport, replay_records};

/// When the test clock starts: 2026-01-01T00:00:00Z.
pub const CLOCK_START_MS: i64 = 1_767_225_600_000;

/// The pipeline's clock in a test, against which it measures latency: an
/// hour after [`CLOCK_START_MS`], 2026-01-01T01:00:00Z.
pub const CLOCK_NOW_MS: i64 = CLOCK_START_MS + 3_600_000;

/// A pipeline under test.
pub struct PipelineTest {
    name: String,
    text: String,
    registry: Registry,
}

/// What a test run did.
#[derive(Debug)]
pub struct TestRun {
    /// What each sink (dead-letter sink included) received, by sink name.
    pub outputs: BTreeMap<String, Vec<Value>>,
    /// The replay's report: totals by fate, and every invocation with what
    /// Lambda was told (`report.invocations`).
    pub report: ReplayReport,
}

impl PipelineTest {
    /// A test of the pipeline in `toml`, with the built-in processors.
    pub fn new(toml: &str) -> Result<Self, tributary_config::ConfigError> {
        Self::with_registry(toml, Registry::builtin())
    }

    /// A test of the pipeline in `toml`, with processors from `registry`.
    pub fn with_registry(
        toml: &str,
        registry: Registry,
    ) -> Result<Self, tributary_config::ConfigError> {
        Self::named("test.toml", toml, registry)
    }

    /// A test of the pipeline file `name` (a path), whose text is `toml`:
    /// errors name the file, and the files it names (remap programs) are
    /// read beside it.
    pub fn named(
        name: &str,
        toml: &str,
        registry: Registry,
    ) -> Result<Self, tributary_config::ConfigError> {
        Plan::parse(name, toml, &registry)?;
        Ok(PipelineTest {
            name: name.to_owned(),
            text: toml.to_owned(),
            registry,
        })
    }

    /// The pipeline, checked by the constructor.
    fn plan(&self) -> Plan {
        Plan::parse(&self.name, &self.text, &self.registry).expect("checked by `new`")
    }

    /// Replays `records`, in order, through a fresh start of the pipeline.
    pub fn replay(&mut self, records: Vec<SourceRecord>) -> TestRun {
        let plan = self.plan();
        let source = plan.source().kind();
        let captured: Arc<Mutex<BTreeMap<String, Vec<Value>>>> = Arc::default();
        let mut pipeline = plan.start_with(|name| {
            Box::new(Capture {
                name: name.to_owned(),
                outputs: captured.clone(),
            })
        });
        pipeline.set_clock(Clock::Fixed(CLOCK_NOW_MS));
        let options = ReplayOptions {
            log_invocations: true,
            ..ReplayOptions::default()
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime starts");
        let report = runtime.block_on(replay_records(&mut pipeline, source, records, &options));
        let outputs = std::mem::take(&mut *captured.lock().unwrap_or_else(|e| e.into_inner()));
        TestRun { outputs, report }
    }

    /// Replays a recording file (or a dead-letter file with a header line
    /// before it). A line that is not a record is an error, and then nothing
    /// is replayed.
    pub fn replay_file(&mut self, recording: &Path) -> Result<TestRun, RecordingError> {
        let plan = self.plan();
        let records = RecordingReader::open(recording)?
            .map(|record| record.map(|record| plan.source().recorded(record)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(self.replay(records))
    }
}

/// Kinesis records of `shard` with these payloads, numbered from 1, arriving
/// on the test clock.
pub fn kinesis_records(shard: &str, payloads: &[Value]) -> Vec<SourceRecord> {
    payloads
        .iter()
        .enumerate()
        .map(|(i, payload)| {
            test_record(
                SourceKind::Kinesis,
                shard,
                i,
                Bytes::from(payload.to_string()),
                true,
            )
        })
        .collect()
}

/// The `index`th record (from 0) of a test input: sequence number
/// `index + 1` in 20 digits, partition key `key-INDEX`, arriving `index`
/// × 100 ms after [`CLOCK_START_MS`]. `json` says the data is known JSON.
pub fn test_record(
    source: SourceKind,
    shard: &str,
    index: usize,
    data: Bytes,
    json: bool,
) -> SourceRecord {
    let mut origin = Origin::new(
        source,
        "arn:aws:kinesis:us-east-1:123456789012:stream/test",
        shard,
        format!("{:020}", index + 1),
    );
    origin.partition_key = Some(format!("key-{index}"));
    origin.arrival_ms = CLOCK_START_MS + 100 * index as i64;
    let mut record = SourceRecord::new(origin, data);
    record.data_is_json = json;
    record
}

/// A sink that keeps every payload it gets.
struct Capture {
    name: String,
    outputs: Arc<Mutex<BTreeMap<String, Vec<Value>>>>,
}

impl Sink for Capture {
    fn deliver<'a>(
        &'a mut self,
        records: &'a mut [Record],
        _: Option<std::time::Instant>,
    ) -> BoxFuture<'a, Delivery> {
        let mut outputs = self.outputs.lock().unwrap_or_else(|e| e.into_inner());
        let kept = outputs.entry(self.name.clone()).or_default();
        for record in records.iter_mut() {
            kept.push(record.payload.json().cloned().unwrap_or(Value::Null));
        }
        Box::pin(async { Delivery::default() })
    }
}
