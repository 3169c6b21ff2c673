//! KPL-aggregated records, made by AWS's own aggregation library (PyPI
//! `aws-kinesis-agg`, run by tests/fixtures/kpl/aggregated_event.py), split
//! back into their user records.

use std::process::Command;

use serde_json::Value;
use tributary::Plan;
use tributary::connectors::sources::EventDecoder;

use crate::support::processors::registry;
use crate::support::root;

/// The event the script makes, and the user records it holds.
pub fn aggregated_event() -> (String, Vec<Value>) {
    let output = Command::new("python3")
        .arg(root().join("tests/fixtures/kpl/aggregated_event.py"))
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "the KPL fixture script failed (install its library with `pip install aws-kinesis-agg`):\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut made: Value = serde_json::from_slice(&output.stdout).unwrap();
    let expected = made["expected"].as_array().unwrap().clone();
    (made["event"].take().to_string(), expected)
}

#[test]
fn aggregated_records_split_into_their_user_records() {
    let (event, expected) = aggregated_event();
    let plan = Plan::parse(
        "kpl.toml",
        "[pipeline]\nname = \"kpl\"\n[source]\ntype = \"kinesis\"\n[sinks.out]\ntype = \"jsonl\"\npath = \"/dev/null\"\n",
        &registry(),
    )
    .unwrap();
    let decoded = EventDecoder::new().decode(plan.source(), &event).unwrap();
    assert_eq!(decoded.records.len(), expected.len());
    assert_eq!(expected.len(), 5 + 1 + 1 + 200 + 1);
    for (record, expected) in decoded.records.iter().zip(&expected) {
        let data = base64::Engine::decode(
            &base64::engine::general_purpose::STANDARD,
            expected["data"].as_str().unwrap(),
        )
        .unwrap();
        assert_eq!(
            record.origin.sequence,
            expected["sequence"].as_str().unwrap()
        );
        assert_eq!(
            record.origin.sub_sequence,
            expected["sub_sequence"].as_u64()
        );
        assert_eq!(
            record.origin.partition_key.as_deref(),
            expected["partition_key"].as_str()
        );
        assert_eq!(&record.data[..], &data[..], "{}", record.origin);
        assert_eq!(&*record.origin.shard, "shardId-000000000003");
    }
}
