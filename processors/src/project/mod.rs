//! `type = "project"`: reshapes each record's payload.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use tributary_core::time::rfc3339_millis;
use tributary_core::{Origin, Processor, Record, RecordProcessor, Verdict};

use crate::{BuildContext, BuildError, ProcessorConfig};

/// Selects, drops, renames and sets fields of each payload (a JSON object),
/// and adds fields from the record's origin. Paths are dotted
/// (`geo.country`). The steps run in this order: `select`, `drop`,
/// `rename`, `set`, `origin`.
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

/// A fact about a record's origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OriginField {
    /// When the record arrived in the stream, RFC 3339.
    ArrivalTime,
    /// When the record arrived, in milliseconds since the epoch.
    ArrivalMs,
    /// The shard id.
    Shard,
    /// The sequence number.
    Sequence,
    /// The sub-sequence number of a KPL user record (null otherwise).
    SubSequence,
    /// The Kinesis partition key.
    PartitionKey,
    /// The stream or table stream ARN.
    Stream,
    /// The DynamoDB change (`INSERT`, `MODIFY`, `REMOVE`).
    EventName,
    /// The source kind (`kinesis`, `dynamodb_streams`, `eventbridge`).
    Source,
    /// Whether Time to Live removed the DynamoDB item.
    RemovedByTtl,
}

impl OriginField {
    fn value(self, origin: &Origin) -> Value {
        match self {
            OriginField::ArrivalTime => json!(rfc3339_millis(origin.arrival_ms)),
            OriginField::ArrivalMs => json!(origin.arrival_ms),
            OriginField::Shard => json!(&*origin.shard),
            OriginField::Sequence => json!(origin.sequence),
            OriginField::SubSequence => json!(origin.sub_sequence),
            OriginField::PartitionKey => json!(origin.partition_key),
            OriginField::Stream => json!(&*origin.stream),
            OriginField::EventName => json!(origin.event_name),
            OriginField::Source => json!(origin.source.as_str()),
            OriginField::RemovedByTtl => json!(origin.removed_by_ttl),
        }
    }
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
        let origin = record.origin.clone();
        let payload = match record.payload.json_mut() {
            Ok(Value::Object(object)) => object,
            Ok(_) => return Verdict::Fail("project needs a payload that is a JSON object".into()),
            Err(error) => return Verdict::Fail(error.into()),
        };
        let config = &self.0;
        if !config.select.is_empty() {
            let mut selected = Map::new();
            for path in &config.select {
                if let Some(value) = get(payload, path) {
                    insert(&mut selected, path, value.clone());
                }
            }
            *payload = selected;
        }
        for path in &config.drop {
            remove(payload, path);
        }
        for (from, to) in &config.rename {
            if let Some(value) = remove(payload, from) {
                insert(payload, to, value);
            }
        }
        for (path, value) in &config.set {
            insert(payload, path, value.clone());
        }
        for (path, field) in &config.origin {
            insert(payload, path, field.value(&origin));
        }
        Verdict::Keep
    }
}

fn get<'a>(object: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    let (parents, last) = match path.rsplit_once('.') {
        Some((parents, last)) => (Some(parents), last),
        None => (None, path),
    };
    let mut current = object;
    for part in parents.into_iter().flat_map(|p| p.split('.')) {
        current = current.get(part)?.as_object()?;
    }
    current.get(last)
}

fn remove(object: &mut Map<String, Value>, path: &str) -> Option<Value> {
    match path.split_once('.') {
        None => object.remove(path),
        Some((first, rest)) => remove(object.get_mut(first)?.as_object_mut()?, rest),
    }
}

/// Sets the value at `path`, making (or replacing with) objects on the way.
fn insert(object: &mut Map<String, Value>, path: &str, value: Value) {
    match path.split_once('.') {
        None => {
            object.insert(path.to_owned(), value);
        }
        Some((first, rest)) => {
            let child = object
                .entry(first)
                .or_insert_with(|| Value::Object(Map::new()));
            if !child.is_object() {
                *child = Value::Object(Map::new());
            }
            if let Value::Object(child) = child {
                insert(child, rest, value);
            }
        }
    }
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
