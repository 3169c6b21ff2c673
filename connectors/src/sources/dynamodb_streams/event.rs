//! DynamoDB Streams events: changes to a table's items, as plain JSON.
//!
//! A change is its stream record's `dynamodb` object, in DynamoDB JSON
//! (`Keys`, `NewImage`, `OldImage`, `SequenceNumber`, ...), and the entry's
//! event name and Time to Live mark. Those bytes (made compact) are what a
//! record keeps as [`SourceRecord::raw`], so recordings and dead letters hold
//! them, and [`rebuild`] makes the same record again from them in a replay:
//! Lambda decoding and replay share [`change_record`].
//!
//! Keys and images (`{"pk":{"S":"a"}}`) become plain JSON (`{"pk":"a"}`) by
//! [`dynamodb_to_json`] (`item.rs`). A change that names no item (no `Keys`), or an
//! INSERT or MODIFY without the new image that `payload = "item"` needs,
//! fails alone at stage `source`; an entry without a sequence number to
//! report fails the whole invocation (docs/lambda.md).

use std::sync::Arc;

use bytes::Bytes;
use serde::Deserialize;
use serde_dynamo::Item;
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};
use tributary_core::{Change, Origin, SourceKind};

use super::{DynamodbPayload, dynamodb_to_json};
use crate::sources::envelope::Envelope;
use crate::sources::event::{DecodedEvent, EventError, wrong_shape};
use crate::sources::{DecodeError, SourceRecord};

pub(in crate::sources) fn decode(
    event: &str,
    payload: DynamodbPayload,
) -> Result<DecodedEvent, EventError> {
    let mut envelope = serde_json::from_str::<Envelope<&RawValue>>(event)
        .map_err(|error| wrong_shape(SourceKind::DynamodbStreams, error))?;
    let window = envelope.take_window();
    let mut stream: Option<Arc<str>> = None;
    let mut records = Vec::with_capacity(envelope.records.len());
    for (index, raw) in envelope.records.iter().enumerate() {
        let unidentifiable = |reason: String| EventError::Unidentifiable { index, reason };
        let entry = serde_json::from_str::<Entry<'_>>(raw.get())
            .map_err(|error| unidentifiable(error.to_string()))?;
        let dynamodb = entry
            .dynamodb
            .ok_or_else(|| unidentifiable("it has no `dynamodb` object".to_owned()))?;
        let change = serde_json::from_str::<StreamRecord>(dynamodb.get());
        let sequence = match &change {
            Ok(change) => change.sequence_number.clone(),
            Err(_) => Identity::of(dynamodb.get().as_bytes()).sequence_number,
        };
        let sequence = match sequence {
            Some(sequence) if !sequence.is_empty() => sequence,
            Some(_) => return Err(unidentifiable("its `SequenceNumber` is empty".to_owned())),
            None => {
                return Err(unidentifiable(
                    "its `dynamodb` object has no `SequenceNumber`".to_owned(),
                ));
            }
        };
        let arn = entry.event_source_arn.as_deref().unwrap_or_default();
        let origin = origin(&mut stream, arn, envelope.shard_id.as_deref(), sequence);
        let removed_by_ttl = entry
            .user_identity
            .is_some_and(|identity| identity.is_time_to_live());
        let event_name = match entry.event_name {
            None => Err("it has no `eventName`".to_owned()),
            Some(raw) => serde_json::from_str::<String>(raw.get())
                .map_err(|_| "its `eventName` is not a string".to_owned()),
        };
        records.push(change_record(
            origin,
            event_name,
            removed_by_ttl,
            compact(dynamodb.get()),
            change,
            payload,
        ));
    }
    Ok(DecodedEvent { records, window })
}

/// One entry of `Records`, read leniently: what is wrong in it makes the
/// record fail alone, unless it has no sequence number to report.
#[derive(Deserialize)]
struct Entry<'a> {
    #[serde(default, borrow, rename = "eventName")]
    event_name: Option<&'a RawValue>,
    #[serde(default, rename = "eventSourceARN", deserialize_with = "lenient")]
    event_source_arn: Option<String>,
    #[serde(default, rename = "userIdentity", deserialize_with = "lenient")]
    user_identity: Option<UserIdentity>,
    #[serde(default, borrow)]
    dynamodb: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct UserIdentity {
    #[serde(default, rename = "type")]
    type_: String,
    #[serde(default, rename = "principalId")]
    principal_id: String,
}

impl UserIdentity {
    /// Whether DynamoDB's Time to Live made the change.
    fn is_time_to_live(&self) -> bool {
        is_time_to_live(&self.type_, &self.principal_id)
    }
}

/// A value of the expected type, or `None` when it has another.
fn lenient<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    let value = Value::deserialize(deserializer)?;
    Ok(serde_json::from_value(value).ok())
}

/// A stream record's `dynamodb` object, the part of it a change needs.
#[derive(Deserialize)]
struct StreamRecord {
    #[serde(default, rename = "ApproximateCreationDateTime")]
    approximate_creation_date_time: Option<f64>,
    #[serde(default, rename = "Keys")]
    keys: Option<Item>,
    #[serde(default, rename = "NewImage")]
    new_image: Option<Item>,
    #[serde(default, rename = "OldImage")]
    old_image: Option<Item>,
    #[serde(default, rename = "SequenceNumber")]
    sequence_number: Option<String>,
    #[serde(default, rename = "StreamViewType")]
    stream_view_type: Option<String>,
}

impl StreamRecord {
    /// Whether it has none of a stream record's fields: it is something else.
    fn is_blank(&self) -> bool {
        self.approximate_creation_date_time.is_none()
            && self.keys.is_none()
            && self.new_image.is_none()
            && self.old_image.is_none()
            && self.sequence_number.is_none()
            && self.stream_view_type.is_none()
    }
}

/// What can still be read of a `dynamodb` object that is not a valid
/// stream record: each field that has the right type.
#[derive(Default, Deserialize)]
struct Identity {
    #[serde(default, rename = "SequenceNumber", deserialize_with = "lenient")]
    sequence_number: Option<String>,
    #[serde(
        default,
        rename = "ApproximateCreationDateTime",
        deserialize_with = "lenient"
    )]
    approximate_creation_date_time: Option<f64>,
}

impl Identity {
    fn of(dynamodb: &[u8]) -> Identity {
        serde_json::from_slice(dynamodb).unwrap_or_default()
    }
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

/// A DynamoDB change read from a recording or a dead letter: its `data` is
/// the stream record's `dynamodb` object, and its origin has the event name
/// and TTL mark. Gives the record Lambda decoding gives for the same change.
pub(in crate::sources) fn rebuild(record: SourceRecord, payload: DynamodbPayload) -> SourceRecord {
    let SourceRecord {
        mut origin, data, ..
    } = record;
    let change = serde_json::from_slice::<StreamRecord>(&data);
    let event_name = origin
        .event_name
        .take()
        .ok_or_else(|| "it has no `event_name`".to_owned());
    let removed_by_ttl = origin.removed_by_ttl;
    change_record(origin, event_name, removed_by_ttl, data, change, payload)
}

/// An item that exists, as the INSERT that would have created it: the
/// change backfilling sends (`backfill.rs`). Its `dynamodb` object, which
/// the record keeps as `raw` (so dead letters and recordings of it rebuild
/// the same record), has the item as `NewImage`, its `keys`, the sequence
/// number `0` and `seconds` as `ApproximateCreationDateTime`.
pub(super) fn insert_record(
    origin: Origin,
    keys: Item,
    item: Item,
    seconds: i64,
    payload: DynamodbPayload,
) -> SourceRecord {
    let raw = json!({
        "ApproximateCreationDateTime": seconds,
        "Keys": &keys,
        "NewImage": &item,
        "SequenceNumber": &origin.sequence,
        "StreamViewType": "NEW_IMAGE",
    });
    let raw = Bytes::from(serde_json::to_vec(&raw).expect("a JSON value always serializes"));
    let change = StreamRecord {
        approximate_creation_date_time: Some(seconds as f64),
        keys: Some(keys),
        new_image: Some(item),
        old_image: None,
        sequence_number: Some(origin.sequence.clone()),
        stream_view_type: Some("NEW_IMAGE".to_owned()),
    };
    change_record(
        origin,
        Ok("INSERT".to_owned()),
        false,
        raw,
        Ok(change),
        payload,
    )
}

/// The record of one change. `origin` names it (stream, shard, sequence
/// number); `raw` is its `dynamodb` object, which `change` is read from. The
/// origin gets the arrival time, keys, event name and TTL mark; a change
/// that cannot be delivered as the pipeline asks fails alone, with `raw` as
/// its data.
fn change_record(
    mut origin: Origin,
    event_name: Result<String, String>,
    removed_by_ttl: bool,
    raw: Bytes,
    change: Result<StreamRecord, serde_json::Error>,
    payload: DynamodbPayload,
) -> SourceRecord {
    let event_name = event_name.and_then(|name| match name.as_str() {
        "INSERT" | "MODIFY" | "REMOVE" => Ok(name),
        _ => Err(format!(
            "its `eventName` `{name}` is not INSERT, MODIFY or REMOVE"
        )),
    });
    origin.removed_by_ttl = removed_by_ttl && event_name.as_deref() == Ok("REMOVE");
    origin.event_name = event_name.as_ref().ok().cloned();
    origin.change = change_of(origin.event_name.as_deref());
    let change = match change {
        Ok(change) => change,
        Err(error) => {
            if let Some(seconds) = Identity::of(&raw).approximate_creation_date_time {
                origin.arrival_ms = seconds_to_ms(seconds);
            }
            let reason = format!("its `dynamodb` object is not a DynamoDB stream record: {error}");
            return unreadable(origin, raw, reason);
        }
    };
    if change.is_blank() {
        let reason = "its `dynamodb` object has none of the fields of a DynamoDB stream record \
                      (`Keys`, `NewImage`, `SequenceNumber`, ...); a recording made by an older \
                      `tributary record --table` holds plain items instead: record the table again"
            .to_owned();
        return unreadable(origin, raw, reason);
    }
    if let Some(seconds) = change.approximate_creation_date_time {
        origin.arrival_ms = seconds_to_ms(seconds);
    }
    let keys = dynamodb_to_json(change.keys.unwrap_or_default());
    origin.item_keys = (!is_empty(&keys)).then_some(keys);
    let event_name = match event_name {
        Ok(name) => name,
        Err(reason) => return unreadable(origin, raw, reason),
    };
    let Some(keys) = origin.item_keys.as_ref() else {
        let reason = "its `Keys` are missing or empty, so it names no item: indexed under a \
                      generated id, every redelivery would add a duplicate document"
            .to_owned();
        return unreadable(origin, raw, reason);
    };
    let new_image = dynamodb_to_json(change.new_image.unwrap_or_default());
    let old_image = dynamodb_to_json(change.old_image.unwrap_or_default());
    let data = match payload {
        DynamodbPayload::Item => {
            if event_name != "REMOVE" && is_empty(&new_image) {
                let view = change.stream_view_type.as_deref().unwrap_or("not given");
                let reason = format!(
                    "an {event_name} has no `NewImage` (the stream's view type is {view}), and \
                     `payload = \"item\"` delivers the item after the change: give the table's \
                     stream NEW_IMAGE or NEW_AND_OLD_IMAGES, or set `payload = \"change\"`"
                );
                return unreadable(origin, raw, reason);
            }
            item_of(&event_name, keys, new_image, old_image)
        }
        DynamodbPayload::Change => json!({
            "eventName": event_name,
            "keys": keys,
            "newImage": non_empty(new_image),
            "oldImage": non_empty(old_image),
            "sequenceNumber": origin.sequence,
            "approximateCreationDateTime": origin.arrival_ms,
            "removedByTtl": origin.removed_by_ttl,
        }),
    };
    origin.event_name = Some(event_name);
    let data = serde_json::to_vec(&data).expect("a JSON value always serializes");
    SourceRecord {
        origin,
        data: Bytes::from(data),
        data_is_json: true,
        error: None,
        raw: Some(raw),
    }
}

/// What a change with this event name does to its item: a REMOVE deletes
/// it; an INSERT or a MODIFY (or a change whose name could not be read)
/// upserts it.
pub(crate) fn change_of(event_name: Option<&str>) -> Change {
    match event_name {
        Some("REMOVE") => Change::Delete,
        _ => Change::Upsert,
    }
}

/// Whether DynamoDB's Time to Live made a change, from its entry's
/// `userIdentity` (`type` and `principalId`).
pub(super) fn is_time_to_live(type_: &str, principal_id: &str) -> bool {
    type_ == "Service" && principal_id == "dynamodb.amazonaws.com"
}

fn unreadable(origin: Origin, raw: Bytes, reason: String) -> SourceRecord {
    SourceRecord::unreadable(origin, raw, DecodeError::Unreadable { reason })
}

fn seconds_to_ms(seconds: f64) -> i64 {
    (seconds * 1000.0).round() as i64
}

/// `json` without white space between its tokens: a `dynamodb` object as a
/// recording line holds it, whatever the event's layout.
fn compact(json: &str) -> Bytes {
    let bytes = json.as_bytes();
    if !bytes
        .iter()
        .any(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
    {
        return Bytes::copy_from_slice(bytes);
    }
    let mut out = Vec::with_capacity(bytes.len());
    let (mut in_string, mut escaped) = (false, false);
    for &byte in bytes {
        if in_string {
            out.push(byte);
            match (escaped, byte) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
        } else if !matches!(byte, b' ' | b'\t' | b'\n' | b'\r') {
            in_string = byte == b'"';
            out.push(byte);
        }
    }
    Bytes::from(out)
}

/// A change's item: after the change, or for a REMOVE before it (or its keys,
/// when the stream has no old images).
fn item_of(event_name: &str, keys: &Value, new_image: Value, old_image: Value) -> Value {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn payload(payload: &str) -> DynamodbPayload {
        serde_json::from_value(json!(payload)).unwrap()
    }

    /// A stream entry changing item `pk`, with the images a stream of view
    /// type `view` carries.
    fn entry(event: &str, sequence: &str, pk: &str, view: &str) -> Value {
        let image = json!({"pk": {"S": pk}, "n": {"N": "1"}});
        let mut change = json!({
            "ApproximateCreationDateTime": 1_700_000_000,
            "Keys": {"pk": {"S": pk}},
            "SequenceNumber": sequence,
            "SizeBytes": 26,
            "StreamViewType": view,
        });
        let (new, old) = match view {
            "NEW_IMAGE" => (true, false),
            "OLD_IMAGE" => (false, true),
            "NEW_AND_OLD_IMAGES" => (true, true),
            _ => (false, false),
        };
        if new && event != "REMOVE" {
            change["NewImage"] = image.clone();
        }
        if old && event != "INSERT" {
            change["OldImage"] = image;
        }
        json!({
            "eventID": format!("id-{sequence}"),
            "eventName": event,
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "awsRegion": "us-east-1",
            "dynamodb": change,
            "eventSourceARN": "arn:aws:dynamodb:us-east-1:1:table/t/stream/s",
        })
    }

    fn decoded(entries: Vec<Value>, payload: &str) -> Vec<SourceRecord> {
        let event = json!({ "Records": entries }).to_string();
        decode(&event, self::payload(payload)).unwrap().records
    }

    fn reason(record: &SourceRecord) -> String {
        record
            .error
            .as_ref()
            .expect("the record failed")
            .to_string()
    }

    #[test]
    fn an_insert_or_modify_without_a_new_image_fails_alone_when_the_payload_is_the_item() {
        let records = decoded(
            vec![
                entry("INSERT", "1", "a", "NEW_AND_OLD_IMAGES"),
                entry("INSERT", "2", "b", "KEYS_ONLY"),
                entry("MODIFY", "3", "c", "OLD_IMAGE"),
                entry("REMOVE", "4", "d", "KEYS_ONLY"),
                entry("MODIFY", "5", "e", "NEW_IMAGE"),
            ],
            "item",
        );
        let fates: Vec<bool> = records.iter().map(|r| r.error.is_none()).collect();
        assert_eq!(fates, [true, false, false, true, true]);
        for (record, view) in [(&records[1], "KEYS_ONLY"), (&records[2], "OLD_IMAGE")] {
            let reason = reason(record);
            assert!(reason.contains("has no `NewImage`"), "{reason}");
            assert!(reason.contains(view), "{reason}");
            assert!(reason.contains("payload = \"change\""), "{reason}");
            assert_ne!(&record.data[..], b"{}", "the data is not an empty item");
        }
        // A REMOVE on a keys-only stream deletes by the keys.
        assert_eq!(&records[3].data[..], br#"{"pk":"d"}"#);
        assert_eq!(&records[4].data[..], br#"{"n":1,"pk":"e"}"#);

        // The whole change needs no image.
        let records = decoded(vec![entry("INSERT", "2", "b", "KEYS_ONLY")], "change");
        let change: Value = serde_json::from_slice(&records[0].data).unwrap();
        assert_eq!(
            (&change["keys"], &change["newImage"]),
            (&json!({"pk": "b"}), &Value::Null)
        );
    }

    #[test]
    fn a_remove_deletes_its_item_and_the_other_changes_upsert_it() {
        let mut ttl = entry("REMOVE", "3", "c", "KEYS_ONLY");
        ttl["userIdentity"] = json!({"type": "Service", "principalId": "dynamodb.amazonaws.com"});
        for payload in ["item", "change"] {
            let records = decoded(
                vec![
                    entry("INSERT", "1", "a", "NEW_IMAGE"),
                    entry("MODIFY", "2", "b", "NEW_IMAGE"),
                    ttl.clone(),
                    entry("REMOVE", "4", "d", "KEYS_ONLY"),
                ],
                payload,
            );
            let changes: Vec<(Change, bool)> = records
                .iter()
                .map(|r| (r.origin.change, r.origin.removed_by_ttl))
                .collect();
            assert_eq!(
                changes,
                [
                    (Change::Upsert, false),
                    (Change::Upsert, false),
                    (Change::Delete, true),
                    (Change::Delete, false)
                ],
                "{payload}"
            );
        }
    }

    #[test]
    fn a_change_with_empty_or_missing_keys_fails_alone() {
        let mut missing = entry("INSERT", "2", "b", "NEW_IMAGE");
        missing["dynamodb"].as_object_mut().unwrap().remove("Keys");
        let mut empty = entry("INSERT", "3", "c", "NEW_IMAGE");
        empty["dynamodb"]["Keys"] = json!({});
        let mut null = entry("MODIFY", "4", "d", "NEW_IMAGE");
        null["dynamodb"]["Keys"] = Value::Null;
        for payload in ["item", "change"] {
            let records = decoded(
                vec![
                    entry("INSERT", "1", "a", "NEW_IMAGE"),
                    missing.clone(),
                    empty.clone(),
                    null.clone(),
                    entry("INSERT", "5", "e", "NEW_IMAGE"),
                ],
                payload,
            );
            let fates: Vec<bool> = records.iter().map(|r| r.error.is_none()).collect();
            assert_eq!(fates, [true, false, false, false, true], "{payload}");
            for record in &records[1..4] {
                let reason = reason(record);
                assert!(reason.contains("`Keys` are missing or empty"), "{reason}");
                assert_eq!(record.origin.item_keys, None);
                assert!(record.origin.event_name.is_some());
            }
        }
    }

    #[test]
    fn a_missing_or_empty_sequence_number_fails_the_whole_event() {
        let mut missing = entry("INSERT", "2", "b", "NEW_IMAGE");
        missing["dynamodb"]
            .as_object_mut()
            .unwrap()
            .remove("SequenceNumber");
        let empty = entry("INSERT", "", "b", "NEW_IMAGE");
        // Unreadable otherwise: the sequence number is still needed.
        let mut broken = empty.clone();
        broken["dynamodb"]["NewImage"] = json!({"pk": {"UNKNOWN": 1}});
        let mut not_a_string = entry("INSERT", "2", "b", "NEW_IMAGE");
        not_a_string["dynamodb"]["SequenceNumber"] = json!(2);
        for (bad, expected) in [
            (missing, "has no `SequenceNumber`"),
            (empty, "`SequenceNumber` is empty"),
            (broken, "`SequenceNumber` is empty"),
            (not_a_string, "has no `SequenceNumber`"),
        ] {
            let event = json!({ "Records": [entry("INSERT", "1", "a", "NEW_IMAGE"), bad] });
            let error = decode(&event.to_string(), payload("item")).unwrap_err();
            assert!(
                matches!(&error, EventError::Unidentifiable { index: 1, reason } if reason.contains(expected)),
                "{error}"
            );
        }
    }

    #[test]
    fn an_unreadable_change_keeps_its_dynamodb_object_and_origin() {
        let mut broken = entry("INSERT", "2", "b", "NEW_IMAGE");
        broken["dynamodb"]["NewImage"] = json!({"pk": {"UNKNOWN": 1}});
        let records = decoded(vec![broken.clone()], "item");
        let record = &records[0];
        assert!(reason(record).contains("not a DynamoDB stream record"));
        assert_eq!(
            serde_json::from_slice::<Value>(&record.data).unwrap(),
            broken["dynamodb"],
            "the `dynamodb` object, not the whole Lambda record"
        );
        assert_eq!(record.origin.arrival_ms, 1_700_000_000_000);
        assert_eq!(record.origin.event_name.as_deref(), Some("INSERT"));
        assert_eq!(record.origin.sequence, "2");
    }

    #[test]
    fn a_change_rebuilt_from_its_dynamodb_object_is_the_change_lambda_decoding_gives() {
        let mut ttl = entry("REMOVE", "3", "c", "NEW_AND_OLD_IMAGES");
        ttl["userIdentity"] = json!({"type": "Service", "principalId": "dynamodb.amazonaws.com"});
        let mut no_new_image = entry("INSERT", "4", "d", "KEYS_ONLY");
        no_new_image["dynamodb"]["ApproximateCreationDateTime"] = json!(1_700_000_000.5);
        for payload in ["item", "change"] {
            let entries = vec![
                entry("INSERT", "1", "a", "NEW_AND_OLD_IMAGES"),
                entry("MODIFY", "2", "b", "NEW_IMAGE"),
                ttl.clone(),
                no_new_image.clone(),
            ];
            for lambda in decoded(entries, payload) {
                // What a recording or a dead letter keeps of it.
                let mut origin = lambda.origin.clone();
                origin.item_keys = None;
                origin.arrival_ms = 0;
                let kept = SourceRecord::new(origin, lambda.original().clone());
                let replayed = rebuild(kept, self::payload(payload));
                assert_eq!(replayed.origin, lambda.origin, "{payload}");
                assert_eq!(replayed.data, lambda.data, "{payload}");
                assert_eq!(replayed.error, lambda.error, "{payload}");
                assert_eq!(replayed.original(), lambda.original(), "{payload}");
            }
        }
    }

    #[test]
    fn a_plain_item_where_a_stream_record_belongs_says_so() {
        let mut origin = Origin::new(SourceKind::DynamodbStreams, "s", "s", "1");
        origin.event_name = Some("INSERT".to_owned());
        origin.item_keys = Some(json!({"pk": "a"}));
        let old = SourceRecord::new(origin, Bytes::from_static(br#"{"pk":"a","n":1}"#));
        let record = rebuild(old, DynamodbPayload::Item);
        let reason = reason(&record);
        assert!(
            reason.contains("none of the fields of a DynamoDB stream record"),
            "{reason}"
        );
        assert_eq!(&record.data[..], br#"{"pk":"a","n":1}"#);
    }

    #[test]
    fn compacting_keeps_strings_whole() {
        let text = "{ \"a\" : \"x y\\\" z\" ,\n \"b\":[ 1, 2 ] }";
        assert_eq!(&compact(text)[..], br#"{"a":"x y\" z","b":[1,2]}"#);
        let value: Value = serde_json::from_slice(&compact(text)).unwrap();
        assert_eq!(value, serde_json::from_str::<Value>(text).unwrap());
    }
}
