//! `tributary replay`: the bundled examples (the README's command), bad
//! recording lines, and dead letters replayed after a fix.

use std::collections::HashMap;
use std::path::PathBuf;

use base64::Engine as _;
use serde_json::{Value, json};

use crate::support::events::{STREAM, dynamodb_entry, kinesis_event_of};
use crate::support::handler::{Harness, pipeline_toml};
use crate::support::{root, run, summary_counts, tributary};

const PIPELINE: &str = "examples/clickstream/pipeline.toml";
const RECORDING: &str = "examples/clickstream/recording.jsonl";

#[test]
fn the_clickstream_example_delivers_every_valid_event_and_dead_letters_the_rest() {
    let out = tempfile::tempdir().unwrap();
    let (output, stdout, stderr) = run(tributary()
        .args(["replay", PIPELINE, "--recording", RECORDING])
        .env("TRIBUTARY_OUT", out.path()));
    assert!(output.status.success(), "{stdout}{stderr}");

    // The summary accounts for every record.
    let summary = summary_counts(&stderr);
    assert_eq!(summary["records in"], 10_000, "{stderr}");
    assert_eq!(summary["delivered"], 9_990, "{stderr}");
    assert_eq!(summary["dead-lettered"], 10, "{stderr}");
    assert_eq!(summary["dropped"], 0, "{stderr}");
    assert_eq!(summary["failed"], 0, "{stderr}");
    assert!(stderr.contains("from 4 shard(s)"), "{stderr}");
    assert!(stderr.contains("records/s"), "{stderr}");

    // The output holds exactly the expected events ...
    let events = std::fs::read_to_string(out.path().join("events.jsonl")).unwrap();
    let expected =
        std::fs::read_to_string(root().join("examples/clickstream/expected.jsonl")).unwrap();
    let mut got: Vec<&str> = events.lines().collect();
    let mut want: Vec<&str> = expected.lines().collect();
    got.sort_unstable();
    want.sort_unstable();
    assert_eq!(got.len(), want.len());
    assert!(got == want, "events.jsonl differs from expected.jsonl");

    // ... and each user's events (one partition key, so one shard) stay in order.
    let per_user = |text: &str| {
        let mut by_user: HashMap<String, Vec<String>> = HashMap::new();
        for line in text.lines() {
            let event: Value = serde_json::from_str(line).unwrap();
            by_user
                .entry(event["user_id"].as_str().unwrap().to_owned())
                .or_default()
                .push(event["event_id"].as_str().unwrap().to_owned());
        }
        by_user
    };
    assert_eq!(per_user(&events), per_user(&expected));

    // Dead letters keep the original bytes, the origin and the reason.
    let rejected = std::fs::read_to_string(out.path().join("rejected.jsonl")).unwrap();
    let recording = std::fs::read_to_string(root().join(RECORDING)).unwrap();
    let originals: HashMap<String, Value> = recording
        .lines()
        .skip(1)
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .map(|record| (record["sequence"].as_str().unwrap().to_owned(), record))
        .collect();
    assert_eq!(rejected.lines().count(), 10);
    for line in rejected.lines() {
        let letter: Value = serde_json::from_str(line).unwrap();
        let original = &originals[letter["sequence"].as_str().unwrap()];
        assert_eq!(letter["data_base64"], original["data_base64"]);
        assert_eq!(letter["shard"], original["shard"]);
        assert_eq!(letter["partition_key"], original["partition_key"]);
        assert_eq!(letter["error"]["stage"], "source");
        let message = letter["error"]["message"].as_str().unwrap();
        assert!(
            message.starts_with("payload is not valid JSON"),
            "{message}"
        );
        let data = base64::engine::general_purpose::STANDARD
            .decode(letter["data_base64"].as_str().unwrap())
            .unwrap();
        assert!(serde_json::from_slice::<Value>(&data).is_err());
    }
}

#[test]
fn bad_recording_lines_fail_as_records_and_the_replay_goes_on_to_its_summary() {
    let dir = tempfile::tempdir().unwrap();
    let recording = dir.path().join("broken.jsonl");
    let good: Vec<&str> = include_str!("../../../examples/clickstream/recording.jsonl")
        .lines()
        .take(11)
        .collect();
    let mut bytes: Vec<u8> = Vec::new();
    let mut line = |text: &[u8]| {
        bytes.extend_from_slice(text);
        bytes.push(b'\n');
    };
    for text in &good[..6] {
        line(text.as_bytes()); // lines 1 (the header) to 6
    }
    line(b"not json"); // 7
    line(br#"{"shard":"shardId-000000000000","sequence":"7","arival_ms":1,"data":{}}"#); // 8
    line(br#"{"shard":"shardId-000000000000","sequence":"8","arrival_ms":1,"data_base64":"!!"}"#); // 9
    line(b"{\"shard\":\"shardId-000000000001\",\"sequence\":\"9\",\"arrival_ms\":1,\"data\":\"\xff\"}"); // 10
    for text in &good[6..] {
        line(text.as_bytes()); // 11 to 15
    }
    bytes.extend_from_slice(br#"{"shard":"shardId-000000000001","sequence":"1"#); // 16, cut short
    std::fs::write(&recording, bytes).unwrap();

    let (output, stdout, stderr) = run(tributary()
        .args(["replay", PIPELINE, "--recording"])
        .arg(&recording)
        .env("TRIBUTARY_OUT", dir.path()));
    assert!(output.status.success(), "{stdout}{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    for bad in [7, 8, 9, 10, 16] {
        assert!(
            stderr.contains(&format!("broken.jsonl:{bad}:")),
            "line {bad}: {stderr}"
        );
    }
    assert!(
        stderr.contains(
            "broken.jsonl:10:71: the line is not UTF-8 text (an invalid byte at column 71)"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("broken.jsonl:16:45: the last line is cut short"),
        "{stderr}"
    );

    // Every line is accounted for: each bad one is a record that failed
    // under `on_error` (here, dead-lettered); the good ones after them are
    // delivered.
    let summary = summary_counts(&stderr);
    assert_eq!(summary["lines read"], 16, "{stderr}");
    assert_eq!(summary["unreadable"], 5, "{stderr}");
    assert_eq!(summary["records in"], 15, "{stderr}");
    assert_eq!(summary["delivered"], 10, "{stderr}");
    assert_eq!(summary["dead-lettered"], 5, "{stderr}");
    let delivered = std::fs::read_to_string(dir.path().join("events.jsonl")).unwrap();
    assert_eq!(delivered.lines().count(), 10);
    let rejected = std::fs::read_to_string(dir.path().join("rejected.jsonl")).unwrap();
    let letters: Vec<Value> = rejected
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let places: Vec<(String, String)> = letters
        .iter()
        .map(|letter| {
            let message = letter["error"]["message"].as_str().unwrap();
            let at = message.find("broken.jsonl:").unwrap();
            let place = message[at..].split(':').nth(1).unwrap().to_owned();
            (place, letter["sequence"].as_str().unwrap().to_owned())
        })
        .collect();
    let mut places = places;
    places.sort();
    assert_eq!(
        places,
        [
            ("10".to_owned(), "9".to_owned()),
            ("16".to_owned(), "line 16".to_owned()),
            ("7".to_owned(), "line 7".to_owned()),
            ("8".to_owned(), "7".to_owned()),
            ("9".to_owned(), "8".to_owned()),
        ]
    );
}

#[test]
fn a_gzip_recording_cut_short_is_replayed_as_far_as_it_reads_and_says_where_it_stopped() {
    use std::io::Write as _;
    let dir = tempfile::tempdir().unwrap();
    let recording = dir.path().join("cut.jsonl.gz");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&std::fs::read(root().join(RECORDING)).unwrap())
        .unwrap();
    let gz = gz.finish().unwrap();
    std::fs::write(&recording, &gz[..gz.len() / 2]).unwrap();

    let (output, stdout, stderr) = run(tributary()
        .args(["replay", PIPELINE, "--recording"])
        .arg(&recording)
        .env("TRIBUTARY_OUT", dir.path()));
    assert_eq!(output.status.code(), Some(2), "{stdout}{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    // The summary is printed, accounts for every line read, and says where
    // reading stopped.
    let summary = summary_counts(&stderr);
    let lines = summary["lines read"];
    assert!(lines > 1000 && lines < 10_000, "{stderr}");
    assert_eq!(summary["records in"], lines - 1, "{stderr}");
    assert_eq!(
        summary["delivered"] + summary["dead-lettered"],
        lines - 1,
        "{stderr}"
    );
    let stopped = format!(
        "cut.jsonl.gz:{}: cannot read the recording from this line on",
        lines + 1
    );
    let error = stderr.lines().last().unwrap();
    assert!(error.starts_with("error: "), "{stderr}");
    assert!(error.contains(&stopped), "{stderr}");
}

#[test]
fn the_purchases_example_keeps_exactly_the_large_purchases() {
    let out = tempfile::tempdir().unwrap();
    let (output, stdout, stderr) = run(tributary()
        .args([
            "replay",
            "examples/purchases/pipeline.toml",
            "--recording",
            RECORDING,
        ])
        .env("TRIBUTARY_OUT", out.path()));
    assert!(output.status.success(), "{stdout}{stderr}");

    // The same selection, computed independently from the parsed recording.
    let recording = std::fs::read_to_string(root().join(RECORDING)).unwrap();
    let expected: Vec<String> = recording
        .lines()
        .skip(1)
        .filter_map(|line| {
            serde_json::from_str::<Value>(line)
                .unwrap()
                .get("data")
                .cloned()
        })
        .filter(|event| {
            event["type"] == "purchase"
                && event["price"].as_f64().is_some_and(|price| price >= 100.0)
                && ["DE", "FR"].contains(&event["geo"]["country"].as_str().unwrap_or_default())
        })
        .map(|event| event["event_id"].as_str().unwrap().to_owned())
        .collect();
    let delivered = std::fs::read_to_string(out.path().join("purchases.jsonl")).unwrap();
    let mut got: Vec<String> = delivered
        .lines()
        .map(|line| {
            serde_json::from_str::<Value>(line).unwrap()["event_id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    let mut want = expected.clone();
    got.sort();
    want.sort();
    assert!(!want.is_empty());
    assert_eq!(got, want);

    // Every record is accounted for: the rest were dropped by the filter, and
    // the ten malformed ones were dead-lettered by the filter itself.
    let summary = summary_counts(&stderr);
    assert_eq!(summary["records in"], 10_000);
    assert_eq!(summary["delivered"], expected.len() as u64);
    assert_eq!(summary["dead-lettered"], 10, "{stderr}");
    assert_eq!(
        summary["dropped"],
        10_000 - 10 - expected.len() as u64,
        "{stderr}"
    );
    assert_eq!(summary["failed"], 0);
    let rejected = std::fs::read_to_string(out.path().join("rejected.jsonl")).unwrap();
    assert!(
        rejected
            .lines()
            .all(|l| l.contains(r#""stage":"large-purchases""#)),
        "{rejected}"
    );
}

/// A record a remap program fails on at run time goes to the dead-letter
/// file as it came, with VRL's message; the others meet their own fates.
#[test]
fn a_remap_runtime_error_is_dead_lettered_with_vrls_message() {
    let out = tempfile::tempdir().unwrap();
    let (output, stdout, stderr) = run(tributary()
        .args([
            "replay",
            "tests/pipelines/remap/dead-letter.toml",
            "--recording",
            "tests/pipelines/remap/fates.jsonl",
        ])
        .env("TRIBUTARY_OUT", out.path()));
    assert!(output.status.success(), "{stdout}{stderr}");
    let summary = summary_counts(&stderr);
    assert_eq!(
        (
            summary["records in"],
            summary["delivered"],
            summary["dropped"],
            summary["dead-lettered"],
            summary["failed"]
        ),
        (5, 2, 2, 1, 0),
        "{stderr}"
    );
    let delivered: Vec<Value> = std::fs::read_to_string(out.path().join("out.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        delivered,
        [
            json!({"op": "keep", "n": 7}),
            json!({"part": 1}),
            json!({"part": 2}),
            json!({"part": 3})
        ]
    );
    let rejected = std::fs::read_to_string(out.path().join("rejected.jsonl")).unwrap();
    let letters: Vec<Value> = rejected
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(letters.len(), 1, "{rejected}");
    assert_eq!(letters[0]["sequence"], "5");
    assert_eq!(letters[0]["data"], json!({"op": "keep", "n": "x"}));
    assert_eq!(letters[0]["error"]["stage"], "fates");
    let message = letters[0]["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("to_int") && message.contains("invalid digit"),
        "VRL's message: {message}"
    );
}

/// Dead letters of a Lambda invocation, as a recording: a header line, then
/// the letters as the dead-letter sink wrote them.
fn dead_letter_recording(
    dir: &std::path::Path,
    source: &str,
    stream: &str,
    letters: &[Value],
) -> PathBuf {
    let path = dir.join("letters.jsonl");
    let mut text =
        json!({"tributary_recording": 1, "source": source, "stream": stream}).to_string();
    for letter in letters {
        text.push('\n');
        text.push_str(&letter.to_string());
    }
    std::fs::write(&path, text + "\n").unwrap();
    path
}

/// Replays `recording` with `tributary replay` through a pipeline of
/// `source` that sends everything to `out` and dead-letters to `dlq`; gives
/// what each received, and the summary.
fn replay_through(
    dir: &std::path::Path,
    source: &str,
    recording: &std::path::Path,
) -> (Vec<String>, Vec<Value>, String) {
    let pipeline = dir.join("fixed.toml");
    std::fs::write(&pipeline, pipeline_toml(dir, DEAD_LETTER, source, &[])).unwrap();
    let (output, stdout, stderr) = run(tributary()
        .arg("replay")
        .arg(&pipeline)
        .arg("--recording")
        .arg(recording));
    assert!(output.status.success(), "{stdout}{stderr}");
    let read = |name: &str| -> Vec<String> {
        std::fs::read_to_string(dir.join(name))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    };
    let letters = read("dlq.jsonl")
        .iter()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    (read("out.jsonl"), letters, stderr)
}

const DEAD_LETTER: &str = "on_error = \"dead-letter\"\ndead_letter = \"dlq\"";

#[test]
fn a_dead_letter_of_each_source_replays_as_the_same_change() {
    let dynamodb_arn =
        "arn:aws:dynamodb:us-east-1:123456789012:table/orders/stream/2026-01-01T00:00:00.000";
    let key = |pk: &str| json!({"pk": {"S": pk}});
    let image = |pk: &str, v: &str| json!({"pk": {"S": pk}, "v": {"S": v}, "n": {"N": "12.50"}});
    let mut keys_only = dynamodb_entry("INSERT", "300", key("c"), None, None);
    keys_only["dynamodb"]["StreamViewType"] = json!("KEYS_ONLY");
    let mut unreadable = dynamodb_entry("MODIFY", "400", key("d"), None, None);
    unreadable["dynamodb"]["NewImage"] = json!({"pk": {"UNKNOWN": "d"}});
    let mut ttl = dynamodb_entry("REMOVE", "500", key("e"), None, Some(image("e", "FAIL")));
    ttl["userIdentity"] = json!({"type": "Service", "principalId": "dynamodb.amazonaws.com"});
    let dynamodb_event = json!({"Records": [
        dynamodb_entry("INSERT", "100", key("a"), Some(image("a", "ok")), None),
        dynamodb_entry("MODIFY", "200", key("b"), Some(image("b", "FAIL")), Some(image("b", "ok"))),
        keys_only,
        unreadable,
        ttl,
    ]})
    .to_string();
    let kinesis_event = kinesis_event_of(&[
        ("shardId-000000000001", r#"{"n":1}"#),
        ("shardId-000000000001", r#"{"n":2,"m":"FAIL"}"#),
        ("shardId-000000000002", "{\"pretty\": \"FAIL\",\n \"n\": 3}"),
    ]);
    let eventbridge_event = json!({
        "version": "0", "id": "e-1", "detail-type": "t", "source": "s", "account": "1",
        "time": "2026-01-01T00:00:01Z", "region": "us-east-1", "resources": [],
        "detail": {"m": "FAIL"},
    })
    .to_string();
    // (kind, source, stream, event, letters, of which delivered once fixed)
    let cases = [
        (
            "kinesis",
            "type = \"kinesis\"",
            STREAM,
            kinesis_event.as_str(),
            2,
            2,
        ),
        (
            "eventbridge",
            "type = \"eventbridge\"\nevent_bus = \"orders\"",
            "orders",
            eventbridge_event.as_str(),
            1,
            1,
        ),
        // The change without a new image and the unreadable one fail again.
        (
            "dynamodb_streams",
            "type = \"dynamodb_streams\"",
            dynamodb_arn,
            dynamodb_event.as_str(),
            4,
            2,
        ),
        // The letters of a pipeline that wanted items, replayed as whole
        // changes: only the unreadable one fails again.
        (
            "dynamodb_streams",
            "type = \"dynamodb_streams\"\npayload = \"change\"",
            dynamodb_arn,
            dynamodb_event.as_str(),
            4,
            3,
        ),
    ];
    for (kind, source, stream, event, letter_count, delivered) in cases {
        // In Lambda, records marked FAIL, and those that cannot be read, are
        // dead-lettered (by a pipeline that wants items).
        let lambda_source = source.replace("\npayload = \"change\"", "");
        let mut failing = Harness::new(DEAD_LETTER, &lambda_source, &["type = \"marked\""]);
        let _ = failing.invoke(event);
        let letters = failing.dead_letters();
        assert_eq!(letters.len(), letter_count, "{kind}: {letters:?}");

        // The fix is in: what Lambda makes of the same records now ...
        let mut fixed = Harness::new(DEAD_LETTER, source, &[]);
        let _ = fixed.invoke(&only_lettered(event, &letters));
        // ... is what replaying their letters makes of them.
        let dir = tempfile::tempdir().unwrap();
        let recording = dead_letter_recording(dir.path(), kind, stream, &letters);
        let (out, replay_letters, summary) = replay_through(dir.path(), source, &recording);
        assert_eq!(out, fixed.out(), "{kind} ({source}): {summary}");
        assert_eq!(out.len(), delivered, "{kind} ({source}): {out:?}");
        assert_eq!(replay_letters, fixed.dead_letters(), "{kind} ({source})");
        assert_eq!(
            out.len() + replay_letters.len(),
            letters.len(),
            "{kind}: every letter is delivered or fails again: {summary}"
        );
    }
}

/// The event with only the records that have a dead letter.
fn only_lettered(event: &str, letters: &[Value]) -> String {
    let mut event: Value = serde_json::from_str(event).unwrap();
    let lettered = |record: &Value| {
        let sequence = record
            .pointer("/kinesis/sequenceNumber")
            .or_else(|| record.pointer("/dynamodb/SequenceNumber"));
        letters.iter().any(|l| Some(&l["sequence"]) == sequence)
    };
    if let Some(records) = event.get_mut("Records").and_then(Value::as_array_mut) {
        records.retain(lettered);
    }
    event.to_string()
}
