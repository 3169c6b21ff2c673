//! `tributary replay` on the bundled clickstream example: the README's command.

use std::collections::HashMap;

use base64::Engine as _;
use serde_json::Value;

use crate::support::{root, run, tributary};

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
    let summary = counts(&stderr);
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
fn a_broken_recording_line_is_reported_with_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let recording = dir.path().join("broken.jsonl");
    let mut text: Vec<&str> = include_str!("../../examples/clickstream/recording.jsonl")
        .lines()
        .take(5)
        .collect();
    text.push("{\"shard\":\"a\",\"sequence\":\"1\"");
    std::fs::write(&recording, text.join("\n")).unwrap();
    let (output, _, stderr) = run(tributary()
        .args(["replay", PIPELINE, "--recording"])
        .arg(&recording)
        .env("TRIBUTARY_OUT", dir.path()));
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("broken.jsonl:6:"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// The `name   N` lines of the summary.
fn counts(summary: &str) -> HashMap<String, u64> {
    summary
        .lines()
        .filter_map(|line| {
            let line = line.trim();
            let split = line.find(|c: char| c.is_ascii_digit())?;
            let name = line[..split].trim().to_owned();
            let number = line[split..].split_whitespace().next()?.parse().ok()?;
            Some((name, number))
        })
        .collect()
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
    let summary = counts(&stderr);
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
