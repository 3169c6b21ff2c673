//! What the sink benchmarks share: the bundled clickstream recording's
//! records, as the sinks receive them, and timing an encoder over them.

use std::io::Cursor;
use std::sync::Arc;

use bytes::Bytes;
use criterion::measurement::WallTime;
use criterion::{BatchSize, BenchmarkGroup};
use tributary::connectors::recording::RecordingReader;
use tributary::core::{InputIndex, Payload, Record};

/// The clickstream recording's 9,990 valid records (its malformed ones,
/// which a pipeline fails before any sink, left out), with their payloads
/// known to be JSON.
pub fn clickstream_records() -> Vec<Record> {
    let recording = Bytes::from(
        std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/clickstream/recording.jsonl"
        ))
        .unwrap(),
    );
    RecordingReader::new("r", Cursor::new(recording))
        .unwrap()
        .map(Result::unwrap)
        .filter(|r| r.data_is_json)
        .enumerate()
        .map(|(i, r)| {
            Record::new(
                Arc::new(r.origin),
                Payload::from_json_text(r.data),
                InputIndex(i as u32),
            )
        })
        .collect()
}

/// Benchmarks `encode` in `group` as `name`, each time on a fresh copy of
/// `records` (encoding may parse their payloads).
pub fn bench_encoding<T>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    records: &[Record],
    mut encode: impl FnMut(&mut [Record]) -> T,
) {
    group.bench_function(name, |b| {
        b.iter_batched(
            || records.to_vec(),
            |mut records| encode(&mut records),
            BatchSize::LargeInput,
        )
    });
}
