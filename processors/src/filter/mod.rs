//! `type = "filter"`: keeps the records that match EventBridge event patterns.
//!
//! The patterns are the ones users already write for EventBridge rules,
//! Pipes and Lambda filter criteria, with the same answers (see [`Pattern`]).
//! They apply to the record's payload:
//!
//! - Kinesis: the record's data, decoded by the source's codec (a JSON
//!   document with the `json` codec);
//! - DynamoDB Streams: the change record, with its keys and images as plain JSON;
//! - EventBridge: the whole event (`source`, `detail-type`, `detail`, ...).
//!
//! The filter reads the payload's raw bytes, and only the parts some pattern
//! tests; it parses nothing. A record whose payload is not JSON where the
//! filter reads it fails, and the pipeline's `on_error` decides what becomes
//! of it; one that is broken only where no pattern looks passes on, and the
//! sink that encodes it fails it then.

mod complexity;
mod index;
mod lambda_filtering;
mod operator;
mod pattern;
mod set;
mod solve;

pub use complexity::MAX_COMPLEXITY;
pub use pattern::{Pattern, PatternError};
pub use set::PatternSet;
pub use tributary_core::json::ScanError;

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;
use tributary_core::{Processor, Record, RecordProcessor, Verdict};

use crate::{BuildContext, BuildError, ProcessorConfig};

/// Keeps the records whose payload matches an EventBridge event pattern
/// (or, with `invert`, those that match none).
///
/// ```toml
/// [[processors]]
/// type = "filter"
/// pattern = { type = ["purchase"], price = [{ numeric = [">=", 100] }] }
/// ```
///
/// A pattern is an inline table, or a JSON string (needed for `null`, which
/// TOML cannot write): `pattern = '{"referrer": [null]}'`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FilterConfig {
    /// One event pattern. Give `pattern` or `patterns`, not both.
    #[serde(default)]
    pub pattern: Option<PatternSource>,
    /// Several event patterns: a record is kept when any of them matches.
    #[serde(default)]
    pub patterns: Vec<PatternSource>,
    /// Keep the records that match no pattern, and drop those that match.
    /// Default false.
    #[serde(default)]
    pub invert: bool,
}

/// An event pattern as written in TOML.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(
    untagged,
    expecting = "expected an event pattern, as an inline table or a JSON string"
)]
pub enum PatternSource {
    /// The pattern as JSON text.
    Json(String),
    /// The pattern as an inline table.
    Table(serde_json::Map<String, Value>),
}

/// The filter processor: its patterns compiled into one set.
#[derive(Debug, Clone)]
pub struct Filter {
    patterns: PatternSet,
    invert: bool,
}

impl Filter {
    /// A filter keeping records that match any of `patterns` (or none, with `invert`).
    pub fn new(patterns: Vec<Pattern>, invert: bool) -> Self {
        Filter {
            patterns: PatternSet::new(patterns),
            invert,
        }
    }
}

impl ProcessorConfig for FilterConfig {
    const TYPE: &'static str = "filter";

    fn build(self, _: &BuildContext) -> Result<Box<dyn Processor>, BuildError> {
        let sources: Vec<(String, PatternSource)> = match (self.pattern, self.patterns.is_empty()) {
            (Some(_), false) => {
                return Err(
                    BuildError::at("patterns", "give `pattern` or `patterns`, not both")
                        .hint("put every pattern in `patterns`; a record is kept when any matches"),
                );
            }
            (None, true) => {
                return Err(BuildError::at("", "a filter needs `pattern` or `patterns`")
                    .hint("such as pattern = { type = [\"purchase\"] }"));
            }
            (Some(pattern), true) => vec![("pattern".to_owned(), pattern)],
            (None, false) => self
                .patterns
                .into_iter()
                .enumerate()
                .map(|(i, p)| (format!("patterns.{i}"), p))
                .collect(),
        };
        let patterns = sources
            .into_iter()
            .map(|(key, source)| compile(&key, source))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Box::new(Filter::new(patterns, self.invert)))
    }
}

/// Compiles the pattern written at `key`; an error names the option at
/// fault, down to the operator inside an inline table (`key.price.0.numeric`).
pub(crate) fn compile(key: &str, source: PatternSource) -> Result<Pattern, BuildError> {
    let (compiled, inline) = match source {
        PatternSource::Json(text) => (Pattern::parse(&text), false),
        PatternSource::Table(table) => (Pattern::from_value(&Value::Object(table)), true),
    };
    compiled.map_err(|error| {
        // Inside an inline table the error can point at the operator itself.
        let key = if inline && !error.path.is_empty() {
            format!("{key}.{}", error.path.join("."))
        } else {
            key.to_owned()
        };
        let built = BuildError::at(key, error.summary());
        match error.hint {
            Some(hint) => built.hint(hint),
            None => built,
        }
    })
}

impl RecordProcessor for Filter {
    fn process_record(&mut self, record: &mut Record) -> Verdict {
        match self.patterns.matches_record(record) {
            Ok(matched) if matched != self.invert => Verdict::Keep,
            Ok(_) => Verdict::Drop,
            Err(error) => Verdict::Fail(error),
        }
    }
}

#[cfg(test)]
mod tests;
