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
//! whose records must write as recording lines.
//!
//! Seeds: tests/fixtures/events, examples/*/event.json,
//! cli/tests/fixtures/on-failure, and the KPL fixture's event.
//!
//! cargo +nightly fuzz run --sanitizer none lambda_events fuzz/seeds/lambda_events -- -timeout=10

#![no_main]

use std::sync::{Mutex, OnceLock};

use libfuzzer_sys::fuzz_target;
use tributary::connectors::recording::encode_record;
use tributary::connectors::sources::EventDecoder;
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
    let mut handlers = handlers().lock().unwrap();
    let Handlers {
        runtime,
        pipelines,
        decoder,
    } = &mut *handlers;
    for handler in pipelines.iter_mut() {
        // A whole-invocation error is an answer too.
        if let Ok(invocation) = runtime.block_on(handler.handle(&event, None)) {
            assert!(
                invocation.totals.balanced(),
                "{}: {:?}",
                handler.pipeline_name(),
                invocation.totals
            );
        }
    }
    for kind in [SourceKind::Kinesis, SourceKind::DynamodbStreams] {
        let Ok(decoded) = decoder.decode_as_recorded(kind, &event) else {
            continue;
        };
        let mut line = Vec::new();
        for record in &decoded.records {
            line.clear();
            encode_record(&mut line, &record.origin, record.original(), None::<()>);
            serde_json::from_slice::<serde_json::Value>(&line).expect("a recording line is JSON");
        }
    }
});
