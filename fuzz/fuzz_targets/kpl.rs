//! KPL de-aggregation: any Kinesis record data must split into user records
//! or pass through whole, never panic; and on the seeds, tributary must split
//! exactly as AWS's own library (PyPI `aws-kinesis-agg`) does.
//!
//! The input is one record's data. It is decoded in a Kinesis event as it
//! is, and, when it starts with the KPL magic bytes, once more with its MD5
//! trailer made right, so that mutations reach the protobuf reader instead
//! of failing the digest. Each time: either one record, the data whole,
//! with no sub-sequence number; or user records numbered 0, 1, ... in
//! order, whose data together is no longer than the input.
//!
//! The differential check: fuzz/kpl_expected.py wrote the seeds in
//! fuzz/seeds/kpl and, in fuzz/kpl_expected.jsonl, what aws-kinesis-agg's
//! deaggregator gives for each. Every run checks all of them first, and any
//! input equal to one of them again. (Where the library gives no record or
//! stops part way, tributary passes the record through whole, as the KCL
//! does: those seeds are fuzzed but not compared.)
//!
//! cargo +nightly fuzz run --sanitizer none kpl /tmp/corpus/kpl fuzz/seeds/kpl -- -timeout=10

#![no_main]

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use libfuzzer_sys::fuzz_target;
use md5::{Digest as _, Md5};
use serde_json::{Value, json};
use tributary::connectors::sources::EventDecoder;
use tributary::core::SourceKind;

const MAGIC: [u8; 4] = [0xF3, 0x89, 0x9A, 0xC2];
const DIGEST_LEN: usize = 16;
const OUTER_KEY: &str = "outer";

/// What a record's data decodes to: each record's partition key and data.
type Users = Vec<(String, Vec<u8>)>;

/// aws-kinesis-agg's answers, by the record data: `None` for "whole".
fn expected() -> &'static HashMap<Vec<u8>, Option<Users>> {
    static EXPECTED: OnceLock<HashMap<Vec<u8>, Option<Users>>> = OnceLock::new();
    EXPECTED.get_or_init(|| {
        let decode = |value: &Value| {
            STANDARD
                .decode(value.as_str().expect("base64 text"))
                .expect("base64")
        };
        include_str!("../kpl_expected.jsonl")
            .lines()
            .map(|line| serde_json::from_str::<Value>(line).expect("a JSON line"))
            .filter_map(|line| {
                let users = match line["outcome"].as_str() {
                    Some("whole") => None,
                    Some("split") => Some(
                        line["records"]
                            .as_array()
                            .expect("records")
                            .iter()
                            .map(|r| {
                                (
                                    r["partition_key"].as_str().expect("a key").to_owned(),
                                    decode(&r["data"]),
                                )
                            })
                            .collect(),
                    ),
                    _ => return None,
                };
                Some((decode(&line["data"]), users))
            })
            .collect()
    })
}

fn decoder() -> &'static Mutex<EventDecoder> {
    static DECODER: OnceLock<Mutex<EventDecoder>> = OnceLock::new();
    DECODER.get_or_init(|| {
        // The differential check, once a run, before any fuzzing.
        let mut decoder = EventDecoder::new();
        assert!(
            !expected().is_empty(),
            "fuzz/kpl_expected.jsonl has answers"
        );
        for (data, users) in expected() {
            let got = deaggregate(&mut decoder, data);
            let want = users
                .clone()
                .unwrap_or_else(|| vec![(OUTER_KEY.to_owned(), data.clone())]);
            assert_eq!(
                got,
                want,
                "tributary and aws-kinesis-agg disagree on {}",
                STANDARD.encode(data)
            );
        }
        Mutex::new(decoder)
    })
}

/// The user records of `data`, from a Kinesis event, checked for shape.
fn deaggregate(decoder: &mut EventDecoder, data: &[u8]) -> Users {
    let event = json!({"Records": [{
        "kinesis": {"kinesisSchemaVersion": "1.0", "partitionKey": OUTER_KEY, "sequenceNumber": "1",
                    "data": STANDARD.encode(data), "approximateArrivalTimestamp": 1700000000.5},
        "eventSource": "aws:kinesis", "eventID": "shardId-0:1",
        "eventSourceARN": "arn:aws:kinesis:us-east-1:123456789012:stream/fuzz",
    }]})
    .to_string();
    let decoded = decoder
        .decode_as_recorded(SourceKind::Kinesis, &event)
        .expect("a well-formed event decodes");
    let records = decoded.records;
    assert!(!records.is_empty(), "a record gives at least one record");
    assert!(
        records.iter().all(|r| r.error.is_none()),
        "data alone never fails a Kinesis record"
    );
    let whole = records.len() == 1 && records[0].origin.sub_sequence.is_none();
    if whole {
        assert_eq!(
            &records[0].data[..],
            data,
            "a record passed through is whole"
        );
    } else {
        for (index, record) in records.iter().enumerate() {
            assert_eq!(
                record.origin.sub_sequence,
                Some(index as u64),
                "user records are numbered in order"
            );
        }
        let total: usize = records.iter().map(|r| r.data.len()).sum();
        assert!(
            total <= data.len(),
            "user records hold no more than the aggregate"
        );
    }
    records
        .iter()
        .map(|r| {
            (
                r.origin
                    .partition_key
                    .clone()
                    .expect("a Kinesis record has a key"),
                r.data.to_vec(),
            )
        })
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let mut decoder = decoder().lock().unwrap();
    let got = deaggregate(&mut decoder, data);
    if let Some(users) = expected().get(data) {
        let want = users
            .clone()
            .unwrap_or_else(|| vec![(OUTER_KEY.to_owned(), data.to_vec())]);
        assert_eq!(got, want, "tributary and aws-kinesis-agg disagree");
    }
    if data.len() >= MAGIC.len() + DIGEST_LEN && data[..MAGIC.len()] == MAGIC {
        let body = &data[MAGIC.len()..data.len() - DIGEST_LEN];
        let mut fixed = data[..data.len() - DIGEST_LEN].to_vec();
        fixed.extend_from_slice(&Md5::digest(body));
        deaggregate(&mut decoder, &fixed);
    }
});
