//! OpenSearch bulk encoding: the bundled clickstream recording's 9,990
//! valid records (about 450 bytes each) turned into one bulk request body
//! (an action line with index and id, then the document) as the sink sends
//! it. Throughput is in bytes of body.
//!
//! `cargo bench -p tributary --bench bulk`.

use std::io::Cursor;
use std::sync::Arc;

use bytes::Bytes;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use tributary::connectors::recording::RecordingReader;
use tributary::connectors::sinks::OpensearchSinkConfig;
use tributary::core::{InputIndex, Payload, Record};

fn records() -> Vec<Record> {
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

fn bench(c: &mut Criterion) {
    let config: OpensearchSinkConfig = toml::from_str(
        "endpoint = \"https://abc.eu-west-1.aoss.amazonaws.com\"\nindex = \"clicks-%Y.%m.%d\"\ndocument_id = \"field:event_id\"",
    )
    .unwrap();
    let mut encoder = config.encoder().unwrap();
    let records = records();
    let (body, failed) = encoder.encode(&mut records.clone());
    assert!(failed.is_empty());
    println!(
        "bulk body: {} bytes for {} records",
        body.len(),
        records.len()
    );
    let mut group = c.benchmark_group("bulk");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function(
        "encode clickstream (index template, id from a field)",
        |b| {
            b.iter_batched(
                || records.clone(),
                |mut records| encoder.encode(&mut records),
                BatchSize::LargeInput,
            )
        },
    );
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
