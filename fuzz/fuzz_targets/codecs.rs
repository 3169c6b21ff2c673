//! Record codecs: any record bytes, through every codec (`json`, `text`,
//! `bytes`, `gzip-json`, `cloudwatch-logs`), must decode or fail with a
//! `DecodeError`, never panic, and what decodes must be right:
//! - `text` succeeds exactly on UTF-8, `bytes` always, giving back the bytes;
//! - `gzip-json` gives what flate2 decompresses (all members, as `gzip -d`);
//! - `cloudwatch-logs` gives one JSON object per log event, carrying the
//!   message's `logGroup`, `logStream`, `owner` and `subscriptionFilters`;
//!   and each payload, wrapped again by `log_event_record` (what a dead
//!   letter carries), decodes to that one payload again.
//!
//! - the quick JSON check that `json` payloads pass first
//!   (`tributary::core::json::fuzzing::surely_valid`) vouches only for text
//!   serde_json reads.
//!
//! The input is tried as it is (mostly not gzip: the decompressor's errors)
//! and gzipped first (the JSON readers behind it). No compressed input can
//! exceed the decompression limits: libFuzzer's inputs are small.
//!
//! Seeds: the records of examples/cloudwatch-logs/event.json and of the
//! CloudWatch Logs sample in tests/fixtures/events, compressed and not.
//!
//! cargo +nightly fuzz run --sanitizer none codecs /tmp/corpus/codecs fuzz/seeds/codecs -- -timeout=10

#![no_main]

use std::io::{Read as _, Write as _};

use base64::Engine as _;
use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use tributary::connectors::sources::{Codec, DecodeError, DecompressionBudget, log_event_record};
use tributary::core::Payload;

fn decode(codec: Codec, bytes: &[u8]) -> Result<Vec<Payload>, DecodeError> {
    let mut budget = DecompressionBudget::for_memory_mb(128);
    let mut payloads = Vec::new();
    codec.decode(Bytes::copy_from_slice(bytes), false, &mut budget, |p| {
        payloads.push(p)
    })?;
    Ok(payloads)
}

/// A payload's bytes, as a sink would write it.
fn bytes_of(payload: &Payload) -> Vec<u8> {
    payload.to_bytes().to_vec()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn gunzip(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(bytes).read_to_end(&mut out)?;
    Ok(out)
}

fn simple_codecs(data: &[u8]) {
    let [json] = &decode(Codec::Json, data).expect("the json codec reads lazily")[..] else {
        panic!("json gives one payload")
    };
    assert_eq!(bytes_of(json), data);

    match decode(Codec::Text, data) {
        Ok(payloads) => {
            let text = std::str::from_utf8(data).expect("text succeeds only on UTF-8");
            assert_eq!(payloads.len(), 1);
            assert_eq!(payloads[0].parsed(), Some(&Value::String(text.to_owned())));
        }
        Err(DecodeError::NotUtf8 { offset }) => {
            assert_eq!(std::str::from_utf8(data).unwrap_err().valid_up_to(), offset)
        }
        Err(other) => panic!("text fails only on UTF-8: {other}"),
    }

    let payloads = decode(Codec::Bytes, data).expect("bytes always decode");
    let Some(Value::String(base64)) = payloads[0].parsed() else {
        panic!("bytes give a string")
    };
    assert_eq!(
        base64::engine::general_purpose::STANDARD
            .decode(base64)
            .unwrap(),
        data
    );
}

fn gzip_json(compressed: &[u8]) {
    match (decode(Codec::GzipJson, compressed), gunzip(compressed)) {
        (Ok(payloads), Ok(reference)) => {
            assert_eq!(payloads.len(), 1);
            assert_eq!(
                bytes_of(&payloads[0]),
                reference,
                "gzip-json and flate2 disagree"
            );
        }
        (Err(DecodeError::Gzip { .. }), Err(_)) => {}
        (ours, reference) => panic!(
            "gzip-json and flate2 disagree: {:?} / {:?}",
            ours.err(),
            reference.err()
        ),
    }
}

fn cloudwatch_logs(compressed: &[u8]) {
    let Ok(payloads) = decode(Codec::CloudwatchLogs, compressed) else {
        return;
    };
    // The codec passes over fields it does not read, unchecked (serde_json
    // does not check that a string it skips is UTF-8): the message's own
    // fields are compared only when the whole message is JSON.
    let message =
        serde_json::from_slice::<Value>(&gunzip(compressed).expect("it decompressed")).ok();
    for payload in payloads {
        let bytes = bytes_of(&payload);
        let event: Value = serde_json::from_slice(&bytes).expect("a log event is JSON");
        for field in ["logGroup", "logStream", "owner", "subscriptionFilters"] {
            let Some(message) = &message else { break };
            assert_eq!(
                event[field], message[field],
                "the event carries the message's {field}"
            );
        }
        let again = decode(Codec::CloudwatchLogs, &log_event_record(&bytes))
            .expect("a dead letter decodes again");
        let [again] = &again[..] else {
            panic!("a dead letter holds one event")
        };
        let again: Value = serde_json::from_slice(&bytes_of(again)).expect("JSON");
        assert_eq!(again, event, "a log event's dead letter gives it back");
    }
}

/// What the quick check vouches for, serde_json reads, as the full check
/// reads it: the grammar, without the range of numbers (a JSON number has
/// none).
fn quick_json_check(data: &[u8]) {
    if tributary::core::json::fuzzing::surely_valid(data) {
        assert!(
            serde_json::from_slice::<serde::de::IgnoredAny>(data).is_ok(),
            "vouched for, but serde_json refuses: {:?}",
            String::from_utf8_lossy(data)
        );
    }
}

fuzz_target!(|data: &[u8]| {
    quick_json_check(data);
    simple_codecs(data);
    gzip_json(data);
    cloudwatch_logs(data);
    let compressed = gzip(data);
    gzip_json(&compressed);
    cloudwatch_logs(&compressed);
});
