//! Every example can be tried from the repository (issue 20, problem 6):
//! each pipeline is validated, invoked on its event, replayed with its
//! recording and its `[[tests]]` run. OpenSearch sinks write to a stub that
//! takes every bulk operation, so the examples run without a node and
//! without touching the indices other tests count.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::process::Command;

use serde_json::Value;

use crate::support::{root, run, tributary};

/// Each example pipeline, its Lambda event and its recording.
const EXAMPLES: [(&str, &str, &str); 7] = [
    (
        "examples/clickstream/pipeline.toml",
        "examples/clickstream/event.json",
        "examples/clickstream/recording.jsonl",
    ),
    (
        "examples/clickstream/aggregates.toml",
        "examples/clickstream/event-window.json",
        "examples/clickstream/recording.jsonl",
    ),
    (
        "examples/purchases/pipeline.toml",
        "examples/clickstream/event.json",
        "examples/clickstream/recording.jsonl",
    ),
    (
        "examples/search/pipeline.toml",
        "examples/clickstream/event.json",
        "examples/clickstream/recording.jsonl",
    ),
    (
        "examples/cloudwatch-logs/pipeline.toml",
        "examples/cloudwatch-logs/event.json",
        "examples/cloudwatch-logs/recording.jsonl",
    ),
    (
        "examples/orders/pipeline.toml",
        "examples/orders/event.json",
        "examples/orders/recording.jsonl",
    ),
    (
        "examples/alerts/pipeline.toml",
        "examples/alerts/event.json",
        "examples/alerts/recording.jsonl",
    ),
];

/// A `tributary` command whose OpenSearch sinks write to `endpoint` and
/// whose jsonl sinks write under `out`.
fn example_command(endpoint: &str, out: &std::path::Path) -> Command {
    let mut command = tributary();
    command
        .env("OPENSEARCH_ENDPOINT", endpoint)
        .env("TRIBUTARY_OUT", out)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "eu-west-1")
        .env("AWS_EC2_METADATA_DISABLED", "true");
    command
}

#[test]
fn every_example_validates_invokes_replays_and_passes_its_tests() {
    let endpoint = stub_opensearch();
    let out = tempfile::tempdir().unwrap();
    for (pipeline, event, recording) in EXAMPLES {
        let (output, stdout, stderr) = run(tributary().args(["validate", pipeline]));
        assert!(
            output.status.success(),
            "validate {pipeline}: {stdout}{stderr}"
        );

        let (output, stdout, stderr) = run(example_command(&endpoint, out.path())
            .args(["invoke", pipeline, "--event", event, "--json"]));
        assert!(
            output.status.success(),
            "invoke {pipeline}: {stdout}{stderr}"
        );
        let summary: Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(
            summary["totals"]["failed"], 0,
            "invoke {pipeline}: {summary}"
        );
        assert!(
            summary["totals"]["records_in"].as_u64().unwrap() > 0,
            "invoke {pipeline}: {summary}"
        );

        let (output, stdout, stderr) = run(example_command(&endpoint, out.path()).args([
            "replay",
            pipeline,
            "--recording",
            recording,
            "--json",
        ]));
        assert!(
            output.status.success(),
            "replay {pipeline}: {stdout}{stderr}"
        );
        let summary: Value = serde_json::from_str(&stdout).unwrap();
        let lines = std::fs::read_to_string(root().join(recording))
            .unwrap()
            .lines()
            .count();
        assert_eq!(summary["lines"], lines, "replay {pipeline}: {summary}");
        assert!(
            summary["totals"]["records_in"].as_u64().unwrap() >= lines as u64 - 1,
            "every record, and each log event of a CloudWatch Logs message: {summary}"
        );
        assert_eq!(
            summary["totals"]["failed"], 0,
            "replay {pipeline}: {summary}"
        );

        let (output, stdout, stderr) = run(tributary().args(["test", pipeline]));
        assert!(output.status.success(), "test {pipeline}: {stdout}{stderr}");
    }
}

/// The DynamoDB Streams and EventBridge examples test themselves on their
/// recordings: every change indexed, every failed payment and nothing else.
#[test]
fn the_orders_and_alerts_examples_test_their_recordings() {
    for pipeline in [
        "examples/orders/pipeline.toml",
        "examples/alerts/pipeline.toml",
    ] {
        let (output, stdout, stderr) = run(tributary().args(["test", pipeline]));
        assert!(output.status.success(), "{stdout}{stderr}");
        assert!(
            stdout.contains(&format!("ok      {pipeline}: the recording:")),
            "{stdout}"
        );
    }
}

/// Starts an HTTP server that answers every `_bulk` request with each of
/// its operations done (201); gives its URL.
fn stub_opensearch() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || serve(stream));
        }
    });
    url
}

fn serve(stream: TcpStream) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    loop {
        let mut length = 0;
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        loop {
            line.clear();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            if line == "\r\n" {
                break;
            }
            if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap();
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        let items: Vec<String> = actions(&String::from_utf8_lossy(&body))
            .iter()
            .map(|action| format!("{{\"{action}\":{{\"status\":201}}}}"))
            .collect();
        let answer = format!(
            "{{\"took\":1,\"errors\":false,\"items\":[{}]}}",
            items.join(",")
        );
        let response = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{answer}",
            answer.len()
        );
        if writer.write_all(response.as_bytes()).is_err() {
            return;
        }
    }
}

/// The operations of a bulk body: each action line, and its document
/// unless it deletes.
fn actions(body: &str) -> Vec<String> {
    let mut lines = body.lines().filter(|line| !line.is_empty());
    let mut actions = Vec::new();
    while let Some(line) = lines.next() {
        let action: Value = serde_json::from_str(line).unwrap();
        let name = action.as_object().unwrap().keys().next().unwrap().clone();
        if name != "delete" {
            lines.next();
        }
        actions.push(name);
    }
    actions
}
