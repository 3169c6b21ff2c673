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
        routes: super::route::Routes::new(vec![None], tributary_config::Unrouted::Drop),
        dead_letter: dead_letter.map(|d| (Arc::from("dlq"), Box::new(d.clone()) as Box<dyn Sink>)),
        failure_log: Default::default(),
        decompression_budget: DecompressionBudget::for_memory_mb(256),
        clock: super::Clock::default(),
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

/// A pipeline with no processors whose sinks are `sinks`, each with its
/// route (an event pattern as JSON text, or none).
fn routed(
    sinks: Vec<(&str, Option<&str>, Capture)>,
    unrouted: tributary_config::Unrouted,
    dead_letter: Option<&Capture>,
) -> Pipeline {
    let routes = sinks
        .iter()
        .map(|(_, route, _)| {
            route.map(|r| tributary_processors::filter::Pattern::parse(r).unwrap())
        })
        .collect();
    Pipeline {
        name: "test".into(),
        policy: super::plan::error_policy(OnError::Retry, dead_letter.is_some()),
        deadline_margin: std::time::Duration::from_secs(1),
        source: source(),
        processors: Vec::new(),
        sinks: sinks
            .into_iter()
            .map(|(name, _, sink)| (Arc::from(name), Box::new(sink) as Box<dyn Sink>))
            .collect(),
        routes: super::route::Routes::new(routes, unrouted),
        dead_letter: dead_letter.map(|d| (Arc::from("dlq"), Box::new(d.clone()) as Box<dyn Sink>)),
        failure_log: Default::default(),
        decompression_budget: DecompressionBudget::for_memory_mb(256),
        clock: super::Clock::default(),
    }
}

fn run_payloads(pipeline: &mut Pipeline, payloads: &[&'static str]) -> super::BatchOutcome {
    let inputs = payloads
        .iter()
        .enumerate()
        .map(|(i, data)| {
            SourceRecord::new(
                Origin::new(
                    SourceKind::Kinesis,
                    "arn:s",
                    "shardId-0",
                    format!("{}", 100 + i),
                ),
                Bytes::from_static(data.as_bytes()),
            )
        })
        .collect();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let outcome = runtime.block_on(pipeline.run(inputs));
    assert!(outcome.totals().balanced(), "{:?}", outcome.totals());
    outcome
}

#[test]
fn each_sink_takes_what_its_route_picks_and_a_record_is_delivered_once_all_its_sinks_took_it() {
    let everything = Capture {
        ignore_markers: true,
        ..Capture::default()
    };
    let picky = Capture::default();
    let mut pipeline = routed(
        vec![
            ("everything", None, everything.clone()),
            ("a", Some(r#"{"route": ["a"]}"#), picky.clone()),
        ],
        tributary_config::Unrouted::Drop,
        None,
    );
    let outcome = run_payloads(
        &mut pipeline,
        &[
            r#"{"route":"a","n":1}"#,
            r#"{"route":"b","n":2}"#,
            r#"{"route":"a","m":"transient"}"#,
            r#"{"route":"b","n":4}"#,
        ],
    );
    // The third fails in `a` alone, for now: it is retried, and its shard
    // with it (Lambda redelivers from there, to both sinks again).
    assert_eq!(outcome.fates, [Delivered, Delivered, Failed, Delivered]);
    assert_eq!(failed_sequences(&outcome), ["102"]);
    assert_eq!(everything.lines.lock().unwrap().len(), 4);
    assert_eq!(*picky.lines.lock().unwrap(), [r#"{"route":"a","n":1}"#]);
}

#[test]
fn records_no_sink_takes_are_dropped_or_dead_lettered_as_unrouted_says() {
    let sinks = || {
        vec![
            ("a", Some(r#"{"route": ["a"]}"#), Capture::default()),
            ("b", Some(r#"{"route": ["b"]}"#), Capture::default()),
        ]
    };
    let payloads = [r#"{"route":"a"}"#, r#"{"route":"c"}"#, r#"{"route":"b"}"#];
    let outcome = run_payloads(
        &mut routed(sinks(), tributary_config::Unrouted::Drop, None),
        &payloads,
    );
    assert_eq!(outcome.fates, [Delivered, Dropped, Delivered]);

    let dlq = Capture {
        ignore_markers: true,
        ..Capture::default()
    };
    let outcome = run_payloads(
        &mut routed(sinks(), tributary_config::Unrouted::DeadLetter, Some(&dlq)),
        &payloads,
    );
    assert_eq!(outcome.fates, [Delivered, DeadLettered, Delivered]);
    let letters = dlq.lines.lock().unwrap();
    assert_eq!(letters.len(), 1);
    assert!(
        letters[0].contains("no sink's `when` takes the record"),
        "{}",
        letters[0]
    );
}

/// A small deterministic generator (xorshift), so the property below checks
/// the same cases on every run.
struct Cases(u64);

impl Cases {
    fn next(&mut self, below: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % below
    }

    fn pick<'a>(&mut self, of: &[&'a str]) -> &'a str {
        of[self.next(of.len() as u64) as usize]
    }

    /// A pattern on one or two of the events' fields, with each kind of
    /// operator.
    fn pattern(&mut self) -> String {
        let kinds = ["a", "b", "c"];
        let mut fields = Vec::new();
        for _ in 0..=self.next(2) {
            let field = match self.next(6) {
                0 => format!(r#""kind": ["{}"]"#, self.pick(&kinds)),
                1 => format!(r#""kind": [{{"anything-but": ["{}"]}}]"#, self.pick(&kinds)),
                2 => format!(r#""n": [{{"numeric": [">", {}]}}]"#, self.next(10)),
                3 => format!(
                    r#""tag": [{{"prefix": "{}"}}]"#,
                    self.pick(&["x", "xy", "y"])
                ),
                4 => format!(r#""tag": [{{"exists": {}}}]"#, self.next(2) == 0),
                _ => format!(r#""n": [{}, {}]"#, self.next(10), self.next(10)),
            };
            fields.push(field);
        }
        format!("{{{}}}", fields.join(", "))
    }

    fn event(&mut self) -> &'static str {
        let tag = match self.next(3) {
            0 => String::new(),
            _ => format!(r#", "tag": "{}""#, self.pick(&["x1", "xy2", "y3"])),
        };
        let text = format!(
            r#"{{"kind": "{}", "n": {}{tag}}}"#,
            self.pick(&["a", "b", "c"]),
            self.next(10)
        );
        Box::leak(text.into_boxed_str())
    }
}

#[test]
fn a_sinks_when_takes_exactly_what_a_filter_with_the_same_pattern_keeps() {
    let mut cases = Cases(0x9E37_79B9_7F4A_7C15);
    let (mut taken, mut left) = (0, 0);
    for _ in 0..200 {
        let pattern = cases.pattern();
        let events: Vec<&'static str> = (0..20).map(|_| cases.event()).collect();

        let routed_sink = Capture::default();
        let mut with_route = routed(
            vec![("out", Some(pattern.as_str()), routed_sink.clone())],
            tributary_config::Unrouted::Drop,
            None,
        );
        let routed_outcome = run_payloads(&mut with_route, &events);

        let filtered_sink = Capture::default();
        let filter = tributary_processors::filter::Filter::new(
            vec![tributary_processors::filter::Pattern::parse(&pattern).unwrap()],
            false,
        );
        let mut with_filter = routed(
            vec![("out", None, filtered_sink.clone())],
            tributary_config::Unrouted::Drop,
            None,
        );
        with_filter.processors = vec![(Arc::from("filter"), Box::new(filter))];
        let filtered_outcome = run_payloads(&mut with_filter, &events);

        assert_eq!(
            *routed_sink.lines.lock().unwrap(),
            *filtered_sink.lines.lock().unwrap(),
            "pattern {pattern} on {events:?}"
        );
        assert_eq!(routed_outcome.fates, filtered_outcome.fates, "{pattern}");
        let totals = routed_outcome.totals();
        (taken, left) = (taken + totals.delivered, left + totals.dropped);
    }
    // The cases take some records and leave others, or they prove nothing.
    assert!(taken > 500 && left > 500, "{taken} taken, {left} left");
}
