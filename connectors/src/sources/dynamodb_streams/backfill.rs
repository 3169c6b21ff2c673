//! Backfilling: the items a table holds, sent through the pipeline as the
//! INSERT changes that would have created them.
//!
//! `tributary backfill` reads the items from a parallel `Scan` or from an
//! `ExportTableToPointInTime` export and hands each to
//! [`BackfillTable::record`]. The record is the one the stream path makes
//! for an INSERT of the same item (`event.rs` builds both), so it gets the
//! same plain JSON and the same document id. Its origin is the backfill
//! contract (docs/mirror.md, "Backfill"):
//!
//! - source `dynamodb_streams`, stream: the table's stream ARN (or the
//!   table's ARN when it has no stream), shard [`BACKFILL_SHARD`];
//! - sequence number [`BACKFILL_SEQUENCE`] (`0`), lower than any a stream
//!   gives, event name `INSERT`, change `Upsert`;
//! - item keys: the item's key attributes (from the table's key schema);
//! - arrival time: the export's time, or the time the scan started, floored
//!   to whole seconds, so that a change the stream makes in the same second
//!   or later always counts as newer than the backfilled copy.

use std::sync::Arc;

use bytes::Bytes;
use serde::Deserialize;
use serde_dynamo::Item;
use tributary_core::{Origin, SourceKind};

use super::DynamodbPayload;
use super::event::insert_record;
use crate::sources::{DecodeError, SourceRecord};

/// The shard every backfilled record names.
pub const BACKFILL_SHARD: &str = "backfill";

/// The sequence number every backfilled record has: lower than any a
/// DynamoDB stream gives.
pub const BACKFILL_SEQUENCE: &str = "0";

/// A table being backfilled: what each of its items' records shares.
#[derive(Debug, Clone)]
pub struct BackfillTable {
    table: String,
    stream: Arc<str>,
    shard: Arc<str>,
    key_names: Vec<String>,
    snapshot_secs: i64,
    payload: DynamodbPayload,
}

impl BackfillTable {
    /// The table `table`, whose changes come from `stream` (its stream's
    /// ARN, or its own ARN), keyed by the attributes `key_names` (partition
    /// key, then sort key), as it was at `snapshot_ms` (milliseconds since
    /// the epoch: the export's time or the time the scan started), for a
    /// source with `payload`.
    pub fn new(
        table: &str,
        stream: &str,
        key_names: Vec<String>,
        snapshot_ms: i64,
        payload: DynamodbPayload,
    ) -> Self {
        BackfillTable {
            table: table.to_owned(),
            stream: Arc::from(stream),
            shard: Arc::from(BACKFILL_SHARD),
            key_names,
            snapshot_secs: snapshot_ms.div_euclid(1000),
            payload,
        }
    }

    /// The table's name.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// The table's key attributes.
    pub fn key_names(&self) -> &[String] {
        &self.key_names
    }

    /// The arrival time each record gets: the snapshot's, floored to whole
    /// seconds.
    pub fn arrival_ms(&self) -> i64 {
        self.snapshot_secs * 1000
    }

    /// The record of one item: an INSERT of it. An item without one of the
    /// table's key attributes fails alone at stage `source`, named by the
    /// table and the keys it has.
    pub fn record(&self, item: Item) -> SourceRecord {
        let mut keys = Item::default();
        let mut missing = Vec::new();
        for name in &self.key_names {
            match item.get(name) {
                Some(value) => {
                    keys.insert(name.clone(), value.clone());
                }
                None => missing.push(name.as_str()),
            }
        }
        if !missing.is_empty() {
            let keys = serde_json::to_string(&keys).unwrap_or_default();
            let reason = format!(
                "an item of table `{}` (keys {keys}) lacks its key attribute(s) `{}`",
                self.table,
                missing.join("`, `")
            );
            return self.unreadable(Bytes::from(keys), reason);
        }
        insert_record(self.origin(), keys, item, self.snapshot_secs, self.payload)
    }

    /// The record of one line of an export's data file: `{"Item": {...}}` in
    /// DynamoDB JSON. A line that is not one fails alone, its reason naming
    /// `place` (the file and line).
    pub fn export_line_record(&self, line: &[u8], place: &str) -> SourceRecord {
        #[derive(Deserialize)]
        struct ExportLine {
            #[serde(rename = "Item")]
            item: Item,
        }
        match serde_json::from_slice::<ExportLine>(line) {
            Ok(line) => self.record(line.item),
            Err(error) => {
                let reason = format!(
                    "{place} of the export of table `{}` is not an item (`{{\"Item\": {{...}}}}` in DynamoDB JSON): {error}",
                    self.table
                );
                self.unreadable(Bytes::copy_from_slice(line), reason)
            }
        }
    }

    /// A record that fails at stage `source` for `reason`, holding `raw`.
    pub fn unreadable(&self, raw: Bytes, reason: String) -> SourceRecord {
        let mut origin = self.origin();
        origin.event_name = Some("INSERT".to_owned());
        SourceRecord::unreadable(origin, raw, DecodeError::Unreadable { reason })
    }

    fn origin(&self) -> Origin {
        let mut origin = Origin::new(
            SourceKind::DynamodbStreams,
            self.stream.clone(),
            self.shard.clone(),
            BACKFILL_SEQUENCE,
        );
        origin.arrival_ms = self.arrival_ms();
        origin
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};
    use tributary_core::Change;

    use super::*;
    use crate::sources::dynamodb_streams::{decode, item_document_id};

    const STREAM: &str = "arn:aws:dynamodb:us-east-1:1:table/t/stream/s";

    fn table(payload: DynamodbPayload) -> BackfillTable {
        BackfillTable::new(
            "t",
            STREAM,
            vec!["pk".to_owned(), "sk".to_owned()],
            1_700_000_123_999,
            payload,
        )
    }

    /// An item with every attribute type, in DynamoDB JSON.
    fn every_type() -> Value {
        json!({
            "pk": {"S": "order#1"}, "sk": {"N": "2"},
            "s": {"S": "a"}, "n": {"N": "1.5"}, "b": {"B": "AAEqQQ=="},
            "t": {"BOOL": true}, "z": {"NULL": true},
            "m": {"M": {"x": {"N": "-3"}, "y": {"L": [{"S": "deep"}]}}},
            "l": {"L": [{"S": "x"}, {"N": "1"}, {"BOOL": false}]},
            "ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1", "2.25"]}, "bs": {"BS": ["AAEqQQ=="]}
        })
    }

    /// What the stream path makes of an INSERT of `item`.
    fn streamed(item: &Value, payload: &str) -> SourceRecord {
        let event = json!({"Records": [{
            "eventName": "INSERT",
            "eventSourceARN": STREAM,
            "dynamodb": {
                "ApproximateCreationDateTime": 1_700_000_500,
                "Keys": {"pk": item["pk"], "sk": item["sk"]},
                "NewImage": item,
                "SequenceNumber": "4000000000001",
                "StreamViewType": "NEW_AND_OLD_IMAGES",
            },
        }]});
        let payload = serde_json::from_value(json!(payload)).unwrap();
        decode(&event.to_string(), payload)
            .unwrap()
            .records
            .remove(0)
    }

    #[test]
    fn an_item_of_every_attribute_type_becomes_what_its_insert_on_the_stream_becomes() {
        let item = every_type();
        let record =
            table(DynamodbPayload::Item).record(serde_json::from_value(item.clone()).unwrap());
        let stream = streamed(&item, "item");
        assert!(record.error.is_none(), "{:?}", record.error);
        let data: Value = serde_json::from_slice(&record.data).unwrap();
        assert_eq!(data, serde_json::from_slice::<Value>(&stream.data).unwrap());
        assert_eq!(
            data,
            json!({"b": "AAEqQQ==", "bs": ["AAEqQQ=="], "l": ["x", 1, false],
                   "m": {"x": -3, "y": ["deep"]}, "n": 1.5, "ns": [1, 2.25], "pk": "order#1",
                   "s": "a", "sk": 2, "ss": ["a", "b"], "t": true, "z": null})
        );
        assert_eq!(record.origin.item_keys, stream.origin.item_keys);
        assert_eq!(
            &*item_document_id(record.origin.item_keys.as_ref().unwrap()),
            "order#1|2"
        );
    }

    #[test]
    fn the_origin_is_the_backfill_contract() {
        let record = table(DynamodbPayload::Item)
            .record(serde_json::from_value(json!({"pk": {"S": "a"}, "sk": {"N": "1"}})).unwrap());
        let origin = &record.origin;
        assert_eq!(origin.source, SourceKind::DynamodbStreams);
        assert_eq!(&*origin.stream, STREAM);
        assert_eq!(&*origin.shard, BACKFILL_SHARD);
        assert_eq!(origin.sequence, "0");
        assert_eq!(origin.event_name.as_deref(), Some("INSERT"));
        assert_eq!(origin.change, Change::Upsert);
        assert_eq!(
            origin.arrival_ms, 1_700_000_123_000,
            "floored to the second"
        );
        assert_eq!(origin.item_keys, Some(json!({"pk": "a", "sk": 1})));
        assert!(!origin.removed_by_ttl);
    }

    #[test]
    fn a_snapshot_before_1970_floors_down_too() {
        let table = BackfillTable::new("t", STREAM, vec![], -1, DynamodbPayload::Item);
        assert_eq!(table.arrival_ms(), -1000);
    }

    #[test]
    fn the_change_payload_names_the_backfilled_insert() {
        let record = table(DynamodbPayload::Change)
            .record(serde_json::from_value(json!({"pk": {"S": "a"}, "sk": {"N": "1"}})).unwrap());
        let data: Value = serde_json::from_slice(&record.data).unwrap();
        assert_eq!(data["eventName"], "INSERT");
        assert_eq!(data["sequenceNumber"], "0");
        assert_eq!(data["approximateCreationDateTime"], 1_700_000_123_000_i64);
        assert_eq!(data["keys"], json!({"pk": "a", "sk": 1}));
        assert_eq!(data["oldImage"], Value::Null);
    }

    #[test]
    fn the_raw_change_rebuilds_the_same_record() {
        let record =
            table(DynamodbPayload::Item).record(serde_json::from_value(every_type()).unwrap());
        let raw = record.raw.clone().expect("the change is kept");
        let mut origin = record.origin.clone();
        origin.item_keys = None;
        let rebuilt = super::super::rebuild(
            SourceRecord {
                origin,
                data: raw,
                data_is_json: true,
                error: None,
                raw: None,
            },
            DynamodbPayload::Item,
        );
        assert_eq!(rebuilt.data, record.data);
        assert_eq!(rebuilt.origin, record.origin);
    }

    #[test]
    fn an_item_without_a_key_attribute_fails_alone_named_by_table_and_keys() {
        let record = table(DynamodbPayload::Item).record(
            serde_json::from_value(json!({"pk": {"S": "a"}, "x": {"S": "secret"}})).unwrap(),
        );
        let reason = record.error.expect("it fails").to_string();
        assert!(reason.contains("table `t`"), "{reason}");
        assert!(reason.contains(r#"{"pk":{"S":"a"}}"#), "{reason}");
        assert!(reason.contains("`sk`"), "{reason}");
        assert!(
            !reason.contains("secret"),
            "no payload in the reason: {reason}"
        );
    }

    #[test]
    fn an_export_line_that_is_not_an_item_fails_alone_named_by_its_place() {
        let table = table(DynamodbPayload::Item);
        let good = table.export_line_record(
            br#"{"Item":{"pk":{"S":"a"},"sk":{"N":"1"},"v":{"SS":["x"]}}}"#,
            "line 1 of data/a.json.gz",
        );
        assert!(good.error.is_none());
        assert_eq!(
            serde_json::from_slice::<Value>(&good.data).unwrap(),
            json!({"pk": "a", "sk": 1, "v": ["x"]})
        );
        for bad in [&br#"{"Item":{"pk":{"Q":"a"}}}"#[..], b"not json", b"{}"] {
            let record = table.export_line_record(bad, "line 7 of data/a.json.gz");
            let reason = record.error.expect("it fails").to_string();
            assert!(reason.contains("line 7 of data/a.json.gz"), "{reason}");
            assert_eq!(&record.data[..], bad);
        }
    }
}
