//! The EMF lines of invocations run by the real handler: one with faults
//! (items throttled then sent again, a record rejected and dead-lettered, a
//! record the sink gave up on), on a fixed clock so latencies are exact.
//!
//! The search sink is the real layer stack a network sink sends through
//! (retry, rate limit, timeout, concurrency), around a service that answers
//! from a script: a stand-in for a destination, which cannot run in a unit
//! test. The OpenSearch sink's own throttling is tested against a real node
//! (cli/tests/integration/invoke.rs).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use base64::Engine as _;
use serde_json::{Value, json};
use tributary_connectors::sinks::layers::{
    self, Elapsed, ItemFailure, Items, Outcome, RequestConfig, RetryLogic, Service,
};
use tributary_core::{BoxFuture, Delivery, DeliveryFailure, Record, Sink, SinkError, SinkStats};
use tributary_processors::Registry;

use super::emf_lines;
use crate::lambda::Handler;
use crate::{Clock, Plan};

/// The payloads' `id`s, as the scripted destination sees them.
#[derive(Debug, Clone)]
struct Ids(Vec<String>);

impl Items for Ids {
    fn len(&self) -> usize {
        self.0.len()
    }

    fn only(&self, keep: &[usize]) -> Self {
        Ids(keep.iter().map(|k| self.0[*k].clone()).collect())
    }

    fn bytes(&self) -> u64 {
        self.0.iter().map(|id| id.len() as u64).sum()
    }
}

/// Throttles `slow` on the first attempt, always refuses `busy` for now,
/// rejects `bad`, stores the rest.
struct Destination {
    attempts: Mutex<u32>,
}

impl Service<Ids> for Destination {
    type Response = Result<Vec<Outcome>, Elapsed>;

    fn call<'a>(&'a self, request: &'a Ids, _: Option<Instant>) -> BoxFuture<'a, Self::Response> {
        let mut attempts = self.attempts.lock().unwrap();
        let first = *attempts == 0;
        *attempts += 1;
        let outcomes = request
            .0
            .iter()
            .map(|id| match id.as_str() {
                "slow" if first => Outcome::Throttled(SinkError::RefusedForNow("429".into())),
                "busy" => Outcome::Throttled(SinkError::RefusedForNow("429".into())),
                "bad" => Outcome::Failed(SinkError::Rejected("mapping".into())),
                _ => Outcome::Delivered,
            })
            .collect();
        Box::pin(async move { Ok(outcomes) })
    }
}

#[derive(Clone)]
struct AsAnswered;

impl RetryLogic<Ids, Result<Vec<Outcome>, Elapsed>> for AsAnswered {
    fn outcomes(&self, request: &Ids, answer: Result<Vec<Outcome>, Elapsed>) -> Vec<Outcome> {
        answer.unwrap_or_else(|elapsed| {
            let error = SinkError::NoAnswer(Arc::new(elapsed));
            vec![Outcome::Retry(error); request.len()]
        })
    }
}

/// A sink that sends each record's `id` through the layers.
struct Layered(layers::Stack<Destination, AsAnswered>);

impl Layered {
    fn new() -> Self {
        let config = RequestConfig {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(2),
            timeout: Duration::from_secs(5),
            requests_per_second: None,
            items_per_second: None,
            max_items_per_request: 100,
            max_in_flight: 1,
        };
        let destination = Destination {
            attempts: Mutex::new(0),
        };
        Layered(layers::stack(&config, AsAnswered, destination))
    }
}

impl Sink for Layered {
    fn deliver<'a>(
        &'a mut self,
        records: &'a mut [Record],
        deadline: Option<Instant>,
    ) -> BoxFuture<'a, Delivery> {
        let ids = Ids(records
            .iter_mut()
            .map(|r| r.payload.json().unwrap()["id"].as_str().unwrap().to_owned())
            .collect());
        Box::pin(async move {
            let failures = self.0.call(&ids, deadline).await;
            Delivery {
                failures: failures
                    .into_iter()
                    .map(|ItemFailure { item, error }| DeliveryFailure { index: item, error })
                    .collect(),
            }
        })
    }

    fn take_stats(&mut self) -> SinkStats {
        self.0.get_ref().take_stats()
    }
}

/// Keeps nothing, takes everything.
struct Taker;

impl Sink for Taker {
    fn deliver<'a>(
        &'a mut self,
        _: &'a mut [Record],
        _: Option<Instant>,
    ) -> BoxFuture<'a, Delivery> {
        Box::pin(async { Delivery::default() })
    }
}

const PIPELINE: &str = r#"
[pipeline]
name = "orders"
on_error = "dead-letter"
dead_letter = "dlq"

[source]
type = "kinesis"

[[processors]]
type = "filter"
id = "orders-only"
pattern = { kind = ["order"] }

[sinks.search]
type = "jsonl"

[sinks.dlq]
type = "jsonl"
"#;

/// When the fixed clock stands: records arrived 1 s to 5 s before.
const NOW_MS: i64 = 1_767_225_610_000;

/// A Kinesis event of these payloads, the i-th arriving (5 - i) s before
/// [`NOW_MS`].
fn event(payloads: &[Value]) -> String {
    let records: Vec<Value> = payloads
        .iter()
        .enumerate()
        .map(|(i, payload)| {
            let arrival_ms = NOW_MS - 5_000 + 1_000 * i as i64;
            json!({
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": "pk",
                    "sequenceNumber": format!("{:020}", i + 1),
                    "data": base64::engine::general_purpose::STANDARD.encode(payload.to_string()),
                    "approximateArrivalTimestamp": arrival_ms as f64 / 1000.0,
                },
                "eventSource": "aws:kinesis",
                "eventVersion": "1.0",
                "eventID": format!("shardId-000:{:020}", i + 1),
                "eventName": "aws:kinesis:record",
                "awsRegion": "us-east-1",
                "eventSourceARN": "arn:aws:kinesis:us-east-1:123456789012:stream/orders",
            })
        })
        .collect();
    json!({ "Records": records }).to_string()
}

/// Runs the event through the handler on the fixed clock; gives the EMF
/// lines, parsed, by their dimension after `Pipeline` (or `Pipeline`).
fn invoke(payloads: &[Value]) -> Vec<Value> {
    let plan = Plan::parse("orders.toml", PIPELINE, &Registry::builtin()).unwrap();
    let mut pipeline = plan.start_with(|name| match name {
        "search" => Box::new(Layered::new()),
        _ => Box::new(Taker),
    });
    pipeline.set_clock(Clock::Fixed(NOW_MS));
    let mut handler = Handler::new(pipeline);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let invocation = runtime
        .block_on(handler.handle(&event(payloads), None))
        .unwrap();
    emf_lines(
        "orders",
        &invocation.totals,
        &invocation.metrics,
        invocation.duration,
        SystemTime::UNIX_EPOCH + Duration::from_millis(NOW_MS as u64),
    )
    .iter()
    .map(|line| serde_json::from_str(line).unwrap())
    .collect()
}

/// The line whose dimension `key` is `value`.
fn line<'a>(lines: &'a [Value], key: &str, value: &str) -> &'a Value {
    lines
        .iter()
        .find(|line| {
            line[key] == value
                && line["_aws"]["CloudWatchMetrics"][0]["Dimensions"][0]
                    .as_array()
                    .unwrap()
                    .len()
                    == if key == "Pipeline" { 1 } else { 2 }
        })
        .unwrap_or_else(|| panic!("no line with {key} = {value}: {lines:#?}"))
}

#[test]
fn an_invocation_with_faults_writes_each_sink_processor_and_stage_its_numbers() {
    let lines = invoke(&[
        json!({"kind": "order", "id": "a"}),
        json!({"kind": "view", "id": "v"}),
        json!({"kind": "order", "id": "slow"}),
        json!({"kind": "order", "id": "bad"}),
        json!({"kind": "order", "id": "busy"}),
    ]);
    // The pipeline, the search sink, the dead-letter sink, the filter, and
    // the stage `search` of the one dead letter.
    assert_eq!(lines.len(), 5, "{lines:#?}");

    let pipeline = line(&lines, "Pipeline", "orders");
    assert_eq!(pipeline["RecordsIn"], 5);
    assert_eq!(pipeline["Delivered"], 2, "a and slow");
    assert_eq!(pipeline["Dropped"], 1, "the view");
    assert_eq!(pipeline["DeadLettered"], 1, "bad");
    assert_eq!(pipeline["Failed"], 1, "busy, given up on, is retried");
    // Arrived 5 s and 3 s before the clock.
    assert_eq!(pipeline["OldestRecordAge"], 5_000);
    assert_eq!(
        pipeline["Latency"],
        json!({"Values": [3_000, 5_000], "Counts": [1, 1], "Min": 3_000, "Max": 5_000, "Count": 2, "Sum": 8_000})
    );

    let search = line(&lines, "Sink", "search");
    assert_eq!(search["SinkRecords"], 4);
    assert_eq!(search["SinkDelivered"], 2);
    assert_eq!(search["SinkRejected"], 1);
    assert_eq!(search["SinkFailed"], 1);
    // Attempt 1: a slow bad busy; 2: slow busy; 3: busy.
    assert_eq!(search["SinkRequests"], 3);
    assert_eq!(search["SinkBytes"], (1 + 4 + 3 + 4) + (4 + 4) + 4);
    assert_eq!(search["SinkRetries"], 3);
    assert_eq!(search["SinkThrottled"], 4, "slow once, busy thrice");
    assert_eq!(search["SinkLatency"]["Values"], json!([3_000, 5_000]));
    assert!(search["SinkDeliveryTime"].as_f64().unwrap() >= 0.0);

    let dlq = line(&lines, "Sink", "dlq");
    assert_eq!(
        (dlq["SinkRecords"].as_u64(), dlq["SinkDelivered"].as_u64()),
        (Some(1), Some(1))
    );
    // `bad` arrived 2 s before the clock.
    assert_eq!(dlq["SinkLatency"]["Values"], json!([2_000]));

    let filter = line(&lines, "Processor", "orders-only");
    assert_eq!(
        (
            filter["ProcessorRecordsIn"].as_u64(),
            filter["ProcessorRecordsOut"].as_u64()
        ),
        (Some(5), Some(4))
    );

    let stage = line(&lines, "Stage", "search");
    assert_eq!(stage["DeadLetters"], 1);
}

#[test]
fn each_line_declares_exactly_its_values_with_their_units_and_dimensions() {
    let lines = invoke(&[json!({"kind": "order", "id": "a"})]);
    for line in &lines {
        let directive = &line["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], "tributary");
        for dimension in directive["Dimensions"][0].as_array().unwrap() {
            assert!(line[dimension.as_str().unwrap()].is_string(), "{line}");
        }
        for definition in directive["Metrics"].as_array().unwrap() {
            let name = definition["Name"].as_str().unwrap();
            let metric = super::names::METRICS
                .iter()
                .find(|metric| metric.name == name)
                .unwrap_or_else(|| panic!("{name} is not in names::METRICS"));
            assert_eq!(definition["Unit"], metric.unit.as_str(), "{name}");
            assert_eq!(
                directive["Dimensions"][0],
                json!(metric.family.dimensions()),
                "{name}"
            );
            let value = &line[name];
            assert!(
                value.is_number() || (metric.distribution && value["Values"].is_array()),
                "{name}: {value}"
            );
        }
        let declared = directive["Metrics"].as_array().unwrap().len();
        let dimensions = directive["Dimensions"][0].as_array().unwrap().len();
        assert_eq!(
            line.as_object().unwrap().len(),
            1 + dimensions + declared,
            "nothing undeclared: {line}"
        );
    }
}
