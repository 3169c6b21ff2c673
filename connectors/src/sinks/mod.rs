//! The `[sinks.NAME]` of a pipeline.

mod jsonl;

pub use jsonl::{JsonlSink, JsonlSinkConfig};

use schemars::Schema;
use tributary_config::{Component, Diagnostic};
use tributary_core::{BoxError, Sink};

/// A sink, as configured.
#[derive(Debug, Clone)]
pub enum SinkConfig {
    /// `type = "jsonl"`.
    Jsonl(JsonlSinkConfig),
}

/// The sink types, as written in TOML.
pub const SINK_TYPES: [&str; 1] = ["jsonl"];

impl SinkConfig {
    /// Reads a `[sinks.NAME]` table.
    pub fn from_component(component: &Component) -> Result<Self, Diagnostic> {
        match component.kind() {
            "jsonl" => Ok(SinkConfig::Jsonl(component.options().deserialize()?)),
            _ => Err(component.unknown_kind("sink", &SINK_TYPES)),
        }
    }

    /// Starts the sink: opens its file or its connection.
    pub fn build(&self) -> Result<Box<dyn Sink>, BoxError> {
        match self {
            SinkConfig::Jsonl(config) => Ok(Box::new(config.build()?)),
        }
    }

    /// The JSON Schema of each sink type's options, by type.
    pub fn schemas() -> Vec<(&'static str, Schema)> {
        vec![("jsonl", schemars::schema_for!(JsonlSinkConfig))]
    }
}
