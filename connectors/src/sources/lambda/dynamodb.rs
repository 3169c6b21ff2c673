//! DynamoDB Streams events: changes to a table's items, as plain JSON.
//!
//! Each entry is read with `aws_lambda_events::dynamodb::EventRecord`, so a
//! malformed entry fails alone. Keys and images (`{"pk":{"S":"a"}}`) become
//! plain JSON (`{"pk":"a"}`) by [`dynamodb_to_json`].

use std::sync::Arc;

use aws_lambda_events::dynamodb::EventRecord;
use base64::Engine as _;
use bytes::Bytes;
use serde::Deserialize;
use serde_dynamo::{AttributeValue, Item};
use serde_json::value::RawValue;
use serde_json::{Map, Number, Value, json};
use tributary_core::{Origin, SourceKind};

use super::envelope::Envelope;
use super::{DecodedEvent, EventError, wrong_shape};
use crate::sources::{DecodeError, DynamodbPayload, DynamodbStreamsSourceConfig, SourceRecord};

pub(super) fn decode(
    event: &str,
    config: &DynamodbStreamsSourceConfig,
) -> Result<DecodedEvent, EventError> {
    let mut envelope = serde_json::from_str::<Envelope<&RawValue>>(event)
        .map_err(|error| wrong_shape(SourceKind::DynamodbStreams, error))?;
    let window = envelope.take_window();
    let mut stream: Option<Arc<str>> = None;
    let mut records = Vec::with_capacity(envelope.records.len());
    for (index, raw) in envelope.records.iter().enumerate() {
        let record = match serde_json::from_str::<EventRecord>(raw.get()) {
            Ok(entry) => change(entry, config, &mut stream, envelope.shard_id.as_deref()),
            Err(error) => {
                let identity = serde_json::from_str::<Identity>(raw.get()).map_err(|_| {
                    EventError::Unidentifiable {
                        index,
                        reason: error.to_string(),
                    }
                })?;
                let arn = identity.event_source_arn.unwrap_or_default();
                let origin = origin(
                    &mut stream,
                    &arn,
                    envelope.shard_id.as_deref(),
                    identity.dynamodb.sequence_number,
                );
                let raw = Bytes::copy_from_slice(raw.get().as_bytes());
                let reason = error.to_string();
                SourceRecord::unreadable(origin, raw, DecodeError::Unreadable { reason })
            }
        };
        records.push(record);
    }
    Ok(DecodedEvent { records, window })
}

#[derive(Deserialize)]
struct Identity {
    #[serde(default, rename = "eventSourceARN")]
    event_source_arn: Option<String>,
    dynamodb: IdentityChange,
}

#[derive(Deserialize)]
struct IdentityChange {
    #[serde(rename = "SequenceNumber")]
    sequence_number: String,
}

/// Lambda does not name the shard in a DynamoDB event outside a tumbling
/// window; the stream stands for it then (an invocation reads one shard).
fn origin(
    stream: &mut Option<Arc<str>>,
    arn: &str,
    shard: Option<&str>,
    sequence: String,
) -> Origin {
    let stream = match stream {
        Some(shared) if **shared == *arn => shared.clone(),
        _ => stream.insert(Arc::from(arn)).clone(),
    };
    let shard: Arc<str> = shard.map_or_else(|| stream.clone(), Arc::from);
    Origin::new(SourceKind::DynamodbStreams, stream, shard, sequence)
}

fn change(
    entry: EventRecord,
    config: &DynamodbStreamsSourceConfig,
    stream: &mut Option<Arc<str>>,
    shard: Option<&str>,
) -> SourceRecord {
    let arn = entry.event_source_arn.as_deref().unwrap_or_default();
    let sequence = entry.change.sequence_number.clone().unwrap_or_default();
    let mut origin = origin(stream, arn, shard, sequence);
    let keys = dynamodb_to_json(entry.change.keys);
    let new_image = dynamodb_to_json(entry.change.new_image);
    let old_image = dynamodb_to_json(entry.change.old_image);
    let removed_by_ttl = entry.event_name == "REMOVE"
        && entry.user_identity.as_ref().is_some_and(|identity| {
            identity.type_ == "Service" && identity.principal_id == "dynamodb.amazonaws.com"
        });
    origin.arrival_ms = entry
        .change
        .approximate_creation_date_time
        .timestamp_millis();
    origin.removed_by_ttl = removed_by_ttl;
    let payload = match config.payload {
        DynamodbPayload::Item => item_of(&entry.event_name, &keys, new_image, old_image),
        DynamodbPayload::Change => json!({
            "eventName": entry.event_name,
            "keys": keys,
            "newImage": non_empty(new_image),
            "oldImage": non_empty(old_image),
            "sequenceNumber": origin.sequence,
            "approximateCreationDateTime": origin.arrival_ms,
            "removedByTtl": removed_by_ttl,
        }),
    };
    origin.event_name = Some(entry.event_name);
    origin.item_keys = Some(keys);
    let data = serde_json::to_vec(&payload).expect("a JSON value always serializes");
    SourceRecord {
        origin,
        data: Bytes::from(data),
        data_is_json: true,
        error: None,
    }
}

/// A change's item: after the change, or for a REMOVE before it (or its keys,
/// when the stream has no old images).
pub(crate) fn item_of(event_name: &str, keys: &Value, new_image: Value, old_image: Value) -> Value {
    match event_name {
        "REMOVE" if is_empty(&old_image) => keys.clone(),
        "REMOVE" => old_image,
        _ => new_image,
    }
}

fn is_empty(value: &Value) -> bool {
    value.as_object().is_some_and(Map::is_empty)
}

fn non_empty(value: Value) -> Value {
    if is_empty(&value) { Value::Null } else { value }
}

/// A DynamoDB item as plain JSON. `S` becomes a string, `N` a number (or a
/// string, when a JSON number cannot hold every digit), `BOOL` a boolean,
/// `NULL` null, `B` a base64 string, `M` an object, `L` an array, and the
/// sets `SS`, `NS` and `BS` arrays.
pub fn dynamodb_to_json(item: Item) -> Value {
    Value::Object(
        item.into_inner()
            .into_iter()
            .map(|(name, value)| (name, attribute_to_json(value)))
            .collect(),
    )
}

fn attribute_to_json(value: AttributeValue) -> Value {
    let base64 =
        |bytes: Vec<u8>| Value::String(base64::engine::general_purpose::STANDARD.encode(bytes));
    match value {
        AttributeValue::S(text) => Value::String(text),
        AttributeValue::N(number) => number_to_json(number),
        AttributeValue::Bool(flag) => Value::Bool(flag),
        AttributeValue::Null(_) => Value::Null,
        AttributeValue::B(bytes) => base64(bytes),
        AttributeValue::M(map) => Value::Object(
            map.into_iter()
                .map(|(name, value)| (name, attribute_to_json(value)))
                .collect(),
        ),
        AttributeValue::L(list) => Value::Array(list.into_iter().map(attribute_to_json).collect()),
        AttributeValue::Ss(set) => Value::Array(set.into_iter().map(Value::String).collect()),
        AttributeValue::Ns(set) => Value::Array(set.into_iter().map(number_to_json).collect()),
        AttributeValue::Bs(set) => Value::Array(set.into_iter().map(base64).collect()),
    }
}

/// DynamoDB numbers have up to 38 digits; a JSON number here is an `i64`,
/// `u64` or `f64`. A number that would lose digits stays a string.
fn number_to_json(text: String) -> Value {
    match text.parse::<Number>() {
        Ok(number) if number.is_i64() || number.is_u64() => Value::Number(number),
        Ok(number) if number.to_string() == text => Value::Number(number),
        _ => Value::String(text),
    }
}

/// The document id of an item, from its keys (plain JSON, as
/// [`dynamodb_to_json`] makes them). The encoding is stable and documented
/// in docs/sources.md: the key attributes in order of their names, each
/// value as text (a string as it is, a number as written, binary as base64),
/// with `\` and `|` escaped by a `\`, joined by `|`. A table with only a
/// partition key `pk = "order#1"` gives `order#1`; with a sort key `sk = 2`
/// as well, `order#1|2`. An id over 512 bytes becomes `md5:` and the hex MD5
/// digest of the text.
pub fn document_id(keys: &Value) -> Arc<str> {
    let mut keys: Vec<(&String, &Value)> = keys
        .as_object()
        .map(|k| k.iter().collect())
        .unwrap_or_default();
    keys.sort_by_key(|(name, _)| *name);
    tributary_core::document_id(tributary_core::join_id_values(
        keys.into_iter().map(|(_, value)| value),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(json: &str) -> Item {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn every_attribute_type_becomes_plain_json() {
        let value = dynamodb_to_json(item(
            r#"{"s":{"S":"a"},"n":{"N":"12"},"f":{"N":"1.5"},"big":{"N":"123456789012345678901234567890"},
                "t":{"BOOL":true},"z":{"NULL":true},"b":{"B":"AAEqQQ=="},
                "m":{"M":{"x":{"N":"-3"}}},"l":{"L":[{"S":"x"},{"N":"1"}]},
                "ss":{"SS":["a","b"]},"ns":{"NS":["1","2.25"]},"bs":{"BS":["AAEqQQ=="]}}"#,
        ));
        assert_eq!(
            value,
            json!({"s":"a","n":12,"f":1.5,"big":"123456789012345678901234567890","t":true,"z":null,
                   "b":"AAEqQQ==","m":{"x":-3},"l":["x",1],"ss":["a","b"],"ns":[1,2.25],"bs":["AAEqQQ=="]})
        );
    }

    #[test]
    fn document_ids_are_stable_and_unambiguous() {
        assert_eq!(&*document_id(&json!({"pk": "order#1"})), "order#1");
        assert_eq!(
            &*document_id(&json!({"sk": 2, "pk": "order#1"})),
            "order#1|2"
        );
        assert_eq!(&*document_id(&json!({"a": "x|y", "b": "z"})), "x\\|y|z");
        assert_ne!(
            document_id(&json!({"a": "x|y", "b": "z"})),
            document_id(&json!({"a": "x", "b": "y|z"}))
        );
        let long = document_id(&json!({"pk": "x".repeat(600)}));
        assert!(long.starts_with("md5:") && long.len() == 36, "{long}");
    }
}
