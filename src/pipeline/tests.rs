//! The accounting rule: every input record ends with exactly one fate, and
//! the failed ones are the ones Lambda is told to retry.

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use tributary_config::OnError;
use tributary_connectors::sources::{
    DecompressionBudget, KinesisSourceConfig, SourceConfig, SourceRecord,
};
use tributary_core::{
    Batch, BoxError, BoxFuture, Delivery, DeliveryFailure, Origin, Processor, Record,
    RecordProcessor, Sink, SinkError, SourceKind, Verdict,
};

use super::{Fate, Pipeline};

/// Drops payloads containing `drop`, fails those containing `bad`.
struct Picky;

impl RecordProcessor for Picky {
    fn process_record(&mut self, record: &mut Record) -> Verdict {
        let raw = String::from_utf8_lossy(record.payload.raw().unwrap_or_default()).into_owned();
        if raw.contains("drop") {
            Verdict::Drop
        } else if raw.contains("bad") {
            Verdict::Fail("picky does not like it".into())
        } else {
            Verdict::Keep
        }
    }
}

/// Fails every batch.
struct Broken;

impl Processor for Broken {
    fn process(&mut self, _: &mut Batch) -> Result<(), BoxError> {
        Err("broken".into())
    }
}

/// Keeps what it is given; fails payloads containing `transient` (for now)
/// or `reject` (for good); with `fail_all`, fails everything for good.
#[derive(Clone, Default)]
struct Capture {
    lines: Arc<Mutex<Vec<String>>>,
    fail_all: bool,
    /// A dead-letter sink takes letters whatever they quote.
    ignore_markers: bool,
}

impl Sink for Capture {
    fn deliver<'a>(
        &'a mut self,
        records: &'a mut [Record],
        _: Option<std::time::Instant>,
    ) -> BoxFuture<'a, Delivery> {
        let mut delivery = Delivery::default();
        for (index, record) in records.iter_mut().enumerate() {
            let text = String::from_utf8_lossy(&record.payload.to_bytes()).into_owned();
            let transient = !self.ignore_markers && text.contains("transient");
            let reject = !self.ignore_markers && text.contains("reject");
            if self.fail_all || transient || reject {
                let reason = "refused".to_owned();
                delivery.failures.push(DeliveryFailure {
                    index,
                    error: if transient {
                        SinkError::RefusedForNow(reason)
                    } else {
                        SinkError::Rejected(reason)
                    },
                });
            } else {
                self.lines.lock().unwrap().push(text);
            }
        }
        Box::pin(async { delivery })
    }
}

fn source() -> SourceConfig {
    let config: KinesisSourceConfig = tributary_config::Options::from_toml("s.toml", "")
        .unwrap()
        .deserialize()
        .unwrap();
    SourceConfig::Kinesis(config)
}

fn pipeline(
    on_error: OnError,
    processor: Box<dyn Processor>,
    out: &Capture,
    dead_letter: Option<&Capture>,
) -> Pipeline {
    Pipeline {
        name: "test".into(),
        policy: super::plan::error_policy(on_error, dead_letter.is_some()),
        deadline_margin: std::time::Duration::from_secs(1),
        source: source(),
        processors: vec![(Arc::from("picky"), processor)],
        sinks: vec![(Arc::from("out"), Box::new(out.clone()))],
        dead_letter: dead_letter.map(|d| (Arc::from("dlq"), Box::new(d.clone()) as Box<dyn Sink>)),
        failure_log: Default::default(),
        decompression_budget: DecompressionBudget::for_memory_mb(256),
    }
}

const INPUTS: [&str; 7] = [
    "{\"ok\":1}",
    "{\"m\":\"drop\"}",
    "{\"m\":\"bad\"}",
    "{\"m\":\"transient\"}",
    "{\"m\":\"reject\"}",
    "{\"ok\":2}",
    "{\"m\":\"bad again\"}",
];

fn inputs() -> Vec<SourceRecord> {
    INPUTS
        .iter()
        .enumerate()
        .map(|(i, data)| {
            let shard = if i % 2 == 0 { "shardId-0" } else { "shardId-1" };
            SourceRecord::new(
                Origin::new(SourceKind::Kinesis, "arn:s", shard, format!("{}", 100 + i)),
                Bytes::from_static(data.as_bytes()),
            )
        })
        .collect()
}

fn run(pipeline: &mut Pipeline) -> super::BatchOutcome {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let outcome = runtime.block_on(pipeline.run(inputs()));
    assert!(outcome.totals().balanced(), "{:?}", outcome.totals());
    assert_eq!(outcome.fates.len(), INPUTS.len());
    outcome
}

fn failed_sequences(outcome: &super::BatchOutcome) -> Vec<&str> {
    outcome.failed.iter().map(|o| o.sequence.as_str()).collect()
}

use Fate::*;

#[test]
fn retry_reports_every_failure_to_lambda() {
    let out = Capture::default();
    let outcome = run(&mut pipeline(OnError::Retry, Box::new(Picky), &out, None));
    assert_eq!(
        outcome.fates,
        [
            Delivered, Dropped, Failed, Failed, Failed, Delivered, Failed
        ]
    );
    // Lambda retries each shard from its first failure: 102 on shardId-0,
    // 103 on shardId-1.
    assert_eq!(failed_sequences(&outcome), ["102", "103"]);
    assert_eq!(*out.lines.lock().unwrap(), ["{\"ok\":1}", "{\"ok\":2}"]);
}

#[test]
fn skip_drops_bad_records_but_still_retries_what_a_sink_could_not_take() {
    let out = Capture::default();
    let outcome = run(&mut pipeline(OnError::Skip, Box::new(Picky), &out, None));
    assert_eq!(
        outcome.fates,
        [
            Delivered, Dropped, Skipped, Failed, Failed, Delivered, Failed
        ]
    );
    // "bad again" comes after shardId-0's rejected record, so Lambda
    // redelivers it: it is failed, not skipped.
    let totals = outcome.totals();
    assert_eq!((totals.skipped, totals.failed, totals.dropped), (1, 3, 1));
}

#[test]
fn dead_letter_takes_bad_and_rejected_records_with_their_reason() {
    let out = Capture::default();
    let dlq = Capture {
        ignore_markers: true,
        ..Capture::default()
    };
    let outcome = run(&mut pipeline(
        OnError::DeadLetter,
        Box::new(Picky),
        &out,
        Some(&dlq),
    ));
    assert_eq!(
        outcome.fates,
        [
            Delivered,
            Dropped,
            DeadLettered,
            Failed,
            DeadLettered,
            Delivered,
            DeadLettered
        ]
    );
    assert_eq!(failed_sequences(&outcome), ["103"]);
    let letters = dlq.lines.lock().unwrap();
    assert_eq!(letters.len(), 3);
    let first: serde_json::Value = serde_json::from_str(&letters[0]).unwrap();
    assert_eq!(first["sequence"], "102");
    assert_eq!(first["shard"], "shardId-0");
    assert_eq!(first["error"]["stage"], "picky");
    assert_eq!(first["error"]["message"], "picky does not like it");
    assert_eq!(first["data"], serde_json::json!({"m": "bad"}));
    let rejected: serde_json::Value = serde_json::from_str(&letters[1]).unwrap();
    assert_eq!(rejected["error"]["stage"], "out");
}

#[test]
fn a_dead_letter_that_cannot_be_delivered_is_retried() {
    let out = Capture::default();
    let dlq = Capture {
        fail_all: true,
        ..Capture::default()
    };
    let outcome = run(&mut pipeline(
        OnError::DeadLetter,
        Box::new(Picky),
        &out,
        Some(&dlq),
    ));
    assert_eq!(
        outcome.fates,
        [
            Delivered, Dropped, Failed, Failed, Failed, Delivered, Failed
        ]
    );
}

#[test]
fn a_processor_that_fails_the_batch_fails_every_record_in_it() {
    let out = Capture::default();
    let outcome = run(&mut pipeline(OnError::Retry, Box::new(Broken), &out, None));
    assert!(outcome.fates.iter().all(|fate| *fate == Failed));
    assert_eq!(failed_sequences(&outcome), ["100", "101"]);
    assert!(out.lines.lock().unwrap().is_empty());
}
