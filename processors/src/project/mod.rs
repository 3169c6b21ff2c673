//! `type = "project"`: reshapes each record's payload.

mod tree;

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;
use tributary_core::{Payload, PayloadError, Processor, Record, RecordProcessor, Verdict};

use tree::{Members, Node, OpenError};

pub use crate::origin_field::OriginField;
use crate::{BuildContext, BuildError, ProcessorConfig};

/// Selects, drops, renames and sets fields of each payload (a JSON object),
/// and adds fields from the record's origin. Paths are dotted
/// (`geo.country`). The steps run in this order: `select`, `drop`,
/// `rename`, `set`, `origin`. Values the steps only carry along are written
/// as they came: numbers keep every digit.
///
/// ```toml
/// [[processors]]
/// type = "project"
/// select = ["user_id", "page", "geo.country"]
/// rename = { user_id = "user" }
/// set = { env = "prod" }
/// origin = { arrived = "arrival_time", shard = "shard" }
/// ```
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectConfig {
    /// Keep only these fields (and the objects on their paths). Default:
    /// keep all.
    #[serde(default)]
    pub select: Vec<String>,
    /// Remove these fields. Default: none.
    #[serde(default)]
    pub drop: Vec<String>,
    /// Move fields: `from = "to"`. A missing `from` is no error. Default: none.
    #[serde(default)]
    pub rename: BTreeMap<String, String>,
    /// Set fields to these values, replacing what is there. Default: none.
    #[serde(default)]
    pub set: BTreeMap<String, Value>,
    /// Set fields from the record's origin: `field = "what"`, where what is
    /// `arrival_time` (RFC 3339), `arrival_ms`, `shard`, `sequence`,
    /// `sub_sequence`, `partition_key`, `stream`, `event_name`, `source` or
    /// `removed_by_ttl`. Default: none.
    #[serde(default)]
    pub origin: BTreeMap<String, OriginField>,
}

struct Project(ProjectConfig);

impl ProcessorConfig for ProjectConfig {
    const TYPE: &'static str = "project";

    fn build(self, _: &BuildContext) -> Result<Box<dyn Processor>, BuildError> {
        let empty = self.select.is_empty()
            && self.drop.is_empty()
            && self.rename.is_empty()
            && self.set.is_empty()
            && self.origin.is_empty();
        if empty {
            return Err(BuildError::at(
                "",
                "a project does nothing without `select`, `drop`, `rename`, `set` or `origin`",
            ));
        }
        let paths = self
            .select
            .iter()
            .chain(&self.drop)
            .chain(self.rename.keys())
            .chain(self.rename.values());
        if let Some(bad) = paths
            .chain(self.set.keys())
            .chain(self.origin.keys())
            .find(|p| p.split('.').any(str::is_empty))
        {
            return Err(BuildError::at("", format!("`{bad}` is not a field path"))
                .hint("paths are keys joined by dots, such as geo.country"));
        }
        Ok(Box::new(Project(self)))
    }
}

impl RecordProcessor for Project {
    fn process_record(&mut self, record: &mut Record) -> Verdict {
        let mut payload = match open_payload(&mut record.payload) {
            Ok(members) => members,
            Err(verdict) => return verdict,
        };
        let config = &self.0;
        if !config.select.is_empty() {
            let mut selected = Members::new();
            for path in &config.select {
                if let Some(value) = tree::get(&mut payload, path) {
                    tree::insert(&mut selected, path, value.clone());
                }
            }
            payload = selected;
        }
        for path in &config.drop {
            tree::remove(&mut payload, path);
        }
        for (from, to) in &config.rename {
            if let Some(value) = tree::remove(&mut payload, from) {
                tree::insert(&mut payload, to, value);
            }
        }
        for (path, value) in &config.set {
            tree::insert(&mut payload, path, Node::Value(value.clone()));
        }
        for (path, field) in &config.origin {
            tree::insert(&mut payload, path, Node::Value(field.value(&record.origin)));
        }
        let mut out = Vec::with_capacity(record.payload.raw_len() + 64);
        tree::write(&payload, &mut out);
        record.payload = Payload::from_json_text(out);
        Verdict::Keep
    }
}

/// The payload's top-level members, from its bytes as they came (or its
/// tree, written out, when a processor before changed it). The bytes are
/// checked whole first (UTF-8, syntax, nesting), since members only carried
/// along are not read again before a sink writes them.
fn open_payload(payload: &mut Payload) -> Result<Members, Verdict> {
    payload
        .validate_json()
        .map_err(|error| Verdict::Fail(error.into()))?;
    let bytes = payload.to_bytes();
    let not_an_object = || Verdict::Fail("project needs a payload that is a JSON object".into());
    let text = std::str::from_utf8(&bytes).map_err(|_| not_an_object())?;
    tree::open(text).map_err(|error| match error {
        OpenError::NotAnObject => not_an_object(),
        OpenError::Invalid(error) => Verdict::Fail(PayloadError::from(error).into()),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::test_support::{batch, build, build_with, payloads};

    #[test]
    fn selects_drops_renames_sets_and_adds_origin_fields_in_order() {
        let mut project = build(
            "type = \"project\"\nselect = [\"user\", \"geo.country\", \"secret\"]\ndrop = [\"secret\"]\nrename = { user = \"who.id\" }\nset = { env = \"prod\", \"geo.eu\" = true }\norigin = { arrived = \"arrival_time\", at = \"shard\", seq = \"sequence\" }",
        );
        let mut records = batch(&[
            r#"{"user":"u1","geo":{"country":"DE","city":"Berlin"},"secret":"x","page":"/"}"#,
            "[1]",
            "{oops",
        ]);
        project.process(&mut records).unwrap();
        assert_eq!(
            payloads(&records),
            [
                json!({"geo": {"country": "DE", "eu": true}, "who": {"id": "u1"}, "env": "prod",
                    "arrived": "2026-11-28T10:00:00Z", "at": "shardId-0", "seq": "1000"})
            ]
        );
        let failed: Vec<String> = records
            .failed()
            .iter()
            .map(|f| f.error.to_string())
            .collect();
        assert_eq!(failed[0], "project needs a payload that is a JSON object");
        assert!(
            failed[1].starts_with("payload is not valid JSON"),
            "{failed:?}"
        );
    }

    #[test]
    fn numbers_it_only_carries_are_written_as_they_came() {
        let mut project = build("type = \"project\"\nselect = [\"big\", \"huge\", \"n.x\"]");
        let mut records = batch(&[
            r#"{"big": 123456789012345678901234567890123, "huge": 1e400, "n": {"x": 0.10000000000000000001, "y": 2}, "z": 1}"#,
        ]);
        project.process(&mut records).unwrap();
        assert!(records.failed().is_empty(), "{:?}", records.failed());
        let mut record = records.take_records().pop().unwrap();
        assert_eq!(
            std::str::from_utf8(record.payload.raw().unwrap()).unwrap(),
            r#"{"big":123456789012345678901234567890123,"huge":1e400,"n":{"x":0.10000000000000000001}}"#
        );
        let mut line = Vec::new();
        record.payload.write_json_line(&mut line).unwrap();
        assert!(line.starts_with(br#"{"big":123456789012345678901234567890123,"#));
    }

    #[test]
    fn a_project_that_does_nothing_or_has_empty_paths_is_an_error() {
        let error = |t: &str| {
            build_with(t, tributary_core::SourceKind::Kinesis, None)
                .map(|_| ())
                .unwrap_err()
        };
        assert!(error("type = \"project\"").contains("does nothing"));
        assert!(
            error("type = \"project\"\ndrop = [\"a..b\"]").contains("`a..b` is not a field path")
        );
    }
}
