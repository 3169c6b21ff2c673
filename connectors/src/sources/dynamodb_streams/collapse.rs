//! `collapse = true`: of several changes to one item in a batch, only the
//! last one is delivered, and the earlier ones count as dropped. An index
//! that mirrors the table needs only the item's latest state; Lambda keeps a
//! shard's changes in order, so the last change in the batch is the latest.

use super::item_id;
use crate::sources::SourceRecord;

/// Which of `inputs` a later change to the same item supersedes, by
/// position. A record whose keys name no item, or that could not be read,
/// neither supersedes nor is superseded.
pub(in crate::sources) fn superseded(inputs: &[SourceRecord]) -> Vec<bool> {
    let mut latest = std::collections::HashMap::new();
    let mut superseded = vec![false; inputs.len()];
    for (index, input) in inputs.iter().enumerate() {
        if input.error.is_some() {
            continue;
        }
        let Some(id) = item_id(&input.origin) else {
            continue;
        };
        if let Some(earlier) = latest.insert(id, index) {
            superseded[earlier] = true;
        }
    }
    superseded
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use serde_json::{Value, json};
    use tributary_core::{Origin, SourceKind};

    use super::*;
    use crate::sources::{DecodeError, SourceConfig};

    fn change(sequence: &str, keys: Option<Value>) -> SourceRecord {
        let mut origin = Origin::new(SourceKind::DynamodbStreams, "s", "s", sequence);
        origin.item_keys = keys;
        SourceRecord::new(origin, Bytes::from_static(b"{}"))
    }

    fn item(pk: &str) -> Option<Value> {
        Some(json!({ "pk": pk }))
    }

    #[test]
    fn the_last_change_to_an_item_supersedes_the_earlier_ones() {
        let inputs = [
            change("1", item("a")),
            change("2", item("b")),
            change("3", item("a")),
            change("4", item("a")),
            change("5", Some(json!({"pk": "b", "sk": 1}))),
        ];
        assert_eq!(superseded(&inputs), [true, false, true, false, false]);
    }

    #[test]
    fn changes_that_name_no_item_or_failed_are_left_alone() {
        let mut unreadable = change("3", item("a"));
        unreadable.error = Some(DecodeError::Unreadable {
            reason: "broken".to_owned(),
        });
        let inputs = [
            change("1", None),
            change("2", Some(json!({}))),
            unreadable,
            change("4", None),
            change("5", Some(json!({}))),
            change("6", item("a")),
        ];
        assert_eq!(superseded(&inputs), [false; 6]);
    }

    fn source(toml: &str) -> SourceConfig {
        let text =
            format!("[pipeline]\nname = \"t\"\n[source]\n{toml}\n[sinks.out]\ntype = \"jsonl\"\n");
        let file = tributary_config::SourceFile::new("p.toml", text, |_| None).unwrap();
        let config = tributary_config::PipelineConfig::parse(file).unwrap();
        SourceConfig::from_component(&config.source).unwrap()
    }

    #[test]
    fn only_a_dynamodb_source_that_collapses_supersedes() {
        let inputs = [change("1", item("a")), change("2", item("a"))];
        let collapsing = source("type = \"dynamodb_streams\"");
        assert_eq!(collapsing.superseded(&inputs), [true, false]);
        for other in [
            "type = \"dynamodb_streams\"\ncollapse = false",
            "type = \"kinesis\"",
            "type = \"eventbridge\"",
        ] {
            assert!(source(other).superseded(&inputs).is_empty(), "{other}");
        }
    }
}
