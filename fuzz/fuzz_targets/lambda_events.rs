//! Lambda event envelopes: any event text, handed to a pipeline of each
//! source as the Lambda runtime would hand it, must give an answer (an
//! invocation or an invocation error), never a panic, and in every
//! invocation each record must end with exactly one fate.
//!
//! The input is the event's text (lossily made UTF-8, as the runtime API
//! delivers a string). It goes through `Handler::handle` on:
//! - a Kinesis pipeline (the `json` codec; KPL aggregates are split);
//! - a DynamoDB Streams pipeline with `payload = "item"` and collapsing,
//!   and one with `payload = "change"` without;
//! - an EventBridge pipeline;
//!
//! and through `EventDecoder::decode_as_recorded` for Kinesis and DynamoDB
//! Streams (how an on-failure destination's payload becomes a recording),
//! whose records, written as a recording, must read back the same (the
//! same bytes, the same origin but for the stream, which a recording keeps
//! once in its header).
//!
//! Kinesis events the scanner of the usual event reads
//! (connectors/src/sources/kinesis/scan.rs) must give the entries serde_json
//! reads from them.
//!
//! Seeds: tests/fixtures/events, examples/*/event.json,
//! cli/tests/fixtures/on-failure, and the KPL fixture's event.
//!
//! cargo +nightly fuzz run --sanitizer none lambda_events fuzz/seeds/lambda_events -- -timeout=10

#![no_main]

use std::sync::{Mutex, OnceLock};

use libfuzzer_sys::fuzz_target;
use tributary::connectors::recording::{Header, RecordingReader, RecordingWriter};
use tributary::connectors::sources::EventDecoder;
use tributary::connectors::sources::SourceRecord;
use tributary::core::SourceKind;
use tributary::lambda::Handler;

/// A filter that reads a field, so payloads are read, not only carried.
const PROCESSORS: &str = r#"
[[processors]]
type = "filter"
pattern = { kind = [{ exists = false }] }
"#;

/// A handler for a pipeline from `source`, dead-lettering into /dev/null.
fn handler(source: &str) -> Handler {
    let text = format!(
        "[pipeline]\nname = \"fuzz\"\non_error = \"dead-letter\"\ndead_letter = \"dlq\"\n\
         [source]\n{source}\n{PROCESSORS}\n\
         [sinks.out]\ntype = \"jsonl\"\npath = \"/dev/null\"\n\
         [sinks.dlq]\ntype = \"jsonl\"\npath = \"/dev/null\"\n"
    );
    let plan = tributary::Plan::parse(
        "fuzz.toml",
        &text,
        &tributary::processors::Registry::builtin(),
    )
    .expect("the fuzz pipelines are valid");
    Handler::new(plan.start().expect("the jsonl sinks open"))
}

struct Handlers {
    runtime: tokio::runtime::Runtime,
    pipelines: Vec<Handler>,
    decoder: EventDecoder,
}

fn handlers() -> &'static Mutex<Handlers> {
    static HANDLERS: OnceLock<Mutex<Handlers>> = OnceLock::new();
    HANDLERS.get_or_init(|| {
        Mutex::new(Handlers {
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap(),
            pipelines: vec![
                handler("type = \"kinesis\""),
                handler("type = \"dynamodb_streams\""),
                handler("type = \"dynamodb_streams\"\npayload = \"change\"\ncollapse = false"),
                handler("type = \"eventbridge\""),
            ],
            decoder: EventDecoder::new(),
        })
    })
}

fuzz_target!(|data: &[u8]| {
    let event = String::from_utf8_lossy(data);
    tributary::connectors::sources::kinesis::fuzzing::agrees_with_serde_json(&event);
    let mut handlers = handlers().lock().unwrap();
    let Handlers {
        runtime,
        pipelines,
        decoder,
    } = &mut *handlers;
    for handler in pipelines.iter_mut() {
        // A whole-invocation error is an answer too.
        if let Ok(invocation) = runtime.block_on(handler.handle(event.as_bytes(), None)) {
            assert!(
                invocation.totals.balanced(),
                "{}: {:?}",
                handler.pipeline_name(),
                invocation.totals
            );
        }
    }
    for kind in [SourceKind::Kinesis, SourceKind::DynamodbStreams] {
        if let Ok(decoded) = decoder.decode_as_recorded(kind, &event) {
            recorded_reads_back(kind, &decoded.records);
        }
    }
});

/// Writes `records` as a recording, and reads them back.
fn recorded_reads_back(kind: SourceKind, records: &[SourceRecord]) {
    let header = Header::new(kind, "fuzz");
    let mut writer = RecordingWriter::new(Vec::new(), &header).expect("writing to a Vec");
    for record in records {
        writer
            .write(&record.origin, record.original())
            .expect("writing to a Vec");
    }
    let written = writer.finish().expect("writing to a Vec");
    let reader = RecordingReader::new("fuzz.jsonl", std::io::Cursor::new(written))
        .expect("the header reads");
    let read: Vec<SourceRecord> = reader
        .map(|r| r.expect("a line the writer wrote reads back"))
        .collect();
    assert_eq!(read.len(), records.len(), "every record reads back");
    for (record, again) in records.iter().zip(&read) {
        assert_eq!(again.original(), record.original(), "the bytes read back");
        let (a, b) = (&record.origin, &again.origin);
        assert_eq!(
            (
                &a.shard,
                &a.sequence,
                a.sub_sequence,
                &a.partition_key,
                &a.item_keys
            ),
            (
                &b.shard,
                &b.sequence,
                b.sub_sequence,
                &b.partition_key,
                &b.item_keys
            ),
            "the origin reads back"
        );
        assert_eq!(
            (&a.event_name, a.removed_by_ttl, a.arrival_ms),
            (&b.event_name, b.removed_by_ttl, b.arrival_ms)
        );
    }
}
