//! What invokes the function, one file per source: an event source mapping
//! on a Kinesis stream (`kinesis`, directly or through an enhanced fan-out
//! consumer) or a DynamoDB table's stream (`dynamodb_streams`), with every
//! reliability setting of the `[source]` and, unless `[deploy]
//! mapping_metrics = false`, the mapping's own metrics; or
//! an EventBridge rule with its invoke permission and retry settings
//! (`eventbridge`). Each comes with what the role needs for it, the stack
//! parameters and outputs that name it, and whether Lambda can run the
//! pipeline's first filter for it (filter push-down).
//!
//! A source's whole deployment is its [`SourceTrigger`] impl; [`of`] is the
//! one `match` over the source types, so a new source is a new file and one
//! arm there.

mod dynamodb_streams;
mod eventbridge;
mod kinesis;

pub use dynamodb_streams::SOURCE_STREAM_ARN;

use serde_json::{Map, Value, json};
use tributary_config::{DeploySection, OnError, PipelineConfig};
use tributary_connectors::sources::{MappingSettings, SourceConfig};

use super::DeployError;
use super::access;
use super::push_down::{self, PushDown};

/// What deploying a pipeline needs from its type of source.
pub(super) trait SourceTrigger {
    /// Whether Lambda can run the first filter for this source, given its
    /// `patterns` as written (one per pattern of the filter), and the
    /// pipeline's `on_error`.
    fn push_down(&self, patterns: Vec<Value>, on_error: OnError) -> PushDown;

    /// The resources that invoke the function named `function_name`, and
    /// what goes with them.
    fn trigger(
        &self,
        config: &PipelineConfig,
        function_name: &str,
        push_down: &PushDown,
    ) -> Result<Trigger, DeployError>;
}

/// The deployment of a pipeline's source.
fn of(source: &SourceConfig) -> &dyn SourceTrigger {
    match source {
        SourceConfig::Kinesis(kinesis) => kinesis,
        SourceConfig::DynamodbStreams(dynamodb) => dynamodb,
        SourceConfig::Eventbridge(eventbridge) => eventbridge,
    }
}

/// Decides the filter push-down of a pipeline that is valid.
pub(super) fn push_down(
    config: &PipelineConfig,
    source: &SourceConfig,
    on_error: OnError,
) -> PushDown {
    match push_down::pushable_patterns(config) {
        Err(reason) => PushDown::NotPushed(reason),
        Ok(patterns) => of(source).push_down(patterns, on_error),
    }
}

/// What invokes the function (named `function_name`) of a pipeline that is
/// valid, with `push_down` as [`push_down`] decided it.
pub(super) fn trigger(
    config: &PipelineConfig,
    source: &SourceConfig,
    function_name: &str,
    push_down: &PushDown,
) -> Result<Trigger, DeployError> {
    of(source).trigger(config, function_name, push_down)
}

/// The resources that invoke the function, and what goes with them.
#[derive(Debug, Default)]
pub(super) struct Trigger {
    /// The template's resources, by logical id.
    pub resources: Map<String, Value>,
    /// The template's parameters the resources take, by name.
    pub parameters: Map<String, Value>,
    /// What the function's role needs for them.
    pub statements: Vec<Value>,
    /// Stack outputs naming them.
    pub outputs: Vec<(&'static str, Value)>,
    /// The table whose stream ARN the `SourceStreamArn` parameter takes.
    pub table_parameter: Option<String>,
    /// Whether the table's stream must carry new images.
    pub table_needs_new_images: bool,
    /// What the user should know.
    pub notes: Vec<String>,
}

/// An event source mapping on a stream (or, for Kinesis enhanced fan-out,
/// a stream consumer: `source_arn`), and its on-failure destination's
/// statement: what the Kinesis and DynamoDB Streams triggers share.
fn stream_mapping(
    deploy: &DeploySection,
    mapping: &MappingSettings,
    source_arn: &Value,
    push_down: &PushDown,
) -> Result<Trigger, DeployError> {
    let mut trigger = Trigger::default();
    trigger.resources.insert(
        "EventSourceMapping".into(),
        event_source_mapping(deploy, mapping, source_arn.clone(), push_down)?,
    );
    if let Some(destination) = &mapping.on_failure_destination {
        trigger
            .statements
            .extend(access::destination_statement(destination));
    }
    trigger.outputs.push((
        "EventSourceMappingId",
        json!({ "Ref": "EventSourceMapping" }),
    ));
    Ok(trigger)
}

fn event_source_mapping(
    deploy: &DeploySection,
    mapping: &MappingSettings,
    source_arn: Value,
    push_down: &PushDown,
) -> Result<Value, DeployError> {
    let mut properties = json!({
        "EventSourceArn": source_arn,
        "FunctionName": { "Ref": "Function" },
        "Enabled": true,
        "BatchSize": mapping.batch_size,
        "MaximumBatchingWindowInSeconds": mapping.batching_window_secs,
        "StartingPosition": mapping.starting_position.as_lambda(),
        "ParallelizationFactor": mapping.parallelization_factor,
        "BisectBatchOnFunctionError": mapping.bisect_batch_on_function_error,
        "MaximumRetryAttempts": mapping.maximum_retry_attempts,
        "MaximumRecordAgeInSeconds": mapping.maximum_record_age_secs,
        "FunctionResponseTypes": ["ReportBatchItemFailures"],
    });
    if let Some(time) = &mapping.starting_position_timestamp {
        let time = chrono::DateTime::parse_from_rfc3339(time)
            .map_err(|e| DeployError::invalid(format!("starting_position_timestamp: {e}")))?;
        properties["StartingPositionTimestamp"] = json!(time.timestamp());
    }
    if let Some(destination) = &mapping.on_failure_destination {
        properties["DestinationConfig"] = json!({ "OnFailure": { "Destination": destination } });
    }
    if let Some(secs) = mapping.tumbling_window_secs {
        properties["TumblingWindowInSeconds"] = json!(secs);
    }
    if let PushDown::Filters(patterns) = push_down {
        let filters: Vec<Value> = patterns
            .iter()
            .map(|pattern| json!({ "Pattern": pattern.to_string() }))
            .collect();
        properties["FilterCriteria"] = json!({ "Filters": filters });
    }
    if deploy.mapping_metrics {
        // Records read, filtered out and sent to the function, in AWS/Lambda.
        properties["MetricsConfig"] = json!({ "Metrics": ["EventCount"] });
    }
    Ok(json!({ "Type": "AWS::Lambda::EventSourceMapping", "Properties": properties }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deploy::push_down::MAX_PATTERN_CHARS;
    use tributary::Plan;
    use tributary_config::SourceFile;
    use tributary_processors::Registry;

    /// The decision for a pipeline of `source`, `on_error` and `processors`.
    fn decide(source: &str, on_error: &str, processors: &str) -> PushDown {
        decide_text(format!(
            "[pipeline]\nname = \"p\"\non_error = \"{on_error}\"\n[source]\n{source}\n{processors}\n[sinks.out]\ntype = \"jsonl\"\n"
        ))
    }

    /// The decision for the pipeline file `text`.
    fn decide_text(text: String) -> PushDown {
        let config =
            PipelineConfig::parse(SourceFile::new("p.toml", text, |_| None).unwrap()).unwrap();
        let plan = Plan::from_config(&config, &Registry::builtin()).unwrap();
        push_down(&config, plan.source(), plan.on_error())
    }

    fn filter(pattern: &str) -> String {
        format!("[[processors]]\ntype = \"filter\"\npattern = '{pattern}'")
    }

    const KINESIS: &str = "type = \"kinesis\"";

    #[test]
    fn patterns_lambda_runs_alike_are_pushed_under_data() {
        for pattern in [
            r#"{"type": ["purchase"]}"#,
            r#"{"price": [{"numeric": [">=", 100]}], "geo": {"country": ["DE", "FR"]}}"#,
            r#"{"page": [{"prefix": "/products/"}], "referrer": [null], "coupon": [{"exists": false}]}"#,
            r#"{"device": {"os": [{"anything-but": ["iOS"]}]}, "name": [{"equals-ignore-case": "x"}]}"#,
        ] {
            let pattern_value: Value = serde_json::from_str(pattern).unwrap();
            assert_eq!(
                decide(KINESIS, "skip", &filter(pattern)),
                PushDown::Filters(vec![json!({ "data": pattern_value })]),
                "{pattern}"
            );
        }
        let several = "[[processors]]\ntype = \"filter\"\npatterns = [{ type = [\"a\"] }, { type = [\"b\"] }]";
        assert_eq!(
            decide(KINESIS, "skip", several),
            PushDown::Filters(vec![
                json!({ "data": { "type": ["a"] } }),
                json!({ "data": { "type": ["b"] } })
            ])
        );
    }

    #[test]
    fn what_lambda_would_decide_otherwise_is_kept_in_the_function_with_the_reason() {
        let six = format!(
            "[[processors]]\ntype = \"filter\"\npatterns = [{}]",
            (0..6)
                .map(|i| format!("{{ n = [{i}] }}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let huge = filter(&format!(
            r#"{{"type": ["{}"]}}"#,
            "x".repeat(MAX_PATTERN_CHARS)
        ));
        let cases: Vec<(&str, &str, String, &str)> = vec![
            (
                KINESIS,
                "skip",
                filter(r#"{"$or": [{"type": ["click"]}, {"price": [{"numeric": [">", 0]}]}]}"#),
                "`$or` is not in Lambda's filter rule syntax; write the alternatives as `patterns`",
            ),
            (
                KINESIS,
                "skip",
                filter(r#"{"arn": [{"wildcard": "a*b"}]}"#),
                "`wildcard` (at `arn`) is not in Lambda's filter rule syntax",
            ),
            (
                KINESIS,
                "skip",
                filter(r#"{"ip": [{"cidr": "10.0.0.0/8"}]}"#),
                "`cidr` (at `ip`)",
            ),
            (
                KINESIS,
                "skip",
                filter(r#"{"r": [{"anything-but": {"prefix": "us-"}}]}"#),
                "`anything-but with prefix` (at `r`)",
            ),
            (
                KINESIS,
                "skip",
                filter(r#"{"r": [{"suffix": {"equals-ignore-case": ".PNG"}}]}"#),
                "`suffix with equals-ignore-case` (at `r`)",
            ),
            (
                KINESIS,
                "skip",
                format!("{}\ninvert = true", filter(r#"{"type": ["a"]}"#)),
                "`invert = true`",
            ),
            (
                KINESIS,
                "skip",
                format!(
                    "{}\nwhen = {{ source = [\"shop\"] }}",
                    filter(r#"{"type": ["a"]}"#)
                ),
                "the filter has `when`",
            ),
            (
                KINESIS,
                "skip",
                six,
                "6 patterns, and an event source mapping takes at most 5",
            ),
            (KINESIS, "skip", huge, "and Lambda takes at most 4096"),
            (
                KINESIS,
                "retry",
                filter(r#"{"type": ["a"]}"#),
                "`on_error = \"retry\"` reports them",
            ),
            (
                KINESIS,
                "dead-letter\"\ndead_letter = \"dl",
                format!(
                    "{}\n[sinks.dl]\ntype = \"jsonl\"",
                    filter(r#"{"type": ["a"]}"#)
                ),
                "`on_error = \"dead-letter\"` reports them",
            ),
            (
                "type = \"kinesis\"\ncodec = \"gzip-json\"",
                "skip",
                filter(r#"{"type": ["a"]}"#),
                "codec is `gzip-json`",
            ),
            (
                "type = \"kinesis\"\ncodec = \"text\"",
                "skip",
                filter(r#"{"type": ["a"]}"#),
                "codec is `text`",
            ),
            (
                "type = \"dynamodb_streams\"",
                "skip",
                filter(r#"{"status": ["paid"]}"#),
                "typed images",
            ),
            (
                KINESIS,
                "skip",
                "[[processors]]\ntype = \"sample\"\nrate = 2".to_owned(),
                "the first processor is `sample`, not `filter`",
            ),
            (
                KINESIS,
                "skip",
                String::new(),
                "the pipeline has no processors",
            ),
            (
                KINESIS,
                "skip",
                format!(
                    "{}\n[deploy]\nfilter_push_down = false",
                    filter(r#"{"type": ["a"]}"#)
                ),
                "filter_push_down = false",
            ),
        ];
        for (source, on_error, processors, reason) in cases {
            let decision = decide(source, on_error, &processors);
            let found = decision
                .reason()
                .unwrap_or_else(|| panic!("pushed: {processors}"));
            assert!(
                found.contains(reason),
                "{processors}\n  expected: {reason}\n  got: {found}"
            );
        }
    }

    #[test]
    fn an_eventbridge_rule_takes_the_filter_as_its_pattern() {
        let source = "type = \"eventbridge\"";
        assert_eq!(
            decide(
                source,
                "retry",
                &filter(r#"{"source": ["shop"], "detail": {"ip": [{"cidr": "10.0.0.0/8"}]}}"#)
            ),
            PushDown::RulePattern(
                json!({ "source": ["shop"], "detail": { "ip": [{ "cidr": "10.0.0.0/8" }] } })
            ),
            "rules have every operator"
        );
        let several = "[[processors]]\ntype = \"filter\"\npatterns = [{ source = [\"a\"] }, { source = [\"b\"] }]";
        assert_eq!(
            decide(source, "retry", several),
            PushDown::RulePattern(json!({ "$or": [{ "source": ["a"] }, { "source": ["b"] }] }))
        );
    }

    /// A Kinesis pipeline with no processors, `pipeline` under
    /// `[pipeline]`, and `sinks`.
    fn routed(pipeline: &str, sinks: &str) -> PushDown {
        decide_text(format!(
            "[pipeline]\nname = \"p\"\non_error = \"skip\"\n{pipeline}\n[source]\n{KINESIS}\n{sinks}"
        ))
    }

    #[test]
    fn with_no_processors_the_union_of_the_routes_is_pushed_each_pattern_once() {
        let sinks = "[sinks.errors]\ntype = \"jsonl\"\nwhen = '{\"level\": [\"error\"]}'\n\
             [sinks.metrics]\ntype = \"jsonl\"\nwhen = { kind = [\"metric\"] }\n\
             [sinks.audit]\ntype = \"jsonl\"\nwhen = { kind = [\"metric\"] }\n\
             [sinks.dl]\ntype = \"jsonl\"\n";
        assert_eq!(
            routed("dead_letter = \"dl\"", sinks),
            PushDown::Filters(vec![
                json!({ "data": { "kind": ["metric"] } }),
                json!({ "data": { "level": ["error"] } }),
            ]),
            "in the order of the sinks' names; the dead-letter sink has no route and is left out"
        );
    }

    #[test]
    fn routes_stay_in_the_function_when_lambda_would_drop_what_the_pipeline_keeps() {
        let routed_sink = "[sinks.errors]\ntype = \"jsonl\"\nwhen = { level = [\"error\"] }\n";
        let cases = [
            (
                String::new(),
                format!("{routed_sink}[sinks.all]\ntype = \"jsonl\"\n"),
                "sink `all` has no `when`: it takes every record",
            ),
            (
                "dead_letter = \"dl\"\nunrouted = \"dead-letter\"".to_owned(),
                format!("{routed_sink}[sinks.dl]\ntype = \"jsonl\"\n"),
                "`unrouted = \"dead-letter\"`",
            ),
            (
                "[deploy]\nfilter_push_down = false".to_owned(),
                routed_sink.to_owned(),
                "filter_push_down = false",
            ),
            (
                String::new(),
                "[sinks.ips]\ntype = \"jsonl\"\nwhen = { ip = [{ cidr = \"10.0.0.0/8\" }] }\n"
                    .to_owned(),
                "`cidr` (at `ip`)",
            ),
        ];
        for (pipeline, sinks, reason) in cases {
            // `[deploy]` closes `[pipeline]`, so it goes after the sinks.
            let (pipeline, sinks) = match pipeline.strip_prefix("[deploy]") {
                Some(deploy) => (String::new(), format!("{sinks}[deploy]{deploy}")),
                None => (pipeline, sinks),
            };
            let decision = routed(&pipeline, &sinks);
            let found = decision
                .reason()
                .unwrap_or_else(|| panic!("pushed: {sinks}"));
            assert!(found.contains(reason), "expected: {reason}\n  got: {found}");
        }
    }
}
