//! Filter push-down: giving the pipeline's first filter to Lambda (an event
//! source mapping's `FilterCriteria`, or an EventBridge rule's pattern), so
//! records it would drop never invoke the function.
//!
//! A filter is pushed down only when Lambda decides every record as the
//! filter does. The filter stays in the function all the same: it is cheap,
//! and it keeps `tributary replay` and the deployed function in agreement.

use serde_json::Value;
use tributary_config::PipelineConfig;
use tributary_processors::filter::{FilterConfig, PatternSource};

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

/// The patterns of the first processor, when it is a filter that can be
/// pushed down at all; each source's trigger decides whether Lambda can run
/// them for it (`trigger::SourceTrigger::push_down`).
pub(super) fn first_filter(config: &PipelineConfig) -> Result<Vec<Value>, String> {
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
    if first.options().span_of("when").is_some() {
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
    let sources = filter.pattern.into_iter().chain(filter.patterns);
    sources
        .map(|source| match source {
            PatternSource::Json(text) => serde_json::from_str(&text).map_err(|e| e.to_string()),
            PatternSource::Table(table) => Ok(Value::Object(table)),
        })
        .collect()
}
