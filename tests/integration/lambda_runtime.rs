//! End to end through the real Lambda runtime API: the `bootstrap` binary
//! polls `cargo lambda watch`'s runtime API, and each test invokes it
//! through the invoke API with Lambda events, then checks the response, the
//! sink's output and the function's logs.

use serde_json::{Value, json};

use crate::kpl::aggregated_event;
use crate::support::events::{kinesis_event_of, sequence};
use crate::support::handler::pipeline_toml;
use crate::support::lambda::{Emulator, bootstrap};
use crate::support::root;

/// A pipeline in a temporary folder, served by its own emulator.
struct Deployed {
    dir: tempfile::TempDir,
    emulator: Emulator,
    function: crate::support::lambda::Function,
}

impl Deployed {
    fn new(pipeline: &str, source: &str, processors: &[&str]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pipeline.toml");
        std::fs::write(
            &file,
            pipeline_toml(dir.path(), pipeline, source, processors),
        )
        .unwrap();
        let emulator = Emulator::start();
        let function = emulator.function(&file);
        Deployed {
            dir,
            emulator,
            function,
        }
    }

    fn invoke(&self, event: &str) -> (u16, Value) {
        let (status, body) = self.emulator.invoke(event);
        let body = serde_json::from_str(&body).unwrap_or_else(|_| panic!("not JSON: {body}"));
        (status, body)
    }

    fn out(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.path().join("out.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// Stops the function; gives every EMF metric document it wrote.
    fn emf(self) -> Vec<Value> {
        self.function
            .stop()
            .lines()
            .filter(|line| line.contains("\"_aws\""))
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    }

    /// Stops the function; gives its pipeline metric documents, one an
    /// invocation.
    fn metrics(self) -> Vec<Value> {
        self.emf()
            .into_iter()
            .filter(|line| dimensions(line) == ["Pipeline"])
            .collect()
    }
}

/// The dimension names of an EMF document's directive.
fn dimensions(line: &Value) -> Vec<&str> {
    line["_aws"]["CloudWatchMetrics"][0]["Dimensions"][0]
        .as_array()
        .unwrap()
        .iter()
        .map(|name| name.as_str().unwrap())
        .collect()
}

/// Checks each document against the EMF schema (tests/fixtures/emf) with
/// Python's `jsonschema` (installed with cfn-lint), then what a schema
/// cannot say: every dimension and metric a directive names is in the
/// document, a dimension as a string, a metric as a number or a
/// distribution, and nothing else is.
fn assert_valid_emf(lines: &[Value]) {
    let check = "import json, sys, jsonschema\n\
        schema = json.load(open(sys.argv[1]))\n\
        for line in sys.stdin: jsonschema.validate(json.loads(line), schema)\n";
    let mut python = std::process::Command::new("python3")
        .args(["-c", check])
        .arg(root().join("tests/fixtures/emf/schema.json"))
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs");
    let text: String = lines.iter().map(|line| format!("{line}\n")).collect();
    use std::io::Write as _;
    python
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let output = python.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "not valid EMF: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    for line in lines {
        let directive = &line["_aws"]["CloudWatchMetrics"][0];
        let mut named = 1;
        for dimension in dimensions(line) {
            assert!(line[dimension].is_string(), "dimension {dimension}: {line}");
            named += 1;
        }
        for metric in directive["Metrics"].as_array().unwrap() {
            let value = &line[metric["Name"].as_str().unwrap()];
            let distribution = value["Values"].as_array().is_some_and(|values| {
                values.len() <= 100 && values.len() == value["Counts"].as_array().unwrap().len()
            });
            assert!(value.is_number() || distribution, "{metric}: {line}");
            named += 1;
        }
        assert_eq!(
            line.as_object().unwrap().len(),
            named,
            "undeclared members: {line}"
        );
    }
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(root().join("tests/fixtures/events").join(name)).unwrap()
}

#[test]
fn kinesis_events_with_kpl_aggregates_and_failures() {
    let deployed = Deployed::new("", "type = \"kinesis\"\ncodec = \"bytes\"", &[]);
    let (status, body) = deployed.invoke(&fixture("example-kinesis-event.json"));
    assert_eq!((status, body), (200, json!({"batchItemFailures": []})));
    let (event, expected) = aggregated_event();
    let (_, body) = deployed.invoke(&event);
    assert_eq!(body, json!({"batchItemFailures": []}));
    let out = deployed.out();
    assert_eq!(out.len(), 2 + expected.len());
    for (line, expected) in out[2..].iter().zip(&expected) {
        assert_eq!(line, &format!("\"{}\"", expected["data"].as_str().unwrap()));
    }
    let metrics = deployed.metrics();
    assert_eq!(metrics.len(), 2);
    assert_eq!(metrics[1]["RecordsIn"], expected.len());
    assert_eq!(metrics[1]["Delivered"], expected.len());
    assert_eq!(
        metrics[1]["_aws"]["CloudWatchMetrics"][0]["Namespace"],
        "tributary"
    );
}

#[test]
fn the_metric_lines_are_valid_emf_and_add_up_to_the_invocations_records() {
    let deployed = Deployed::new(
        "on_error = \"dead-letter\"\ndead_letter = \"dlq\"",
        "type = \"kinesis\"",
        &["type = \"filter\"\npattern = { kind = [\"order\"] }"],
    );
    let records = [
        ("shardId-000000000000", "{\"kind\":\"order\",\"n\":0}"),
        ("shardId-000000000000", "{\"kind\":\"view\",\"n\":1}"),
        ("shardId-000000000000", "not json"),
        ("shardId-000000000000", "{\"kind\":\"order\",\"n\":3}"),
    ];
    let (_, body) = deployed.invoke(&kinesis_event_of(&records));
    assert_eq!(body, json!({"batchItemFailures": []}));
    let lines = deployed.emf();
    assert_valid_emf(&lines);
    let of = |dimension: &str, value: &str| {
        lines
            .iter()
            .find(|line| dimensions(line).last() == Some(&dimension) && line[dimension] == value)
            .unwrap_or_else(|| panic!("no {dimension} {value} line: {lines:#?}"))
    };
    let pipeline = of("Pipeline", "test");
    let fates = [
        "Dropped",
        "Skipped",
        "Aggregated",
        "Delivered",
        "DeadLettered",
        "Failed",
    ];
    let sum: u64 = fates
        .iter()
        .map(|fate| pipeline[fate].as_u64().unwrap())
        .sum();
    assert_eq!(pipeline["RecordsIn"], 4);
    assert_eq!(sum, 4, "every record has one fate: {pipeline}");
    assert_eq!(
        (
            pipeline["Delivered"].as_u64(),
            pipeline["DeadLettered"].as_u64()
        ),
        (Some(2), Some(1))
    );
    assert_eq!(
        pipeline["Latency"]["Count"], 2,
        "one sample a delivered record"
    );
    let filter = of("Processor", "filter#0");
    assert_eq!(filter["ProcessorRecordsIn"], pipeline["RecordsIn"]);
    assert_eq!(
        filter["ProcessorRecordsOut"], 2,
        "the view dropped, the bad line failed"
    );
    let out = of("Sink", "out");
    assert_eq!(out["SinkRecords"], 2);
    assert_eq!(out["SinkDelivered"], pipeline["Delivered"]);
    assert_eq!(out["SinkBytes"], "{\"kind\":\"order\",\"n\":0}\n".len() * 2);
    let dlq = of("Sink", "dlq");
    assert_eq!(dlq["SinkDelivered"], pipeline["DeadLettered"]);
    assert_eq!(
        of("Stage", "filter#0")["DeadLetters"],
        pipeline["DeadLettered"]
    );
}

#[test]
fn records_that_fail_are_reported_first_of_each_shard() {
    // Records that are not JSON fail under the default `on_error = "retry"`.
    let deployed = Deployed::new("", "type = \"kinesis\"", &[]);
    let records = [
        ("shardId-000000000000", "{\"n\":0}"),
        ("shardId-000000000000", "not json"),
        ("shardId-000000000000", "{\"n\":2}"),
        ("shardId-000000000001", "{\"n\":3}"),
        ("shardId-000000000001", "{\"n\":4}"),
        ("shardId-000000000001", "also not json"),
    ];
    let (_, body) = deployed.invoke(&kinesis_event_of(&records));
    assert_eq!(
        body,
        json!({"batchItemFailures": [{"itemIdentifier": sequence(1)}, {"itemIdentifier": sequence(5)}]})
    );
    assert_eq!(deployed.out(), ["{\"n\":0}", "{\"n\":3}", "{\"n\":4}"]);
    let metrics = deployed.metrics();
    assert_eq!(
        (
            metrics[0]["Delivered"].as_u64(),
            metrics[0]["Failed"].as_u64()
        ),
        (Some(3), Some(3))
    );
}

#[test]
fn dynamodb_events() {
    let deployed = Deployed::new("", "type = \"dynamodb_streams\"", &[]);
    let (_, body) = deployed.invoke(&fixture("example-dynamodb-event.json"));
    assert_eq!(body, json!({"batchItemFailures": []}));
    let items: Vec<Value> = deployed
        .out()
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // The sample's two changes are to one item: they collapse to the last.
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["key"], "binary");
    let metrics = deployed.metrics();
    assert_eq!(
        (
            metrics[0]["Dropped"].as_u64(),
            metrics[0]["Delivered"].as_u64()
        ),
        (Some(1), Some(1))
    );
}

#[test]
fn eventbridge_events_and_their_failures() {
    let deployed = Deployed::new("", "type = \"eventbridge\"", &[]);
    let (status, body) = deployed.invoke(&fixture("example-eventbridge-event-obj.json"));
    assert_eq!((status, body), (200, Value::Null));
    assert_eq!(deployed.out().len(), 1);

    // A sink that cannot write: the invocation fails, for Lambda to retry.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pipeline.toml");
    let text = "[pipeline]\nname = \"full\"\n[source]\ntype = \"eventbridge\"\n[sinks.out]\ntype = \"jsonl\"\npath = \"/dev/full\"\n";
    std::fs::write(&file, text).unwrap();
    let emulator = Emulator::start();
    let _function = emulator.function(&file);
    let (_, body) = emulator.invoke(&fixture("example-eventbridge-event-obj.json"));
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["errorType"], "tributary.NotDelivered", "{body}");
    assert!(
        body["errorMessage"]
            .as_str()
            .unwrap()
            .contains("7bf73129-1428-4cd3-a780-95db273d1602")
    );
}

#[test]
fn the_deadline_from_the_runtime_api_is_honoured() {
    // A margin longer than any timeout: work stops at once, and the whole
    // batch is reported for retry from its first record.
    let deployed = Deployed::new("deadline_margin_ms = 100000000", "type = \"kinesis\"", &[]);
    let records = [
        ("shardId-000000000000", "{\"n\":0}"),
        ("shardId-000000000000", "{\"n\":1}"),
    ];
    let (_, body) = deployed.invoke(&kinesis_event_of(&records));
    assert_eq!(
        body,
        json!({"batchItemFailures": [{"itemIdentifier": sequence(0)}]})
    );
    assert!(deployed.out().is_empty());
}

#[test]
fn a_wrong_pipeline_fails_init_with_its_place() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pipeline.toml");
    std::fs::write(&file, "[pipeline]\nname = \"x\"\n[source]\ntype = \"kinesys\"\n[sinks.out]\ntype = \"jsonl\"\npath = \"/dev/null\"\n").unwrap();
    let output = bootstrap(&file)
        .env("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("pipeline.toml:4:8"), "{stderr}");
    assert!(stderr.contains("did you mean `kinesis`?"), "{stderr}");
}
