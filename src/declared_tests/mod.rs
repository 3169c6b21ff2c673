//! Tests declared in a pipeline file, `[[tests]]`, run by `tributary test`.
//!
//! ```toml
//! [[tests]]
//! name = "large purchases pass, views are dropped"
//! inputs = [
//!   { data = { type = "purchase", price = 120, geo = { country = "DE" } } },
//!   { data = { type = "view" } },
//!   { text = "not json" },
//! ]
//! expect.outputs.purchases = [{ type = "purchase", price = 120, geo = { country = "DE" } }]
//! expect.dropped = 1
//! expect.dead_lettered = 1
//! ```
//!
//! Unlike the unit tests of Vector or Benthos, these run the whole pipeline:
//! the source's decoding (codecs, KPL, DynamoDB images), every processor,
//! and the sinks, captured, with Lambda's batching, retries and windows, as
//! `tributary replay` runs them.

mod diff;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;
use tributary_config::{ConfigError, Diagnostic, Options, PipelineConfig, did_you_mean};
use tributary_connectors::recording::{RecordingReader, check_source};
use tributary_connectors::sources::SourceRecord;
use tributary_core::SourceKind;
use tributary_processors::Registry;

use crate::testing::{PipelineTest, TestRun, test_record};

/// One `[[tests]]` table.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TestCase {
    /// What the test shows.
    pub name: String,
    /// The input records, in order, all on one shard unless they say.
    #[serde(default)]
    pub inputs: Vec<TestInput>,
    /// A recording to replay instead (or as well, after `inputs`), relative
    /// to the pipeline file.
    #[serde(default)]
    pub recording: Option<PathBuf>,
    /// What must come out.
    #[serde(default)]
    pub expect: Expectations,
}

/// One input record: its payload as JSON (`data`) or as text (`text`).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TestInput {
    /// The payload, as a JSON value.
    #[serde(default)]
    pub data: Option<Value>,
    /// The payload's bytes, as text (to test what is not JSON).
    #[serde(default)]
    pub text: Option<String>,
    /// The shard. Default `shardId-000000000000`.
    #[serde(default)]
    pub shard: Option<String>,
}

/// What a test expects. Each part is checked only when given.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Expectations {
    /// Every payload each named sink gets, exactly and in order.
    #[serde(default)]
    pub outputs: BTreeMap<String, Vec<Value>>,
    /// Payloads each named sink must get among others: each expected value
    /// matches an output whose fields include its fields.
    #[serde(default)]
    pub outputs_include: BTreeMap<String, Vec<Value>>,
    /// How many input records are delivered.
    #[serde(default)]
    pub delivered: Option<u64>,
    /// How many are dropped on purpose.
    #[serde(default)]
    pub dropped: Option<u64>,
    /// How many are skipped (`on_error = "skip"`).
    #[serde(default)]
    pub skipped: Option<u64>,
    /// How many are folded into aggregates.
    #[serde(default)]
    pub aggregated: Option<u64>,
    /// How many are dead-lettered.
    #[serde(default)]
    pub dead_lettered: Option<u64>,
    /// How many are reported failed to Lambda (each retry counts again).
    #[serde(default)]
    pub failed: Option<u64>,
}

/// The result of one declared test.
#[derive(Debug)]
pub struct Outcome {
    /// The test's name.
    pub name: String,
    /// What differed from the expectations, each readable on its own.
    pub problems: Vec<String>,
    /// The input records by fate.
    pub totals: crate::Totals,
    /// What each sink received (captured by the test: nothing is written),
    /// and the first dead letters with why.
    pub deliveries: crate::DeliveryTotals,
}

/// Reads and runs the tests of a pipeline file. An error is a file that
/// cannot be read or a test table that is wrong.
pub fn run_file(path: &Path, registry: &Registry) -> Result<Vec<Outcome>, Vec<Diagnostic>> {
    let config = PipelineConfig::load(path).map_err(|e| e.diagnostics)?;
    let text = std::fs::read_to_string(path).map_err(|e| vec![Diagnostic::new(e.to_string())])?;
    let plan = crate::Plan::from_config(&config, registry).map_err(|e| e.diagnostics)?;
    let cases = read_cases(&config, &plan).map_err(|e| e.diagnostics)?;
    let base = path.parent().unwrap_or(Path::new("."));
    let mut outcomes = Vec::with_capacity(cases.len());
    let source = plan.source().kind();
    for (case, options) in cases.into_iter().zip(&config.tests) {
        let mut records = inputs(&case.inputs, source);
        if let Some(recording) = &case.recording {
            let file = base.join(recording);
            let open = || {
                RecordingReader::open(&file)
                    .map_err(|e| vec![options.error_at("recording", e.to_string())])
            };
            check_source(open()?, source)
                .map_err(|e| vec![options.error_at("recording", e.to_string())])?;
            let reader = open()?;
            for record in reader {
                let record =
                    record.map_err(|e| vec![options.error_at("recording", e.to_string())])?;
                records.push(plan.source().recorded(record));
            }
        }
        let mut test = PipelineTest::named(&path.to_string_lossy(), &text, registry.clone())
            .map_err(|e| e.diagnostics)?;
        let run = test.replay(records);
        outcomes.push(Outcome {
            problems: check(&case.expect, &run),
            name: case.name,
            totals: run.report.totals,
            deliveries: run.report.deliveries,
        });
    }
    Ok(outcomes)
}

/// Reads and checks every `[[tests]]` table of a checked pipeline: its
/// keys, its inputs, and the sinks its expectations name. `tributary
/// validate` runs this, and `tributary test` before it runs a test, so the
/// two find the same mistakes.
pub fn read_cases(
    config: &PipelineConfig,
    plan: &crate::Plan,
) -> Result<Vec<TestCase>, ConfigError> {
    let sinks: Vec<&str> = plan.sinks().map(|(name, _)| name).collect();
    let mut cases = Vec::with_capacity(config.tests.len());
    let mut diagnostics = Vec::new();
    for options in &config.tests {
        match read_case(options, &sinks) {
            Ok(case) => cases.push(case),
            Err(diagnostic) => diagnostics.push(diagnostic),
        }
    }
    if diagnostics.is_empty() {
        Ok(cases)
    } else {
        Err(ConfigError::new(diagnostics))
    }
}

fn read_case(options: &Options, sinks: &[&str]) -> Result<TestCase, Diagnostic> {
    let case: TestCase = options.deserialize()?;
    let expected = [
        ("outputs", &case.expect.outputs),
        ("outputs_include", &case.expect.outputs_include),
    ];
    for (key, outputs) in expected {
        if let Some(sink) = outputs.keys().find(|sink| !sinks.contains(&sink.as_str())) {
            let names = sinks
                .iter()
                .map(|s| format!("`{s}`"))
                .collect::<Vec<_>>()
                .join(", ");
            let hint = match did_you_mean(sink, sinks.iter().copied()) {
                Some(known) => format!("did you mean `{known}`? The pipeline's sinks are {names}"),
                None => format!("the pipeline's sinks are {names}"),
            };
            return Err(options
                .error_at(
                    &format!("expect.{key}.{sink}"),
                    format!(
                        "`expect.{key}` names the sink `{sink}`, which the pipeline does not have"
                    ),
                )
                .hint(hint));
        }
    }
    for (i, input) in case.inputs.iter().enumerate() {
        if input.data.is_some() == input.text.is_some() {
            return Err(options
                .error_at(
                    &format!("inputs.{i}"),
                    "an input has `data` or `text`, one of them",
                )
                .hint("data = { type = \"click\" } for JSON, text = \"...\" for other bytes"));
        }
    }
    if case.inputs.is_empty() && case.recording.is_none() {
        return Err(options.error_at(
            "",
            format!("test `{}` has no `inputs` and no `recording`", case.name),
        ));
    }
    Ok(case)
}

/// Source records for the inputs, of the pipeline's source kind, on the
/// test clock.
fn inputs(inputs: &[TestInput], source: SourceKind) -> Vec<SourceRecord> {
    inputs
        .iter()
        .enumerate()
        .map(|(i, input)| {
            let shard = input.shard.as_deref().unwrap_or("shardId-000000000000");
            match (&input.data, &input.text) {
                (Some(data), _) => {
                    test_record(source, shard, i, Bytes::from(data.to_string()), true)
                }
                (None, text) => test_record(
                    source,
                    shard,
                    i,
                    Bytes::from(text.clone().unwrap_or_default()),
                    false,
                ),
            }
        })
        .collect()
}

fn check(expect: &Expectations, run: &TestRun) -> Vec<String> {
    let mut problems = Vec::new();
    for (sink, expected) in &expect.outputs {
        let actual = run.outputs.get(sink).cloned().unwrap_or_default();
        if !same_values(&actual, expected) {
            problems.push(format!(
                "sink `{sink}` got other records (- expected, + actual; keys in order):\n{}",
                diff::lines(&pretty(expected), &pretty(&actual))
            ));
        }
    }
    for (sink, expected) in &expect.outputs_include {
        let actual = run.outputs.get(sink).cloned().unwrap_or_default();
        for value in expected {
            if !actual.iter().any(|output| includes(output, value)) {
                problems.push(format!(
                    "sink `{sink}` got no record including\n{}\namong its {} record(s){}",
                    indent(&serde_json::to_string_pretty(&sorted(value)).unwrap_or_default()),
                    actual.len(),
                    shown(&actual)
                ));
            }
        }
    }
    let totals = run.report.totals;
    let counts = [
        ("delivered", expect.delivered, totals.delivered),
        ("dropped", expect.dropped, totals.dropped),
        ("skipped", expect.skipped, totals.skipped),
        ("aggregated", expect.aggregated, totals.aggregated),
        ("dead_lettered", expect.dead_lettered, totals.dead_lettered),
        ("failed", expect.failed, totals.failed),
    ];
    for (what, expected, actual) in counts {
        if let Some(expected) = expected.filter(|e| *e != actual) {
            problems.push(format!("{what}: expected {expected}, got {actual}"));
        }
    }
    problems
}

/// The values, one pretty document after the other, each object's keys in
/// order: a diff shows what differs, not in which order keys were written.
fn pretty(values: &[Value]) -> String {
    values
        .iter()
        .map(|v| serde_json::to_string_pretty(&sorted(v)).unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n")
}

/// `value` with every object's keys in order.
fn sorted(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by_key(|(key, _)| *key);
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.clone(), sorted(v)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// The records a sink got, as the first few lines of a failure message.
fn shown(records: &[Value]) -> String {
    const SHOWN: usize = 5;
    let mut text: String = records
        .iter()
        .take(SHOWN)
        .map(|record| format!("\n    {}", sorted(record)))
        .collect();
    if records.len() > SHOWN {
        text.push_str(&format!("\n    ... and {} more", records.len() - SHOWN));
    }
    if !text.is_empty() {
        text.insert(0, ':');
    }
    text
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn same_values(actual: &[Value], expected: &[Value]) -> bool {
    actual.len() == expected.len()
        && actual
            .iter()
            .zip(expected)
            .all(|(a, e)| includes(a, e) && includes(e, a))
}

/// Whether `actual` has everything `expected` has: objects by their keys,
/// numbers by value (`1` is `1.0`), the rest exactly.
fn includes(actual: &Value, expected: &Value) -> bool {
    match (actual, expected) {
        (Value::Object(a), Value::Object(e)) => e
            .iter()
            .all(|(k, v)| a.get(k).is_some_and(|av| includes(av, v))),
        (Value::Array(a), Value::Array(e)) => {
            a.len() == e.len() && a.iter().zip(e).all(|(x, y)| includes(x, y))
        }
        (Value::Number(a), Value::Number(e)) => a.as_f64() == e.as_f64(),
        (a, e) => a == e,
    }
}
