//! S3 object encoding: the bundled clickstream recording's 9,990 valid
//! records (about 450 bytes each, over four shards) turned into the objects
//! the `s3` sink puts (grouped by hour and shard, each in the recording
//! format and gzipped), without putting them. Throughput is in bytes of
//! input: the records' payloads, before their origin is added and before
//! compression.
//!
//! `cargo bench -p tributary --bench s3`.

mod common;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tributary::connectors::sinks::{S3SinkConfig, SinkContext};

fn bench(c: &mut Criterion) {
    let records = common::clickstream_records();
    let input: usize = records.iter().map(|r| r.payload.raw_len()).sum();
    let mut group = c.benchmark_group("s3");
    group.throughput(Throughput::Bytes(input as u64));
    let key = "key = \"raw/{pipeline}/%Y/%m/%d/%H/{shard}-{first_sequence}.jsonl.gz\"";
    for (name, settings) in [
        ("recording, gzip level 1 (the default)", ""),
        ("recording, gzip level 6", "compression_level = 6"),
        ("recording, no compression", "compression = \"none\""),
        ("payloads, gzip level 1", "format = \"payloads\""),
    ] {
        let config: S3SinkConfig =
            toml::from_str(&format!("bucket = \"archive\"\n{key}\n{settings}")).unwrap();
        let mut encoder = config.encoder(&SinkContext::output("clickstream")).unwrap();
        let (objects, failed) = encoder.encode(&mut records.clone());
        assert!(failed.is_empty());
        let lines: usize = objects.iter().map(|o| o.lines_bytes()).sum();
        let body: usize = objects.iter().map(|o| o.body().len()).sum();
        println!(
            "{name}: {} objects, {input} bytes of payloads, {lines} bytes of lines, {body} bytes put",
            objects.len()
        );
        common::bench_encoding(&mut group, name, &records, |records| {
            encoder.encode(records)
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
