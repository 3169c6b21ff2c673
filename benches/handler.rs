//! The Lambda handler's hot path: a 10,000-record, 6.2 MB Kinesis event
//! (made by benches/data/kinesis_event.py) read from the bytes the runtime
//! API delivers, decoded, filtered by an event pattern, and written as JSON
//! Lines to /dev/null; the answer for Lambda built. Beside it, the same work
//! done the obvious way with serde_json and aws_lambda_events, to compare.
//! tributary's iteration includes its metrics: what each stage measures and
//! the EMF lines the function writes for the invocation.
//!
//! `cargo bench -p tributary --bench handler`.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::Command;

use aws_lambda_events::kinesis::KinesisEvent;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::Value;
use tributary::Plan;
use tributary::lambda::Handler;
use tributary::lambda::metrics::emf_lines;
use tributary::processors::Registry;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const PIPELINE: &str = include_str!("data/handler-pipeline.toml");

/// The benchmark event, made on first use.
fn event() -> Vec<u8> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let path = root.join("target/bench/kinesis-10k.json");
    if !path.exists() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let status = Command::new("python3")
            .arg(root.join("benches/data/kinesis_event.py"))
            .arg(&path)
            .status()
            .expect("python3 runs");
        assert!(status.success());
    }
    std::fs::read(path).unwrap()
}

/// The obvious handler: typed event, each payload parsed to a tree, the
/// filter on the tree, each kept payload serialized again.
fn naive(body: &[u8], out: &mut std::fs::File) -> usize {
    let event: KinesisEvent = serde_json::from_slice(body).unwrap();
    let mut lines = Vec::new();
    let mut kept = 0;
    for record in &event.records {
        let Ok(payload) = serde_json::from_slice::<Value>(&record.kinesis.data.0) else {
            continue;
        };
        if matches!(payload["kind"].as_str(), Some("purchase" | "click")) {
            serde_json::to_writer(&mut lines, &payload).unwrap();
            lines.push(b'\n');
            kept += 1;
        }
    }
    out.write_all(&lines).unwrap();
    kept
}

fn handler(c: &mut Criterion) {
    let body = event();
    let records = 10_000;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let plan = Plan::parse("bench.toml", PIPELINE, &Registry::builtin()).unwrap();
    let mut handler = Handler::new(plan.start().unwrap());
    let mut dev_null = std::fs::File::create("/dev/null").unwrap();

    // Both ways keep the same records.
    let invocation = runtime.block_on(handler.handle(&body, None)).unwrap();
    assert_eq!(invocation.totals.records_in, records);
    assert_eq!(
        invocation.totals.delivered as usize,
        naive(&body, &mut dev_null)
    );

    let mut group = c.benchmark_group("handler");
    group.throughput(Throughput::Elements(records));
    group.sample_size(30);
    group.bench_function("kinesis 10k/6MB: tributary", |b| {
        b.iter(|| {
            // The bootstrap hands the handler the body as it came
            // (src/lambda/raw_event.rs): nothing reads it before.
            let invocation = runtime.block_on(handler.handle(&body, None)).unwrap();
            let metrics = emf_lines(
                "bench",
                &invocation.totals,
                &invocation.metrics,
                invocation.duration,
                std::time::SystemTime::now(),
            );
            (serde_json::to_vec(&invocation.response).unwrap(), metrics)
        })
    });
    group.bench_function("kinesis 10k/6MB: naive serde_json", |b| {
        b.iter(|| naive(&body, &mut dev_null))
    });
    group.finish();
}

criterion_group!(benches, handler);
criterion_main!(benches);
