//! Records into the objects the sink puts: each record's group key and line,
//! the lines into objects (`objects.rs`), each object's key and compressed
//! body. Deterministic: the same records give the same keys and the same
//! bytes, so a batch that Lambda delivers again overwrites its own objects.

use std::io::Write as _;

use bytes::Bytes;
use flate2::write::GzEncoder;
use tributary_core::{DeliveryFailure, Record, SinkError};

use super::error::S3Error;
use super::key_template::{GroupKeys, KeyTemplate, MAX_KEY_BYTES, object_key};
use super::line::LineWriter;
use super::objects::{Objects, PendingObject};
use super::{Compression, S3SinkConfig};
use crate::sinks::SinkContext;

impl S3SinkConfig {
    /// What turns records into objects, as the sink does, for a sink in
    /// the pipeline `context` tells of.
    pub fn encoder(&self, context: &SinkContext<'_>) -> Result<ObjectEncoder, S3Error> {
        let template = KeyTemplate::parse(&self.key).map_err(|error| S3Error::Key {
            message: error.message,
            hint: error.hint,
        })?;
        Ok(ObjectEncoder {
            keys: GroupKeys::new(template.with_pipeline(context.pipeline)),
            lines: LineWriter {
                format: self.format,
                role: context.role,
            },
            compression: match self.compression {
                Compression::Gzip => Some(flate2::Compression::new(self.compression_level)),
                Compression::None => None,
            },
            max_object_bytes: self.max_object_bytes,
        })
    }
}

/// Turns records into the objects the S3 sink puts (without putting them):
/// for the sink, for benchmarks, and to see what would be written.
#[derive(Debug)]
pub struct ObjectEncoder {
    keys: GroupKeys,
    lines: LineWriter,
    /// The gzip level, or none for no compression.
    compression: Option<flate2::Compression>,
    max_object_bytes: usize,
}

/// One object, ready to put.
#[derive(Debug, Clone)]
pub struct EncodedObject {
    pub(super) key: String,
    pub(super) body: Bytes,
    pub(super) records: Vec<usize>,
    pub(super) lines_bytes: usize,
}

impl EncodedObject {
    /// Its key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Its body, compressed as the sink says.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// The records it holds, by index in the slice given to
    /// [`ObjectEncoder::encode`].
    pub fn records(&self) -> &[usize] {
        &self.records
    }

    /// The bytes of its lines, before compression.
    pub fn lines_bytes(&self) -> usize {
        self.lines_bytes
    }
}

impl ObjectEncoder {
    /// The objects for `records`, and the records that cannot go in one (a
    /// time the key cannot name, a payload that is not JSON where JSON is
    /// written, a key longer than S3 takes): failed for good.
    pub fn encode(&mut self, records: &mut [Record]) -> (Vec<EncodedObject>, Vec<DeliveryFailure>) {
        let mut objects = Objects::new(self.max_object_bytes);
        let mut failures = Vec::new();
        let lines = self.lines;
        for (index, record) in records.iter_mut().enumerate() {
            let origin = record.origin.clone();
            let added = self.keys.of(&origin).and_then(|group_key| {
                objects.add(
                    group_key,
                    index,
                    &origin,
                    |first, out| lines.header(first, out),
                    |out| lines.write(record, out),
                )
            });
            if let Err(reason) = added {
                failures.push(DeliveryFailure {
                    index,
                    error: SinkError::Unsendable(reason),
                });
            }
        }
        let mut encoded = Vec::new();
        for object in objects.finish() {
            match self.object(object) {
                Ok(object) => encoded.push(object),
                Err((records, reason)) => {
                    failures.extend(records.into_iter().map(|index| DeliveryFailure {
                        index,
                        error: SinkError::Unsendable(reason.clone()),
                    }))
                }
            }
        }
        (encoded, failures)
    }

    /// An object's key and body; or its records and why it cannot be put.
    fn object(&self, object: PendingObject) -> Result<EncodedObject, (Vec<usize>, String)> {
        let key = object_key(
            &object.group_key,
            &object.first.sequence,
            object.first.sub_sequence,
        );
        if key.len() > MAX_KEY_BYTES {
            let reason = format!(
                "the object key is {} bytes, more than S3's {MAX_KEY_BYTES}: shorten the sink's `key`",
                key.len()
            );
            return Err((object.records, reason));
        }
        let lines_bytes = object.lines.len();
        let body = match self.compression {
            None => object.lines,
            Some(level) => gzip(&object.lines, level),
        };
        Ok(EncodedObject {
            key,
            body: Bytes::from(body),
            records: object.records,
            lines_bytes,
        })
    }
}

/// `lines` gzipped at `level`. The gzip header has no time and no name, so
/// the same lines give the same bytes.
fn gzip(lines: &[u8], level: flate2::Compression) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(lines.len() / 4 + 64), level);
    encoder
        .write_all(lines)
        .expect("writing to a Vec cannot fail");
    encoder.finish().expect("writing to a Vec cannot fail")
}

#[cfg(test)]
mod tests {
    use std::io::Read as _;
    use std::sync::Arc;

    use tributary_core::{InputIndex, Origin, Payload, SourceKind};

    use super::*;
    use crate::recording::RecordingReader;
    use crate::sinks::SinkRole;

    /// 2026-11-28T10:00:00Z.
    const TEN_O_CLOCK: i64 = 1_795_860_000_000;
    const MINUTE_MS: i64 = 60_000;

    fn record(shard: &str, sequence: u32, arrival_ms: i64, payload: &str) -> Record {
        let mut origin = Origin::new(
            SourceKind::Kinesis,
            "arn:stream/clicks",
            shard,
            format!("{sequence:04}"),
        );
        origin.arrival_ms = arrival_ms;
        origin.partition_key = Some(format!("user-{}", sequence % 3));
        Record::new(
            Arc::new(origin),
            Payload::from_bytes(payload.to_owned()),
            InputIndex(sequence),
        )
    }

    fn encoder(settings: &str, role: SinkRole) -> ObjectEncoder {
        let text = format!("bucket = \"b-1\"\n{settings}");
        let config: S3SinkConfig = tributary_config::Options::from_toml("p.toml", &text)
            .unwrap()
            .deserialize()
            .unwrap();
        let context = SinkContext {
            pipeline: "clicks",
            role,
        };
        config.encoder(&context).unwrap()
    }

    fn gunzip(body: &[u8]) -> String {
        let mut text = String::new();
        flate2::read::GzDecoder::new(body)
            .read_to_string(&mut text)
            .unwrap();
        text
    }

    #[test]
    fn a_batch_spanning_hours_and_shards_makes_one_object_for_each_hour_and_shard() {
        let mut encoder = encoder(
            "key = \"raw/{pipeline}/%Y/%m/%d/%H/{shard}-{first_sequence}.jsonl\"\ncompression = \"none\"",
            SinkRole::Output,
        );
        let mut records = vec![
            record("shard-a", 1, TEN_O_CLOCK + 58 * MINUTE_MS, "{}"),
            record("shard-b", 2, TEN_O_CLOCK + 59 * MINUTE_MS, "{}"),
            record("shard-a", 3, TEN_O_CLOCK + 61 * MINUTE_MS, "{}"),
            record("shard-a", 4, TEN_O_CLOCK + 59 * MINUTE_MS, "{}"),
            record("shard-a", 5, TEN_O_CLOCK + 62 * MINUTE_MS, "{}"),
        ];
        let (objects, failures) = encoder.encode(&mut records);
        assert!(failures.is_empty());
        let keys: Vec<(&str, &[usize])> = objects.iter().map(|o| (o.key(), o.records())).collect();
        assert_eq!(
            keys,
            [
                ("raw/clicks/2026/11/28/10/shard-a-0001.jsonl", &[0, 3][..]),
                ("raw/clicks/2026/11/28/10/shard-b-0002.jsonl", &[1][..]),
                ("raw/clicks/2026/11/28/11/shard-a-0003.jsonl", &[2, 4][..]),
            ]
        );
    }

    #[test]
    fn objects_are_cut_at_max_object_bytes_each_under_its_own_key() {
        let mut encoder = encoder(
            "key = \"{shard}/{first_sequence}\"\ncompression = \"none\"\nmax_object_bytes = 1000",
            SinkRole::Output,
        );
        let payload = format!("{{\"pad\":\"{}\"}}", "x".repeat(100));
        let mut records: Vec<Record> = (0..100)
            .map(|i| record("s", i, TEN_O_CLOCK + i64::from(i), &payload))
            .collect();
        let (objects, failures) = encoder.encode(&mut records);
        assert!(failures.is_empty());
        assert!(objects.len() >= 15, "{} objects", objects.len());
        let held: Vec<usize> = objects
            .iter()
            .flat_map(|o| o.records().iter().copied())
            .collect();
        assert_eq!(
            held,
            (0..100).collect::<Vec<_>>(),
            "each record once, in order"
        );
        let mut keys: Vec<&str> = objects.iter().map(EncodedObject::key).collect();
        keys.dedup();
        assert_eq!(keys.len(), objects.len(), "no two objects share a key");
        for object in &objects {
            assert!(object.lines_bytes() <= 1000 || object.records().len() == 1);
            assert_eq!(object.body().len(), object.lines_bytes());
            let first = format!("s/{:04}", object.records()[0]);
            assert_eq!(object.key(), first);
        }
    }

    #[test]
    fn the_same_records_give_the_same_keys_and_bytes() {
        let settings =
            "key = \"raw/%Y/%m/%d/%H/{shard}-{first_sequence}.jsonl.gz\"\nmax_object_bytes = 4000";
        let batch = || -> Vec<Record> {
            (0..200)
                .map(|i| {
                    record(
                        ["a", "b"][i as usize % 2],
                        i,
                        TEN_O_CLOCK + i64::from(i) * MINUTE_MS,
                        &format!("{{\"n\":{i}}}"),
                    )
                })
                .collect()
        };
        let encode = |encoder: &mut ObjectEncoder| -> Vec<(String, Bytes)> {
            let (objects, _) = encoder.encode(&mut batch());
            objects.into_iter().map(|o| (o.key, o.body)).collect()
        };
        let mut one = encoder(settings, SinkRole::Output);
        let first = encode(&mut one);
        assert_eq!(encode(&mut one), first, "the same encoder, again");
        assert_eq!(
            encode(&mut encoder(settings, SinkRole::Output)),
            first,
            "another encoder"
        );
        assert!(first.len() > 4, "{} objects", first.len());
    }

    #[test]
    fn a_gzipped_recording_object_reads_back_as_its_records() {
        let mut encoder = encoder(
            "key = \"{shard}-{first_sequence}.jsonl.gz\"",
            SinkRole::Output,
        );
        let payloads = ["{\"a\":1}", "{\"b\":\n2}", "[1, 2]", "\"é\""];
        let mut records: Vec<Record> = payloads
            .iter()
            .zip(0..)
            .map(|(p, i)| record("s", i, TEN_O_CLOCK + i64::from(i), p))
            .collect();
        let (objects, failures) = encoder.encode(&mut records);
        assert!(failures.is_empty());
        let [object] = &objects[..] else {
            panic!("one object: {objects:?}")
        };
        assert_eq!(object.key(), "s-0000.jsonl.gz");
        let text = gunzip(object.body());
        assert_eq!(text.len(), object.lines_bytes());
        let reader =
            RecordingReader::new("object", std::io::Cursor::new(text.into_bytes())).unwrap();
        assert_eq!(reader.header().stream, "arn:stream/clicks");
        let read: Vec<_> = reader.map(Result::unwrap).collect();
        assert_eq!(read.len(), payloads.len());
        for ((read, record), payload) in read.iter().zip(&records).zip(payloads) {
            assert_eq!(read.data, payload.as_bytes(), "the bytes as they came");
            assert_eq!(read.origin, *record.origin);
        }
    }

    #[test]
    fn a_payloads_object_is_json_lines_and_a_record_that_is_not_json_fails_alone() {
        let mut encoder = encoder(
            "key = \"{shard}-{first_sequence}.jsonl\"\nformat = \"payloads\"\ncompression = \"none\"",
            SinkRole::Output,
        );
        let mut records = vec![
            record("s", 1, TEN_O_CLOCK, "{\"a\": 1}"),
            record("s", 2, TEN_O_CLOCK, "not json"),
            record("s", 3, TEN_O_CLOCK, "{\"c\":\n3}"),
        ];
        let (objects, failures) = encoder.encode(&mut records);
        assert_eq!(objects.len(), 1);
        assert_eq!(
            std::str::from_utf8(objects[0].body()).unwrap(),
            "{\"a\": 1}\n{\"c\":3}\n"
        );
        assert_eq!(objects[0].records(), [0, 2]);
        assert_eq!(failures.len(), 1);
        assert_eq!(failures[0].index, 1);
        assert!(!failures[0].transient());
    }

    #[test]
    fn dead_letters_are_written_as_they_are_after_a_recording_header() {
        let mut encoder = encoder(
            "key = \"dead/{shard}-{first_sequence}.jsonl.gz\"",
            SinkRole::DeadLetter,
        );
        let letter = |i: u32| {
            let mut line = Vec::new();
            let mut origin = Origin::new(
                SourceKind::Kinesis,
                "arn:stream/clicks",
                "s",
                format!("{i}"),
            );
            origin.arrival_ms = TEN_O_CLOCK;
            let error =
                serde_json::json!({"stage": "search", "message": "mapper_parsing_exception"});
            crate::recording::encode_record(&mut line, &origin, b"{\"n\":\"x\"}", Some(error));
            Record::new(
                Arc::new(origin),
                Payload::from_json_text(line),
                InputIndex(i),
            )
        };
        let mut letters = vec![letter(7), letter(9)];
        let expected: Vec<Vec<u8>> = letters
            .iter()
            .map(|l| l.payload.to_bytes().to_vec())
            .collect();
        let (objects, failures) = encoder.encode(&mut letters);
        assert!(failures.is_empty());
        assert_eq!(objects[0].key(), "dead/s-7.jsonl.gz");
        let text = gunzip(objects[0].body());
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "{\"tributary_recording\":1,\"source\":\"kinesis\",\"stream\":\"arn:stream/clicks\"}"
        );
        assert_eq!(lines[1].as_bytes(), expected[0]);
        assert_eq!(lines[2].as_bytes(), expected[1]);
        // A recording whose lines carry `error`, which the reader passes over.
        let reader =
            RecordingReader::new("dead", std::io::Cursor::new(text.clone().into_bytes())).unwrap();
        let read: Vec<_> = reader.map(Result::unwrap).collect();
        assert_eq!(read.len(), 2);
        assert_eq!(read[1].data, &b"{\"n\":\"x\"}"[..]);
        assert_eq!(read[1].origin.sequence, "9");
    }

    #[test]
    fn a_sub_sequence_names_its_object_and_a_key_too_long_fails_its_records() {
        let mut encoder = encoder(
            "key = \"{shard}/{first_sequence}\"\ncompression = \"none\"",
            SinkRole::Output,
        );
        let mut aggregated = record("s", 4, TEN_O_CLOCK, "{}");
        Arc::make_mut(&mut aggregated.origin).sub_sequence = Some(2);
        let long_shard = "x".repeat(1100);
        let mut records = vec![aggregated, record(&long_shard, 5, TEN_O_CLOCK, "{}")];
        let (objects, failures) = encoder.encode(&mut records);
        assert_eq!(objects.len(), 1);
        assert_eq!(objects[0].key(), "s/0004.2");
        assert_eq!(failures.len(), 1);
        assert_eq!(failures[0].index, 1);
        assert!(
            failures[0]
                .error
                .to_string()
                .contains("more than S3's 1024"),
            "{}",
            failures[0].error
        );
    }
}
