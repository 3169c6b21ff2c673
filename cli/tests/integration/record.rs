//! `tributary record` and `tributary replay --to-kinesis` against moto in
//! server mode, with streams set up by boto3.

use std::collections::BTreeMap;

use serde_json::Value;
use tributary::connectors::recording::RecordingReader;

use crate::support::moto::{self, streams};
use crate::support::run;

fn base64(data: &[u8]) -> String {
    base64::Engine::encode(&base64::engine::general_purpose::STANDARD, data)
}

/// The records of a recording, by shard, in order: (sequence, key, data).
fn recorded(path: &std::path::Path) -> BTreeMap<String, Vec<(String, String, String)>> {
    let mut shards: BTreeMap<String, Vec<_>> = BTreeMap::new();
    for record in RecordingReader::open(path).unwrap() {
        let record = record.unwrap();
        shards
            .entry(record.origin.shard.to_string())
            .or_default()
            .push((
                record.origin.sequence.clone(),
                record.origin.partition_key.clone().unwrap_or_default(),
                base64(&record.data),
            ));
    }
    shards
}

#[test]
fn a_kinesis_stream_is_recorded_whole_and_put_back_in_order() {
    let put = streams(&["kinesis-put", "recorded", "3", "120"]);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("recorded.jsonl");
    moto::record("--stream", "recorded", &out);
    let shards = recorded(&out);
    let mut expected: BTreeMap<String, Vec<(String, String, String)>> = BTreeMap::new();
    for entry in put.as_array().unwrap() {
        let text = |k: &str| entry[k].as_str().unwrap().to_owned();
        expected.entry(text("shard")).or_default().push((
            text("sequence"),
            text("partition_key"),
            text("data"),
        ));
    }
    assert_eq!(
        shards, expected,
        "every record, with its shard, sequence number and partition key, in order"
    );
    assert!(shards.len() > 1, "the records span several shards");

    // Into a second stream of as many shards: the same records, in the same
    // order per shard.
    streams(&["kinesis-create", "copy", "3"]);
    let (output, _, stderr) = run(moto::tributary()
        .args(["replay", "--recording"])
        .arg(&out)
        .args(["--to-kinesis", "copy", "--endpoint-url", moto::url()]));
    assert!(output.status.success(), "{stderr}");
    let copy = streams(&["kinesis-read", "copy"]);
    let by_shard =
        |shards: &BTreeMap<String, Vec<(String, String, String)>>| -> Vec<Vec<(String, String)>> {
            shards
                .values()
                .map(|records| {
                    records
                        .iter()
                        .map(|(_, k, d)| (k.clone(), d.clone()))
                        .collect()
                })
                .collect()
        };
    let copied: BTreeMap<String, Vec<(String, String, String)>> = copy
        .as_object()
        .unwrap()
        .iter()
        .map(|(shard, records)| {
            let records = records
                .as_array()
                .unwrap()
                .iter()
                .map(|r| {
                    (
                        r["sequence"].as_str().unwrap().to_owned(),
                        r["partition_key"].as_str().unwrap().to_owned(),
                        r["data"].as_str().unwrap().to_owned(),
                    )
                })
                .collect();
            (shard.clone(), records)
        })
        .collect();
    assert_eq!(by_shard(&copied), by_shard(&shards));
}

#[test]
fn a_recording_with_a_bad_line_puts_nothing_into_a_kinesis_stream() {
    streams(&["kinesis-create", "untouched", "1"]);
    let dir = tempfile::tempdir().unwrap();
    let recording = dir.path().join("bad.jsonl");
    let mut text: Vec<&str> = include_str!("../../../examples/clickstream/recording.jsonl")
        .lines()
        .take(6)
        .collect();
    text.push("not json");
    text.extend(
        include_str!("../../../examples/clickstream/recording.jsonl")
            .lines()
            .skip(6)
            .take(5),
    );
    std::fs::write(&recording, text.join("\n") + "\n").unwrap();
    let (output, _, stderr) = run(moto::tributary()
        .args(["replay", "--recording"])
        .arg(&recording)
        .args(["--to-kinesis", "untouched", "--endpoint-url", moto::url()]));
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("bad.jsonl:7:"), "{stderr}");
    assert!(
        stderr.contains("nothing was put into untouched"),
        "{stderr}"
    );
    let stream = streams(&["kinesis-read", "untouched"]);
    let put: usize = stream
        .as_object()
        .unwrap()
        .values()
        .map(|records| records.as_array().unwrap().len())
        .sum();
    assert_eq!(put, 0, "not even the records before the bad line");
}

#[test]
fn a_dynamodb_tables_stream_is_recorded_with_keys_and_changes() {
    let made = streams(&["dynamodb-changes", "orders"]);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("orders.jsonl.gz");
    moto::record("--table", "orders", &out);
    let records: Vec<_> = RecordingReader::open(&out)
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let changes: Vec<(String, Value)> = records
        .iter()
        .map(|r| {
            (
                r.origin.event_name.clone().unwrap(),
                r.origin.item_keys.clone().unwrap()["pk"].clone(),
            )
        })
        .collect();
    let expected: Vec<(String, Value)> = made
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["event_name"].as_str().unwrap().to_owned(),
                m["pk"].clone(),
            )
        })
        .collect();
    assert_eq!(changes, expected);
    // Each record's data is its stream record, in DynamoDB JSON, as a
    // Lambda event's `dynamodb` object has it.
    let modified: Value = serde_json::from_slice(&records[5].data).unwrap();
    assert_eq!(
        modified["NewImage"],
        serde_json::json!({"pk": {"S": "k1"}, "n": {"N": "100"}, "tags": {"SS": ["a", "b"]}})
    );
    assert_eq!(modified["Keys"], serde_json::json!({"pk": {"S": "k1"}}));
    assert_eq!(modified["SequenceNumber"], records[5].origin.sequence);
    let removed: Value = serde_json::from_slice(&records[6].data).unwrap();
    assert_eq!(removed["OldImage"]["pk"], serde_json::json!({"S": "k2"}));
    for record in &records {
        let data: Value = serde_json::from_slice(&record.data).unwrap();
        let created = data["ApproximateCreationDateTime"].as_f64().unwrap();
        assert_eq!(record.origin.arrival_ms, (created * 1000.0).round() as i64);
    }

    // Replayed, the recording gives the changes Lambda would.
    let changes = replayed(&dir, &out, "payload = \"change\"\ncollapse = false");
    let summary: Vec<(String, Value)> = changes
        .iter()
        .map(|c| {
            (
                c["eventName"].as_str().unwrap().to_owned(),
                c["keys"]["pk"].clone(),
            )
        })
        .collect();
    assert_eq!(summary, expected);
    assert_eq!(
        changes[5]["newImage"],
        serde_json::json!({"n": 100, "pk": "k1", "tags": ["a", "b"]})
    );
    assert_eq!(changes[5]["oldImage"]["n"], 1);
    assert_eq!(changes[6]["oldImage"]["pk"], "k2");
    assert_eq!(changes[6]["newImage"], Value::Null);
    let items = replayed(&dir, &out, "collapse = false");
    assert_eq!(
        items[5],
        serde_json::json!({"n": 100, "pk": "k1", "tags": ["a", "b"]})
    );
    assert_eq!(items[6]["pk"], "k2", "a REMOVE gives the item as it was");
}

/// Replays a DynamoDB recording through a pipeline whose `[source]` has
/// `settings`; gives what its jsonl sink wrote.
fn replayed(dir: &tempfile::TempDir, recording: &std::path::Path, settings: &str) -> Vec<Value> {
    let sink = dir.path().join("replayed.jsonl");
    let _ = std::fs::remove_file(&sink);
    let pipeline = dir.path().join("pipeline.toml");
    std::fs::write(
        &pipeline,
        format!(
            "[pipeline]\nname = \"orders\"\n[source]\ntype = \"dynamodb_streams\"\n{settings}\n\
             [sinks.out]\ntype = \"jsonl\"\npath = \"{}\"\n",
            sink.display()
        ),
    )
    .unwrap();
    let (output, _, stderr) = run(crate::support::tributary()
        .arg("replay")
        .arg(&pipeline)
        .arg("--recording")
        .arg(recording));
    assert!(output.status.success(), "{stderr}");
    std::fs::read_to_string(&sink)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// `tributary` with no AWS configuration at all: no keys, no region, no
/// profile files, and no instance metadata lookup (which would leave
/// 127.0.0.1).
fn tributary_without_aws() -> std::process::Command {
    let mut command = crate::support::tributary();
    for name in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_PROFILE",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ] {
        command.env_remove(name);
    }
    command
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null");
    command
}

#[test]
fn record_without_a_region_or_credentials_says_what_to_set_and_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("recorded.jsonl");
    let record = |command: &mut std::process::Command| {
        run(command
            .args(["record", "--stream", "orders", "--until-caught-up", "--out"])
            .arg(&out))
    };

    let (output, _, stderr) = record(&mut tributary_without_aws());
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("no AWS region is set"), "{stderr}");
    assert!(stderr.contains("--region REGION"), "{stderr}");
    assert!(
        !out.exists(),
        "nothing is created before AWS can be reached"
    );

    let (output, _, stderr) = record(tributary_without_aws().env("AWS_REGION", "eu-west-1"));
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("no AWS credentials were found"), "{stderr}");
    assert!(
        stderr.contains("AWS_ACCESS_KEY_ID"),
        "how to give them: {stderr}"
    );
    assert!(!stderr.contains("DispatchFailure"), "no SDK dump: {stderr}");
    assert!(
        !out.exists(),
        "nothing is created before AWS can be reached"
    );
}

#[test]
fn a_refused_connection_is_one_plain_line_and_leaves_no_empty_recording() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("recorded.jsonl");
    let (output, _, stderr) = run(moto::tributary()
        .args(["record", "--stream", "orders", "--until-caught-up"])
        .args(["--endpoint-url", &url, "--out"])
        .arg(&out));
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("describing stream `orders`"), "{stderr}");
    assert!(stderr.contains("Connection refused"), "{stderr}");
    assert!(!stderr.contains("ConnectorError"), "no SDK dump: {stderr}");
    assert!(
        !out.exists(),
        "a run that recorded nothing leaves no empty file to replay"
    );
}
