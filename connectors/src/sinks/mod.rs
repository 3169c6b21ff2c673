//! The `[sinks.NAME]` of a pipeline.

mod jsonl;
pub mod layers;
mod opensearch;

pub use jsonl::{JsonlSink, JsonlSinkConfig};
pub use opensearch::{
    Action, Auth, BulkEncoder, CollectionType, OpensearchError, OpensearchSink,
    OpensearchSinkConfig,
};

use schemars::Schema;
use tributary_config::{Component, Diagnostic};
use tributary_core::{BoxError, Sink};

/// A sink, as configured.
#[derive(Debug, Clone)]
pub enum SinkConfig {
    /// `type = "jsonl"`.
    Jsonl(JsonlSinkConfig),
    /// `type = "opensearch"`.
    Opensearch(Box<OpensearchSinkConfig>),
}

/// The sink types, as written in TOML.
pub const SINK_TYPES: [&str; 2] = ["jsonl", "opensearch"];

impl SinkConfig {
    /// Reads a `[sinks.NAME]` table.
    pub fn from_component(component: &Component) -> Result<Self, Diagnostic> {
        match component.kind() {
            "jsonl" => Ok(SinkConfig::Jsonl(component.options().deserialize()?)),
            "opensearch" => {
                let options = component.options();
                let config: OpensearchSinkConfig = options.deserialize()?;
                config.check(options)?;
                Ok(SinkConfig::Opensearch(Box::new(config)))
            }
            _ => Err(component.unknown_kind("sink", &SINK_TYPES)),
        }
    }

    /// Starts the sink: opens its file or its connection.
    pub fn build(&self) -> Result<Box<dyn Sink>, BoxError> {
        match self {
            SinkConfig::Jsonl(config) => Ok(Box::new(config.build()?)),
            SinkConfig::Opensearch(config) => Ok(Box::new(config.build()?)),
        }
    }

    /// The JSON Schema of each sink type's options, by type.
    pub fn schemas() -> Vec<(&'static str, Schema)> {
        vec![
            ("jsonl", schemars::schema_for!(JsonlSinkConfig)),
            ("opensearch", schemars::schema_for!(OpensearchSinkConfig)),
        ]
    }
}
