//! A processor of your own, next to the built-in ones.
//!
//! `redact` replaces the values of chosen fields with a fixed text, so that
//! personal data never reaches the sink. It is all a custom processor needs:
//!
//! 1. a config struct, what users write under `[[processors]]`, with
//!    `deny_unknown_fields` and a doc comment on each field;
//! 2. the runtime struct it builds, holding what the config compiles to;
//! 3. `impl ProcessorConfig` (the TOML `type` and `build`) and `impl
//!    RecordProcessor` (or `Processor`, for whole batches);
//! 4. one `registry.register::<RedactConfig>()` line, and the whole command
//!    line runs with it:
//!
//! ```text
//! cargo run --example custom_processor -- validate my-pipeline.toml
//! cargo run --example custom_processor -- replay my-pipeline.toml --recording examples/clickstream/recording.jsonl
//! ```
//!
//! The command line is `tributary_cli::run`; in your project's function, a
//! binary whose `main` calls `tributary::lambda::run` with the same registry
//! is the bootstrap (`tributary package --project DIR --bin NAME` builds it).

use std::process::ExitCode;

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;
use tributary::core::{Processor, Record, RecordProcessor, Verdict};
use tributary::processors::{BuildContext, BuildError, ProcessorConfig, Registry};

/// Replaces the values of the named top-level fields with a fixed text.
///
/// ```toml
/// [[processors]]
/// type = "redact"
/// fields = ["user_id", "session_id"]
/// ```
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct RedactConfig {
    /// The top-level fields whose values are replaced. At least one.
    fields: Vec<String>,
    /// The text that replaces each value. Default `"[redacted]"`.
    #[serde(default = "default_replacement")]
    replacement: String,
}

fn default_replacement() -> String {
    "[redacted]".to_owned()
}

struct Redact {
    fields: Vec<String>,
    replacement: Value,
}

impl ProcessorConfig for RedactConfig {
    const TYPE: &'static str = "redact";

    fn build(self, _: &BuildContext) -> Result<Box<dyn Processor>, BuildError> {
        if self.fields.is_empty() {
            return Err(BuildError::at("fields", "`fields` is empty")
                .hint("name at least one field to redact"));
        }
        Ok(Box::new(Redact {
            fields: self.fields,
            replacement: Value::String(self.replacement),
        }))
    }
}

impl RecordProcessor for Redact {
    fn process_record(&mut self, record: &mut Record) -> Verdict {
        let payload = match record.payload.json_mut() {
            Ok(payload) => payload,
            // A payload that is not JSON fails; the pipeline's `on_error` decides its fate.
            Err(error) => return Verdict::Fail(error.into()),
        };
        if let Some(object) = payload.as_object_mut() {
            for field in &self.fields {
                if let Some(value) = object.get_mut(field) {
                    *value = self.replacement.clone();
                }
            }
        }
        Verdict::Keep
    }
}

fn main() -> ExitCode {
    let mut registry = Registry::builtin();
    registry.register::<RedactConfig>();
    tributary_cli::run(registry)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use tributary::Plan;
    use tributary::connectors::sources::SourceRecord;
    use tributary::core::{Origin, SourceKind};

    fn registry() -> Registry {
        let mut registry = Registry::builtin();
        registry.register::<RedactConfig>();
        registry
    }

    fn pipeline_toml(out: &std::path::Path, processor: &str) -> String {
        format!(
            "[pipeline]\nname = \"redacted\"\n\n[source]\ntype = \"kinesis\"\n\n[[processors]]\n{processor}\n\n[sinks.out]\ntype = \"jsonl\"\npath = \"{}\"\n",
            out.display()
        )
    }

    fn input(sequence: &str, data: &'static str) -> SourceRecord {
        SourceRecord::new(
            Origin::new(
                SourceKind::Kinesis,
                "arn:aws:kinesis:eu-west-1:1:stream/s",
                "shardId-0",
                sequence,
            ),
            Bytes::from_static(data.as_bytes()),
        )
    }

    #[test]
    fn redacts_fields_and_fails_only_records_that_are_not_json() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.jsonl");
        let text = pipeline_toml(&out, "type = \"redact\"\nfields = [\"user_id\"]");
        let mut pipeline = Plan::parse("redact.toml", &text, &registry())
            .unwrap()
            .start()
            .unwrap();

        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let outcome = runtime.block_on(pipeline.run(vec![
            input("1", r#"{"user_id":"u-1","page":"/"}"#),
            input("2", "not json"),
            input("3", r#"{"page":"/cart"}"#),
        ]));

        // Record 3 comes after the failed record 2 in the same shard: Lambda
        // redelivers the shard from 2, so 3 is not processed now.
        let written = std::fs::read_to_string(&out).unwrap();
        assert_eq!(written, "{\"user_id\":\"[redacted]\",\"page\":\"/\"}\n");
        let totals = outcome.totals();
        assert_eq!(
            (totals.records_in, totals.delivered, totals.failed),
            (3, 1, 2)
        );
        // The default `on_error` is retry: Lambda is told to retry from sequence 2.
        let failed: Vec<&str> = outcome.failed.iter().map(|o| o.sequence.as_str()).collect();
        assert_eq!(failed, ["2"]);
    }

    #[test]
    fn bad_options_are_reported_in_place_like_a_built_in_processor() {
        let dir = tempfile::tempdir().unwrap();
        let text = pipeline_toml(
            &dir.path().join("o"),
            "type = \"redact\"\nfields = \"user_id\"",
        );
        let error = Plan::parse("redact.toml", &text, &registry())
            .err()
            .unwrap();
        let diagnostic = &error.diagnostics[0];
        assert_eq!(diagnostic.position().unwrap(), "redact.toml:9:10");
        assert!(
            diagnostic.message.contains("expected a sequence"),
            "{}",
            diagnostic.message
        );

        let text = pipeline_toml(&dir.path().join("o"), "type = \"redact\"\nfields = []");
        let error = Plan::parse("redact.toml", &text, &registry())
            .err()
            .unwrap();
        assert_eq!(error.diagnostics[0].message, "`fields` is empty");
        assert_eq!(error.diagnostics[0].position().unwrap(), "redact.toml:9:10");
    }

    #[test]
    fn the_schema_documents_the_custom_processor() {
        let schema = tributary_cli::schema::pipeline_schema(&registry());
        let text = schema.to_string();
        assert!(text.contains("\"const\":\"redact\""), "{text}");
        assert!(text.contains("The top-level fields whose values are replaced."));
    }
}
