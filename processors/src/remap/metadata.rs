//! The record's origin as VRL metadata: `%shard`, `%arrival_time`, ...
//!
//! Only the facts the program reads are built for each record, so a
//! program that reads none pays nothing for them.

use std::collections::BTreeMap;

use chrono::DateTime;
use tributary_core::Origin;
use vrl::compiler::ProgramInfo;
use vrl::path::{OwnedSegment, OwnedTargetPath, PathPrefix};
use vrl::value::{KeyString, Value};

use crate::origin_field::OriginField;

/// The origin facts a program reads.
#[derive(Debug, Clone, Default)]
pub(super) struct Metadata {
    fields: Vec<OriginField>,
}

/// A `%name` that is no origin fact.
#[derive(Debug)]
pub(super) struct UnknownMetadata {
    /// The name, without its `%`.
    pub name: String,
    /// The known names, listed for the message.
    pub known: String,
}

impl Metadata {
    /// The facts the program's `%` paths read; `%` alone reads them all.
    pub(super) fn read_by(info: &ProgramInfo) -> Result<Self, UnknownMetadata> {
        let mut fields = Vec::new();
        for path in info.target_queries.iter().filter(|p| is_metadata(p)) {
            let wanted = match path.path.segments.first() {
                None => OriginField::ALL.to_vec(),
                Some(OwnedSegment::Field(name)) => match OriginField::named(name.as_str()) {
                    Some(field) => vec![field],
                    None => return Err(UnknownMetadata::new(name.as_str())),
                },
                Some(OwnedSegment::Index(index)) => {
                    return Err(UnknownMetadata::new(&index.to_string()));
                }
            };
            for field in wanted {
                if !fields.contains(&field) {
                    fields.push(field);
                }
            }
        }
        Ok(Metadata { fields })
    }

    /// The metadata of a record from `origin`.
    pub(super) fn of(&self, origin: &Origin) -> Value {
        let mut map = BTreeMap::new();
        for field in &self.fields {
            map.insert(KeyString::from(field.name()), fact(*field, origin));
        }
        Value::Object(map)
    }
}

impl UnknownMetadata {
    fn new(name: &str) -> Self {
        let known: Vec<String> = OriginField::ALL
            .iter()
            .map(|f| format!("`%{}`", f.name()))
            .collect();
        UnknownMetadata {
            name: name.to_owned(),
            known: known.join(", "),
        }
    }
}

/// One fact, as a VRL value: times are timestamps, absent facts null.
fn fact(field: OriginField, origin: &Origin) -> Value {
    let text = |s: &str| Value::from(s);
    let optional = |s: Option<&str>| s.map_or(Value::Null, Value::from);
    match field {
        OriginField::ArrivalTime => {
            DateTime::from_timestamp_millis(origin.arrival_ms).map_or(Value::Null, Value::Timestamp)
        }
        OriginField::ArrivalMs => Value::Integer(origin.arrival_ms),
        OriginField::Shard => text(&origin.shard),
        OriginField::Sequence => text(&origin.sequence),
        OriginField::SubSequence => origin
            .sub_sequence
            .and_then(|s| i64::try_from(s).ok())
            .map_or(Value::Null, Value::Integer),
        OriginField::PartitionKey => optional(origin.partition_key.as_deref()),
        OriginField::Stream => text(&origin.stream),
        OriginField::EventName => optional(origin.event_name.as_deref()),
        OriginField::Source => text(origin.source.as_str()),
        OriginField::RemovedByTtl => Value::Boolean(origin.removed_by_ttl),
    }
}

/// Whether a target path reads the record's origin.
fn is_metadata(path: &OwnedTargetPath) -> bool {
    path.prefix == PathPrefix::Metadata
}
