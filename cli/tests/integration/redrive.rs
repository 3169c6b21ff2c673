//! `tributary redrive` against moto in server mode: dead letters in S3 (as
//! an `s3` sink writes them) back into a recording that `replay` delivers;
//! Lambda's on-failure records (SQS messages whose ranges are read again
//! from Kinesis or DynamoDB Streams, S3 objects with the invocation event);
//! and what it does with inputs it cannot read.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde_json::{Value, json};
use tributary::connectors::recording::{Header, RecordingReader, encode_record};
use tributary::core::{Origin, SourceKind};

use crate::support::moto::{self, failures, streams};
use crate::support::{root, run, summary_counts};

/// 2026-11-28T10:00:00Z, in milliseconds.
const NOV_28_10H: i64 = 1_795_860_000_000;
const HOUR_MS: i64 = 3_600_000;
const CLICKS: &str = "arn:aws:kinesis:us-east-1:123456789012:stream/clicks";

fn fixture(name: &str) -> PathBuf {
    root().join("cli/tests/fixtures/on-failure").join(name)
}

fn fixture_json(name: &str) -> Value {
    serde_json::from_slice(&std::fs::read(fixture(name)).unwrap()).unwrap()
}

/// The records of a recording: (shard, sequence, data).
fn records_of(path: &Path) -> Vec<(String, String, Vec<u8>)> {
    RecordingReader::open(path)
        .unwrap()
        .map(|record| {
            let record = record.unwrap();
            (
                record.origin.shard.to_string(),
                record.origin.sequence,
                record.data.to_vec(),
            )
        })
        .collect()
}

/// One dead letter: where it came from, its bytes, and the stage that failed it.
struct Letter {
    shard: &'static str,
    sequence: &'static str,
    arrival_ms: i64,
    data: &'static [u8],
    stage: &'static str,
}

/// A dead-letter object as an `s3` sink writes it: a recording header, then
/// a line a letter, each with its `error`.
fn dead_letter_object(letters: &[Letter]) -> Vec<u8> {
    let mut object = serde_json::to_vec(&Header::new(SourceKind::Kinesis, CLICKS)).unwrap();
    object.push(b'\n');
    for letter in letters {
        let mut origin = Origin::new(SourceKind::Kinesis, CLICKS, letter.shard, letter.sequence);
        origin.partition_key = Some("u-1".to_owned());
        origin.arrival_ms = letter.arrival_ms;
        let error = json!({"stage": letter.stage, "message": "refused"});
        encode_record(&mut object, &origin, letter.data, Some(error));
        object.push(b'\n');
    }
    object
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

fn put_object(dir: &Path, bucket: &str, key: &str, bytes: &[u8]) {
    let file = dir.join("object");
    std::fs::write(&file, bytes).unwrap();
    failures(&["s3-put", bucket, key, file.to_str().unwrap()]);
}

#[test]
fn dead_letters_in_s3_are_redriven_filtered_in_order_once_and_a_replay_delivers_them_all() {
    let dir = tempfile::tempdir().unwrap();
    let on_28th = NOV_28_10H;
    let on_29th = NOV_28_10H + 24 * HOUR_MS;
    let shard_0 = [
        Letter {
            shard: "shardId-000000000000",
            sequence: "100",
            arrival_ms: on_28th,
            data: br#"{"page":"/"}"#,
            stage: "search",
        },
        Letter {
            shard: "shardId-000000000000",
            sequence: "101",
            arrival_ms: on_28th,
            data: b"\xde\xad\xbe\xef",
            stage: "search",
        },
        Letter {
            shard: "shardId-000000000000",
            sequence: "102",
            arrival_ms: on_28th,
            data: b"{}",
            stage: "source",
        },
    ];
    let shard_1 = [
        Letter {
            shard: "shardId-000000000001",
            sequence: "10",
            arrival_ms: on_28th + HOUR_MS,
            data: b"{\"page\": \"/cart\"}\n",
            stage: "route",
        },
        Letter {
            shard: "shardId-000000000001",
            sequence: "9",
            arrival_ms: on_28th,
            data: b"plain text",
            stage: "search",
        },
        Letter {
            shard: "shardId-000000000001",
            sequence: "11",
            arrival_ms: on_29th,
            data: b"{}",
            stage: "search",
        },
    ];
    // The invocation that wrote shard 0's letters was retried, and wrote
    // one of them again in an object of its own.
    let retried = [Letter {
        shard: "shardId-000000000000",
        sequence: "101",
        arrival_ms: on_28th,
        data: b"\xde\xad\xbe\xef",
        stage: "search",
    }];
    let prefix = "dead/clicks/2026/11/28";
    put_object(
        dir.path(),
        "dead-letters",
        &format!("{prefix}/10/shardId-000000000000-100.jsonl.gz"),
        &gzip(&dead_letter_object(&shard_0)),
    );
    put_object(
        dir.path(),
        "dead-letters",
        &format!("{prefix}/11/shardId-000000000001-9"),
        &dead_letter_object(&shard_1),
    );
    put_object(
        dir.path(),
        "dead-letters",
        &format!("{prefix}/12/shardId-000000000000-101.jsonl"),
        &dead_letter_object(&retried),
    );
    put_object(
        dir.path(),
        "dead-letters",
        "elsewhere/other.jsonl",
        b"not under the prefix",
    );

    let out = dir.path().join("redriven.jsonl");
    let (output, _, stderr) = run(moto::tributary()
        .args([
            "redrive",
            "s3://dead-letters/dead/clicks/",
            "--stage",
            "search",
            "--stage",
            "route",
        ])
        .args([
            "--since",
            "2026-11-28",
            "--until",
            "2026-11-28",
            "--endpoint-url",
            moto::url(),
        ])
        .arg("--output")
        .arg(&out));
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "redrive: 4 record(s) into {} from 3 objects (dead letters by stage: route 1, search 3); \
             1 skipped by --stage, 1 skipped by --since/--until, 1 duplicate(s) dropped",
            out.display()
        )),
        "{stderr}"
    );

    // Exactly the letters asked for, in stream order per shard (9 before
    // 10), each once, with their original bytes and no `error`.
    let expected: Vec<(String, String, Vec<u8>)> =
        [&shard_0[0], &shard_0[1], &shard_1[1], &shard_1[0]]
            .iter()
            .map(|l| (l.shard.to_owned(), l.sequence.to_owned(), l.data.to_vec()))
            .collect();
    assert_eq!(records_of(&out), expected);
    let reader = RecordingReader::open(&out).unwrap();
    assert_eq!(
        (reader.header().source, reader.header().stream.as_str()),
        (SourceKind::Kinesis, CLICKS)
    );
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(!text.contains("\"error\""), "{text}");

    // The fixed pipeline delivers every one of them.
    let pipeline = dir.path().join("fixed.toml");
    let delivered = dir.path().join("delivered.jsonl");
    std::fs::write(
        &pipeline,
        format!(
            "[pipeline]\nname = \"fixed\"\n[source]\ntype = \"kinesis\"\ncodec = \"bytes\"\n\
             [sinks.out]\ntype = \"jsonl\"\npath = \"{}\"\n",
            delivered.display()
        ),
    )
    .unwrap();
    let (output, _, stderr) = run(crate::support::tributary()
        .arg("replay")
        .arg(&pipeline)
        .arg("--recording")
        .arg(&out)
        .arg("--no-progress"));
    assert!(output.status.success(), "{stderr}");
    let summary = summary_counts(&stderr);
    assert_eq!(
        (
            summary["records in"],
            summary["delivered"],
            summary["failed"],
            summary["dead-lettered"]
        ),
        (4, 4, 0, 0),
        "{stderr}"
    );
    let mut got: Vec<Vec<u8>> = std::fs::read_to_string(&delivered)
        .unwrap()
        .lines()
        .map(|line| {
            let encoded: String = serde_json::from_str(line).unwrap();
            base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .unwrap()
        })
        .collect();
    let mut want: Vec<Vec<u8>> = expected.into_iter().map(|(_, _, data)| data).collect();
    got.sort();
    want.sort();
    assert_eq!(got, want, "the original bytes, delivered");
}

/// The body of an on-failure message naming records `first..=last` of `put`
/// (records as streams.py's kinesis-put prints them), in the shape of the
/// SQS fixture.
fn kinesis_body(put: &[Value], stream: &str, first: usize, last: usize) -> Value {
    let mut body = fixture_json("kinesis-sqs-body.json");
    let info = &mut body["KinesisBatchInfo"];
    info["shardId"] = put[first]["shard"].clone();
    info["startSequenceNumber"] = put[first]["sequence"].clone();
    info["endSequenceNumber"] = put[last]["sequence"].clone();
    info["batchSize"] = json!(last - first + 1);
    info["streamArn"] = json!(format!(
        "arn:aws:kinesis:us-east-1:123456789012:stream/{stream}"
    ));
    body
}

#[test]
fn sqs_on_failure_messages_reread_exactly_their_ranges_from_kinesis_and_are_deleted_only_when_asked()
 {
    let put = streams(&["kinesis-put", "failing-clicks", "1", "12"]);
    let put = put.as_array().unwrap();
    let plain = kinesis_body(put, "failing-clicks", 3, 5);
    let mut sns = fixture_json("kinesis-sns-envelope.json");
    sns["Message"] = json!(kinesis_body(put, "failing-clicks", 7, 8).to_string());
    let queue = "clicks-failures";
    failures(&[
        "sqs-send",
        queue,
        &plain.to_string(),
        &sns.to_string(),
        "hello, not a record",
    ]);

    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("redriven.jsonl");
    let redrive = |extra: &[&str]| {
        run(moto::tributary()
            .args([
                "redrive",
                &format!("sqs://{queue}"),
                "--endpoint-url",
                moto::url(),
            ])
            .args(extra)
            .arg("--output")
            .arg(&out))
    };
    let (output, _, stderr) = redrive(&[]);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("redrive: 5 record(s) into"), "{stderr}");
    assert!(stderr.contains("from 3 messages"), "{stderr}");
    assert!(
        stderr.contains(": body 1:1: not an on-failure record"),
        "{stderr}"
    );
    assert!(stderr.contains("error: 1 problem(s)"), "{stderr}");

    // Exactly the two ranges, sequence numbers and bytes as Kinesis has them.
    let expected: Vec<(String, String, Vec<u8>)> = [3, 4, 5, 7, 8]
        .iter()
        .map(|&i| {
            let text = |k: &str| put[i][k].as_str().unwrap().to_owned();
            let data = base64::engine::general_purpose::STANDARD
                .decode(text("data"))
                .unwrap();
            (text("shard"), text("sequence"), data)
        })
        .collect();
    assert_eq!(records_of(&out), expected);

    // Nothing deleted, and every message visible again.
    let count = failures(&["sqs-count", queue]);
    assert_eq!(
        (count["visible"].as_u64(), count["hidden"].as_u64()),
        (Some(3), Some(0)),
        "{count}"
    );

    // With --delete-messages: the two redriven whole are deleted, the one
    // that is not a record stays.
    let (output, _, stderr) = redrive(&["--delete-messages"]);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("redrive: deleted 2 message(s) from"),
        "{stderr}"
    );
    assert_eq!(records_of(&out), expected);
    let count = failures(&["sqs-count", queue]);
    assert_eq!(
        (count["visible"].as_u64(), count["hidden"].as_u64()),
        (Some(1), Some(0)),
        "{count}"
    );
}

#[test]
fn an_s3_on_failure_object_gives_the_records_of_its_payload() {
    let dir = tempfile::tempdir().unwrap();
    let key = "aws/lambda/3f2b8c1e-5d7a-4e9b-8c1d-2e4f6a8b0c1d/shardId-000000000002/2026/11/28/\
               2026-11-28T10.15.02-7a9c1e3f-5b7d-4f1a-9c3e-5a7c9e1b3d5f";
    let object = std::fs::read(fixture("kinesis-s3-object.json")).unwrap();
    put_object(dir.path(), "lambda-failures", key, &object);
    let out = dir.path().join("redriven.jsonl");
    let (output, _, stderr) = run(moto::tributary()
        .args([
            "redrive",
            "s3://lambda-failures/aws/lambda/",
            "--endpoint-url",
            moto::url(),
        ])
        .arg("--output")
        .arg(&out));
    assert!(output.status.success(), "{stderr}");

    let payload: Value = serde_json::from_str(
        fixture_json("kinesis-s3-object.json")["payload"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let expected: Vec<(String, String, Vec<u8>)> = payload["Records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|record| {
            let kinesis = &record["kinesis"];
            let data = kinesis["data"].as_str().unwrap();
            (
                "shardId-000000000002".to_owned(),
                kinesis["sequenceNumber"].as_str().unwrap().to_owned(),
                base64::engine::general_purpose::STANDARD
                    .decode(data)
                    .unwrap(),
            )
        })
        .collect();
    assert_eq!(expected.len(), 3);
    assert_eq!(records_of(&out), expected);
}

#[test]
fn a_dynamodb_on_failure_message_rereads_its_range_as_record_would_have_recorded_it() {
    streams(&["dynamodb-changes", "failing-orders"]);
    let stream = failures(&["dynamodb-stream", "failing-orders"]);
    let records = stream["records"].as_array().unwrap();
    assert_eq!(records.len(), 7, "{stream}");

    // The reference: the whole stream, as `tributary record` writes it.
    let dir = tempfile::tempdir().unwrap();
    let recorded = dir.path().join("recorded.jsonl");
    moto::record("--table", "failing-orders", &recorded);

    // A message captured from an SNS subscription, in a local folder.
    let mut body = fixture_json("dynamodb-sqs-body.json");
    let info = &mut body["DDBStreamBatchInfo"];
    info["shardId"] = stream["shard"].clone();
    info["streamArn"] = stream["arn"].clone();
    info["startSequenceNumber"] = records[2]["sequence"].clone();
    info["endSequenceNumber"] = records[5]["sequence"].clone();
    info["batchSize"] = json!(4);
    let captured = dir.path().join("captured");
    std::fs::create_dir(&captured).unwrap();
    std::fs::write(captured.join("message.json"), body.to_string()).unwrap();

    let out = dir.path().join("redriven.jsonl");
    let (output, _, stderr) = run(moto::tributary()
        .args(["redrive", "--from-file"])
        .arg(&captured)
        .args(["--endpoint-url", moto::url(), "--output"])
        .arg(&out));
    assert!(output.status.success(), "{stderr}");
    let lines = |path: &Path| -> Vec<String> {
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .skip(1)
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(
        lines(&out),
        lines(&recorded)[2..=5],
        "the same lines, byte for byte"
    );
    let events: Vec<&str> = records[2..=5]
        .iter()
        .map(|r| r["event_name"].as_str().unwrap())
        .collect();
    assert!(
        events.contains(&"MODIFY") && events.contains(&"INSERT"),
        "{events:?}"
    );
}

#[test]
fn inputs_that_cannot_be_read_are_named_and_counted_and_the_rest_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let object = std::fs::read(fixture("kinesis-s3-object.json")).unwrap();
    put_object(dir.path(), "mixed-failures", "aws/lambda/x/good", &object);
    put_object(
        dir.path(),
        "mixed-failures",
        "aws/lambda/x/junk.txt",
        b"hello",
    );
    let out = dir.path().join("redriven.jsonl");
    let (output, _, stderr) = run(moto::tributary()
        .args([
            "redrive",
            "s3://mixed-failures/aws/",
            "s3://no-such-bucket/dead/",
        ])
        .args(["--endpoint-url", moto::url(), "--output"])
        .arg(&out));
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        stderr.contains(
            "error: s3://mixed-failures/aws/lambda/x/junk.txt:1:1: not an on-failure record"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("error: s3://no-such-bucket/dead/: cannot list the objects"),
        "{stderr}"
    );
    assert!(stderr.contains("error: 2 problem(s)"), "{stderr}");
    assert_eq!(
        records_of(&out).len(),
        3,
        "the good object's records: {stderr}"
    );
}

#[test]
fn records_of_two_streams_are_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("redriven.jsonl");
    let (output, _, stderr) = run(crate::support::tributary()
        .arg("redrive")
        .arg(fixture("kinesis-s3-object.json"))
        .arg(fixture("dynamodb-s3-object.json"))
        .arg("--output")
        .arg(&out));
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("the records come from two streams: kinesis arn:aws:kinesis:eu-west-1:"),
        "{stderr}"
    );
    assert!(
        stderr.contains("and dynamodb_streams arn:aws:dynamodb:eu-west-1:"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was written"), "{stderr}");
    assert!(!out.exists());
}
