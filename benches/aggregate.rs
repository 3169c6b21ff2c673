//! The aggregate processor: count, sum and avg over 10,000 groups.
//!
//! `aggregate/fold` folds 1,000,000 records (80-byte JSON payloads, the
//! group and value fields in the middle of each) in one `window = "batch"`
//! invocation and emits the 10,000 documents (2% of the time): records/s is
//! the folding speed. `aggregate/lambda invocation` is one invocation of a Lambda
//! window: 10,000 records folded into a state that already holds all
//! 10,000 groups, which is read and written again as Lambda's state requires.
//! The state's size per group is printed before the runs.
//!
//! `cargo bench -p tributary --bench aggregate`.

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use tributary::core::{Batch, InputIndex, Origin, Payload, Processor, Record, SourceKind, Window};
use tributary::processors::{BuildContext, Registry};

const GROUPS: u32 = 10_000;

fn aggregate(window: &str) -> Box<dyn Processor> {
    let text = format!(
        "[pipeline]\nname = \"bench\"\n[source]\ntype = \"kinesis\"\ntumbling_window_secs = 60\n\
         [[processors]]\ntype = \"aggregate\"\nwindow = \"{window}\"\ngroup_by = [\"group\"]\n\
         metrics.n = {{ op = \"count\" }}\nmetrics.total = {{ op = \"sum\", field = \"value\" }}\n\
         metrics.mean = {{ op = \"avg\", field = \"value\" }}\n[sinks.out]\ntype = \"jsonl\"\n"
    );
    let file = tributary::config::SourceFile::new("bench.toml", text, |_| None).unwrap();
    let config = tributary::config::PipelineConfig::parse(file).unwrap();
    let context = BuildContext {
        pipeline: "bench".into(),
        label: "aggregate".into(),
        source: SourceKind::Kinesis,
        tumbling_window_secs: Some(60),
        directory: std::path::PathBuf::new(),
    };
    Registry::builtin()
        .build(&config.processors[0], &context)
        .unwrap()
}

fn records(count: u32) -> Vec<Record> {
    let origin = std::sync::Arc::new(Origin::new(SourceKind::Kinesis, "arn:s", "shardId-0", "1"));
    (0..count)
        .map(|i| {
            let group = i.wrapping_mul(2_654_435_761) % GROUPS;
            let payload = format!(
                "{{\"ts\":{},\"user\":\"u-{:05}\",\"group\":\"g-{group:05}\",\"value\":{}.{:02},\"page\":\"/p/{}\"}}",
                1_795_860_000_000u64 + u64::from(i),
                i % 99_991,
                i % 1000,
                i % 100,
                i % 50
            );
            Record::new(origin.clone(), Payload::from_bytes(payload), InputIndex(i))
        })
        .collect()
}

fn window(state: std::collections::BTreeMap<String, String>) -> Window {
    Window {
        state,
        ..Window::new(
            "arn:s",
            "shardId-0",
            "2026-11-28T10:00:00Z",
            "2026-11-28T10:01:00Z",
        )
    }
}

fn bench(c: &mut Criterion) {
    // A state holding every group, as mid-window invocations see it.
    let mut lambda = aggregate("lambda");
    let mut warm = Batch::new(records(100_000));
    warm.set_window(Some(window(Default::default())));
    lambda.process(&mut warm).unwrap();
    let state = warm.into_parts().window.unwrap().state;
    let bytes: usize = state.values().map(String::len).sum();
    println!(
        "aggregate state: {bytes} bytes for {GROUPS} groups (count, sum, avg): {:.1} bytes a group",
        bytes as f64 / f64::from(GROUPS)
    );

    let mut group = c.benchmark_group("aggregate");
    group.sample_size(10);
    let many = records(1_000_000);
    group.throughput(Throughput::Elements(many.len() as u64));
    let mut batch_aggregate = aggregate("batch");
    group.bench_function("fold 1M records into 10k groups", |b| {
        b.iter_batched(
            || Batch::new(many.clone()),
            |mut batch| {
                batch_aggregate.process(&mut batch).unwrap();
                batch
            },
            BatchSize::LargeInput,
        )
    });
    let invocation = records(10_000);
    group.throughput(Throughput::Elements(invocation.len() as u64));
    group.bench_function("lambda invocation: 10k records, 10k groups in state", |b| {
        b.iter_batched(
            || {
                let mut batch = Batch::new(invocation.clone());
                batch.set_window(Some(window(state.clone())));
                batch
            },
            |mut batch| {
                lambda.process(&mut batch).unwrap();
                batch
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
