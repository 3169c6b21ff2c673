//! A pipeline file, checked and ready to start.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use tributary_config::{
    Component, ConfigError, Diagnostic, OnError, PipelineConfig, SourceFile, Unrouted,
};
use tributary_connectors::sinks::{ROUTE, SinkConfig, SinkContext};
use tributary_connectors::sources::{DecompressionBudget, SourceConfig};
use tributary_core::{Disposition, ErrorPolicy, Processor, Sink};
use tributary_processors::filter::Pattern;
use tributary_processors::when::read_when;
use tributary_processors::{BuildContext, Registry};

use super::Pipeline;
use super::clock::Clock;
use super::route::{MAX_ROUTED_SINKS, Routes};

/// A pipeline whose file is valid: the source and sinks read, the processors
/// built. Nothing is opened yet.
pub struct Plan {
    pub(super) name: String,
    pub(super) on_error: OnError,
    pub(super) deadline_margin: Duration,
    pub(super) source: SourceConfig,
    pub(super) processors: Vec<(Arc<str>, Box<dyn Processor>)>,
    pub(super) sinks: Vec<(Arc<str>, SinkConfig)>,
    /// Each sink's route (its `when`), in the order of `sinks`.
    pub(super) routes: Vec<Option<Pattern>>,
    pub(super) unrouted: Unrouted,
    pub(super) dead_letter: Option<(Arc<str>, SinkConfig)>,
    pub(super) decompression_budget: DecompressionBudget,
}

impl Plan {
    /// Reads and checks a pipeline file, with processors from `registry`.
    pub fn load(path: &Path, registry: &Registry) -> Result<Self, ConfigError> {
        Self::from_config(&PipelineConfig::load(path)?, registry)
    }

    /// Reads and checks a pipeline from TOML text, interpolating the process
    /// environment; `name` stands for the file in messages.
    pub fn parse(name: &str, text: &str, registry: &Registry) -> Result<Self, ConfigError> {
        let file = SourceFile::new(name, text, |var| std::env::var(var).ok())?;
        Self::from_config(&PipelineConfig::parse(file)?, registry)
    }

    /// Checks a parsed pipeline file: every problem is reported, not only the first.
    pub fn from_config(config: &PipelineConfig, registry: &Registry) -> Result<Self, ConfigError> {
        let mut diagnostics = Vec::new();
        let source = SourceConfig::from_component(&config.source)
            .map_err(|d| diagnostics.push(d))
            .ok();
        let source_kind = source
            .as_ref()
            .map_or(tributary_core::SourceKind::Kinesis, SourceConfig::kind);
        let directory = Path::new(config.file.name())
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let mut processors = Vec::with_capacity(config.processors.len());
        for (index, component) in config.processors.iter().enumerate() {
            let label = config.processor_label(index);
            let context = BuildContext {
                pipeline: config.pipeline.name.clone(),
                label: label.clone(),
                source: source_kind,
                tumbling_window_secs: source.as_ref().and_then(SourceConfig::tumbling_window_secs),
                directory: directory.clone(),
            };
            match registry.build(component, &context) {
                Ok(processor) => processors.push((Arc::from(label), processor)),
                Err(diagnostic) => diagnostics.push(diagnostic),
            }
        }
        let mut sinks = Vec::with_capacity(config.sinks.len());
        let mut routes = Vec::with_capacity(config.sinks.len());
        let mut dead_letter = None;
        for (name, component) in &config.sinks {
            let is_dead_letter = config.pipeline.dead_letter.as_deref() == Some(name.as_str());
            match route_of(component, is_dead_letter) {
                Ok(route) if !is_dead_letter => routes.push(route),
                Ok(_) => {}
                Err(diagnostic) => diagnostics.push(diagnostic),
            }
            let sink = SinkConfig::from_component(component).and_then(|sink| {
                mirrors_with_deletes(source.as_ref(), &sink, component)?;
                versions_have_an_order(source.as_ref(), &config.processors, &sink, component)?;
                Ok(sink)
            });
            match sink {
                Ok(sink) if is_dead_letter => {
                    dead_letter = Some((Arc::from(name.as_str()), sink));
                }
                Ok(sink) => sinks.push((Arc::from(name.as_str()), sink)),
                Err(diagnostic) => diagnostics.push(diagnostic),
            }
        }
        if routes.len() > MAX_ROUTED_SINKS && routes.iter().any(Option::is_some) {
            diagnostics.push(
                Diagnostic::new(format!(
                    "{} sinks, and at most {MAX_ROUTED_SINKS} when sinks have `when`",
                    routes.len()
                ))
                .at(&config.file, 0..0),
            );
        }
        match source {
            Some(source) if diagnostics.is_empty() => Ok(Plan {
                name: config.pipeline.name.clone(),
                on_error: config.pipeline.on_error,
                deadline_margin: Duration::from_millis(config.pipeline.deadline_margin_ms),
                source,
                processors,
                sinks,
                routes,
                unrouted: config.pipeline.unrouted,
                dead_letter,
                decompression_budget: DecompressionBudget::for_memory_mb(memory_mb(config)),
            }),
            _ => Err(ConfigError::new(diagnostics)),
        }
    }

    /// The pipeline's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The pipeline's source.
    pub fn source(&self) -> &SourceConfig {
        &self.source
    }

    /// What happens to a record that cannot be processed.
    pub fn on_error(&self) -> OnError {
        self.on_error
    }

    /// Every sink by name, the dead-letter sink last.
    pub fn sinks(&self) -> impl Iterator<Item = (&str, &SinkConfig)> {
        self.sinks
            .iter()
            .chain(&self.dead_letter)
            .map(|(name, config)| (&**name, config))
    }

    /// Gives the running pipeline with sinks of the caller's making, by
    /// name, in place of the configured ones (tests capture output so).
    pub fn start_with(self, mut sink_for: impl FnMut(&str) -> Box<dyn Sink>) -> Pipeline {
        let mut open = |(name, _): (Arc<str>, SinkConfig)| {
            let sink = sink_for(&name);
            (name, sink)
        };
        Pipeline {
            policy: error_policy(self.on_error, self.dead_letter.is_some()),
            name: self.name,
            deadline_margin: self.deadline_margin,
            sinks: self.sinks.into_iter().map(&mut open).collect(),
            routes: Routes::new(self.routes, self.unrouted),
            dead_letter: self.dead_letter.map(&mut open),
            source: self.source,
            processors: self.processors,
            failure_log: Default::default(),
            decompression_budget: self.decompression_budget,
            clock: Clock::default(),
        }
    }

    /// Opens the sinks and gives the running pipeline.
    pub fn start(self) -> anyhow::Result<Pipeline> {
        let pipeline = self.name.as_str();
        let open = |(name, config): (Arc<str>, SinkConfig), context: SinkContext<'_>| {
            let sink = config
                .build(&context)
                .map_err(anyhow::Error::from_boxed)
                .with_context(|| format!("cannot start sink `{name}`"))?;
            anyhow::Ok((name, sink))
        };
        let sinks = self
            .sinks
            .into_iter()
            .map(|sink| open(sink, SinkContext::output(pipeline)))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let dead_letter = self
            .dead_letter
            .map(|sink| open(sink, SinkContext::dead_letter(pipeline)))
            .transpose()?;
        Ok(Pipeline {
            policy: error_policy(self.on_error, dead_letter.is_some()),
            name: self.name,
            deadline_margin: self.deadline_margin,
            source: self.source,
            processors: self.processors,
            sinks,
            routes: Routes::new(self.routes, self.unrouted),
            dead_letter,
            failure_log: Default::default(),
            decompression_budget: self.decompression_budget,
            clock: Clock::default(),
        })
    }
}

/// A sink's route, its `when`. The dead-letter sink takes every dead letter
/// and has none.
fn route_of(component: &Component, is_dead_letter: bool) -> Result<Option<Pattern>, Diagnostic> {
    let route = read_when(component.options())?;
    if route.is_some() && is_dead_letter {
        return Err(component
            .options()
            .error_at(ROUTE, "the dead-letter sink takes every dead letter, and has no `when`")
            .hint("route records with `when` on the other sinks; `unrouted = \"dead-letter\"` sends those no sink takes to the dead-letter sink"));
    }
    Ok(route)
}

/// The error policy of a pipeline with this `on_error`, with or without a
/// dead-letter sink.
pub(super) fn error_policy(on_error: OnError, dead_letter_sink: bool) -> ErrorPolicy {
    let record_failures = match on_error {
        OnError::Retry => Disposition::Retry,
        OnError::Skip => Disposition::Skip,
        OnError::DeadLetter => Disposition::DeadLetter,
    };
    ErrorPolicy {
        record_failures,
        dead_letter_sink,
    }
}

/// A DynamoDB table mirrored item by item needs deletes by id, which only
/// search collections take.
fn mirrors_with_deletes(
    source: Option<&SourceConfig>,
    sink: &SinkConfig,
    component: &tributary_config::Component,
) -> Result<(), tributary_config::Diagnostic> {
    let (Some(SourceConfig::DynamodbStreams(dynamodb)), SinkConfig::Opensearch(opensearch)) =
        (source, sink)
    else {
        return Ok(());
    };
    let items = dynamodb.payload == tributary_connectors::sources::DynamodbPayload::Item;
    if items && opensearch.collection_type != tributary_connectors::sinks::CollectionType::Search {
        return Err(component
            .options()
            .error_at("collection_type", "a DynamoDB table mirrored item by item needs a search collection, to delete by id")
            .hint("use collection_type = \"search\", or index every change with payload = \"change\" in [source]"));
    }
    Ok(())
}

/// `version = "change_time"` needs records that each are one change of one
/// item, in an order: a DynamoDB Streams or Kinesis source, and no
/// aggregate (its documents fold many changes, and partial documents of a
/// window share their time).
fn versions_have_an_order(
    source: Option<&SourceConfig>,
    processors: &[Component],
    sink: &SinkConfig,
    component: &Component,
) -> Result<(), Diagnostic> {
    let SinkConfig::Opensearch(opensearch) = sink else {
        return Ok(());
    };
    if opensearch.version != tributary_connectors::sinks::Versioning::ChangeTime {
        return Ok(());
    }
    let options = component.options();
    if let Some(SourceConfig::Eventbridge(_)) = source {
        return Err(options
            .error_at(
                "version",
                "EventBridge events have no order to take versions from",
            )
            .hint("remove `version`; versions need a DynamoDB Streams or Kinesis source"));
    }
    if processors.iter().any(|p| p.kind() == "aggregate") {
        return Err(options
            .error_at(
                "version",
                "aggregate documents fold many changes, so they have no one change's version",
            )
            .hint("remove `version`, or index the aggregates with a sink without it"));
    }
    Ok(())
}

/// The function's memory: Lambda's own figure inside Lambda, else the
/// pipeline's `[deploy] memory_mb` (what it will be deployed with).
fn memory_mb(config: &PipelineConfig) -> u32 {
    std::env::var("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        .ok()
        .and_then(|mb| mb.parse().ok())
        .unwrap_or(config.deploy.memory_mb)
}
