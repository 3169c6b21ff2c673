//! The remap processor on CloudWatch Logs: examples/cloudwatch-logs/parse.vrl
//! on the log events of a recording the example's generate.py makes (4,000
//! Kinesis records, 76,254 log events, in target/bench/cloudwatch-logs/),
//! each decoded by the `cloudwatch-logs` codec into the payload the
//! processor sees, as the pipeline decodes it.
//!
//! - `remap/parse.vrl`: the processor on every log event, in batches of the
//!   events of 100 Kinesis records (the example's `batch_size`).
//! - `remap/bridge before` and `remap/bridge after`: payload bytes to a VRL
//!   value and back to JSON text, no program, per log event: before, the
//!   way VRL's documentation shows (through a `serde_json::Value` tree both
//!   ways); after, the processor's own ([`bridge`]).
//! - `remap/compile parse.vrl`: compiling the program, as a cold start
//!   does once.
//! - `remap/handler`: a Lambda event of the recording's first 1,000 Kinesis
//!   records through the handler, with benches/data/remap-pipeline.toml (the
//!   same program; JSON Lines to /dev/null).
//!
//! Throughput is in log events. benches/remap_vs_python.py runs this and a
//! plain Python handler on the same events, and prints both.
//!
//! `cargo bench -p tributary --bench remap`. In test mode (`cargo test
//! --bench remap`) it runs once on the example's bundled recording and
//! event.json, and checks the counts all the same.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use bytes::Bytes;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use serde_json::value::RawValue;
use tributary::Plan;
use tributary::connectors::recording::RecordingReader;
use tributary::connectors::sources::{Codec, DecompressionBudget};
use tributary::core::{Batch, InputIndex, Payload, Processor, Record};
use tributary::lambda::Handler;
use tributary::processors::Registry;
use tributary::processors::remap::{Remap, RemapProgram, Value, bridge};

/// Kinesis records in the generated recording, and in its Lambda event.
const RECORDS: usize = 4_000;
const EVENT_RECORDS: usize = 1_000;
/// Kinesis records a batch, as the example pipeline's `batch_size`.
const BATCH_SIZE: usize = 100;

/// Where the recording, its Lambda event and its expected counts are.
struct Data {
    recording: PathBuf,
    event: PathBuf,
    expected: PathBuf,
}

/// The data to measure: generated on first use under target/bench; in test
/// mode, the example's bundled files.
fn data() -> Data {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let example = root.join("examples/cloudwatch-logs");
    if !std::env::args().any(|arg| arg == "--bench") {
        return Data {
            recording: example.join("recording.jsonl"),
            event: example.join("event.json"),
            expected: example.join("expected.json"),
        };
    }
    let folder = root.join("target/bench/cloudwatch-logs");
    let recording = folder.join(format!("recording-{RECORDS}.jsonl"));
    if !recording.exists() {
        std::fs::create_dir_all(&folder).unwrap();
        let status = Command::new("python3")
            .arg(example.join("generate.py"))
            .args(["--records", &RECORDS.to_string()])
            .args(["--event-records", &EVENT_RECORDS.to_string()])
            .arg("--out")
            .arg(&recording)
            .status()
            .expect("python3 runs");
        assert!(status.success());
    }
    Data {
        recording,
        event: folder.join("event.json"),
        expected: folder.join("expected.json"),
    }
}

/// The recording's log events, as the `cloudwatch-logs` codec gives them,
/// in batches of the events of [`BATCH_SIZE`] Kinesis records.
fn log_events(recording: &Path) -> Vec<Vec<Record>> {
    let mut reader = RecordingReader::open(recording).unwrap();
    let mut budget = DecompressionBudget::for_memory_mb(128);
    let mut batches = Vec::new();
    let mut batch = Vec::new();
    let mut kinesis_records = 0;
    while let Some(record) = reader.next_record() {
        let record = record.unwrap();
        let mut origin = record.origin;
        let mut sub_sequence = 0;
        Codec::CloudwatchLogs
            .decode(record.data, record.data_is_json, &mut budget, |payload| {
                origin.sub_sequence = Some(sub_sequence);
                sub_sequence += 1;
                let input = InputIndex(batch.len() as u32);
                batch.push(Record::new(origin.clone(), payload, input));
            })
            .unwrap();
        kinesis_records += 1;
        if kinesis_records % BATCH_SIZE == 0 {
            batches.push(std::mem::take(&mut batch));
            budget = budget.fresh();
        }
    }
    batches.push(batch);
    batches
}

/// The sum of the log events' `message` lengths, in bytes: the log text.
fn log_text_bytes(events: &[Record]) -> usize {
    events
        .iter()
        .map(|event| {
            let mut payload = event.payload.clone();
            let json = payload.json().unwrap();
            json["message"].as_str().unwrap().len()
        })
        .sum()
}

/// Runs the processor on every batch; gives (documents, dropped).
fn remap_all(remap: &mut Remap, batches: Vec<Vec<Record>>) -> (usize, u64) {
    let (mut documents, mut dropped) = (0, 0);
    for records in batches {
        let mut batch = Batch::new(records);
        remap.process(&mut batch).unwrap();
        assert!(batch.failed().is_empty(), "{:?}", batch.failed()[0].error);
        documents += batch.len();
        dropped += batch.dropped();
    }
    (documents, dropped)
}

/// The bridge as VRL's documentation shows it: a `serde_json::Value` tree,
/// then a VRL value; back to a tree, then to text.
fn bridge_before(payload: &Payload) -> Payload {
    let tree: serde_json::Value = serde_json::from_slice(payload.raw().unwrap()).unwrap();
    let value = Value::from(tree);
    let back: serde_json::Value = value.try_into().unwrap();
    Payload::from_json_text(Bytes::from(serde_json::to_vec(&back).unwrap()))
}

/// The processor's bridge: straight from the bytes, straight to text.
fn bridge_after(payload: &Payload) -> Payload {
    bridge::to_payload(&bridge::to_vrl(payload).unwrap())
}

fn remap(c: &mut Criterion) {
    let data = data();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let source = std::fs::read_to_string(root.join("examples/cloudwatch-logs/parse.vrl")).unwrap();
    let mut remap = Remap::new(Arc::new(RemapProgram::compile(&source).unwrap()));
    let batches = log_events(&data.recording);
    let events: Vec<Record> = batches.iter().flatten().cloned().collect();
    let text = log_text_bytes(&events);
    println!(
        "{}: {} log events, {text} bytes of log text",
        data.recording.display(),
        events.len()
    );

    // The program indexes and drops what generate.py expects; both bridges
    // give the same text.
    let expected: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&data.expected).unwrap()).unwrap();
    assert_eq!(events.len() as u64, expected["log_events"]);
    let (documents, dropped) = remap_all(&mut remap, batches.clone());
    assert_eq!(documents as u64, expected["documents"]);
    assert_eq!(dropped, expected["dropped"]);
    for event in &events {
        assert_eq!(
            bridge_before(&event.payload).to_bytes(),
            bridge_after(&event.payload).to_bytes()
        );
    }

    let mut group = c.benchmark_group("remap");
    group.throughput(Throughput::Elements(events.len() as u64));
    group.sample_size(10);
    group.bench_function("parse.vrl", |b| {
        b.iter_batched(
            || batches.clone(),
            |batches| remap_all(&mut remap, batches),
            BatchSize::PerIteration,
        )
    });
    group.bench_function("bridge before", |b| {
        b.iter(|| {
            for event in &events {
                std::hint::black_box(bridge_before(&event.payload));
            }
        })
    });
    group.bench_function("bridge after", |b| {
        b.iter(|| {
            for event in &events {
                std::hint::black_box(bridge_after(&event.payload));
            }
        })
    });
    group.finish();

    // Once per cold start: VRL's compiler, its type checking most of all.
    let mut group = c.benchmark_group("remap");
    group.bench_function("compile parse.vrl", |b| {
        b.iter(|| RemapProgram::compile(&source).unwrap())
    });
    group.finish();

    handler(c, &data.event);
}

/// The `remap/handler` group: a Lambda event through the handler.
fn handler(c: &mut Criterion, event: &Path) {
    let body = std::fs::read(event).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let pipeline =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/data/remap-pipeline.toml");
    let plan = Plan::load(&pipeline, &Registry::builtin()).unwrap();
    let mut handler = Handler::new(plan.start().unwrap());
    let raw: Box<RawValue> = serde_json::from_slice(&body).unwrap();
    let totals = runtime
        .block_on(handler.handle(raw.get(), None))
        .unwrap()
        .totals;
    assert!(totals.balanced() && totals.failed == 0, "{totals:?}");
    // The control message is an input of its own, dropped.
    let log_events = totals.records_in - 1;
    println!(
        "{}: {} bytes, {log_events} log events, {} documents",
        event.display(),
        body.len(),
        totals.delivered
    );

    let mut group = c.benchmark_group("remap");
    group.throughput(Throughput::Elements(log_events));
    group.sample_size(10);
    group.bench_function("handler", |b| {
        b.iter(|| {
            let raw: Box<RawValue> = serde_json::from_slice(&body).unwrap();
            let invocation = runtime.block_on(handler.handle(raw.get(), None)).unwrap();
            serde_json::to_vec(&invocation.response).unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, remap);
criterion_main!(benches);
