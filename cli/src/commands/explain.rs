//! `tributary explain PIPELINE`: what a pipeline does, in plain words.
//!
//! It reads the pipeline as every other command does (so an invalid file
//! gets the same errors) and says, in order: where records come from and how
//! Lambda hands them over, what each processor does to them, which sink takes
//! which records, what happens to a record that cannot be processed, and
//! whether Lambda filters records before they invoke the function. That last
//! decision is `package`'s own ([`crate::deploy::push_down`]), not a copy of
//! it, so `explain` and the deployed event source mapping cannot disagree.

use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

use serde_json::Value;
use tributary::Plan;
use tributary_config::{Component, OnError, PipelineConfig, Unrouted};
use tributary_connectors::sinks::ROUTE;
use tributary_connectors::sources::{
    Codec, DynamodbPayload, KinesisConsumer, MappingSettings, SourceConfig, StartingPosition,
};
use tributary_processors::Registry;
use tributary_processors::aggregate::{AggregateConfig, Op, WindowMode};
use tributary_processors::dedupe::{DedupeConfig, Keep};
use tributary_processors::filter::{FilterConfig, PatternSource};
use tributary_processors::project::ProjectConfig;
use tributary_processors::remap::RemapConfig;
use tributary_processors::sample::SampleConfig;
use tributary_processors::throttle::ThrottleConfig;
use tributary_processors::when::WHEN;
use tributary_processors::{KeyFields, ProcessorConfig};

use super::EXIT_INVALID;
use crate::deploy::PushDown;

/// Explains the pipeline file at `path` on standard output; exit 1, with
/// its errors, when it is invalid.
pub(super) fn run(path: &Path, registry: &Registry) -> ExitCode {
    let config = match PipelineConfig::load(path) {
        Ok(config) => config,
        Err(error) => {
            eprint!("{error}");
            return ExitCode::from(EXIT_INVALID);
        }
    };
    let plan = match Plan::from_config(&config, registry) {
        Ok(plan) => plan,
        Err(error) => {
            eprint!("{error}");
            return ExitCode::from(EXIT_INVALID);
        }
    };
    let push_down = crate::deploy::push_down(&config, &plan);
    print!("{}", explain(&config, &plan, &push_down));
    ExitCode::SUCCESS
}

/// The explanation of a valid pipeline, `push_down` being what `package`
/// decided for it.
fn explain(config: &PipelineConfig, plan: &Plan, push_down: &PushDown) -> String {
    let mut out = String::new();
    let pipeline = &config.pipeline;
    match &pipeline.description {
        Some(description) => line(
            &mut out,
            0,
            format!("Pipeline `{}`: {description}", pipeline.name),
        ),
        None => line(&mut out, 0, format!("Pipeline `{}`", pipeline.name)),
    }
    out.push('\n');
    source(&mut out, plan.source());
    out.push('\n');
    processors(&mut out, config);
    out.push('\n');
    sinks(&mut out, config, plan);
    out.push('\n');
    errors(&mut out, config, plan.source());
    out.push('\n');
    push_down_section(&mut out, plan.source(), push_down);
    out
}

/// Appends one line, indented by `depth` steps of two spaces.
fn line(out: &mut String, depth: usize, text: impl AsRef<str>) {
    let _ = writeln!(out, "{:width$}{}", "", text.as_ref(), width = depth * 2);
}

fn source(out: &mut String, source: &SourceConfig) {
    match source {
        SourceConfig::Kinesis(kinesis) => {
            let stream = named("stream", kinesis.stream.as_deref());
            line(
                out,
                0,
                format!("Source: the Kinesis data stream {stream} (`type = \"kinesis\"`)."),
            );
            match kinesis.consumer {
                KinesisConsumer::Shared => line(
                    out,
                    1,
                    "Lambda's event source mapping polls the stream's shards, sharing their read throughput with other consumers (`consumer = \"shared\"`).",
                ),
                KinesisConsumer::Efo => line(
                    out,
                    1,
                    "Lambda reads through an enhanced fan-out consumer of its own, with each shard's full read throughput (`consumer = \"efo\"`).",
                ),
            }
            mapping(out, &MappingSettings::from(kinesis), "the stream keeps");
            line(out, 1, codec(kinesis.codec));
        }
        SourceConfig::DynamodbStreams(dynamodb) => {
            let table = named("table", dynamodb.table.as_deref());
            line(
                out,
                0,
                format!(
                    "Source: the stream of DynamoDB table {table} (`type = \"dynamodb_streams\"`)."
                ),
            );
            line(
                out,
                1,
                "Lambda's event source mapping reads the table's changes (INSERT, MODIFY, REMOVE), in order per item.",
            );
            mapping(
                out,
                &MappingSettings::from(dynamodb),
                "the stream keeps (24 hours)",
            );
            match dynamodb.payload {
                DynamodbPayload::Item => line(
                    out,
                    1,
                    "Each change becomes the item after it, as plain JSON (`payload = \"item\"`); a REMOVE carries the item before it.",
                ),
                DynamodbPayload::Change => line(
                    out,
                    1,
                    "Each change becomes the whole change: its event name, keys, and the images before and after, as plain JSON (`payload = \"change\"`).",
                ),
            }
            if dynamodb.collapse {
                line(
                    out,
                    1,
                    "Of several changes to one item in a batch, only the last goes on; the earlier ones count as dropped (`collapse = true`).",
                );
            } else {
                line(
                    out,
                    1,
                    "Every change goes on, even when a later one in the batch changes the same item again (`collapse = false`).",
                );
            }
        }
        SourceConfig::Eventbridge(eventbridge) => {
            line(
                out,
                0,
                format!(
                    "Source: events of the EventBridge bus `{}` (`type = \"eventbridge\"`).",
                    eventbridge.event_bus
                ),
            );
            line(
                out,
                1,
                "A rule on the bus invokes the function asynchronously, once an event: there is no event source mapping and no batching.",
            );
            let retries = eventbridge.maximum_retry_attempts;
            line(
                out,
                1,
                format!(
                    "When an invocation fails, Lambda retries it up to {retries} {} (`maximum_retry_attempts`).",
                    plural(u64::from(retries), "time", "times")
                ),
            );
            match eventbridge.maximum_event_age_secs {
                Some(age) => line(
                    out,
                    1,
                    format!(
                        "An event older than {age} s is not retried (`maximum_event_age_secs`)."
                    ),
                ),
                None => line(
                    out,
                    1,
                    "An event is retried for up to six hours, Lambda's default (no `maximum_event_age_secs`).",
                ),
            }
            destination(out, eventbridge.on_failure_destination.as_deref(), "events");
            line(
                out,
                1,
                "The payload is the whole event, as JSON: `source`, `detail-type`, `detail` and the rest.",
            );
        }
    }
}

/// `` `name` ``, or a note that the key is missing.
fn named(key: &str, value: Option<&str>) -> String {
    match value {
        Some(value) => format!("`{value}`"),
        None => format!("(no `{key}` yet: `deploy` needs one)"),
    }
}

/// The event source mapping's settings, as sentences.
fn mapping(out: &mut String, mapping: &MappingSettings, oldest: &str) {
    let window = match mapping.batching_window_secs {
        0 => "without waiting to fill it".to_owned(),
        secs => format!("waiting up to {secs} s to fill it (`batching_window_secs`)"),
    };
    line(
        out,
        1,
        format!(
            "Each invocation gets a batch of up to {} records (`batch_size`), {window}.",
            mapping.batch_size
        ),
    );
    let start = match mapping.starting_position {
        StartingPosition::TrimHorizon => {
            format!("the oldest record {oldest} (`starting_position = \"trim-horizon\"`)")
        }
        StartingPosition::Latest => {
            "the records written after the mapping is created (`starting_position = \"latest\"`)"
                .to_owned()
        }
        StartingPosition::AtTimestamp => format!(
            "the records written from {} on (`starting_position = \"at-timestamp\"`)",
            mapping
                .starting_position_timestamp
                .as_deref()
                .unwrap_or("the timestamp")
        ),
    };
    line(out, 1, format!("A new mapping starts at {start}."));
    match mapping.parallelization_factor {
        1 => line(
            out,
            1,
            "One batch of a shard is processed at a time, in order (`parallelization_factor = 1`).",
        ),
        factor => line(
            out,
            1,
            format!(
                "Up to {factor} batches of a shard are processed at once, in order per partition key or item (`parallelization_factor`)."
            ),
        ),
    }
    if let Some(secs) = mapping.tumbling_window_secs {
        line(
            out,
            1,
            format!(
                "Records are grouped in tumbling windows of {secs} s, whose state Lambda carries between invocations (`tumbling_window_secs`)."
            ),
        );
    }
    let retries = match u32::try_from(mapping.maximum_retry_attempts) {
        Ok(attempts) => format!(
            "up to {attempts} {}",
            plural(u64::from(attempts), "time", "times")
        ),
        Err(_) => "until its records expire".to_owned(),
    };
    line(
        out,
        1,
        format!(
            "A batch with failed records is retried from the first failed one, {retries} (`maximum_retry_attempts`)."
        ),
    );
    match u32::try_from(mapping.maximum_record_age_secs) {
        Ok(age) => line(
            out,
            1,
            format!("A record older than {age} s is not retried (`maximum_record_age_secs`)."),
        ),
        Err(_) => line(
            out,
            1,
            "No record is too old to retry (`maximum_record_age_secs = -1`).",
        ),
    }
    if mapping.bisect_batch_on_function_error {
        line(
            out,
            1,
            "A batch on which the function fails as a whole is split in two, and each half retried (`bisect_batch_on_function_error`).",
        );
    }
    destination(out, mapping.on_failure_destination.as_deref(), "records");
}

fn destination(out: &mut String, destination: Option<&str>, what: &str) {
    match destination {
        Some(arn) => line(
            out,
            1,
            format!(
                "The {what} Lambda gives up on are described to {arn} (`on_failure_destination`)."
            ),
        ),
        None => line(
            out,
            1,
            format!(
                "The {what} Lambda gives up on are lost: there is no `on_failure_destination`."
            ),
        ),
    }
}

fn codec(codec: Codec) -> String {
    let how = match codec {
        Codec::Json => "each record's data is one JSON document",
        Codec::Text => "each record's data is UTF-8 text, a JSON string",
        Codec::Bytes => "each record's data is opaque, a JSON string of its base64",
        Codec::GzipJson => "each record's data is gzip-compressed JSON",
        Codec::CloudwatchLogs => {
            "each record is a CloudWatch Logs subscription's batch, and each log event in it becomes a payload"
        }
    };
    format!("Payloads: {how} (`codec = \"{}\"`).", codec.name())
}

fn processors(out: &mut String, config: &PipelineConfig) {
    if config.processors.is_empty() {
        line(
            out,
            0,
            "Processors: none; every record goes to the sinks as it came.",
        );
        return;
    }
    line(out, 0, "Processors, in order:");
    for (index, processor) in config.processors.iter().enumerate() {
        let label = config.processor_label(index);
        line(
            out,
            1,
            format!(
                "{}. `{label}` ({}): {}",
                index + 1,
                processor.kind(),
                what_it_does(processor)
            ),
        );
        if let Ok(Some(when)) = processor.options().deserialize_at::<PatternSource>(WHEN) {
            line(
                out,
                2,
                format!(
                    "Only on records matching {}; the others pass it untouched (`when`).",
                    pattern_text(&when)
                ),
            );
        }
    }
}

/// What one processor does, in a sentence.
fn what_it_does(processor: &Component) -> String {
    let options = processor.options().without(WHEN);
    match processor.kind() {
        FilterConfig::TYPE => match options.deserialize::<FilterConfig>() {
            Ok(filter) => {
                let patterns: Vec<String> = filter
                    .pattern
                    .iter()
                    .chain(&filter.patterns)
                    .map(pattern_text)
                    .collect();
                let which = if patterns.len() == 1 {
                    format!("the event pattern {}", patterns[0])
                } else {
                    format!("any of the event patterns {}", patterns.join(", "))
                };
                if filter.invert {
                    format!("drops the records that match {which}, and keeps the rest (`invert = true`).")
                } else {
                    format!("keeps the records that match {which}, and drops the rest.")
                }
            }
            Err(_) => "keeps the records that match its event patterns.".to_owned(),
        },
        AggregateConfig::TYPE => match options.deserialize::<AggregateConfig>() {
            Ok(aggregate) => {
                let groups = if aggregate.group_by.is_empty() {
                    "into one group".to_owned()
                } else {
                    format!("into groups by {}", quoted(&aggregate.group_by))
                };
                let window = match aggregate.window {
                    WindowMode::Lambda => "over Lambda's tumbling window, emitting one document a group on the window's final invocation (`window = \"lambda\"`)",
                    WindowMode::Batch => "over each invocation's batch, emitting one document a group at its end (`window = \"batch\"`)",
                };
                let metrics: Vec<String> = aggregate
                    .metrics
                    .iter()
                    .map(|(name, metric)| {
                        format!("`{name}` = {}", metric_words(metric.op, metric.field.as_deref(), &metric.percentiles))
                    })
                    .collect();
                format!(
                    "folds records {groups} {window}, with {}. The folded records count as aggregated; the documents go on to the sinks.",
                    metrics.join(", ")
                )
            }
            Err(_) => "folds records into groups and emits a document a group.".to_owned(),
        },
        "remap" => match options.deserialize::<RemapConfig>() {
            Ok(RemapConfig { file: Some(file), .. }) => format!(
                "runs the VRL program in `{}` on each payload: it may change it, drop it, or split it into several.",
                file.display()
            ),
            _ => "runs its VRL program (`source`) on each payload: it may change it, drop it, or split it into several.".to_owned(),
        },
        ProjectConfig::TYPE => match options.deserialize::<ProjectConfig>() {
            Ok(project) => {
                let mut steps = Vec::new();
                if !project.select.is_empty() {
                    steps.push(format!("keeps only {}", quoted(&project.select)));
                }
                if !project.drop.is_empty() {
                    steps.push(format!("removes {}", quoted(&project.drop)));
                }
                for (from, to) in &project.rename {
                    steps.push(format!("renames `{from}` to `{to}`"));
                }
                for (field, value) in &project.set {
                    steps.push(format!("sets `{field}` to {value}"));
                }
                for (field, fact) in &project.origin {
                    steps.push(format!("adds `{field}`, the record's {}", fact.name()));
                }
                if steps.is_empty() {
                    "leaves payloads as they are.".to_owned()
                } else {
                    format!("in each payload, {}.", steps.join(", then "))
                }
            }
            Err(_) => "reshapes each payload.".to_owned(),
        },
        SampleConfig::TYPE => match options.deserialize::<SampleConfig>() {
            Ok(sample) => {
                let by = match &sample.key {
                    Some(key) => format!("by a hash of {}, so records with the same key are kept or dropped together", key_text(key)),
                    None => "by a hash of each record's shard and sequence number".to_owned(),
                };
                format!("keeps one record in {}, {by}; drops the rest.", sample.rate)
            }
            Err(_) => "keeps a sample of the records.".to_owned(),
        },
        DedupeConfig::TYPE => match options.deserialize::<DedupeConfig>() {
            Ok(dedupe) => {
                let keep = match dedupe.keep {
                    Keep::First => "first",
                    Keep::Last => "last",
                };
                format!(
                    "keeps one record per {} in a batch, the {keep}; drops the other duplicates.",
                    key_text(&dedupe.key)
                )
            }
            Err(_) => "drops duplicate records within a batch.".to_owned(),
        },
        ThrottleConfig::TYPE => match options.deserialize::<ThrottleConfig>() {
            Ok(throttle) => {
                let burst = throttle.burst.unwrap_or(throttle.records_per_second);
                let per = match &throttle.key {
                    Some(key) => format!(" per {}", key_text(key)),
                    None => String::new(),
                };
                format!(
                    "passes at most {} records a second{per} (bursts of {burst}), in each Lambda instance; drops the rest.",
                    throttle.records_per_second
                )
            }
            Err(_) => "passes at most so many records a second; drops the rest.".to_owned(),
        },
        other => format!("a `{other}` processor registered by the program that runs this command."),
    }
}

/// A metric, in words: `sum of `price``.
fn metric_words(op: Op, field: Option<&str>, percentiles: &[f64]) -> String {
    let field = field.map(|field| format!("`{field}`"));
    let of = |what: &str| match &field {
        Some(field) => format!("{what} of {field}"),
        None => what.to_owned(),
    };
    match op {
        Op::Count => match &field {
            Some(field) => format!("count of records with {field}"),
            None => "count of records".to_owned(),
        },
        Op::Sum => of("sum"),
        Op::Min => of("minimum"),
        Op::Max => of("maximum"),
        Op::Avg => of("mean"),
        Op::First => of("first value"),
        Op::Last => of("last value"),
        Op::CountDistinct => of("distinct values"),
        Op::Percentiles => {
            let which: Vec<String> = if percentiles.is_empty() {
                vec!["50".into(), "90".into(), "99".into()]
            } else {
                percentiles.iter().map(f64::to_string).collect()
            };
            of(&format!("percentiles {}", which.join(", ")))
        }
    }
}

fn sinks(out: &mut String, config: &PipelineConfig, plan: &Plan) {
    let dead_letter = config.pipeline.dead_letter.as_deref();
    let mut routed = false;
    line(out, 0, "Sinks:");
    for (name, sink) in &config.sinks {
        let destination = plan
            .sinks()
            .find(|(planned, _)| *planned == name.as_str())
            .map(|(_, sink)| sink.destination())
            .or_else(|| {
                // The dead-letter sink is not among the planned sinks.
                tributary_connectors::sinks::SinkConfig::from_component(sink)
                    .ok()
                    .map(|sink| sink.destination())
            })
            .unwrap_or_default();
        let takes = if Some(name.as_str()) == dead_letter {
            "takes only dead letters: each record that cannot be processed, with the reason"
                .to_owned()
        } else {
            match sink.options().deserialize_at::<PatternSource>(ROUTE) {
                Ok(Some(route)) => {
                    routed = true;
                    format!(
                        "takes the records matching {} (`when`)",
                        pattern_text(&route)
                    )
                }
                _ => "takes every record the processors pass".to_owned(),
            }
        };
        line(
            out,
            1,
            format!("`{name}` ({}): {takes} -> {destination}.", sink.kind()),
        );
    }
    if routed {
        match config.pipeline.unrouted {
            Unrouted::Drop => line(
                out,
                1,
                "A record no sink takes is dropped, on purpose (`unrouted = \"drop\"`).",
            ),
            Unrouted::DeadLetter => line(
                out,
                1,
                "A record no sink takes goes to the dead-letter sink (`unrouted = \"dead-letter\"`).",
            ),
        }
    }
    if config
        .sinks
        .len()
        .saturating_sub(usize::from(dead_letter.is_some()))
        > 1
    {
        line(
            out,
            1,
            "A record several sinks take is delivered once every one of them took it.",
        );
    }
}

fn errors(out: &mut String, config: &PipelineConfig, source: &SourceConfig) {
    let what = match config.pipeline.on_error {
        OnError::Retry if matches!(source, SourceConfig::Eventbridge(_)) => {
            "reported as failed: the invocation fails, so Lambda retries the event".to_owned()
        }
        OnError::Retry => {
            "reported as failed, so Lambda retries it (and the rest of its shard after it)"
                .to_owned()
        }
        OnError::Skip => {
            "skipped: counted and logged with its shard and sequence number, then left behind"
                .to_owned()
        }
        OnError::DeadLetter => format!(
            "sent to the dead-letter sink `{}` with the reason",
            config.pipeline.dead_letter.as_deref().unwrap_or("?")
        ),
    };
    line(
        out,
        0,
        format!(
            "Errors: a record that cannot be processed (not JSON, refused by a processor or for good by a sink) is {what} (`on_error = \"{}\"`).",
            config.pipeline.on_error.name()
        ),
    );
}

fn push_down_section(out: &mut String, source: &SourceConfig, push_down: &PushDown) {
    match push_down {
        PushDown::Filters(patterns) => {
            line(
                out,
                0,
                "Push-down: yes. `tributary deploy` gives Lambda's event source mapping these filter criteria (FilterCriteria), so records they leave out never invoke the function:",
            );
            for pattern in patterns {
                line(out, 1, pattern.to_string());
            }
            line(
                out,
                1,
                "The filter stays in the function too, so `replay` and Lambda agree.",
            );
        }
        PushDown::RulePattern(pattern) => {
            line(
                out,
                0,
                "Push-down: yes. `tributary deploy` makes this the EventBridge rule's event pattern, so events it leaves out never invoke the function:",
            );
            line(out, 1, pattern.to_string());
            line(
                out,
                1,
                "The filter stays in the function too, so `replay` and Lambda agree.",
            );
        }
        PushDown::NotPushed(reason) => {
            let target = match source {
                SourceConfig::Eventbridge(_) => {
                    "the EventBridge rule's pattern takes every event of the bus"
                }
                _ => "the event source mapping gets no FilterCriteria",
            };
            line(
                out,
                0,
                format!("Push-down: no; {target}, and every record invokes the function."),
            );
            line(
                out,
                1,
                format!("Why not: {}.", reason.trim_end_matches('.')),
            );
        }
    }
}

/// An event pattern as compact JSON.
fn pattern_text(pattern: &PatternSource) -> String {
    match pattern {
        PatternSource::Json(text) => serde_json::from_str::<Value>(text)
            .map(|value| value.to_string())
            .unwrap_or_else(|_| text.trim().to_owned()),
        PatternSource::Table(table) => Value::Object(table.clone()).to_string(),
    }
}

fn key_text(key: &KeyFields) -> String {
    match key {
        KeyFields::One(field) => format!("`{field}`"),
        KeyFields::Many(fields) => quoted(fields),
    }
}

/// `` `a`, `b` and `c` ``.
fn quoted(fields: &[String]) -> String {
    let quoted: Vec<String> = fields.iter().map(|field| format!("`{field}`")).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

fn plural(n: u64, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 { one } else { many }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn explained(text: &str) -> String {
        let registry = Registry::builtin();
        let file = tributary_config::SourceFile::new("p.toml", text, |_| None).unwrap();
        let config = PipelineConfig::parse(file).unwrap();
        let plan = Plan::from_config(&config, &registry).unwrap();
        let push_down = crate::deploy::push_down(&config, &plan);
        explain(&config, &plan, &push_down)
    }

    #[test]
    fn an_aggregate_says_what_it_groups_and_emits() {
        let text = explained(
            r#"
[pipeline]
name = "views"
[source]
type = "kinesis"
stream = "clicks"
tumbling_window_secs = 60
[[processors]]
type = "aggregate"
window = "lambda"
group_by = ["page", "geo.country"]
metrics.views = { op = "count" }
metrics.p = { op = "percentiles", field = "latency_ms", percentiles = [50, 99] }
[sinks.out]
type = "jsonl"
"#,
        );
        assert!(
            text.contains("groups by `page` and `geo.country`"),
            "{text}"
        );
        assert!(text.contains("`views` = count of records"), "{text}");
        assert!(
            text.contains("`p` = percentiles 50, 99 of `latency_ms`"),
            "{text}"
        );
        assert!(text.contains("tumbling windows of 60 s"), "{text}");
        assert!(
            text.contains("Why not: the first processor is `aggregate`, not `filter`."),
            "{text}"
        );
    }

    #[test]
    fn each_processor_says_what_it_does_in_order() {
        let text = explained(
            r#"
[pipeline]
name = "many"
on_error = "skip"
[source]
type = "kinesis"
[[processors]]
type = "filter"
patterns = [{ type = ["bot"] }, '{"agent": [null]}']
invert = true
[[processors]]
type = "sample"
rate = 10
key = "session_id"
[[processors]]
type = "throttle"
records_per_second = 100
key = ["user_id"]
[[processors]]
type = "project"
id = "shape"
select = ["user_id", "page"]
rename = { user_id = "user" }
[[processors]]
type = "remap"
source = ".seen = true"
[sinks.out]
type = "jsonl"
"#,
        );
        let steps = [
            r#"1. `filter#0` (filter): drops the records that match any of the event patterns {"type":["bot"]}, {"agent":[null]}, and keeps the rest (`invert = true`)."#,
            "2. `sample#1` (sample): keeps one record in 10, by a hash of `session_id`",
            "3. `throttle#2` (throttle): passes at most 100 records a second per `user_id` (bursts of 100)",
            "4. `shape` (project): in each payload, keeps only `user_id` and `page`, then renames `user_id` to `user`.",
            "5. `remap#4` (remap): runs its VRL program (`source`) on each payload",
            "Why not: the filter has `invert = true`, and Lambda's filter criteria only keep what matches.",
        ];
        let mut from = 0;
        for step in steps {
            let at = text[from..]
                .find(step)
                .unwrap_or_else(|| panic!("missing, or out of order, {step:?} in:\n{text}"));
            from += at + step.len();
        }
    }

    #[test]
    fn routes_and_when_are_named_with_their_patterns() {
        let text = explained(
            r#"
[pipeline]
name = "routes"
unrouted = "dead-letter"
dead_letter = "rejected"
[source]
type = "kinesis"
[[processors]]
type = "dedupe"
when = { kind = ["order"] }
key = ["order_id", "line"]
keep = "last"
[sinks.errors]
type = "jsonl"
when = { level = ["error"] }
[sinks.rejected]
type = "jsonl"
path = "rejected.jsonl"
"#,
        );
        assert!(text.contains("1. `dedupe#0` (dedupe): keeps one record per `order_id` and `line` in a batch, the last"), "{text}");
        assert!(
            text.contains(r#"Only on records matching {"kind":["order"]}"#),
            "{text}"
        );
        assert!(text.contains(r#"`errors` (jsonl): takes the records matching {"level":["error"]} (`when`) -> standard output."#), "{text}");
        assert!(
            text.contains("`rejected` (jsonl): takes only dead letters"),
            "{text}"
        );
        assert!(
            text.contains("A record no sink takes goes to the dead-letter sink"),
            "{text}"
        );
        assert!(
            text.contains("(no `stream` yet: `deploy` needs one)"),
            "{text}"
        );
    }
}
