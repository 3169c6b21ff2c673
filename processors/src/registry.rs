//! The registry of processor types.

use std::path::PathBuf;

use schemars::{JsonSchema, Schema};
use serde::de::DeserializeOwned;
use tributary_config::{Component, Diagnostic, Options};
use tributary_core::{Processor, SourceKind};

use crate::when::{self, WHEN, When};

/// What a processor may need to know about the pipeline it is built for.
#[derive(Debug, Clone)]
pub struct BuildContext {
    /// The pipeline's name.
    pub pipeline: String,
    /// The processor's id, or `TYPE#INDEX` when the file gives none.
    pub label: String,
    /// The pipeline's source kind.
    pub source: SourceKind,
    /// The source's tumbling window, in seconds, when it has one.
    pub tumbling_window_secs: Option<u32>,
    /// The folder of the pipeline file: a file an option names (a `remap`
    /// program) is read from there.
    pub directory: PathBuf,
}

/// A config that is well-formed TOML but cannot be built into a processor,
/// such as an invalid pattern. It names the option at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct BuildError {
    /// The dotted path of the option at fault (`pattern.detail.price`), or
    /// empty for the processor as a whole.
    pub key: String,
    /// What is wrong, lowercase, no trailing period.
    pub message: String,
    /// What to do about it.
    pub hint: Option<String>,
    /// Where inside the string value at `key` the problem is, in bytes of
    /// the value: an option holding a program points at the program's line.
    pub offset: Option<usize>,
    /// A problem in another file the option names (a program file), placed
    /// in that file; it replaces the place at `key`.
    pub elsewhere: Option<Box<Diagnostic>>,
}

impl BuildError {
    /// An error about the option at `key`.
    pub fn at(key: impl Into<String>, message: impl Into<String>) -> Self {
        BuildError {
            key: key.into(),
            message: message.into(),
            hint: None,
            offset: None,
            elsewhere: None,
        }
    }

    /// An error in another file, placed there by `diagnostic`.
    pub fn in_file(diagnostic: Diagnostic) -> Self {
        BuildError {
            message: diagnostic.message.clone(),
            hint: diagnostic.hint.clone(),
            elsewhere: Some(Box::new(diagnostic)),
            ..BuildError::at("", "")
        }
    }

    /// Adds a hint.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Places the error at byte `offset` of the string value at its key.
    pub fn inside(mut self, offset: usize) -> Self {
        self.offset = Some(offset);
        self
    }

    /// The diagnostic, placed in the file the options stand in (or in the
    /// other file it names).
    pub(crate) fn into_diagnostic(self, options: &Options) -> Diagnostic {
        if let Some(diagnostic) = self.elsewhere {
            return *diagnostic;
        }
        let diagnostic = match self.offset {
            Some(offset) => options.error_in_string(&self.key, offset, self.message),
            None => options.error_at(&self.key, self.message),
        };
        match self.hint {
            Some(hint) => diagnostic.hint(hint),
            None => diagnostic,
        }
    }
}

/// A processor's config: what the user writes under `[[processors]]`.
///
/// The struct is deserialized from the processor's table without its `type`,
/// `id` and `when` keys; put `#[serde(deny_unknown_fields)]` on it so typos
/// are errors. Its doc comments feed `tributary schema`. `when` is the
/// registry's: every processor takes it (see [`crate::when`]'s docs), so a
/// config cannot have a field of that name.
pub trait ProcessorConfig: DeserializeOwned + JsonSchema + 'static {
    /// The `type` that selects this processor in pipeline TOML.
    const TYPE: &'static str;

    /// Checks the config and builds the processor.
    fn build(self, context: &BuildContext) -> Result<Box<dyn Processor>, BuildError>;
}

/// Builds a processor from its table: deserialize the config, then build it.
type BuildFn = fn(&Component, &BuildContext) -> Result<Box<dyn Processor>, Diagnostic>;

/// One registered processor type.
#[derive(Clone, Copy)]
pub struct Registration {
    /// The TOML `type`.
    pub kind: &'static str,
    build: BuildFn,
    schema: fn() -> Schema,
}

impl Registration {
    /// The JSON Schema of the processor's options, `when` included.
    pub fn schema(&self) -> Schema {
        (self.schema)()
    }
}

/// Maps a TOML `type` to the processor it builds.
#[derive(Clone, Default)]
pub struct Registry {
    entries: Vec<Registration>,
}

impl Registry {
    /// A registry with no processors.
    pub fn empty() -> Self {
        Registry::default()
    }

    /// A registry with every built-in processor.
    pub fn builtin() -> Self {
        let mut registry = Registry::empty();
        registry.register::<crate::aggregate::AggregateConfig>();
        registry.register::<crate::dedupe::DedupeConfig>();
        registry.register::<crate::filter::FilterConfig>();
        registry.register::<crate::project::ProjectConfig>();
        #[cfg(feature = "remap")]
        registry.register::<crate::remap::RemapConfig>();
        #[cfg(not(feature = "remap"))]
        registry.register::<crate::without_remap::RemapConfig>();
        registry.register::<crate::sample::SampleConfig>();
        registry.register::<crate::throttle::ThrottleConfig>();
        registry
    }

    /// Registers a processor type. A type registered again replaces the
    /// earlier one, so a user can swap a built-in for their own.
    pub fn register<C: ProcessorConfig>(&mut self) -> &mut Self {
        let registration = Registration {
            kind: C::TYPE,
            build: build::<C>,
            schema: when::schema::<C>,
        };
        match self.entries.iter_mut().find(|r| r.kind == C::TYPE) {
            Some(existing) => *existing = registration,
            None => {
                self.entries.push(registration);
                self.entries.sort_by_key(|r| r.kind);
            }
        }
        self
    }

    /// The registered processor types, in alphabetical order.
    pub fn registrations(&self) -> &[Registration] {
        &self.entries
    }

    /// Builds the processor a `[[processors]]` table describes.
    pub fn build(
        &self,
        component: &Component,
        context: &BuildContext,
    ) -> Result<Box<dyn Processor>, Diagnostic> {
        match self.entries.iter().find(|r| r.kind == component.kind()) {
            Some(registration) => (registration.build)(component, context),
            None => {
                let known: Vec<&str> = self.entries.iter().map(|r| r.kind).collect();
                Err(component.unknown_kind("processor", &known))
            }
        }
    }
}

/// Builds a processor of type `C` from its options: its config without
/// `when`, then, if there is a `when`, the processor wrapped in [`When`].
fn build<C: ProcessorConfig>(
    component: &Component,
    context: &BuildContext,
) -> Result<Box<dyn Processor>, Diagnostic> {
    let options = component.options();
    let when = when::read_when(options)?;
    let config: C = options.without(WHEN).deserialize()?;
    let processor = config
        .build(context)
        .map_err(|error| error.into_diagnostic(options))?;
    Ok(match when {
        Some(pattern) => Box::new(When::new(pattern, processor)),
        None => processor,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use tributary_config::{PipelineConfig, SourceFile};
    use tributary_core::{Record, RecordProcessor, Verdict};

    /// Keeps records whose payload is at most `max_bytes` long.
    #[derive(Deserialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    struct MaxSizeConfig {
        /// The largest payload kept, in bytes.
        max_bytes: usize,
    }

    struct MaxSize(usize);

    impl RecordProcessor for MaxSize {
        fn process_record(&mut self, record: &mut Record) -> Verdict {
            if record.payload.raw_len() <= self.0 {
                Verdict::Keep
            } else {
                Verdict::Drop
            }
        }
    }

    impl ProcessorConfig for MaxSizeConfig {
        const TYPE: &'static str = "max_size";
        fn build(self, _: &BuildContext) -> Result<Box<dyn Processor>, BuildError> {
            if self.max_bytes == 0 {
                return Err(
                    BuildError::at("max_bytes", "`max_bytes` must be at least 1")
                        .hint("use 1 or more"),
                );
            }
            Ok(Box::new(MaxSize(self.max_bytes)))
        }
    }

    fn config(processor: &str) -> PipelineConfig {
        let text = format!(
            "[pipeline]\nname = \"t\"\n[source]\ntype = \"kinesis\"\n[[processors]]\n{processor}\n[sinks.out]\ntype = \"jsonl\"\n"
        );
        PipelineConfig::parse(SourceFile::new("p.toml", text, |_| None).unwrap()).unwrap()
    }

    fn context() -> BuildContext {
        BuildContext {
            pipeline: "t".into(),
            label: "p".into(),
            source: SourceKind::Kinesis,
            tumbling_window_secs: None,
            directory: PathBuf::new(),
        }
    }

    #[test]
    fn builds_a_registered_processor_and_reports_its_errors_in_place() {
        let mut registry = Registry::empty();
        registry.register::<MaxSizeConfig>();
        assert!(
            registry
                .build(
                    &config("type = \"max_size\"\nmax_bytes = 10").processors[0],
                    &context()
                )
                .is_ok()
        );

        let error = registry
            .build(
                &config("type = \"max_size\"\nmax_bytes = 0").processors[0],
                &context(),
            )
            .err()
            .unwrap();
        assert_eq!(error.position().unwrap(), "p.toml:7:13");
        assert_eq!(error.message, "`max_bytes` must be at least 1");

        let error = registry
            .build(&config("type = \"max_sise\"").processors[0], &context())
            .err()
            .unwrap();
        assert_eq!(error.message, "unknown processor type `max_sise`");
        assert_eq!(error.position().unwrap(), "p.toml:6:8");
        assert_eq!(
            error.hint.unwrap(),
            "did you mean `max_size`? Known processor types: `max_size`"
        );
    }

    #[test]
    fn schemas_come_from_the_config_struct() {
        let mut registry = Registry::empty();
        registry.register::<MaxSizeConfig>();
        let schema = registry.registrations()[0].schema();
        let text = serde_json::to_string(&schema).unwrap();
        assert!(
            text.contains("The largest payload kept, in bytes."),
            "{text}"
        );
    }

    #[test]
    fn every_processor_takes_when_and_its_schema_says_so() {
        let mut registry = Registry::empty();
        registry.register::<MaxSizeConfig>();
        let table = "type = \"max_size\"\nmax_bytes = 3\nwhen = { type = [\"a\"] }";
        let mut processor = registry
            .build(&config(table).processors[0], &context())
            .unwrap();
        let mut batch = crate::test_support::batch(&[r#"{"type":"a"}"#, r#"{"type":"b"}"#]);
        processor.process(&mut batch).unwrap();
        // Only the matching record was too long for `max_size`.
        assert_eq!(batch.dropped(), 1);
        assert_eq!(batch.records()[0].input.0, 1);

        let schema = registry.registrations()[0].schema().to_value();
        let when = &schema["properties"]["when"];
        assert!(
            when["description"]
                .as_str()
                .unwrap()
                .starts_with("Apply this processor only to records matching"),
            "{schema}"
        );
        let name = when["$ref"]
            .as_str()
            .unwrap()
            .trim_start_matches("#/$defs/");
        assert!(schema["$defs"][name]["anyOf"].is_array(), "{schema}");
        assert_eq!(schema["additionalProperties"], false);
    }
}
