//! `tributary::testing`, the Rust API for testing pipelines, as a user
//! would use it, and Lambda's retry rules as replay applies them.

use std::collections::HashSet;

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};
use tributary::core::{Processor, Record, RecordProcessor, Verdict};
use tributary::lambda::metrics::{Distribution, emf_lines};
use tributary::processors::{BuildContext, BuildError, ProcessorConfig, Registry};
use tributary::testing::{CLOCK_NOW_MS, CLOCK_START_MS, PipelineTest, kinesis_records};

#[test]
fn a_filter_pipeline_keeps_purchases() {
    let mut test = PipelineTest::new(
        r#"
        [pipeline]
        name = "purchases"
        [source]
        type = "kinesis"
        [[processors]]
        type = "filter"
        pattern = { type = ["purchase"], amount = [{ numeric = [">", 10] }] }
        [sinks.out]
        type = "jsonl"
        "#,
    )
    .unwrap();
    let run = test.replay(kinesis_records(
        "shardId-0",
        &[
            json!({"type": "purchase", "amount": 12}),
            json!({"type": "view"}),
            json!({"type": "purchase", "amount": 3}),
        ],
    ));
    assert_eq!(
        run.outputs["out"],
        [json!({"type": "purchase", "amount": 12})]
    );
    assert_eq!(
        (run.report.totals.delivered, run.report.totals.dropped),
        (1, 2)
    );
    let invocations = run.report.invocations.unwrap();
    assert_eq!(invocations.len(), 1);
    assert!(invocations[0].failures.is_empty());
}

/// `type = "poison"`: fails records with `"poison": true`, always, and
/// records with `"flaky": true` the first time it sees them.
#[derive(Deserialize, JsonSchema)]
struct PoisonConfig {}

struct Poison {
    seen: HashSet<String>,
}

impl ProcessorConfig for PoisonConfig {
    const TYPE: &'static str = "poison";

    fn build(self, _: &BuildContext) -> Result<Box<dyn Processor>, BuildError> {
        Ok(Box::new(Poison {
            seen: HashSet::new(),
        }))
    }
}

impl RecordProcessor for Poison {
    fn process_record(&mut self, record: &mut Record) -> Verdict {
        let sequence = record.origin.sequence.clone();
        let payload = record.payload.json().cloned().unwrap_or(Value::Null);
        if payload["poison"] == true {
            return Verdict::Fail("poisoned".into());
        }
        if payload["flaky"] == true && self.seen.insert(sequence) {
            return Verdict::Fail("flaky, this time".into());
        }
        Verdict::Keep
    }
}

fn pipeline(retries: i32) -> PipelineTest {
    let mut registry = Registry::builtin();
    registry.register::<PoisonConfig>();
    let text = format!(
        "[pipeline]\nname = \"retries\"\n[source]\ntype = \"kinesis\"\nbatch_size = 4\nmaximum_retry_attempts = {retries}\n\
         [[processors]]\ntype = \"poison\"\n[sinks.out]\ntype = \"jsonl\"\n"
    );
    PipelineTest::with_registry(&text, registry).unwrap()
}

fn numbers(values: &[Value]) -> Vec<i64> {
    values.iter().map(|v| v["n"].as_i64().unwrap()).collect()
}

/// The sequence numbers `kinesis_records` gives record `n` (from 1).
fn seq(n: usize) -> String {
    format!("{n:020}")
}

#[test]
fn each_invocation_measures_latency_from_the_records_arrival_on_the_fixed_clock() {
    let mut test = PipelineTest::new(
        r#"
        [pipeline]
        name = "purchases"
        [source]
        type = "kinesis"
        batch_size = 3
        [[processors]]
        type = "filter"
        pattern = { type = ["purchase"] }
        [sinks.out]
        type = "jsonl"
        "#,
    )
    .unwrap();
    let payloads: Vec<Value> = (0..5)
        .map(|n| json!({"type": if n == 1 { "view" } else { "purchase" }}))
        .collect();
    let run = test.replay(kinesis_records("shardId-0", &payloads));
    let invocations = run.report.invocations.unwrap();
    assert_eq!(invocations.len(), 2);
    // Record i arrives at CLOCK_START_MS + 100 i ms, and the pipeline's
    // clock stands at CLOCK_NOW_MS; the view is dropped, not delivered.
    let age = |i: i64| (CLOCK_NOW_MS - CLOCK_START_MS - 100 * i) as u64;
    let first = &invocations[0].metrics;
    assert_eq!(first.latency.samples(), [age(0), age(2)]);
    assert_eq!(first.oldest_record_age.unwrap().as_millis() as u64, age(0));
    assert_eq!(invocations[1].metrics.latency.samples(), [age(3), age(4)]);
    assert_eq!(first.sinks[0].latency.samples(), [age(0), age(2)]);

    let totals = run.report.totals;
    let lines = emf_lines(
        "purchases",
        &totals,
        first,
        std::time::Duration::ZERO,
        std::time::SystemTime::now(),
    );
    let pipeline: Value = serde_json::from_str(&lines[0]).unwrap();
    let expected = Distribution::of(&[age(0), age(2)]).unwrap();
    assert_eq!(expected.values, [age(2), age(0)]);
    assert_eq!(pipeline["Latency"], expected.to_json());
}

#[test]
fn lambda_redelivers_from_the_first_failed_record_until_the_retries_are_used_up() {
    let payloads: Vec<Value> = (1..=8)
        .map(|n| {
            if n == 3 {
                json!({"n": n, "poison": true})
            } else {
                json!({"n": n})
            }
        })
        .collect();
    let run = pipeline(2).replay(kinesis_records("shardId-0", &payloads));
    let invocations = run.report.invocations.clone().unwrap();
    let seen: Vec<(Vec<String>, Vec<String>)> = invocations
        .iter()
        .map(|i| (i.sequences.clone(), i.failures.clone()))
        .collect();
    assert_eq!(
        seen,
        [
            // The batch fails at record 3; 4 is not processed.
            (vec![seq(1), seq(2), seq(3), seq(4)], vec![seq(3)]),
            // Two retries from record 3, as maximum_retry_attempts = 2 allows.
            (vec![seq(3), seq(4)], vec![seq(3)]),
            (vec![seq(3), seq(4)], vec![seq(3)]),
            // Then 3 and 4 go to the on-failure destination, and the shard moves on.
            (vec![seq(5), seq(6), seq(7), seq(8)], vec![]),
        ]
    );
    assert_eq!(numbers(&run.outputs["out"]), [1, 2, 5, 6, 7, 8]);
    assert_eq!((run.report.redeliveries, run.report.discarded), (2, 2));
}

#[test]
fn a_record_that_fails_once_is_delivered_on_the_retry_in_order() {
    let payloads: Vec<Value> = (1..=4)
        .map(|n| {
            if n == 2 {
                json!({"n": n, "flaky": true})
            } else {
                json!({"n": n})
            }
        })
        .collect();
    let run = pipeline(-1).replay(kinesis_records("shardId-0", &payloads));
    let invocations = run.report.invocations.clone().unwrap();
    assert_eq!(invocations.len(), 2);
    assert_eq!(invocations[1].sequences, [seq(2), seq(3), seq(4)]);
    assert_eq!(
        numbers(&run.outputs["out"]),
        [1, 2, 3, 4],
        "in stream order, each once"
    );
    assert_eq!(run.report.discarded, 0);
}
