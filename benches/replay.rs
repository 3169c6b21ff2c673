//! The replay path: read recording lines, run them through a pipeline with
//! no processors, or with a filter, and encode JSON Lines (to /dev/null), on
//! the bundled clickstream recording (10,000 records, about 450 bytes each).
//!
//! `cargo bench -p tributary --bench replay`; records/s is the "thrpt" line.

use std::io::Cursor;

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tributary::Plan;
use tributary::connectors::recording::RecordingReader;
use tributary::processors::Registry;
use tributary::replay::{ReplayOptions, replay};

const PIPELINE: &str = r#"
[pipeline]
name = "bench"
# The recording's few malformed records are skipped, not retried.
on_error = "skip"

[source]
type = "kinesis"
batch_size = 100

[sinks.out]
type = "jsonl"
path = "/dev/null"
"#;

fn replay_path(c: &mut Criterion) {
    let recording = Bytes::from(
        std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/clickstream/recording.jsonl"
        ))
        .expect("the clickstream recording is in the repository"),
    );
    let records = RecordingReader::new("r", Cursor::new(recording.clone()))
        .unwrap()
        .count() as u64;
    let mut pipeline = Plan::parse("bench.toml", PIPELINE, &Registry::builtin())
        .unwrap()
        .start()
        .unwrap();
    let filtered = PIPELINE.replace(
        "[sinks.out]",
        "[[processors]]\ntype = \"filter\"\npattern = { type = [\"purchase\", \"click\"] }\n\n[sinks.out]",
    );
    let mut filter_pipeline = Plan::parse("bench.toml", &filtered, &Registry::builtin())
        .unwrap()
        .start()
        .unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let options = ReplayOptions::default();

    let mut group = c.benchmark_group("replay");
    group.throughput(Throughput::Elements(records));
    group.sample_size(30);
    group.bench_function("decode+no processors+jsonl", |b| {
        b.iter(|| {
            let reader = RecordingReader::new("r", Cursor::new(recording.clone())).unwrap();
            let report = runtime.block_on(replay(&mut pipeline, reader, None, &options));
            assert_eq!(report.totals.records_in, records);
            report
        })
    });
    group.bench_function("decode+filter+jsonl", |b| {
        b.iter(|| {
            let reader = RecordingReader::new("r", Cursor::new(recording.clone())).unwrap();
            let report = runtime.block_on(replay(&mut filter_pipeline, reader, None, &options));
            assert_eq!(report.totals.records_in, records);
            report
        })
    });
    group.finish();
}

criterion_group!(benches, replay_path);
criterion_main!(benches);
