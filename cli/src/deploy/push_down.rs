//! Filter push-down: giving the pipeline's first filter to Lambda (an event
//! source mapping's `FilterCriteria`, or an EventBridge rule's pattern), so
//! records it would drop never invoke the function. A pipeline with no
//! processors whose every sink has a `when` pushes down the union of those
//! routes instead: a record no route takes would only be dropped.
//!
//! Patterns are pushed down only when Lambda decides every record as the
//! pipeline does. The filter and the routes stay in the function all the
//! same: they are cheap, and they keep `tributary replay` and the deployed
//! function in agreement.

use serde_json::Value;
use tributary_config::{Component, PipelineConfig, Unrouted};
use tributary_processors::filter::{FilterConfig, PatternSource};
use tributary_processors::when::WHEN;

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
    /// The reason it was not pushed down, if it was not.
    pub fn reason(&self) -> Option<&str> {
        match self {
            PushDown::Filters(_) | PushDown::RulePattern(_) => None,
            PushDown::NotPushed(reason) => Some(reason),
        }
    }
}

/// The patterns to push down, when the pipeline has some Lambda could run
/// at all: the first processor's, when it is a filter, or, with no
/// processors, the union of the sinks' routes. Each source's trigger
/// decides whether Lambda can run them for it
/// (`trigger::SourceTrigger::push_down`).
pub(super) fn pushable_patterns(config: &PipelineConfig) -> Result<Vec<Value>, String> {
    if !config.deploy.filter_push_down {
        return Err("`[deploy] filter_push_down = false`".to_owned());
    }
    match config.processors.first() {
        Some(first) => first_filter(first),
        None => union_of_routes(config),
    }
}

/// The patterns of the first processor, when it is a filter without `when`
/// or `invert`.
fn first_filter(first: &Component) -> Result<Vec<Value>, String> {
    if first.kind() != "filter" {
        return Err(format!(
            "the first processor is `{}`, not `filter`",
            first.kind()
        ));
    }
    if first.options().span_of(WHEN).is_some() {
        return Err(
            "the filter has `when`, and Lambda's filter criteria cannot pass on the records `when` leaves out"
                .to_owned(),
        );
    }
    let filter: FilterConfig = first.options().deserialize().map_err(|d| d.message)?;
    if filter.invert {
        return Err(
            "the filter has `invert = true`, and Lambda's filter criteria only keep what matches"
                .to_owned(),
        );
    }
    filter
        .pattern
        .into_iter()
        .chain(filter.patterns)
        .map(pattern_value)
        .collect()
}

/// The sinks' routes, each pattern once, when every sink but the
/// dead-letter sink has one and the records no route takes are dropped.
fn union_of_routes(config: &PipelineConfig) -> Result<Vec<Value>, String> {
    if config.pipeline.unrouted == Unrouted::DeadLetter {
        return Err(
            "the pipeline has no processors, and its records that no sink's `when` takes go to the dead-letter sink (`unrouted = \"dead-letter\"`), so Lambda must see them"
                .to_owned(),
        );
    }
    let dead_letter = config.pipeline.dead_letter.as_deref();
    let mut union = Vec::new();
    for (name, sink) in &config.sinks {
        if Some(name.as_str()) == dead_letter {
            continue;
        }
        let route = sink
            .options()
            .deserialize_at::<PatternSource>(WHEN)
            .map_err(|d| d.message)?
            .ok_or_else(|| {
                format!("the pipeline has no processors, and sink `{name}` has no `when`: it takes every record")
            })?;
        let route = pattern_value(route)?;
        if !union.contains(&route) {
            union.push(route);
        }
    }
    if union.is_empty() {
        return Err("the pipeline has no processors and no routed sinks".to_owned());
    }
    Ok(union)
}

/// A pattern as JSON, however it was written.
fn pattern_value(source: PatternSource) -> Result<Value, String> {
    match source {
        PatternSource::Json(text) => serde_json::from_str(&text).map_err(|e| e.to_string()),
        PatternSource::Table(table) => Ok(Value::Object(table)),
    }
}
