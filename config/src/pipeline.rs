//! The pipeline file as a whole: `[pipeline]`, `[source]`, `[[processors]]`
//! and `[sinks.NAME]`.

use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use schemars::JsonSchema;
use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::deploy::DeploySection;
use crate::{Component, ConfigError, Diagnostic, Options, SourceFile, did_you_mean};

/// The top-level keys of a pipeline file.
const SECTIONS: [&str; 6] = [
    "pipeline",
    "source",
    "processors",
    "sinks",
    "deploy",
    "tests",
];

/// What happens to a record that cannot be processed: its payload cannot be
/// decoded, a processor fails it, or a sink rejects it for good.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum OnError {
    /// Report the record as failed, so Lambda retries it from its shard's
    /// checkpoint. Its retry limits and on-failure destination apply. Nothing
    /// is lost, but a record that can never succeed holds up its shard until
    /// the retries run out: set the source's `maximum_retry_attempts` and
    /// `on_failure_destination`, which `tributary deploy` gives to Lambda.
    #[default]
    Retry,
    /// Count the record as dropped and log it with its shard and sequence number.
    Skip,
    /// Send the raw record and the reason to the sink named by `dead_letter`.
    DeadLetter,
}

impl OnError {
    /// The policy's name, as written in TOML.
    pub fn name(self) -> &'static str {
        match self {
            OnError::Retry => "retry",
            OnError::Skip => "skip",
            OnError::DeadLetter => "dead-letter",
        }
    }
}

/// What happens to a record that no sink's `when` takes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Unrouted {
    /// Count it as dropped, on purpose (a debug log line gives the reason,
    /// `unrouted`).
    #[default]
    Drop,
    /// Send it to the sink named by `dead_letter`, with the reason.
    DeadLetter,
}

/// The `[pipeline]` table: the pipeline's name and its error policy.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PipelineSection {
    /// The pipeline's name, used in logs, metrics and deployed resource names.
    pub name: String,
    /// A sentence on what the pipeline is for. No default.
    #[serde(default)]
    pub description: Option<String>,
    /// What happens to a record that cannot be processed: `retry` (the
    /// default), `skip` or `dead-letter`.
    #[serde(default)]
    pub on_error: OnError,
    /// The name of the sink that receives dead letters. Required when
    /// `on_error = "dead-letter"`; that sink then receives only dead letters.
    #[serde(default)]
    pub dead_letter: Option<String>,
    /// What happens to a record that no sink takes, when sinks have `when`:
    /// `drop` (the default) or `dead-letter`.
    #[serde(default)]
    pub unrouted: Unrouted,
    /// In Lambda, how long before the invocation's deadline the handler
    /// stops work and reports what is left as failed, in milliseconds.
    /// Default 1000: enough to answer Lambda in time.
    #[serde(default = "default_deadline_margin_ms")]
    pub deadline_margin_ms: u64,
}

fn default_deadline_margin_ms() -> u64 {
    1000
}

/// A pipeline file, checked for its shape. Each component's own options are
/// checked when the crate that owns it builds it.
#[derive(Debug, Clone)]
pub struct PipelineConfig {
    /// The file it was read from.
    pub file: Arc<SourceFile>,
    /// The `[pipeline]` table.
    pub pipeline: PipelineSection,
    /// The `[source]` table.
    pub source: Component,
    /// The `[[processors]]`, in order.
    pub processors: Vec<Component>,
    /// The `[sinks.NAME]` tables, with their names, in file order.
    pub sinks: Vec<(String, Component)>,
    /// The `[deploy]` table, or its defaults.
    pub deploy: DeploySection,
    /// The `[[tests]]` tables, in order, for `tributary test` to read.
    pub tests: Vec<Options>,
}

impl PipelineConfig {
    /// Reads a pipeline file, interpolating the process environment.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let name = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|error| {
            Diagnostic::new(format!("cannot read pipeline file `{name}`: {error}"))
                .hint("check the path, and that the file can be read")
        })?;
        Self::parse(SourceFile::from_bytes(name, bytes, |var| {
            std::env::var(var).ok()
        })?)
    }

    /// Parses an interpolated file.
    pub fn parse(file: SourceFile) -> Result<Self, ConfigError> {
        let file = Arc::new(file);
        let (root, mut syntax_errors) = DeTable::parse_recoverable(file.text());
        syntax_errors.sort_by_key(|error| error.span().map_or(0, |span| span.start));
        if !syntax_errors.is_empty() {
            let mut error = ConfigError::new(
                syntax_errors
                    .iter()
                    .take(ConfigError::MAX_DIAGNOSTICS)
                    .map(|error| {
                        let span = error.span().unwrap_or(0..0);
                        Diagnostic::new(format!("invalid TOML: {}", error.message().trim_end()))
                            .at(&file, span)
                            .hint("fix the TOML syntax here; strings need quotes, and tables are written `[name]`")
                    })
                    .collect(),
            );
            error.omitted = syntax_errors.len() - error.diagnostics.len();
            return Err(error);
        }
        Parser {
            file: &file,
            diagnostics: Vec::new(),
        }
        .parse(root.into_inner())
    }

    /// The name shown for the processor at `index`: its `id`, or `TYPE#INDEX`.
    pub fn processor_label(&self, index: usize) -> String {
        let processor = &self.processors[index];
        match processor.id() {
            Some(id) => id.to_owned(),
            None => format!("{}#{index}", processor.kind()),
        }
    }
}

struct Parser<'f> {
    file: &'f Arc<SourceFile>,
    diagnostics: Vec<Diagnostic>,
}

impl Parser<'_> {
    fn parse(mut self, root: DeTable<'_>) -> Result<PipelineConfig, ConfigError> {
        for (key, _) in root.iter() {
            if !SECTIONS.contains(&key.get_ref().as_ref()) {
                let hint = match did_you_mean(key.get_ref(), SECTIONS) {
                    Some(best) => format!("did you mean `[{best}]`? A pipeline file has `[pipeline]`, `[source]`, `[[processors]]` and `[sinks.NAME]`"),
                    None => "a pipeline file has `[pipeline]`, `[source]`, `[[processors]]` and `[sinks.NAME]`".to_owned(),
                };
                self.error(
                    format!("unknown top-level key `{}`", key.get_ref()),
                    key.span(),
                    hint,
                );
            }
        }
        let pipeline = self.pipeline_section(&root);
        let source = self
            .required_table(&root, "source", "[source]\ntype = \"kinesis\"")
            .and_then(|(value, table)| self.component(value, table, "source"));
        let processors = self.processors(&root);
        let sinks = self.sinks(&root);
        let tests = self.tests(&root);
        let deploy = self.deploy_section(&root);
        if let (Some(pipeline), Some(sinks)) = (&pipeline, &sinks) {
            self.check_dead_letter(&root, pipeline, sinks);
        }
        match (pipeline, source, processors, sinks) {
            (Some(pipeline), Some(source), Some(processors), Some(sinks))
                if self.diagnostics.is_empty() =>
            {
                Ok(PipelineConfig {
                    file: self.file.clone(),
                    pipeline,
                    source,
                    processors,
                    sinks,
                    deploy: deploy.unwrap_or_default(),
                    tests,
                })
            }
            _ => Err(ConfigError::new(self.diagnostics)),
        }
    }

    fn pipeline_section(&mut self, root: &DeTable<'_>) -> Option<PipelineSection> {
        let (value, _) =
            self.required_table(root, "pipeline", "[pipeline]\nname = \"my-pipeline\"")?;
        let options = Options::new(self.file.clone(), value);
        // `type` and `id` are not keys of [pipeline]: report them as unknown.
        let section = match root.get("pipeline").and_then(|v| v.get_ref().as_table()) {
            Some(table) if table.contains_key("type") || table.contains_key("id") => {
                let key = if table.contains_key("type") {
                    "type"
                } else {
                    "id"
                };
                let span = table
                    .get_key_value(key)
                    .map(|(k, _)| k.span())
                    .unwrap_or(0..0);
                self.error(
                    format!("unknown field `{key}` in [pipeline]"),
                    span,
                    "[pipeline] takes `name`, `description`, `on_error`, `dead_letter`, `unrouted` and `deadline_margin_ms`",
                );
                return None;
            }
            _ => options.deserialize::<PipelineSection>(),
        };
        section.map_err(|d| self.diagnostics.push(d)).ok()
    }

    fn deploy_section(&mut self, root: &DeTable<'_>) -> Option<DeploySection> {
        let value = root.get("deploy")?;
        if value.get_ref().as_table().is_none() {
            self.error(
                "`deploy` must be a table".to_owned(),
                value.span(),
                "write it as a table, for example:\n[deploy]\nmemory_mb = 512",
            );
            return None;
        }
        let options = Options::new(self.file.clone(), value);
        DeploySection::read(&options)
            .map_err(|d| self.diagnostics.push(d))
            .ok()
    }

    fn tests(&mut self, root: &DeTable<'_>) -> Vec<Options> {
        let Some(value) = root.get("tests") else {
            return Vec::new();
        };
        let DeValue::Array(items) = value.get_ref() else {
            self.error(
                "`tests` must be a list of tables".to_owned(),
                value.span(),
                "write each test as its own `[[tests]]` table",
            );
            return Vec::new();
        };
        items
            .iter()
            .map(|item| Options::new(self.file.clone(), item))
            .collect()
    }

    fn processors(&mut self, root: &DeTable<'_>) -> Option<Vec<Component>> {
        let Some(value) = root.get("processors") else {
            return Some(Vec::new());
        };
        let DeValue::Array(items) = value.get_ref() else {
            self.error(
                "`processors` must be a list of tables".to_owned(),
                value.span(),
                "write each processor as its own `[[processors]]` table",
            );
            return None;
        };
        let mut processors = Vec::with_capacity(items.len());
        let mut ids: HashMap<String, Range<usize>> = HashMap::new();
        for (index, item) in items.iter().enumerate() {
            let Some(table) = item.get_ref().as_table() else {
                self.error(
                    format!("processor #{index} is not a table"),
                    item.span(),
                    "write each processor as its own `[[processors]]` table with a `type`",
                );
                continue;
            };
            let Some(component) = self.component(item, table, "processor") else {
                continue;
            };
            if let Some((id, id_span)) = self.string_with_span(table, "id") {
                if let Some(first) = ids.get(&id) {
                    let first = self.file.location(first.clone());
                    self.error(
                        format!("duplicate processor id `{id}`"),
                        id_span,
                        format!(
                            "ids must be unique; `{id}` is first used at line {}",
                            first.line
                        ),
                    );
                } else {
                    ids.insert(id, id_span);
                }
            }
            processors.push(component);
        }
        Some(processors)
    }

    fn sinks(&mut self, root: &DeTable<'_>) -> Option<Vec<(String, Component)>> {
        let example = "[sinks.out]\ntype = \"jsonl\"\npath = \"out.jsonl\"";
        let (sinks_value, table) = self.required_table(root, "sinks", example)?;
        if table.is_empty() {
            self.error(
                "no sinks are defined".to_owned(),
                sinks_value.span(),
                format!("add at least one sink, for example:\n{example}"),
            );
            return None;
        }
        let mut sinks = Vec::new();
        for (name, value) in table.iter() {
            let Some(sink) = value.get_ref().as_table() else {
                self.error(
                    format!("sink `{}` is not a table", name.get_ref()),
                    value.span(),
                    format!("write it as a table:\n{example}"),
                );
                continue;
            };
            if let Some(component) = self.component(value, sink, "sink") {
                sinks.push((name.get_ref().to_string(), component));
            }
        }
        Some(sinks)
    }

    fn check_dead_letter(
        &mut self,
        root: &DeTable<'_>,
        pipeline: &PipelineSection,
        sinks: &[(String, Component)],
    ) {
        let section = root.get("pipeline").and_then(|v| v.get_ref().as_table());
        let span_of = |key: &str| {
            section
                .and_then(|t| t.get(key))
                .map(|v| v.span())
                .unwrap_or(0..0)
        };
        let names: Vec<&str> = sinks.iter().map(|(name, _)| name.as_str()).collect();
        if pipeline.dead_letter.is_none() && pipeline.unrouted == Unrouted::DeadLetter {
            self.error(
                "`unrouted = \"dead-letter\"` needs a `dead_letter` sink".to_owned(),
                span_of("unrouted"),
                format!(
                    "name the sink that receives dead letters: `dead_letter = \"...\"`, one of {}",
                    names.join(", ")
                ),
            );
        }
        match (&pipeline.dead_letter, pipeline.on_error) {
            (None, OnError::DeadLetter) => self.error(
                "`on_error = \"dead-letter\"` needs a `dead_letter` sink".to_owned(),
                span_of("on_error"),
                format!("name the sink that receives dead letters: `dead_letter = \"...\"`, one of {}", names.join(", ")),
            ),
            (Some(name), _) if !names.contains(&name.as_str()) => {
                let hint = match did_you_mean(name, names.iter().copied()) {
                    Some(best) => format!("did you mean `{best}`? Defined sinks: {}", names.join(", ")),
                    None => format!("define `[sinks.{name}]`, or name one of: {}", names.join(", ")),
                };
                self.error(format!("dead-letter sink `{name}` is not defined"), span_of("dead_letter"), hint);
            }
            (Some(_), _) if names.len() < 2 => self.error(
                "the only sink is the dead-letter sink".to_owned(),
                span_of("dead_letter"),
                "add a sink for the pipeline's output; the dead-letter sink receives only failed records",
            ),
            _ => {}
        }
    }

    /// A component table: it must have a string `type`, and may have a string `id`.
    fn component(
        &mut self,
        value: &Spanned<DeValue<'_>>,
        table: &DeTable<'_>,
        what: &str,
    ) -> Option<Component> {
        let span = value.span();
        let kind = match table.get("type") {
            None => {
                self.error(
                    format!("{what} has no `type`"),
                    span.clone(),
                    format!("add `type = \"...\"`; `tributary schema` lists the {what} types"),
                );
                None
            }
            Some(value) => match value.get_ref().as_str() {
                Some(kind) => Some(Spanned::new(value.span(), kind.to_owned())),
                None => {
                    self.error(
                        format!("{what} `type` must be a string"),
                        value.span(),
                        "write the type in quotes, as in `type = \"filter\"`",
                    );
                    None
                }
            },
        };
        let id = match table.get("id") {
            Some(value) if value.get_ref().as_str().is_none() => {
                self.error(
                    format!("{what} `id` must be a string"),
                    value.span(),
                    "write the id in quotes, as in `id = \"only-errors\"`",
                );
                return None;
            }
            Some(value) => value.get_ref().as_str().map(str::to_owned),
            None => None,
        };
        let options = Options::new(self.file.clone(), value);
        Some(Component::new(kind?, id, span, options))
    }

    fn required_table<'t, 'i>(
        &mut self,
        root: &'t DeTable<'i>,
        key: &str,
        example: &str,
    ) -> Option<(&'t Spanned<DeValue<'i>>, &'t DeTable<'i>)> {
        match root.get(key) {
            None => {
                self.error(
                    format!("missing `[{key}]` table"),
                    0..0,
                    format!("every pipeline needs one; for example:\n{example}"),
                );
                None
            }
            Some(value) => match value.get_ref() {
                DeValue::Table(table) => Some((value, table)),
                _ => {
                    self.error(
                        format!("`{key}` must be a table"),
                        value.span(),
                        format!("write it as a table, for example:\n{example}"),
                    );
                    None
                }
            },
        }
    }

    fn string_with_span(&self, table: &DeTable<'_>, key: &str) -> Option<(String, Range<usize>)> {
        let value = table.get(key)?;
        Some((value.get_ref().as_str()?.to_owned(), value.span()))
    }

    fn error(&mut self, message: String, span: Range<usize>, hint: impl Into<String>) {
        self.diagnostics
            .push(Diagnostic::new(message).at(self.file, span).hint(hint));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<PipelineConfig, ConfigError> {
        PipelineConfig::parse(SourceFile::new("p.toml", text, |_| None)?)
    }

    const MINIMAL: &str = r#"
[pipeline]
name = "clicks"

[source]
type = "kinesis"
batch_size = 100

[[processors]]
type = "filter"
id = "only-clicks"
pattern = { detail = { kind = ["click"] } }

[[processors]]
type = "sample"

[sinks.out]
type = "jsonl"
path = "out.jsonl"
"#;

    #[test]
    fn parses_the_shape_and_keeps_component_options() {
        let config = parse(MINIMAL).unwrap();
        assert_eq!(config.pipeline.name, "clicks");
        assert_eq!(config.pipeline.on_error, OnError::Retry);
        assert_eq!(config.source.kind(), "kinesis");
        assert_eq!(config.processors.len(), 2);
        assert_eq!(config.processors[0].id(), Some("only-clicks"));
        assert_eq!(config.processor_label(0), "only-clicks");
        assert_eq!(config.processor_label(1), "sample#1");
        assert_eq!(config.sinks[0].0, "out");

        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Source {
            batch_size: u32,
        }
        let source: Source = config.source.options().deserialize().unwrap();
        assert_eq!(source.batch_size, 100);
        let span = config.processors[0]
            .options()
            .span_of("pattern.detail.kind")
            .unwrap();
        assert_eq!(config.file.location(span).line, 12);
    }

    #[test]
    fn option_errors_point_at_the_key() {
        let config = parse(MINIMAL).unwrap();
        #[derive(Debug, Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Source {
            batch_sise: u32,
        }
        let error = config.source.options().deserialize::<Source>().unwrap_err();
        assert_eq!(error.position().unwrap(), "p.toml:7:1");
        assert!(
            error.message.starts_with("unknown field `batch_size`"),
            "{}",
            error.message
        );
        assert!(
            error
                .hint
                .unwrap()
                .starts_with("did you mean `batch_sise`?")
        );
    }

    #[test]
    fn reports_every_shape_problem_at_once() {
        let error = parse("[pipline]\nname = 1\n[sinks]\n").unwrap_err();
        let messages: Vec<_> = error
            .diagnostics
            .iter()
            .map(|d| d.message.as_str())
            .collect();
        assert_eq!(
            messages,
            [
                "unknown top-level key `pipline`",
                "missing `[pipeline]` table",
                "missing `[source]` table",
                "no sinks are defined"
            ]
        );
        assert!(
            error.diagnostics[0]
                .hint
                .as_deref()
                .unwrap()
                .starts_with("did you mean `[pipeline]`?")
        );
    }

    /// A 124 KB file saved with carriage returns alone as line breaks made
    /// 12,044 errors, each echoing the whole file as its line.
    #[test]
    fn carriage_returns_alone_are_one_error_not_one_per_line() {
        let mut text = MINIMAL.trim_start().to_owned();
        while text.len() < 124 * 1024 {
            text.push_str("\n[[processors]]\ntype = \"sample\"\nrate = 10\n");
        }
        let error = parse(&text.replace('\n', "\r")).unwrap_err();
        assert_eq!(error.diagnostics.len(), 1);
        let diagnostic = &error.diagnostics[0];
        assert_eq!(diagnostic.position().unwrap(), "p.toml:1:11");
        assert!(
            diagnostic.message.contains("carriage return"),
            "{}",
            diagnostic.message
        );
        assert_eq!(
            diagnostic.location.as_ref().unwrap().line_text,
            "[pipeline]"
        );
        assert!(error.to_string().len() < 1000, "{error}");
    }

    #[test]
    fn a_carriage_return_alone_is_reported_at_the_line_it_ends() {
        let error = parse("[pipeline]\nname = \"p\"\r# cr\n").unwrap_err();
        assert_eq!(error.diagnostics.len(), 1);
        let location = error.diagnostics[0].location.as_ref().unwrap();
        assert_eq!((location.line, location.column), (2, 11));
        assert_eq!(location.line_text, "name = \"p\"");
    }

    #[test]
    fn a_file_that_is_not_utf8_is_reported_at_its_first_bad_byte() {
        let path = std::env::temp_dir().join(format!(
            "tributary-config-latin1-{}.toml",
            std::process::id()
        ));
        std::fs::write(&path, b"[pipeline]\nname = \"caf\xe9 cr\xe8me\"\n").unwrap();
        let error = PipelineConfig::load(&path).unwrap_err();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(error.diagnostics.len(), 1);
        let diagnostic = &error.diagnostics[0];
        assert_eq!(
            diagnostic.position().unwrap(),
            format!("{}:2:12", path.display())
        );
        assert!(
            diagnostic.message.contains("UTF-8"),
            "{}",
            diagnostic.message
        );
        assert!(
            diagnostic.message.contains("0xE9"),
            "{}",
            diagnostic.message
        );
        assert!(diagnostic.hint.as_deref().unwrap().contains("UTF-8"));
    }

    #[test]
    fn errors_past_the_cap_are_counted_not_shown() {
        let mut text = "[pipeline]\nname = \"p\"\n[source]\ntype = \"kinesis\"\n".to_owned();
        for i in 0..50 {
            text.push_str(&format!("[sinks.s{i}]\npath = \"x\"\n"));
        }
        let error = parse(&text).unwrap_err();
        assert_eq!(error.diagnostics.len(), 20);
        assert_eq!(error.count(), 50);
        let shown = error.to_string();
        assert_eq!(shown.matches("error: sink has no `type`").count(), 20);
        assert!(shown.contains("and 30 more errors"), "{shown}");
    }

    /// A password put in `endpoint = "${PW}"` was printed in the error about
    /// the endpoint.
    #[test]
    fn an_interpolated_value_is_shown_as_written_not_as_substituted() {
        let text = "[pipeline]\nname = \"p\"\n\n[source]\ntype = \"kinesis\"\n\
                    batch_size = \"${PW}\"\nendpoint = \"https://admin:${PW}@search\"\n\n\
                    [sinks.out]\ntype = \"jsonl\"\n";
        let secret = |var: &str| (var == "PW").then(|| "hunter2-s3cret".to_owned());
        let config =
            PipelineConfig::parse(SourceFile::new("p.toml", text, secret).unwrap()).unwrap();
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Source {
            batch_size: u32,
            endpoint: String,
        }
        let options = config.source.options();
        let error = options.deserialize::<Source>().unwrap_err();
        assert_eq!(
            error.message,
            "invalid type: string \"${PW}\", expected a whole number"
        );
        // As a connector reports a value it cannot use.
        let endpoint = "https://admin:hunter2-s3cret@search";
        let error = options
            .error_at("endpoint", format!("`{endpoint}` is not a URL"))
            .hint(format!("check `{endpoint}`"));
        assert_eq!(error.message, "`https://admin:${PW}@search` is not a URL");
        assert_eq!(
            error.hint.as_deref(),
            Some("check `https://admin:${PW}@search`")
        );
        assert!(!error.to_string().contains("hunter2"), "{error}");
        // A long value is not shown in a message about another place either.
        let error = Diagnostic::new(format!("cannot reach {endpoint}")).at(&config.file, 0..1);
        assert_eq!(error.message, "cannot reach https://admin:${PW}@search");
    }

    #[test]
    fn a_short_interpolated_value_is_masked_only_where_it_stands_alone() {
        let text = "[pipeline]\nname = \"p\"\n[source]\ntype = \"kinesis\"\nbatch_size = ${N}\n\
                    [sinks.out]\ntype = \"jsonl\"\n";
        let zero = |var: &str| (var == "N").then(|| "0".to_owned());
        let config = PipelineConfig::parse(SourceFile::new("p.toml", text, zero).unwrap()).unwrap();
        let error = config.source.options().error_at(
            "batch_size",
            "`batch_size` must be between 1 and 10000, not 0",
        );
        assert_eq!(
            error.message,
            "`batch_size` must be between 1 and 10000, not ${N}"
        );
    }

    #[test]
    fn syntax_errors_have_a_position() {
        let error = parse("[pipeline]\nname = \"x\nfoo\n").unwrap_err();
        assert_eq!(error.diagnostics[0].position().unwrap(), "p.toml:2:10");
        assert!(error.diagnostics[0].message.starts_with("invalid TOML"));
    }
}
