//! Every reader of payload bytes, on JSON built to be deep or wide: none may
//! panic or overflow its stack, and each record must end with one fate.
//!
//! The input is a small program that builds a JSON document (see
//! [`Program`]): it can open arrays and objects tens of thousands deep,
//! repeat an element tens of thousands of times, write numbers no float
//! holds, and stop in the middle. The same document is written twice, as
//! plain JSON and as DynamoDB JSON, and goes through:
//! - the raw-bytes field reader, the JSON check, the tree parser and the
//!   tree walker, directly;
//! - a Kinesis pipeline with every built-in processor that reads payloads
//!   (filter, dedupe, sample, throttle, aggregate, project), as Lambda would
//!   call it, with the `json`, `gzip-json` and `cloudwatch-logs` codecs;
//! - a DynamoDB Streams pipeline, with the document as a new image;
//! - the recording writer and reader.
//!
//! cargo +nightly fuzz run --sanitizer none payload_readers fuzz/seeds/payload_readers

#![no_main]

use std::io::Write as _;
use std::sync::OnceLock;

use base64::Engine as _;
use libfuzzer_sys::fuzz_target;
use serde_json::json;
use tributary::core::json::{FieldReader, too_deep_at};
use tributary::core::{Origin, Payload, SourceKind};
use tributary::lambda::Handler;

/// Builds JSON from bytes, one instruction a byte:
/// - `[` / `{`: open an array / an object (its members take key `a`, `b`,
///   ... by the next byte);
/// - `]` / `}` or `,`: close the innermost container;
/// - `0`..`9`: a number; `n` a 40-digit integer; `e` 1e400; `s` a string;
///   `t`, `f`, `z` true, false, null;
/// - `*` then two bytes: repeat the next instruction that many times (up to
///   65,535), so a few bytes open 60,000 arrays or write 60,000 elements;
/// - `!`: stop here, leaving the document unfinished.
///
/// What is left open at the end is closed, unless the program stopped.
struct Program<'a> {
    bytes: &'a [u8],
}

/// One rendering of the document: plain JSON or DynamoDB JSON.
#[derive(Clone, Copy, PartialEq)]
enum Style {
    Plain,
    Dynamo,
}

impl Program<'_> {
    fn render(&self, style: Style) -> Vec<u8> {
        let mut out = Vec::new();
        // Per open container: is it an object, has it a member yet.
        let mut open: Vec<(bool, bool)> = Vec::new();
        let mut at = 0;
        let mut finished = false;
        while at < self.bytes.len() && out.len() < 4 << 20 {
            let mut op = self.bytes[at];
            at += 1;
            let mut times = 1;
            if op == b'*' && at + 2 < self.bytes.len() {
                times = u16::from_le_bytes([self.bytes[at], self.bytes[at + 1]]) as usize;
                op = self.bytes[at + 2];
                at += 3;
            }
            let key = self.bytes.get(at).copied().unwrap_or(0);
            for _ in 0..times {
                match op {
                    b'!' => {
                        finished = true;
                        break;
                    }
                    b']' | b'}' | b',' => close(&mut out, &mut open, style),
                    b'[' | b'{' => {
                        member(&mut out, &mut open, key);
                        let object = op == b'{';
                        out.extend_from_slice(match (style, object) {
                            (Style::Plain, false) => b"[",
                            (Style::Plain, true) => b"{",
                            (Style::Dynamo, false) => b"{\"L\":[",
                            (Style::Dynamo, true) => b"{\"M\":{",
                        });
                        open.push((object, false));
                    }
                    _ => {
                        member(&mut out, &mut open, key);
                        scalar(&mut out, op, style);
                    }
                }
            }
            if finished {
                break;
            }
        }
        if !finished {
            while !open.is_empty() {
                close(&mut out, &mut open, style);
            }
        }
        out
    }
}

/// Starts a member of the innermost container: a comma after the first,
/// and a key in an object.
fn member(out: &mut Vec<u8>, open: &mut [(bool, bool)], key: u8) {
    let Some((object, started)) = open.last_mut() else {
        return;
    };
    if *started {
        out.push(b',');
    }
    *started = true;
    if *object {
        out.extend_from_slice(format!("\"{}\":", (b'a' + key % 4) as char).as_bytes());
    }
}

fn close(out: &mut Vec<u8>, open: &mut Vec<(bool, bool)>, style: Style) {
    let Some((object, _)) = open.pop() else {
        return;
    };
    out.extend_from_slice(match (style, object) {
        (Style::Plain, false) => b"]",
        (Style::Plain, true) => b"}",
        (Style::Dynamo, false) => b"]}",
        (Style::Dynamo, true) => b"}}",
    });
}

fn scalar(out: &mut Vec<u8>, op: u8, style: Style) {
    let (dynamo_type, text): (&str, String) = match op {
        b'0'..=b'9' => ("N", (op - b'0').to_string()),
        b'n' => ("N", "1234567890123456789012345678901234567890".to_owned()),
        b'e' => ("N", "1e400".to_owned()),
        b't' => ("BOOL", "true".to_owned()),
        b'f' => ("BOOL", "false".to_owned()),
        b'z' => ("NULL", "true".to_owned()),
        _ => ("S", format!("\"x{op}\"")),
    };
    match style {
        Style::Plain if dynamo_type == "NULL" => out.extend_from_slice(b"null"),
        Style::Plain => out.extend_from_slice(text.as_bytes()),
        Style::Dynamo => {
            let value = match dynamo_type {
                "N" => format!("\"{text}\""),
                _ => text,
            };
            out.extend_from_slice(format!("{{\"{dynamo_type}\":{value}}}").as_bytes());
        }
    }
}

/// The readers that work on bytes and trees directly.
fn read_directly(plain: &[u8]) {
    let (mut reader, _) = FieldReader::new(["a", "a.a", "a.a.a.a", "b", "a.b.c"]);
    let mut payload = Payload::from_bytes(plain.to_vec());
    let _ = reader.read(&mut payload).map(|_| ());
    let valid = payload.validate_json().is_ok();
    if valid {
        assert!(too_deep_at(plain).is_none(), "the check passed a too-deep document");
    }
    if payload.json().is_ok() {
        // From the tree now: the walker.
        let _ = reader.read(&mut payload).map(|_| ());
    }
}

const PROCESSORS: &str = r#"
[[processors]]
type = "filter"
pattern = { a = [{ exists = true }], b = [{ exists = false }] }
invert = true
[[processors]]
type = "dedupe"
key = ["a.a", "c"]
[[processors]]
type = "sample"
rate = 1
key = "a"
[[processors]]
type = "throttle"
records_per_second = 1000000
key = "b"
[[processors]]
type = "project"
select = ["a", "b.a", "c", "d"]
[[processors]]
type = "aggregate"
window = "batch"
group_by = ["a", "b"]
metrics.n = { op = "count" }
metrics.s = { op = "sum", field = "c" }
"#;

/// A handler for a pipeline from `source` with every payload reader, its
/// records dead-lettered into /dev/null when they fail.
fn handler(source: &str, processors: &str) -> Handler {
    let text = format!(
        "[pipeline]\nname = \"fuzz\"\non_error = \"dead-letter\"\ndead_letter = \"dlq\"\n\
         [source]\n{source}\n{processors}\n\
         [sinks.out]\ntype = \"jsonl\"\npath = \"/dev/null\"\n\
         [sinks.dlq]\ntype = \"jsonl\"\npath = \"/dev/null\"\n"
    );
    let plan = tributary::Plan::parse("fuzz.toml", &text, &tributary::processors::Registry::builtin())
        .expect("the fuzz pipelines are valid");
    Handler::new(plan.start().expect("the jsonl sinks open"))
}

struct Handlers {
    runtime: tokio::runtime::Runtime,
    json: Handler,
    gzip: Handler,
    logs: Handler,
    dynamodb: Handler,
}

fn handlers() -> &'static std::sync::Mutex<Handlers> {
    static HANDLERS: OnceLock<std::sync::Mutex<Handlers>> = OnceLock::new();
    HANDLERS.get_or_init(|| {
        std::sync::Mutex::new(Handlers {
            runtime: tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap(),
            json: handler("type = \"kinesis\"", PROCESSORS),
            gzip: handler("type = \"kinesis\"\ncodec = \"gzip-json\"", PROCESSORS),
            logs: handler("type = \"kinesis\"\ncodec = \"cloudwatch-logs\"", PROCESSORS),
            dynamodb: handler("type = \"dynamodb_streams\"\ncollapse = false", PROCESSORS),
        })
    })
}

fn kinesis_event(data: &[u8]) -> String {
    let entry = |sequence: &str, data: &[u8]| {
        json!({
            "kinesis": {"kinesisSchemaVersion": "1.0", "partitionKey": "p", "sequenceNumber": sequence,
                        "data": base64::engine::general_purpose::STANDARD.encode(data),
                        "approximateArrivalTimestamp": 1700000000.5},
            "eventSource": "aws:kinesis", "eventVersion": "1.0", "eventID": format!("shardId-0:{sequence}"),
            "eventName": "aws:kinesis:record", "awsRegion": "us-east-1",
            "eventSourceARN": "arn:aws:kinesis:us-east-1:123456789012:stream/fuzz",
        })
    };
    // A good record either side: the fuzzed one must not take them down.
    json!({"Records": [entry("1", b"{\"a\":1}"), entry("2", data), entry("3", b"{\"a\":3}")]}).to_string()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn through_pipelines(plain: &[u8], dynamo: &[u8]) {
    let mut handlers = handlers().lock().unwrap();
    let Handlers { runtime, json, gzip: gzipped, logs, dynamodb } = &mut *handlers;
    let run = |handler: &mut Handler, event: &str| {
        match runtime.block_on(handler.handle(event, None)) {
            Ok(invocation) => assert!(invocation.totals.balanced(), "{:?}", invocation.totals),
            Err(_) => {} // A whole-invocation error is an answer too.
        }
    };
    run(json, &kinesis_event(plain));
    run(gzipped, &kinesis_event(&gzip(plain)));
    let mut message = br#"{"messageType":"DATA_MESSAGE","owner":"1","logGroup":"g","logStream":"s","subscriptionFilters":[],"logEvents":[{"id":"1","timestamp":1,"message":"m","a":"#.to_vec();
    message.extend_from_slice(plain);
    message.extend_from_slice(b"}]}");
    run(logs, &kinesis_event(&gzip(&message)));
    let mut change = br#"{"Records":[{"eventID":"1","eventName":"INSERT","eventVersion":"1.1","eventSource":"aws:dynamodb","awsRegion":"us-east-1","eventSourceARN":"arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/2024","dynamodb":{"ApproximateCreationDateTime":1700000000,"Keys":{"pk":{"S":"k"}},"SequenceNumber":"100","SizeBytes":26,"StreamViewType":"NEW_AND_OLD_IMAGES","NewImage":{"pk":{"S":"k"},"a":"#.to_vec();
    change.extend_from_slice(dynamo);
    change.extend_from_slice(b"}}}]}");
    run(dynamodb, &String::from_utf8_lossy(&change));
}

fn recorded(plain: &[u8]) {
    let origin = Origin::new(SourceKind::Kinesis, "s", "shardId-0", "1");
    let mut line = br#"{"tributary_recording":1,"source":"kinesis","stream":"s"}"#.to_vec();
    line.push(b'\n');
    tributary::connectors::recording::encode_record(&mut line, &origin, plain, None::<()>);
    line.push(b'\n');
    let reader = tributary::connectors::recording::RecordingReader::new("fuzz", std::io::Cursor::new(line))
        .expect("the header reads");
    for record in reader {
        let record = record.expect("a line the writer wrote reads back");
        assert_eq!(&record.data[..], plain, "the recording gives back the bytes");
    }
}

fuzz_target!(|data: &[u8]| {
    let program = Program { bytes: data };
    let plain = program.render(Style::Plain);
    let dynamo = program.render(Style::Dynamo);
    read_directly(&plain);
    through_pipelines(&plain, &dynamo);
    recorded(&plain);
});
