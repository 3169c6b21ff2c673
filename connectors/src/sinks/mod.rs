//! The `[sinks.NAME]` of a pipeline.
//!
//! Each sink type is a module (a file, or a folder once it grows: config,
//! sink, service, retry logic) whose config implements [`SinkType`], plus
//! one line in the registry below. The registry makes [`SinkConfig`] (an
//! enum, so a `match` over sinks is exhaustive and the compiler points at
//! every place a new sink needs), [`SINK_TYPES`], and the reading, starting
//! and schema of each type. Network sinks wrap their one-request step in
//! the shared [`layers`].

mod context;
mod jsonl;
pub mod layers;
mod opensearch;
mod request_settings;
mod s3;

pub use context::{SinkContext, SinkRole};
pub use jsonl::{JsonlSink, JsonlSinkConfig};
pub use opensearch::{
    Action, Auth, BulkEncoder, CollectionType, OpensearchError, OpensearchSink,
    OpensearchSinkConfig, Versioning,
};
#[cfg(feature = "s3")]
pub use s3::S3Sink;
pub use s3::{Compression, EncodedObject, ObjectEncoder, ObjectFormat, S3Error, S3SinkConfig};

use schemars::{JsonSchema, Schema};
use serde::de::DeserializeOwned;
use tributary_config::{Component, Diagnostic, Options};
use tributary_core::{BoxError, Sink};

/// The option every sink takes besides its own: its route, an event
/// pattern that picks the records it takes. The pipeline reads it; a sink's
/// config never sees it.
pub const ROUTE: &str = "when";

/// What the registry needs of a sink type's config: the user's settings,
/// checked, and the sink they start.
trait SinkType: DeserializeOwned + JsonSchema {
    /// Checks the settings at their place in the file, beyond what
    /// deserializing checks.
    fn check(&self, options: &Options) -> Result<(), Diagnostic> {
        let _ = options;
        Ok(())
    }

    /// Starts the sink in the pipeline `context` tells of: opens its file
    /// or prepares its connection.
    fn start(&self, context: &SinkContext<'_>) -> Result<Box<dyn Sink>, BoxError>;

    /// Where it writes, in words a summary prints: a path, an endpoint and
    /// index, a bucket and key.
    fn destination(&self) -> String;
}

impl SinkType for JsonlSinkConfig {
    fn start(&self, _: &SinkContext<'_>) -> Result<Box<dyn Sink>, BoxError> {
        Ok(Box::new(self.build()?))
    }

    fn destination(&self) -> String {
        match self.file() {
            Some(path) => path.display().to_string(),
            None => "standard output".to_owned(),
        }
    }
}

impl SinkType for OpensearchSinkConfig {
    fn check(&self, options: &Options) -> Result<(), Diagnostic> {
        OpensearchSinkConfig::check(self, options)
    }

    fn start(&self, _: &SinkContext<'_>) -> Result<Box<dyn Sink>, BoxError> {
        Ok(Box::new(self.build()?))
    }

    fn destination(&self) -> String {
        format!("{}, index {}", self.endpoint, self.index)
    }
}

impl SinkType for S3SinkConfig {
    fn destination(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.key)
    }

    fn check(&self, options: &Options) -> Result<(), Diagnostic> {
        S3SinkConfig::check(self, options)
    }

    #[cfg(feature = "s3")]
    fn start(&self, context: &SinkContext<'_>) -> Result<Box<dyn Sink>, BoxError> {
        Ok(Box::new(self.build(context)?))
    }

    #[cfg(not(feature = "s3"))]
    fn start(&self, _: &SinkContext<'_>) -> Result<Box<dyn Sink>, BoxError> {
        Err(Box::new(S3Error::NotBuilt))
    }
}

/// Makes [`SinkConfig`], [`SINK_TYPES`] and their functions from one line a
/// sink type: `"type" => Variant(Config)`, where `Config: SinkType`.
macro_rules! registry {
    ($( $(#[$doc:meta])* $kind:literal => $variant:ident($config:ty), )*) => {
        /// A sink, as configured.
        #[derive(Debug, Clone)]
        pub enum SinkConfig {
            $( $(#[$doc])* $variant(Box<$config>), )*
        }

        /// The sink types, as written in TOML.
        pub const SINK_TYPES: [&str; [$($kind),*].len()] = [$($kind),*];

        impl SinkConfig {
            /// Reads a `[sinks.NAME]` table.
            pub fn from_component(component: &Component) -> Result<Self, Diagnostic> {
                let options = &component.options().without(ROUTE);
                match component.kind() {
                    $( $kind => {
                        let config: $config = options.deserialize()?;
                        config.check(options)?;
                        Ok(SinkConfig::$variant(Box::new(config)))
                    } )*
                    _ => Err(component.unknown_kind("sink", &SINK_TYPES)),
                }
            }

            /// Starts the sink in the pipeline `context` tells of: opens
            /// its file or its connection.
            pub fn build(&self, context: &SinkContext<'_>) -> Result<Box<dyn Sink>, BoxError> {
                match self {
                    $( SinkConfig::$variant(config) => SinkType::start(&**config, context), )*
                }
            }

            /// Where the sink writes, in words a summary prints: a path,
            /// an endpoint and index, a bucket and key.
            pub fn destination(&self) -> String {
                match self {
                    $( SinkConfig::$variant(config) => SinkType::destination(&**config), )*
                }
            }

            /// The JSON Schema of each sink type's options, by type.
            pub fn schemas() -> Vec<(&'static str, Schema)> {
                vec![$( ($kind, schemars::schema_for!($config)) ),*]
            }
        }
    };
}

registry! {
    /// `type = "jsonl"`.
    "jsonl" => Jsonl(JsonlSinkConfig),
    /// `type = "opensearch"`.
    "opensearch" => Opensearch(OpensearchSinkConfig),
    /// `type = "s3"`.
    "s3" => S3(S3SinkConfig),
}

#[cfg(test)]
mod tests {
    use tributary_config::{PipelineConfig, SourceFile};

    use super::*;

    fn sinks(sinks: &str) -> std::collections::HashMap<String, Result<SinkConfig, Diagnostic>> {
        let text = format!("[pipeline]\nname = \"p\"\n[source]\ntype = \"kinesis\"\n{sinks}");
        let file = SourceFile::new("p.toml", text, |_| None).unwrap();
        let pipeline = PipelineConfig::parse(file).unwrap();
        pipeline
            .sinks
            .iter()
            .map(|(name, component)| (name.clone(), SinkConfig::from_component(component)))
            .collect()
    }

    #[test]
    fn each_registered_type_is_read_checked_started_and_described() {
        let read = sinks(
            "[sinks.out]\ntype = \"jsonl\"\npath = \"-\"\n\
             [sinks.search]\ntype = \"opensearch\"\nendpoint = \"http://127.0.0.1:9\"\nindex = \"i\"\n\
             [sinks.bad]\ntype = \"opensearch\"\nendpoint = \"ftp://x\"\nindex = \"i\"\n\
             [sinks.typo]\ntype = \"jsnl\"\n\
             [sinks.archive]\ntype = \"s3\"\nbucket = \"b-1\"\nkey = \"{shard}-{first_sequence}\"\n",
        );
        let out = read["out"].as_ref().unwrap();
        assert!(matches!(out, SinkConfig::Jsonl(_)));
        let context = SinkContext::output("p");
        out.build(&context).unwrap();
        let search = read["search"].as_ref().unwrap();
        assert!(matches!(search, SinkConfig::Opensearch(_)));
        search.build(&context).unwrap();
        let bad = read["bad"].as_ref().unwrap_err().to_string();
        assert!(
            bad.contains("`ftp` URLs are not supported; use https"),
            "{bad}"
        );
        let typo = read["typo"].as_ref().unwrap_err().to_string();
        assert!(typo.contains("unknown sink type `jsnl`"), "{typo}");
        let schemas: Vec<&str> = SinkConfig::schemas().iter().map(|(k, _)| *k).collect();
        assert_eq!(schemas, SINK_TYPES);
        let archive = read["archive"].as_ref().unwrap();
        assert!(matches!(archive, SinkConfig::S3(_)));
        #[cfg(feature = "s3")]
        archive.build(&SinkContext::dead_letter("p")).unwrap();
    }

    /// `cargo test -p tributary-connectors --lib without_s3`, as scripts/test
    /// runs it: the crate alone, as a bootstrap without an s3 sink builds it.
    #[cfg(not(feature = "s3"))]
    #[test]
    fn without_s3_an_s3_sink_is_read_and_checked_and_starting_it_says_how_to_get_it() {
        let read = sinks(
            "[sinks.archive]\ntype = \"s3\"\nbucket = \"b-1\"\nkey = \"{shard}-{first_sequence}\"\n\
             [sinks.bad]\ntype = \"s3\"\nbucket = \"b-1\"\nkey = \"{shard}\"\n",
        );
        let bad = read["bad"].as_ref().unwrap_err().to_string();
        assert!(bad.contains("has no `{first_sequence}`"), "{bad}");
        let error = match read["archive"]
            .as_ref()
            .unwrap()
            .build(&SinkContext::output("p"))
        {
            Ok(_) => panic!("an s3 sink started without the `s3` feature"),
            Err(error) => error.to_string(),
        };
        assert!(
            error.starts_with("this build of tributary has no s3 sink")
                && error.contains("--features s3"),
            "{error}"
        );
    }
}
