//! The aggregate processor on replayed recordings, checked against
//! examples/clickstream/aggregate_reference.py, an independent computation
//! of the same aggregates in plain Python.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::support::{generate_recording, root, run, tributary};

type Key = (String, String, String, String);

fn key(document: &Value) -> Key {
    let text = |v: &Value| v.as_str().map_or_else(|| v.to_string(), str::to_owned);
    (
        text(&document["shard"]),
        text(&document["window_start"]),
        text(&document["type"]),
        text(&document["geo.country"]),
    )
}

fn documents(text: &str) -> BTreeMap<Key, Value> {
    text.lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .map(|document| (key(&document), document))
        .collect()
}

/// Equal values; numbers by value, exactly (`167` is `167.0`).
fn same(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(a), Some(b)) => a == b,
        _ => a == b,
    }
}

/// Replays the aggregate example over `recording` with windows of
/// `window_secs`, runs the reference on it, and compares every document.
fn compare_with_reference(recording: &Path, window_secs: u32) -> usize {
    let out = tempfile::tempdir().unwrap();
    let (output, _, stderr) = run(tributary()
        .env("TRIBUTARY_OUT", out.path())
        .env("WINDOW_SECS", window_secs.to_string())
        .args([
            "replay",
            "examples/clickstream/aggregates.toml",
            "--recording",
        ])
        .arg(recording));
    assert!(output.status.success(), "{stderr}");
    let ours = documents(&std::fs::read_to_string(out.path().join("aggregates.jsonl")).unwrap());
    let reference = Command::new("python3")
        .arg(root().join("examples/clickstream/aggregate_reference.py"))
        .arg(recording)
        .arg(window_secs.to_string())
        .output()
        .unwrap();
    assert!(
        reference.status.success(),
        "{}",
        String::from_utf8_lossy(&reference.stderr)
    );
    let reference = documents(&String::from_utf8(reference.stdout).unwrap());
    assert_eq!(
        ours.keys().collect::<Vec<_>>(),
        reference.keys().collect::<Vec<_>>()
    );
    for (key, expected) in &reference {
        let actual = &ours[key];
        for exact in [
            "window_end",
            "records",
            "events",
            "revenue",
            "avg_price",
            "min_latency",
            "max_latency",
            "first_page",
            "last_page",
        ] {
            assert!(
                same(&actual[exact], &expected[exact]),
                "{exact} of {key:?}: {} vs {}",
                actual[exact],
                expected[exact]
            );
        }
        let (users, expected_users) = (
            actual["users"].as_f64().unwrap(),
            expected["users"].as_f64().unwrap(),
        );
        if expected_users <= 3000.0 {
            assert_eq!(users, expected_users, "users of {key:?}");
        } else {
            assert!(
                (users - expected_users).abs() / expected_users <= 0.02,
                "users of {key:?}"
            );
        }
        for p in ["p50", "p90", "p99"] {
            let (value, exact) = (
                actual["latency"][p].as_f64().unwrap(),
                expected["latency"][p].as_f64().unwrap(),
            );
            assert!(
                (value - exact).abs() <= exact.abs() * 0.01 + 1e-9,
                "{p} of {key:?}: {value} vs {exact}"
            );
        }
    }
    reference.len()
}

#[test]
fn the_clickstream_aggregates_equal_the_reference() {
    let documents =
        compare_with_reference(&root().join("examples/clickstream/recording.jsonl"), 10);
    assert!(documents > 1000, "{documents} documents");
}

#[test]
fn a_larger_recording_over_many_windows_and_shards_equals_the_reference() {
    let dir = tempfile::tempdir().unwrap();
    let recording = generate_recording(dir.path(), 100_000, 8, 11, &[]);
    let documents = compare_with_reference(&recording, 60);
    assert!(documents > 1000, "{documents} documents");
}
