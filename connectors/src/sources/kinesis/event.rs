//! Kinesis events: `KinesisEvent`, read without copying.
//!
//! The event is read into borrowed views of its fields (the shape of
//! `aws_lambda_events::kinesis::KinesisEvent`, which the tests check it
//! against), every record's base64 is decoded into one shared buffer, and
//! KPL-aggregated records are split into their user records. Nothing of a
//! payload is parsed here: the filter reads payload bytes directly.

use std::borrow::Cow;
use std::ops::Range;
use std::sync::Arc;

use base64::Engine as _;
use bytes::{Bytes, BytesMut};
use serde::Deserialize;
use serde_json::value::RawValue;
use tributary_core::{Origin, SourceKind};

use super::{kpl, scan};
use crate::sources::envelope::Envelope;
use crate::sources::event::{DecodedEvent, EventError, wrong_shape};
use crate::sources::{DecodeError, SourceRecord};

#[derive(Debug, PartialEq, Deserialize)]
pub(super) struct Entry<'a> {
    #[serde(borrow)]
    pub(super) kinesis: Data<'a>,
    #[serde(default, borrow, rename = "eventID")]
    pub(super) event_id: Option<Cow<'a, str>>,
    #[serde(default, borrow, rename = "eventSourceARN")]
    pub(super) event_source_arn: Option<Cow<'a, str>>,
}

#[derive(Debug, PartialEq, Deserialize)]
pub(super) struct Data<'a> {
    #[serde(default, borrow, rename = "partitionKey")]
    pub(super) partition_key: Cow<'a, str>,
    #[serde(borrow, rename = "sequenceNumber")]
    pub(super) sequence_number: Cow<'a, str>,
    #[serde(borrow)]
    pub(super) data: Cow<'a, str>,
    #[serde(default, rename = "approximateArrivalTimestamp")]
    pub(super) approximate_arrival_timestamp: f64,
}

/// The identity of an entry, read leniently from one that does not have the
/// shape of a record, so its failure can still be reported.
#[derive(Deserialize)]
struct Identity<'a> {
    #[serde(borrow)]
    kinesis: IdentityData<'a>,
    #[serde(default, borrow, rename = "eventID")]
    event_id: Option<Cow<'a, str>>,
    #[serde(default, borrow, rename = "eventSourceARN")]
    event_source_arn: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct IdentityData<'a> {
    #[serde(borrow, rename = "sequenceNumber")]
    sequence_number: Cow<'a, str>,
}

pub(in crate::sources) fn decode(
    event: &str,
    buffer: &mut BytesMut,
) -> Result<DecodedEvent, EventError> {
    // The usual event, read fast; any other, by serde_json.
    if let Some(entries) = scan::entries(event) {
        each_has_a_sequence_number(&entries)?;
        let records = records(entries, None, buffer);
        return Ok(DecodedEvent {
            records,
            window: None,
        });
    }
    let mut envelope = match serde_json::from_str::<Envelope<Entry<'_>>>(event) {
        Ok(envelope) => envelope,
        Err(_) => return decode_entry_by_entry(event, buffer),
    };
    let window = envelope.take_window();
    let entries: Vec<Result<Entry<'_>, Unreadable<'_>>> =
        envelope.records.into_iter().map(Ok).collect();
    each_has_a_sequence_number(&entries)?;
    let records = records(entries, envelope.shard_id.as_deref(), buffer);
    Ok(DecodedEvent { records, window })
}

/// The slow path, taken when some entry does not read as a record: each
/// entry is read on its own, so one bad entry fails alone.
fn decode_entry_by_entry(event: &str, buffer: &mut BytesMut) -> Result<DecodedEvent, EventError> {
    let mut envelope = serde_json::from_str::<Envelope<&RawValue>>(event)
        .map_err(|error| wrong_shape(SourceKind::Kinesis, error))?;
    let window = envelope.take_window();
    let mut entries = Vec::with_capacity(envelope.records.len());
    for (index, raw) in envelope.records.iter().enumerate() {
        let entry = match serde_json::from_str::<Entry<'_>>(raw.get()) {
            Ok(entry) => Ok(entry),
            Err(error) => {
                let identity = serde_json::from_str::<Identity<'_>>(raw.get()).map_err(|_| {
                    EventError::Unidentifiable {
                        index,
                        reason: error.to_string(),
                    }
                })?;
                Err(Unreadable {
                    identity,
                    raw,
                    reason: error.to_string(),
                })
            }
        };
        entries.push(entry);
    }
    each_has_a_sequence_number(&entries)?;
    let records = records(entries, envelope.shard_id.as_deref(), buffer);
    Ok(DecodedEvent { records, window })
}

/// Lambda takes an empty `itemIdentifier` as a failure of the whole batch:
/// an entry with an empty sequence number fails the invocation, saying so.
fn each_has_a_sequence_number(
    entries: &[Result<Entry<'_>, Unreadable<'_>>],
) -> Result<(), EventError> {
    for (index, entry) in entries.iter().enumerate() {
        let sequence = match entry {
            Ok(entry) => &entry.kinesis.sequence_number,
            Err(unreadable) => &unreadable.identity.kinesis.sequence_number,
        };
        if sequence.is_empty() {
            return Err(EventError::Unidentifiable {
                index,
                reason: "its `sequenceNumber` is empty".to_owned(),
            });
        }
    }
    Ok(())
}

pub(super) struct Unreadable<'a> {
    identity: Identity<'a>,
    raw: &'a RawValue,
    reason: String,
}

/// Makes the records of the event's entries, decoding every entry's base64
/// into `buffer` first so all records share one allocation.
fn records(
    entries: Vec<Result<Entry<'_>, Unreadable<'_>>>,
    window_shard: Option<&str>,
    buffer: &mut BytesMut,
) -> Vec<SourceRecord> {
    let spans = decode_base64(&entries, buffer);
    let decoded = buffer.split().freeze();
    let mut names = Names::default();
    let mut records = Vec::with_capacity(entries.len());
    for (entry, span) in entries.into_iter().zip(spans) {
        match entry {
            Ok(entry) => {
                let stream = names.stream(entry.event_source_arn.as_deref());
                let shard = names.shard(entry.event_id.as_deref(), window_shard);
                let mut origin = Origin::new(
                    SourceKind::Kinesis,
                    stream,
                    shard,
                    entry.kinesis.sequence_number.into_owned(),
                );
                origin.arrival_ms =
                    (entry.kinesis.approximate_arrival_timestamp * 1000.0).round() as i64;
                origin.partition_key = Some(entry.kinesis.partition_key.into_owned());
                match span {
                    Ok(span) => push_user_records(&mut records, origin, decoded.slice(span)),
                    Err(reason) => {
                        let raw = Bytes::copy_from_slice(entry.kinesis.data.as_bytes());
                        records.push(SourceRecord::unreadable(
                            origin,
                            raw,
                            DecodeError::Base64 { reason },
                        ));
                    }
                }
            }
            Err(unreadable) => {
                let stream = names.stream(unreadable.identity.event_source_arn.as_deref());
                let shard = names.shard(unreadable.identity.event_id.as_deref(), window_shard);
                let origin = Origin::new(
                    SourceKind::Kinesis,
                    stream,
                    shard,
                    unreadable.identity.kinesis.sequence_number.into_owned(),
                );
                let raw = Bytes::copy_from_slice(unreadable.raw.get().as_bytes());
                let error = DecodeError::Unreadable {
                    reason: unreadable.reason,
                };
                records.push(SourceRecord::unreadable(origin, raw, error));
            }
        }
    }
    records
}

/// Decodes each entry's base64 into `buffer`, giving where each one's bytes
/// are, or why they are not base64.
fn decode_base64(
    entries: &[Result<Entry<'_>, Unreadable<'_>>],
    buffer: &mut BytesMut,
) -> Vec<Result<Range<usize>, String>> {
    let data = |entry: &Result<Entry<'_>, Unreadable<'_>>| match entry {
        Ok(entry) => Some(entry.kinesis.data.len()),
        Err(_) => None,
    };
    let total: usize = entries
        .iter()
        .filter_map(data)
        .map(base64::decoded_len_estimate)
        .sum();
    buffer.clear();
    buffer.reserve(total);
    entries
        .iter()
        .map(|entry| {
            let Ok(entry) = entry else {
                return Ok(0..0);
            };
            let text = entry.kinesis.data.as_bytes();
            let start = buffer.len();
            buffer.resize(start + base64::decoded_len_estimate(text.len()), 0);
            match decode_base64_into(text, &mut buffer[start..]) {
                Ok(written) => {
                    buffer.truncate(start + written);
                    Ok(start..start + written)
                }
                Err(reason) => {
                    buffer.truncate(start);
                    Err(reason)
                }
            }
        })
        .collect()
}

/// Decodes standard, padded base64 into `out` (at least
/// `base64::decoded_len_estimate` long), giving how many bytes it wrote.
/// base64-simd decodes (several times faster on short texts); the base64
/// crate, which accepts exactly the same texts, says why a text is refused.
fn decode_base64_into(text: &[u8], out: &mut [u8]) -> Result<usize, String> {
    match base64_simd::STANDARD.decode(text, base64_simd::Out::from_slice(out)) {
        Ok(decoded) => Ok(decoded.len()),
        Err(_) => base64::engine::general_purpose::STANDARD
            .decode_slice(text, out)
            .map_err(|error| error.to_string()),
    }
}

/// Adds the user records of one Kinesis record: itself, or the records a KPL
/// aggregate holds.
pub(super) fn push_user_records(records: &mut Vec<SourceRecord>, origin: Origin, data: Bytes) {
    match kpl::deaggregate(&data) {
        Some(users) => {
            for (sub_sequence, user) in users.into_iter().enumerate() {
                let mut origin = origin.clone();
                origin.sub_sequence = Some(sub_sequence as u64);
                origin.partition_key = Some(user.partition_key);
                records.push(SourceRecord::new(origin, user.data));
            }
        }
        None => records.push(SourceRecord::new(origin, data)),
    }
}

/// Stream and shard names, shared between the records that have the same.
#[derive(Default)]
struct Names {
    stream: Option<Arc<str>>,
    shard: Option<Arc<str>>,
}

impl Names {
    fn stream(&mut self, arn: Option<&str>) -> Arc<str> {
        intern(&mut self.stream, arn.unwrap_or(""))
    }

    /// The shard, from `eventID` (`shardId-000000000000:49568...`), else
    /// the window's `shardId`.
    fn shard(&mut self, event_id: Option<&str>, window_shard: Option<&str>) -> Arc<str> {
        let from_event_id =
            event_id.and_then(|id| memchr::memchr(b':', id.as_bytes()).map(|at| &id[..at]));
        intern(
            &mut self.shard,
            from_event_id.or(window_shard).unwrap_or("unknown"),
        )
    }
}

fn intern(slot: &mut Option<Arc<str>>, name: &str) -> Arc<str> {
    match slot {
        Some(shared) if **shared == *name => shared.clone(),
        _ => slot.insert(Arc::from(name)).clone(),
    }
}

#[cfg(test)]
mod tests {
    use aws_lambda_events::kinesis::KinesisEvent;

    use super::*;

    fn fixture(name: &str) -> String {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../tests/fixtures/events")
            .join(name);
        std::fs::read_to_string(path).unwrap()
    }

    /// Reads an event both ways and checks each record agrees with
    /// `aws_lambda_events`' reading of it.
    fn agrees_with_aws_lambda_events(event: &str) {
        let reference: KinesisEvent = serde_json::from_str(event).unwrap();
        let decoded = decode(event, &mut BytesMut::new()).unwrap();
        assert_eq!(decoded.records.len(), reference.records.len());
        for (ours, theirs) in decoded.records.iter().zip(&reference.records) {
            assert_eq!(ours.origin.sequence, theirs.kinesis.sequence_number);
            assert_eq!(
                ours.origin.partition_key.as_deref(),
                Some(theirs.kinesis.partition_key.as_str())
            );
            assert_eq!(&ours.data[..], &theirs.kinesis.data.0[..]);
            assert_eq!(
                Some(&*ours.origin.stream),
                theirs.event_source_arn.as_deref()
            );
            let event_id = theirs.event_id.as_deref().unwrap();
            assert!(event_id.starts_with(&format!("{}:", ours.origin.shard)));
            let arrival_ms = theirs
                .kinesis
                .approximate_arrival_timestamp
                .0
                .timestamp_millis();
            assert_eq!(ours.origin.arrival_ms, arrival_ms);
        }
    }

    #[test]
    fn reads_the_aws_samples_as_aws_lambda_events_does() {
        agrees_with_aws_lambda_events(&fixture("example-kinesis-event.json"));
        agrees_with_aws_lambda_events(&fixture("example-kinesis-event-encrypted.json"));
    }

    #[test]
    fn reads_escaped_strings_as_aws_lambda_events_does() {
        let event = r#"{"Records":[{"kinesis":{"partitionKey":"caf\u00e9 \"q\"","sequenceNumber":"4956","data":"eyJhIjoxfQ==","approximateArrivalTimestamp":1480641523.477},"eventID":"shardId-000000000007:4956","eventSourceARN":"arn:aws:kinesis:us-east-1:1:stream\/s"}]}"#;
        agrees_with_aws_lambda_events(event);
    }

    #[test]
    fn records_share_one_buffer_and_the_buffer_is_reused() {
        let mut buffer = BytesMut::new();
        let event = fixture("example-kinesis-event.json");
        let first = decode(&event, &mut buffer).unwrap();
        let pointer = first.records[0].data.as_ptr();
        assert_eq!(
            distance(&first.records[0].data, &first.records[1].data),
            first.records[0].data.len()
        );
        drop(first);
        let second = decode(&event, &mut buffer).unwrap();
        assert_eq!(
            second.records[0].data.as_ptr(),
            pointer,
            "the buffer was reused"
        );
    }

    #[test]
    fn an_empty_sequence_number_fails_the_invocation_not_as_an_empty_identifier() {
        let good = r#"{"kinesis":{"partitionKey":"p","sequenceNumber":"1","data":"eyJhIjoxfQ==","approximateArrivalTimestamp":1.5},"eventID":"shardId-0:1"}"#;
        let empty = good.replace(r#""sequenceNumber":"1""#, r#""sequenceNumber":"""#);
        let unreadable = empty.replace(r#""data":"eyJhIjoxfQ==""#, r#""data":42"#);
        for bad in [empty, unreadable] {
            let event = format!(r#"{{"Records":[{good},{bad}]}}"#);
            let error = decode(&event, &mut BytesMut::new()).unwrap_err();
            assert_eq!(
                error,
                EventError::Unidentifiable {
                    index: 1,
                    reason: "its `sequenceNumber` is empty".to_owned()
                }
            );
        }
    }

    /// base64-simd accepts what the base64 crate accepts, and decodes it the
    /// same: every text of up to four characters over an alphabet with
    /// padding, bits that do not fit and a character outside base64, and
    /// longer texts (which base64-simd decodes 32 characters at a time)
    /// with one character changed.
    #[test]
    fn base64_simd_agrees_with_the_base64_crate() {
        // As the decoder was before base64-simd, messages included.
        let reference = |text: &[u8]| {
            let mut out = vec![0; base64::decoded_len_estimate(text.len())];
            base64::engine::general_purpose::STANDARD
                .decode_slice(text, &mut out)
                .map(|written| out[..written].to_vec())
                .map_err(|error| error.to_string())
        };
        let ours = |text: &[u8]| {
            let mut out = vec![0; base64::decoded_len_estimate(text.len())];
            decode_base64_into(text, &mut out).map(|written| out[..written].to_vec())
        };
        let alphabet = b"AQgw/+=-";
        let mut texts: Vec<Vec<u8>> = vec![Vec::new()];
        for _ in 0..4 {
            let longer: Vec<Vec<u8>> = texts
                .iter()
                .filter(|text| text.len() == texts.last().unwrap().len())
                .flat_map(|text| {
                    alphabet.iter().map(move |c| {
                        let mut text = text.clone();
                        text.push(*c);
                        text
                    })
                })
                .collect();
            texts.extend(longer);
        }
        use base64::Engine as _;
        let data: Vec<u8> = (0..=255).collect();
        for len in [40, 47, 48, 49, 100] {
            let encoded = base64::engine::general_purpose::STANDARD.encode(&data[..len]);
            for at in 0..encoded.len() {
                for c in *alphabet {
                    let mut text = encoded.clone().into_bytes();
                    text[at] = c;
                    texts.push(text);
                }
            }
        }
        for text in &texts {
            assert_eq!(
                ours(text),
                reference(text),
                "{:?}",
                String::from_utf8_lossy(text)
            );
        }
    }

    /// How far the second slice starts after the first.
    fn distance(a: &Bytes, b: &Bytes) -> usize {
        b.as_ptr() as usize - a.as_ptr() as usize
    }
}
