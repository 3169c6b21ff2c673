//! `tributary init [--source KIND] [DIR]`: a pipeline to start from.
//!
//! It writes three files into DIR, never over one that is there:
//! `pipeline.toml` (a filter with an event pattern, a `jsonl` sink and
//! `[[tests]]` that pass, behind a `#:schema` line), `pipeline.schema.json`
//! (what `tributary schema` prints, which that line points at) and
//! `event.json` (a Lambda event of the source's kind, made of the tests'
//! inputs, for `tributary invoke`). Then it says which commands to run next.
//!
//! Each source's pipeline text and sample payloads are one [`Template`]; a
//! test below checks that the event carries the same payloads as the
//! pipeline's tests.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use base64::Engine as _;
use serde_json::{Map, Value, json};
use tributary_processors::Registry;

use super::{EXIT_FAILED, EXIT_INVALID};

/// The source a new pipeline reads, as `[source] type` writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(super) enum InitSource {
    /// A Kinesis data stream.
    Kinesis,
    /// A DynamoDB table's stream.
    #[value(name = "dynamodb_streams", alias = "dynamodb-streams")]
    DynamodbStreams,
    /// An EventBridge bus.
    Eventbridge,
}

/// The pipeline file's name in DIR.
pub(super) const PIPELINE_FILE: &str = "pipeline.toml";
/// The schema file's name in DIR.
pub(super) const SCHEMA_FILE: &str = "pipeline.schema.json";
/// The Lambda event's file name in DIR.
pub(super) const EVENT_FILE: &str = "event.json";

/// The name a pipeline gets when its folder's name is no function name.
const DEFAULT_NAME: &str = "my-pipeline";

/// Writes the starting files of a `source` pipeline into `dir` (made if
/// missing), named `name` or after `dir`; exit 1 when a file is there
/// already, 2 when writing failed.
pub(super) fn run(
    dir: &Path,
    source: InitSource,
    name: Option<String>,
    registry: &Registry,
) -> ExitCode {
    let name = match name {
        Some(name) if tributary_config::is_function_name(&name) => name,
        Some(name) => {
            eprintln!(
                "error: `{name}` cannot name a pipeline: its deployed function needs 1 to 64 letters, digits, `-` and `_`\n  hint: such as --name {}",
                pipeline_name(Some(&name))
            );
            return ExitCode::from(EXIT_INVALID);
        }
        None => pipeline_name(folder_name(dir).as_deref()),
    };
    let template = Template::of(source);
    let files = [
        (PIPELINE_FILE, template.pipeline(&name)),
        (SCHEMA_FILE, schema(registry)),
        (EVENT_FILE, template.event()),
    ];
    let paths: Vec<PathBuf> = files.iter().map(|(file, _)| shown(dir, file)).collect();
    if dir.exists() && !dir.is_dir() {
        eprintln!(
            "error: `{}` is a file, not a folder\n  hint: give `tributary init` a folder to write into, such as `tributary init {}-pipeline`",
            dir.display(),
            dir.display()
        );
        return ExitCode::from(EXIT_INVALID);
    }
    let existing: Vec<&PathBuf> = paths.iter().filter(|path| path.exists()).collect();
    if !existing.is_empty() {
        let listed: Vec<String> = existing
            .iter()
            .map(|path| format!("`{}`", path.display()))
            .collect();
        eprintln!(
            "error: {} already {}; `tributary init` writes only new files and changed nothing\n  hint: move {} away, or start in a new folder: `tributary init --source {} NEW-FOLDER`",
            listed.join(", "),
            if existing.len() == 1 {
                "exists"
            } else {
                "exist"
            },
            if existing.len() == 1 { "it" } else { "them" },
            source.kind()
        );
        return ExitCode::from(EXIT_INVALID);
    }
    if let Err(error) = std::fs::create_dir_all(dir) {
        eprintln!(
            "error: cannot create the folder `{}`: {error}",
            dir.display()
        );
        return ExitCode::from(EXIT_FAILED);
    }
    for ((_, contents), path) in files.iter().zip(&paths) {
        // `create_new`: a file that appeared since the check is not replaced.
        let written = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .and_then(|mut file| std::io::Write::write_all(&mut file, contents.as_bytes()));
        if let Err(error) = written {
            eprintln!("error: cannot write `{}`: {error}", path.display());
            return ExitCode::from(EXIT_FAILED);
        }
    }
    print!("{}", report(source, &name, dir));
    ExitCode::SUCCESS
}

/// `file` in `dir`, as the user would type it: no `./` for the current folder.
fn shown(dir: &Path, file: &str) -> PathBuf {
    if dir == Path::new(".") || dir.as_os_str().is_empty() {
        PathBuf::from(file)
    } else {
        dir.join(file)
    }
}

/// The last part of `dir`'s absolute path, if it has one.
fn folder_name(dir: &Path) -> Option<String> {
    let absolute = std::path::absolute(dir).ok()?;
    // `absolute` keeps `.` and `..`; the folder they stand for has the name.
    let normal = absolute
        .components()
        .fold(PathBuf::new(), |mut path, part| {
            match part {
                std::path::Component::CurDir => {}
                std::path::Component::ParentDir => {
                    path.pop();
                }
                part => path.push(part),
            }
            path
        });
    normal
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
}

/// A pipeline name (a Lambda function name) made from `folder`: letters,
/// digits, `-` and `_`, other characters made `-`; [`DEFAULT_NAME`] when
/// nothing is left.
fn pipeline_name(folder: Option<&str>) -> String {
    let Some(folder) = folder else {
        return DEFAULT_NAME.to_owned();
    };
    let name: String = folder
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .take(64)
        .collect();
    let name = name.trim_matches('-');
    if name.is_empty() || !tributary_config::is_function_name(name) {
        DEFAULT_NAME.to_owned()
    } else {
        name.to_owned()
    }
}

/// The pipeline file's JSON Schema, as `tributary schema` prints it.
fn schema(registry: &Registry) -> String {
    let schema = crate::schema::pipeline_schema(registry);
    let mut text = serde_json::to_string_pretty(&schema).expect("a JSON value serializes");
    text.push('\n');
    text
}

/// What was written and what to run next: commands to copy, each with what
/// it is for as a shell comment.
fn report(source: InitSource, name: &str, dir: &Path) -> String {
    let path = |file| shown(dir, file).display().to_string();
    let (pipeline, schema, event) = (path(PIPELINE_FILE), path(SCHEMA_FILE), path(EVENT_FILE));
    let written = [
        (
            pipeline.clone(),
            "the pipeline: a filter, a jsonl sink and [[tests]]",
        ),
        (schema, "its JSON Schema, for editors (the `#:schema` line)"),
        (event.clone(), "a Lambda event of the source, for `invoke`"),
    ];
    let mut next = vec![
        (format!("tributary validate {pipeline}"), "check it"),
        (format!("tributary test {pipeline}"), "run its [[tests]]"),
        (
            format!("tributary explain {pipeline}"),
            "what it does, and what Lambda filters",
        ),
        (
            format!("tributary invoke {pipeline} --event {event}"),
            "run the Lambda handler once",
        ),
    ];
    match source {
        InitSource::Kinesis => {
            next.push((
                "tributary record --stream clickstream --out recording.jsonl --until-caught-up"
                    .to_owned(),
                "record the stream",
            ));
            next.push((
                format!("tributary replay {pipeline} --recording recording.jsonl"),
                "replay it as Lambda would",
            ));
        }
        InitSource::DynamodbStreams => {
            next.push((
                "tributary record --table orders --out recording.jsonl --until-caught-up"
                    .to_owned(),
                "record the table's stream",
            ));
            next.push((
                format!("tributary replay {pipeline} --recording recording.jsonl"),
                "replay it as Lambda would",
            ));
        }
        InitSource::Eventbridge => {}
    }
    next.push((
        format!("tributary deploy {pipeline} --bucket YOUR-ARTIFACT-BUCKET --dry-run"),
        "what would be deployed",
    ));
    let mut out = format!("Wrote pipeline `{name}` (source `{}`):\n", source.kind());
    out += &aligned(&written, "");
    out += "\nNext:\n";
    out += &aligned(&next, "# ");
    out
}

/// Two columns, the second after `marker`, lined up.
fn aligned(rows: &[(String, &str)], marker: &str) -> String {
    let width = rows.iter().map(|(first, _)| first.len()).max().unwrap_or(0);
    rows.iter()
        .map(|(first, second)| format!("  {first:width$}  {marker}{second}\n"))
        .collect()
}

impl InitSource {
    /// The `[source] type`.
    pub(super) fn kind(self) -> &'static str {
        match self {
            InitSource::Kinesis => "kinesis",
            InitSource::DynamodbStreams => "dynamodb_streams",
            InitSource::Eventbridge => "eventbridge",
        }
    }
}

/// A source's starting pipeline and its sample payloads.
struct Template {
    source: InitSource,
    /// The pipeline file, with `{name}` for the pipeline's name.
    text: &'static str,
    /// The payloads of the pipeline's first test, in order: the event
    /// carries the same.
    payloads: Vec<Value>,
}

impl Template {
    fn of(source: InitSource) -> Self {
        match source {
            InitSource::Kinesis => Template {
                source,
                text: KINESIS,
                payloads: vec![
                    json!({ "type": "purchase", "user_id": "u-1", "price": 120, "currency": "EUR" }),
                    json!({ "type": "purchase", "user_id": "u-2", "price": 12, "currency": "EUR" }),
                    json!({ "type": "page_view", "user_id": "u-1", "page": "/cart" }),
                ],
            },
            InitSource::DynamodbStreams => Template {
                source,
                text: DYNAMODB_STREAMS,
                payloads: vec![
                    json!({ "order_id": "o-1", "status": "paid", "total": 120.5 }),
                    json!({ "order_id": "o-2", "status": "placed", "total": 12 }),
                    json!({ "order_id": "o-3", "status": "shipped", "total": 30 }),
                ],
            },
            InitSource::Eventbridge => Template {
                source,
                text: EVENTBRIDGE,
                payloads: vec![
                    eventbridge_event(
                        "1",
                        "Order Placed",
                        json!({ "order_id": "o-1", "total": 120.5 }),
                    ),
                    eventbridge_event("2", "Order Cancelled", json!({ "order_id": "o-2" })),
                ],
            },
        }
    }

    fn pipeline(&self, name: &str) -> String {
        self.text.replace("{name}", name)
    }

    /// The Lambda event that delivers the payloads, pretty JSON.
    fn event(&self) -> String {
        let event = match self.source {
            InitSource::Kinesis => kinesis_event(&self.payloads),
            InitSource::DynamodbStreams => dynamodb_event(&self.payloads),
            // EventBridge invokes the function with one event.
            InitSource::Eventbridge => self.payloads[0].clone(),
        };
        let mut text = serde_json::to_string_pretty(&event).expect("a JSON value serializes");
        text.push('\n');
        text
    }
}

fn eventbridge_event(id: &str, detail_type: &str, detail: Value) -> Value {
    json!({
        "version": "0",
        "id": id,
        "detail-type": detail_type,
        "source": "shop.orders",
        "account": "123456789012",
        "time": "2026-11-28T10:00:00Z",
        "region": "eu-west-1",
        "resources": [],
        "detail": detail
    })
}

/// A Kinesis event of one shard with a record a payload.
fn kinesis_event(payloads: &[Value]) -> Value {
    let records: Vec<Value> = payloads
        .iter()
        .enumerate()
        .map(|(i, payload)| {
            let sequence = format!(
                "4959000000000000000000000000000000000000000000000{:07}",
                i + 1
            );
            let data = base64::engine::general_purpose::STANDARD.encode(payload.to_string());
            let partition_key = payload["user_id"].as_str().unwrap_or("key").to_owned();
            json!({
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": partition_key,
                    "sequenceNumber": sequence,
                    "data": data,
                    "approximateArrivalTimestamp": 1_795_860_000.0 + i as f64
                },
                "eventSource": "aws:kinesis",
                "eventVersion": "1.0",
                "eventID": format!("shardId-000000000000:{sequence}"),
                "eventName": "aws:kinesis:record",
                "invokeIdentityArn": "arn:aws:iam::123456789012:role/tributary",
                "awsRegion": "eu-west-1",
                "eventSourceARN": "arn:aws:kinesis:eu-west-1:123456789012:stream/clickstream"
            })
        })
        .collect();
    json!({ "Records": records })
}

/// A DynamoDB Streams event with an INSERT a payload (keyed by `order_id`).
fn dynamodb_event(payloads: &[Value]) -> Value {
    let records: Vec<Value> = payloads
        .iter()
        .enumerate()
        .map(|(i, payload)| {
            let key = json!({ "order_id": attribute(&payload["order_id"]) });
            let image = match attribute(payload) {
                Value::Object(mut map) => map.remove("M").unwrap_or_default(),
                other => other,
            };
            json!({
                "eventID": format!("{:032x}", i + 1),
                "eventName": "INSERT",
                "eventVersion": "1.1",
                "eventSource": "aws:dynamodb",
                "awsRegion": "eu-west-1",
                "dynamodb": {
                    "ApproximateCreationDateTime": 1_795_860_000 + i,
                    "Keys": key,
                    "NewImage": image,
                    "SequenceNumber": format!("{}", 1_100_001_000_000_000_000_100_u128 * (i as u128 + 1)),
                    "SizeBytes": payload.to_string().len(),
                    "StreamViewType": "NEW_AND_OLD_IMAGES"
                },
                "eventSourceARN": "arn:aws:dynamodb:eu-west-1:123456789012:table/orders/stream/2026-11-28T00:00:00.000"
            })
        })
        .collect();
    json!({ "Records": records })
}

/// A JSON value as a DynamoDB attribute value (`{"S": "..."}`, `{"N": "..."}`).
fn attribute(value: &Value) -> Value {
    match value {
        Value::Null => json!({ "NULL": true }),
        Value::Bool(b) => json!({ "BOOL": b }),
        Value::Number(n) => json!({ "N": n.to_string() }),
        Value::String(s) => json!({ "S": s }),
        Value::Array(items) => json!({ "L": items.iter().map(attribute).collect::<Vec<_>>() }),
        Value::Object(fields) => {
            let map: Map<String, Value> = fields
                .iter()
                .map(|(key, value)| (key.clone(), attribute(value)))
                .collect();
            json!({ "M": map })
        }
    }
}

const KINESIS: &str = r#"#:schema pipeline.schema.json
# A tributary pipeline: records of a Kinesis stream, filtered, written as JSON
# Lines. `tributary explain pipeline.toml` says what it does; the line above
# lets editors (taplo, Even Better TOML) complete and check this file.

[pipeline]
name = "{name}"
description = "Purchases of 100 EUR or more"
# A record that cannot be processed (not JSON, refused by a sink) is
# reported as failed, so Lambda retries it: "retry". Or "skip" it, or send
# it to a "dead-letter" sink. With "skip", `tributary deploy` also gives the
# filter below to Lambda, so records it drops never invoke the function.
on_error = "retry"

[source]
type = "kinesis"
# The stream's name or ARN.
stream = "clickstream"
# Records per invocation, and where a new event source mapping starts.
batch_size = 100
starting_position = "trim-horizon"
# Retry a failing batch 3 times, then give up on its records.
maximum_retry_attempts = 3

# Keeps purchases of 100 EUR or more; drops the rest. The pattern is an
# EventBridge event pattern, matched on each record's JSON (docs/filter.md).
[[processors]]
type = "filter"
id = "large-purchases"
pattern = { type = ["purchase"], price = [{ numeric = [">=", 100] }], currency = ["EUR"] }

[sinks.out]
type = "jsonl"
path = "out/purchases.jsonl"

# `tributary test pipeline.toml` runs these.
[[tests]]
name = "purchases of 100 EUR or more pass; the rest is dropped"
inputs = [
  { data = { type = "purchase", user_id = "u-1", price = 120, currency = "EUR" } },
  { data = { type = "purchase", user_id = "u-2", price = 12, currency = "EUR" } },
  { data = { type = "page_view", user_id = "u-1", page = "/cart" } },
]
expect.outputs.out = [{ type = "purchase", user_id = "u-1", price = 120, currency = "EUR" }]
expect.delivered = 1
expect.dropped = 2

# Lambda tries a record 4 times: once, then `maximum_retry_attempts` more;
# then its shard goes on, and the on-failure destination (if any) gets it.
[[tests]]
name = "a record that is not JSON is retried, not lost"
inputs = [{ text = "not json" }]
expect.failed = 4
"#;

const DYNAMODB_STREAMS: &str = r#"#:schema pipeline.schema.json
# A tributary pipeline: the changes of a DynamoDB table, filtered, written as
# JSON Lines. `tributary explain pipeline.toml` says what it does; the line
# above lets editors (taplo, Even Better TOML) complete and check this file.

[pipeline]
name = "{name}"
description = "Orders that are paid or shipped"
# A change that cannot be processed is reported as failed, so Lambda
# retries it: "retry". Or "skip" it, or send it to a "dead-letter" sink.
on_error = "retry"

[source]
type = "dynamodb_streams"
# The table's name (`deploy` looks up its stream) or its stream's ARN.
table = "orders"
# Changes per invocation, and where a new event source mapping starts.
batch_size = 100
starting_position = "trim-horizon"
# Retry a failing batch 3 times, then give up on its changes.
maximum_retry_attempts = 3
# Each change is the item after it, as plain JSON.
payload = "item"

# Keeps the orders that are paid or shipped; drops the rest. The pattern is
# an EventBridge event pattern, matched on each item (docs/filter.md).
[[processors]]
type = "filter"
id = "paid-or-shipped"
pattern = { status = ["paid", "shipped"] }

[sinks.out]
type = "jsonl"
path = "out/orders.jsonl"

# `tributary test pipeline.toml` runs these.
[[tests]]
name = "paid and shipped orders pass; placed ones are dropped"
inputs = [
  { data = { order_id = "o-1", status = "paid", total = 120.5 } },
  { data = { order_id = "o-2", status = "placed", total = 12 } },
  { data = { order_id = "o-3", status = "shipped", total = 30 } },
]
expect.outputs.out = [
  { order_id = "o-1", status = "paid", total = 120.5 },
  { order_id = "o-3", status = "shipped", total = 30 },
]
expect.delivered = 2
expect.dropped = 1
"#;

const EVENTBRIDGE: &str = r#"#:schema pipeline.schema.json
# A tributary pipeline: events of an EventBridge bus, filtered, written as
# JSON Lines. `tributary explain pipeline.toml` says what it does; the line
# above lets editors (taplo, Even Better TOML) complete and check this file.

[pipeline]
name = "{name}"
description = "Orders placed in the shop"

[source]
type = "eventbridge"
event_bus = "default"
# Lambda retries a failed invocation at most twice (0 to 2).
maximum_retry_attempts = 2

# Keeps the shop's `Order Placed` events; drops the rest. `tributary deploy`
# makes this pattern the rule's, so other events never invoke the function.
[[processors]]
type = "filter"
id = "orders-placed"
pattern = { source = ["shop.orders"], detail-type = ["Order Placed"] }

[sinks.out]
type = "jsonl"
path = "out/orders-placed.jsonl"

# `tributary test pipeline.toml` runs these.
[[tests]]
name = "placed orders pass; other events are dropped"
inputs = [
  { data = { version = "0", id = "1", detail-type = "Order Placed", source = "shop.orders", account = "123456789012", time = "2026-11-28T10:00:00Z", region = "eu-west-1", resources = [], detail = { order_id = "o-1", total = 120.5 } } },
  { data = { version = "0", id = "2", detail-type = "Order Cancelled", source = "shop.orders", account = "123456789012", time = "2026-11-28T10:00:00Z", region = "eu-west-1", resources = [], detail = { order_id = "o-2" } } },
]
expect.outputs_include.out = [{ detail-type = "Order Placed", detail = { order_id = "o-1" } }]
expect.delivered = 1
expect.dropped = 1
"#;

#[cfg(test)]
mod tests {
    use super::*;

    const SOURCES: [InitSource; 3] = [
        InitSource::Kinesis,
        InitSource::DynamodbStreams,
        InitSource::Eventbridge,
    ];

    /// The first test's inputs, as JSON.
    fn test_inputs(pipeline: &str) -> Vec<Value> {
        let table: toml::Table = toml::from_str(pipeline).unwrap();
        let tests = table["tests"].as_array().unwrap();
        let inputs = tests[0]["inputs"].as_array().unwrap();
        inputs
            .iter()
            .map(|input| serde_json::to_value(&input["data"]).unwrap())
            .collect()
    }

    #[test]
    fn each_template_is_a_valid_pipeline_of_its_source() {
        let registry = Registry::builtin();
        for source in SOURCES {
            let template = Template::of(source);
            let text = template.pipeline("orders-search");
            assert!(text.starts_with("#:schema pipeline.schema.json\n"));
            let plan = tributary::Plan::parse("pipeline.toml", &text, &registry)
                .unwrap_or_else(|e| panic!("{}: {e}", source.kind()));
            assert_eq!(plan.source().kind().as_str(), source.kind());
            assert_eq!(plan.name(), "orders-search");
        }
    }

    #[test]
    fn the_event_carries_the_payloads_of_the_first_test() {
        for source in SOURCES {
            let template = Template::of(source);
            let inputs = test_inputs(template.text);
            let event: Value = serde_json::from_str(&template.event()).unwrap();
            let carried: Vec<Value> = match source {
                InitSource::Kinesis => event["Records"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|record| {
                        let data = record["kinesis"]["data"].as_str().unwrap();
                        let bytes = base64::engine::general_purpose::STANDARD
                            .decode(data)
                            .unwrap();
                        serde_json::from_slice(&bytes).unwrap()
                    })
                    .collect(),
                InitSource::DynamodbStreams => event["Records"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|record| record["dynamodb"]["NewImage"]["status"]["S"].clone())
                    .collect(),
                InitSource::Eventbridge => vec![event],
            };
            match source {
                InitSource::Kinesis => assert_eq!(carried, inputs),
                InitSource::DynamodbStreams => {
                    let statuses: Vec<Value> =
                        inputs.iter().map(|input| input["status"].clone()).collect();
                    assert_eq!(carried, statuses);
                }
                InitSource::Eventbridge => assert_eq!(carried, inputs[..1]),
            }
            assert_eq!(template.payloads.len(), inputs.len(), "{}", source.kind());
            assert_eq!(template.payloads, inputs, "{}", source.kind());
        }
    }

    #[test]
    fn a_folder_name_becomes_a_function_name() {
        assert_eq!(pipeline_name(Some("clicks")), "clicks");
        assert_eq!(pipeline_name(Some("my clicks.v2")), "my-clicks-v2");
        assert_eq!(pipeline_name(Some("...")), DEFAULT_NAME);
        assert_eq!(pipeline_name(None), DEFAULT_NAME);
        assert_eq!(pipeline_name(Some(&"a".repeat(80))).len(), 64);
    }

    #[test]
    fn an_attribute_value_is_typed_as_dynamodb_writes_it() {
        assert_eq!(
            attribute(&json!({ "a": [1, "x", null, true] })),
            json!({ "M": { "a": { "L": [{ "N": "1" }, { "S": "x" }, { "NULL": true }, { "BOOL": true }] } } })
        );
    }
}
