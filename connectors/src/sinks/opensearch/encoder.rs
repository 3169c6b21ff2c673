//! Records into bulk operations: for each record an action line and, but
//! for deletes, the document, with the index name and id it decides.

use std::sync::Arc;

use serde::Serialize;
use tributary_core::json::{FieldId, FieldReader, Leaf};
use tributary_core::{DeliveryFailure, Record, SinkError};

use super::bulk::{self, Operation};
use super::config::IdSource;
use super::error::OpensearchError;
use super::index_name::{IndexTemplate, number_text};
use super::{Action, CollectionType, OpensearchSinkConfig, Versioning};

impl OpensearchSinkConfig {
    /// What turns records into bulk operations, as the sink does.
    pub fn encoder(&self) -> Result<BulkEncoder, OpensearchError> {
        let index = IndexTemplate::parse(&self.index, self.time_field.clone())
            .map_err(OpensearchError::Index)?;
        let id = self.id_source().map_err(OpensearchError::DocumentId)?;
        Ok(BulkEncoder::new(index, id, self.action, self.collection_type).versioned(self.version))
    }
}

/// Turns records into the bulk request body the sink sends (without
/// sending it): for benchmarks, and to see what would be sent.
pub struct BulkEncoder {
    index: IndexTemplate,
    id: IdSource,
    action: Action,
    collection: CollectionType,
    versioning: Versioning,
    fields: PayloadFields,
}

/// The payload fields the operations read (the id field, the index
/// template's fields, the time field), read from raw bytes without parsing
/// the payload.
#[derive(Debug)]
struct PayloadFields {
    reader: FieldReader,
    paths: Vec<(String, FieldId)>,
}

impl PayloadFields {
    fn new(index: &IndexTemplate, id: &IdSource) -> Self {
        let mut paths: Vec<String> = index.field_paths().map(str::to_owned).collect();
        if let IdSource::Field(path) = id {
            paths.push(path.clone());
        }
        let (reader, ids) = FieldReader::new(paths.iter().map(String::as_str));
        PayloadFields {
            reader,
            paths: paths.into_iter().zip(ids).collect(),
        }
    }
}

#[derive(Serialize)]
struct Meta<'a> {
    #[serde(rename = "_index")]
    index: &'a str,
    #[serde(rename = "_id", skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    version_type: Option<&'static str>,
}

/// The version type sent with versions: `external_gte`, so an equal version
/// is accepted (a redelivered change writes the same document again; two
/// changes that share a version, such as a KPL record's user records, keep
/// the later arrival) and only a strictly older one is refused.
const VERSION_TYPE: &str = "external_gte";

impl BulkEncoder {
    pub(super) fn new(
        index: IndexTemplate,
        id: IdSource,
        action: Action,
        collection: CollectionType,
    ) -> Self {
        BulkEncoder {
            fields: PayloadFields::new(&index, &id),
            index,
            id,
            action,
            collection,
            versioning: Versioning::None,
        }
    }

    /// The encoder, sending versions as `versioning` says.
    pub(super) fn versioned(mut self, versioning: Versioning) -> Self {
        self.versioning = versioning;
        self
    }

    /// The body of one bulk request for `records`, and the records that
    /// cannot be sent (no index name, no id for a delete), by index.
    pub fn encode(&mut self, records: &mut [Record]) -> (Vec<u8>, Vec<usize>) {
        let (operations, failures) = self.operations(records);
        let positions: Vec<usize> = (0..operations.len()).collect();
        (
            bulk::body(&operations, &positions),
            failures.iter().map(|f| f.index).collect(),
        )
    }

    /// The operations for `records`, and the records that cannot have one
    /// (no index name, no id for a delete): failed for good.
    pub(super) fn operations(
        &mut self,
        records: &mut [Record],
    ) -> (Vec<Operation>, Vec<DeliveryFailure>) {
        let mut operations = Vec::with_capacity(records.len());
        let mut failures = Vec::new();
        for (index, record) in records.iter_mut().enumerate() {
            match self.operation(index, record) {
                Ok(operation) => operations.push(operation),
                Err(reason) => failures.push(DeliveryFailure {
                    index,
                    error: SinkError::Unsendable(reason),
                }),
            }
        }
        (operations, failures)
    }

    fn operation(&mut self, index: usize, record: &mut Record) -> Result<Operation, String> {
        let arrival_ms = record.origin.arrival_ms;
        let (id, index_name) = if self.fields.paths.is_empty() {
            let none = |_: &str| None;
            let id = id_of(&self.id, record.document_id.as_ref(), &none)?;
            (id, self.index.render(arrival_ms, &none)?)
        } else {
            let PayloadFields { reader, paths } = &mut self.fields;
            let fields = reader
                .read(&mut record.payload)
                .map_err(|e| e.to_string())?;
            if let IdSource::Field(path) = &self.id
                && let Some((_, id)) = paths.iter().find(|(p, _)| p == path)
                && fields.in_array(*id)
            {
                return Err(format!(
                    "the id field `{path}` is inside an array, so it has no one value; \
                     a document id must be one string or number"
                ));
            }
            let lookup = |path: &str| {
                paths
                    .iter()
                    .find(|(p, _)| p == path)
                    .and_then(|(_, id)| fields.get(*id))
            };
            let id = id_of(&self.id, record.document_id.as_ref(), &lookup)?;
            (id, self.index.render(arrival_ms, &lookup)?)
        };
        // A change that deletes (a DynamoDB REMOVE) deletes its document,
        // where ids are the collection's to give.
        let removed =
            record.origin.change == tributary_core::Change::Delete && record.document_id.is_some();
        let action = match self.action {
            Action::Index | Action::Create
                if removed && self.collection == CollectionType::Search =>
            {
                Action::Delete
            }
            action => action,
        };
        if action == Action::Delete && id.is_none() {
            return Err("a delete needs a document id, and this record has none".to_owned());
        }
        let version = match self.versioning {
            Versioning::None => None,
            Versioning::ChangeTime => Some(
                record
                    .origin
                    .change_version()
                    .map_err(|e| format!("no version for `version = \"change_time\"`: {e}"))?
                    .get(),
            ),
        };
        let mut lines = Vec::with_capacity(128 + record.payload.raw().map_or(256, <[u8]>::len));
        let meta = Meta {
            index: &index_name,
            id: id.as_deref(),
            version,
            version_type: version.map(|_| VERSION_TYPE),
        };
        let action_name = match action {
            Action::Index => "index",
            Action::Create => "create",
            Action::Delete => "delete",
        };
        // `{"index":{"_index":"...","_id":"..."}}`, written straight.
        lines.extend_from_slice(b"{\"");
        lines.extend_from_slice(action_name.as_bytes());
        lines.extend_from_slice(b"\":");
        serde_json::to_writer(&mut lines, &meta).expect("writing JSON to a Vec cannot fail");
        lines.push(b'}');
        lines.push(b'\n');
        if action != Action::Delete {
            record
                .payload
                .write_json_line(&mut lines)
                .map_err(|e| e.to_string())?;
            lines.push(b'\n');
        }
        Ok(Operation {
            record: index,
            action,
            id,
            version,
            lines,
        })
    }
}

/// A record's document id, by the sink's id source.
fn id_of<'a>(
    source: &IdSource,
    derived: Option<&Arc<str>>,
    field: &dyn Fn(&str) -> Option<Leaf<'a>>,
) -> Result<Option<Arc<str>>, String> {
    match source {
        IdSource::None => Ok(None),
        IdSource::Derived => Ok(derived.cloned()),
        IdSource::Field(path) => match field(path) {
            Some(Leaf::String(bytes)) => Ok(Some(tributary_core::document_id(
                String::from_utf8_lossy(bytes).into_owned(),
            ))),
            Some(Leaf::Number(number)) => Ok(Some(Arc::from(number_text(number.exact_value())))),
            _ => Err(format!(
                "the id field `{path}` is missing or not a string or number"
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use tributary_core::{InputIndex, Origin, Payload, SourceKind};

    use super::*;

    #[test]
    fn each_record_gets_its_action_line_and_document() {
        let index = IndexTemplate::parse("clicks", None).unwrap();
        let id = IdSource::Field("id".to_owned());
        let mut encoder = BulkEncoder::new(index, id, Action::Create, CollectionType::Search);
        let origin = Origin::new(SourceKind::Kinesis, "s", "shard", "1");
        let mut records = vec![
            Record::new(
                origin.clone(),
                Payload::from_bytes(r#"{"id":"a","n":1}"#),
                InputIndex(0),
            ),
            Record::new(
                origin.clone(),
                Payload::from_bytes(r#"{"n":2}"#),
                InputIndex(1),
            ),
            Record::new(
                origin.clone(),
                Payload::from_bytes(r#"{"id":["b","c"]}"#),
                InputIndex(2),
            ),
            Record::new(
                origin,
                Payload::from_bytes(r#"{"id":[{"x":1}]}"#),
                InputIndex(3),
            ),
        ];
        let (operations, failures) = encoder.operations(&mut records);
        assert_eq!(
            String::from_utf8(operations[0].lines.clone()).unwrap(),
            "{\"create\":{\"_index\":\"clicks\",\"_id\":\"a\"}}\n{\"id\":\"a\",\"n\":1}\n"
        );
        assert_eq!(operations.len(), 1);
        let errors: Vec<(usize, String)> = failures
            .iter()
            .map(|f| (f.index, f.error.to_string()))
            .collect();
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(failures.iter().all(|f| !f.transient()));
        assert!(errors[0].1.contains("the id field `id` is missing"));
        assert_eq!(errors[1].0, 2);
        assert!(
            errors[1].1.contains("the id field `id` is inside an array"),
            "an array's first element is not its id: {errors:?}"
        );
        assert!(errors[2].1.contains("the id field `id` is missing"));
    }

    #[test]
    fn versioned_index_and_delete_lines_carry_the_change_version() {
        let index = IndexTemplate::parse("items", None).unwrap();
        let mut encoder = BulkEncoder::new(
            index,
            IdSource::Derived,
            Action::Index,
            CollectionType::Search,
        )
        .versioned(Versioning::ChangeTime);
        let change = |sequence: &str, change: tributary_core::Change, input: u32| {
            let mut origin = Origin::new(SourceKind::DynamodbStreams, "s", "shard", sequence);
            origin.arrival_ms = 1_767_225_600_000;
            origin.change = change;
            let mut record = Record::new(
                origin,
                Payload::from_bytes(r#"{"pk":"a"}"#),
                InputIndex(input),
            );
            record.document_id = Some(Arc::from("a"));
            record
        };
        let mut event = Record::new(
            Origin::new(SourceKind::Eventbridge, "bus", "bus", "6a7e8feb"),
            Payload::from_bytes(r#"{"pk":"b"}"#),
            InputIndex(2),
        );
        event.document_id = Some(Arc::from("b"));
        let mut records = vec![
            change(
                "4421584500000000017450439091",
                tributary_core::Change::Upsert,
                0,
            ),
            change(
                "4421584500000000017450439092",
                tributary_core::Change::Delete,
                1,
            ),
            event,
        ];
        let (operations, failures) = encoder.operations(&mut records);
        let lines: Vec<String> = operations
            .iter()
            .map(|o| String::from_utf8(o.lines.clone()).unwrap())
            .collect();
        assert_eq!(
            lines,
            [
                "{\"index\":{\"_index\":\"items\",\"_id\":\"a\",\"version\":1767225600450439092,\"version_type\":\"external_gte\"}}\n{\"pk\":\"a\"}\n",
                "{\"delete\":{\"_index\":\"items\",\"_id\":\"a\",\"version\":1767225600450439093,\"version_type\":\"external_gte\"}}\n",
            ]
        );
        assert_eq!(operations[1].version, Some(1_767_225_600_450_439_093));
        assert_eq!(failures.len(), 1);
        assert_eq!(failures[0].index, 2);
        assert!(!failures[0].transient());
        assert!(
            failures[0].error.to_string().contains(
                "no version for `version = \"change_time\"`: eventbridge records have no order"
            ),
            "{}",
            failures[0].error
        );
        let mut unversioned = BulkEncoder::new(
            IndexTemplate::parse("items", None).unwrap(),
            IdSource::Derived,
            Action::Index,
            CollectionType::Search,
        );
        let (operations, _) = unversioned.operations(&mut records[..1]);
        assert!(
            operations[0]
                .lines
                .starts_with(b"{\"index\":{\"_index\":\"items\",\"_id\":\"a\"}}\n")
        );
        assert_eq!(operations[0].version, None);
    }
}
