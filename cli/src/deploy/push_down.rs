//! Filter push-down: giving the pipeline's first filter to Lambda (an event
//! source mapping's `FilterCriteria`, or an EventBridge rule's pattern), so
//! records it would drop never invoke the function.
//!
//! A filter is pushed down only when Lambda decides every record as the
//! filter does. The filter stays in the function all the same: it is cheap,
//! and it keeps `tributary replay` and the deployed function in agreement.

use serde_json::{Value, json};
use tributary_config::{OnError, PipelineConfig};
use tributary_connectors::sources::{Codec, SourceConfig};
use tributary_processors::filter::{FilterConfig, Pattern, PatternSource};

/// The most filters one event source mapping takes (Lambda's default quota).
pub const MAX_FILTERS: usize = 5;
/// The longest filter pattern Lambda (and an EventBridge rule) takes, in
/// characters.
pub const MAX_PATTERN_CHARS: usize = 4096;

/// What `tributary package` decided about the filter.
#[derive(Debug, Clone, PartialEq)]
pub enum PushDown {
    /// The event source mapping's filter criteria: one pattern per filter
    /// (for Kinesis, under `data`).
    Filters(Vec<Value>),
    /// The EventBridge rule's pattern.
    RulePattern(Value),
    /// Kept in the function only, and why.
    NotPushed(String),
}

impl PushDown {
    /// Decides for a pipeline that is valid.
    pub fn decide(config: &PipelineConfig, source: &SourceConfig, on_error: OnError) -> Self {
        match first_filter(config) {
            Err(reason) => PushDown::NotPushed(reason),
            Ok(patterns) => match source {
                SourceConfig::Eventbridge(_) => rule_pattern(patterns),
                SourceConfig::DynamodbStreams(_) => PushDown::NotPushed(
                    "Lambda matches DynamoDB changes on their typed images (`NewImage.price.N`, \
                     numbers as strings), the filter on plain JSON items: they can disagree"
                        .to_owned(),
                ),
                SourceConfig::Kinesis(kinesis) => {
                    kinesis_criteria(patterns, kinesis.codec, on_error)
                }
            },
        }
    }

    /// The reason it was not pushed down, if it was not.
    pub fn reason(&self) -> Option<&str> {
        match self {
            PushDown::Filters(_) | PushDown::RulePattern(_) => None,
            PushDown::NotPushed(reason) => Some(reason),
        }
    }
}

/// The patterns of the first processor, when it is a filter that can be
/// pushed down at all.
fn first_filter(config: &PipelineConfig) -> Result<Vec<Value>, String> {
    if !config.deploy.filter_push_down {
        return Err("`[deploy] filter_push_down = false`".to_owned());
    }
    let Some(first) = config.processors.first() else {
        return Err("the pipeline has no processors".to_owned());
    };
    if first.kind() != "filter" {
        return Err(format!(
            "the first processor is `{}`, not `filter`",
            first.kind()
        ));
    }
    let filter: FilterConfig = first.options().deserialize().map_err(|d| d.message)?;
    if filter.invert {
        return Err(
            "the filter has `invert = true`, and Lambda's filter criteria only keep what matches"
                .to_owned(),
        );
    }
    let sources = filter.pattern.into_iter().chain(filter.patterns);
    sources
        .map(|source| match source {
            PatternSource::Json(text) => serde_json::from_str(&text).map_err(|e| e.to_string()),
            PatternSource::Table(table) => Ok(Value::Object(table)),
        })
        .collect()
}

/// An EventBridge rule has one pattern: several become one `$or`.
fn rule_pattern(mut patterns: Vec<Value>) -> PushDown {
    let pattern = if patterns.len() == 1 {
        patterns.pop().expect("one pattern")
    } else {
        json!({ "$or": patterns })
    };
    let length = pattern.to_string().chars().count();
    if length > MAX_PATTERN_CHARS {
        return PushDown::NotPushed(format!(
            "the rule's pattern would be {length} characters, and EventBridge takes at most {MAX_PATTERN_CHARS}"
        ));
    }
    PushDown::RulePattern(pattern)
}

fn kinesis_criteria(patterns: Vec<Value>, codec: Codec, on_error: OnError) -> PushDown {
    if codec != Codec::Json {
        return PushDown::NotPushed(format!(
            "the source's codec is `{}`, and Lambda filters only data that is JSON",
            codec.name()
        ));
    }
    if on_error != OnError::Skip {
        return PushDown::NotPushed(format!(
            "Lambda's filter drops records whose data is not JSON, where the pipeline's \
             `on_error = \"{}\"` reports them; set `on_error = \"skip\"` to push the filter down",
            on_error.name()
        ));
    }
    if patterns.len() > MAX_FILTERS {
        return PushDown::NotPushed(format!(
            "the filter has {} patterns, and an event source mapping takes at most {MAX_FILTERS}",
            patterns.len()
        ));
    }
    let mut criteria = Vec::with_capacity(patterns.len());
    for pattern in patterns {
        let compiled = match Pattern::from_value(&pattern) {
            Ok(compiled) => compiled,
            Err(error) => return PushDown::NotPushed(error.to_string()),
        };
        if let Some(reason) = compiled.lambda_unsupported() {
            return PushDown::NotPushed(reason);
        }
        let wrapped = json!({ "data": pattern });
        let length = wrapped.to_string().chars().count();
        if length > MAX_PATTERN_CHARS {
            return PushDown::NotPushed(format!(
                "a pattern is {length} characters under `data`, and Lambda takes at most {MAX_PATTERN_CHARS}"
            ));
        }
        criteria.push(wrapped);
    }
    PushDown::Filters(criteria)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tributary::Plan;
    use tributary_config::SourceFile;
    use tributary_processors::Registry;

    /// The decision for a pipeline of `source`, `on_error` and `processors`.
    fn decide(source: &str, on_error: &str, processors: &str) -> PushDown {
        let text = format!(
            "[pipeline]\nname = \"p\"\non_error = \"{on_error}\"\n[source]\n{source}\n{processors}\n[sinks.out]\ntype = \"jsonl\"\n"
        );
        let config =
            PipelineConfig::parse(SourceFile::new("p.toml", text, |_| None).unwrap()).unwrap();
        let plan = Plan::from_config(&config, &Registry::builtin()).unwrap();
        PushDown::decide(&config, plan.source(), plan.on_error())
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
}
