//! OpenSearch bulk encoding: the bundled clickstream recording's 9,990
//! valid records (about 450 bytes each) turned into one bulk request body
//! (an action line with index and id, then the document) as the sink sends
//! it. Throughput is in bytes of body.
//!
//! `cargo bench -p tributary --bench bulk`.

mod common;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tributary::connectors::sinks::OpensearchSinkConfig;

fn bench(c: &mut Criterion) {
    let config: OpensearchSinkConfig = toml::from_str(
        "endpoint = \"https://abc.eu-west-1.aoss.amazonaws.com\"\nindex = \"clicks-%Y.%m.%d\"\ndocument_id = \"field:event_id\"",
    )
    .unwrap();
    let mut encoder = config.encoder().unwrap();
    let records = common::clickstream_records();
    let (body, failed) = encoder.encode(&mut records.clone());
    assert!(failed.is_empty());
    println!(
        "bulk body: {} bytes for {} records",
        body.len(),
        records.len()
    );
    let mut group = c.benchmark_group("bulk");
    group.throughput(Throughput::Bytes(body.len() as u64));
    common::bench_encoding(
        &mut group,
        "encode clickstream (index template, id from a field)",
        &records,
        |records| encoder.encode(records),
    );
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
