//! One record's line in an object, by the sink's format and role, and the
//! header line a recording object starts with.

use tributary_core::{Origin, Record};

use super::ObjectFormat;
use crate::recording::{Header, encode_json_record, encode_record};
use crate::sinks::SinkRole;

/// Writes records as lines of an object.
#[derive(Debug, Clone, Copy)]
pub(super) struct LineWriter {
    pub(super) format: ObjectFormat,
    pub(super) role: SinkRole,
}

impl LineWriter {
    /// Appends the header line of an object whose first record came from
    /// `first`, if the format has one: the recording header, naming the
    /// source and the stream. (A recording's records all come from the one
    /// stream its header names, as a pipeline's do.)
    pub(super) fn header(&self, first: &Origin, out: &mut Vec<u8>) {
        if self.format == ObjectFormat::Recording {
            let header = Header::new(first.source, &*first.stream);
            serde_json::to_writer(&mut *out, &header).expect("writing JSON to a Vec cannot fail");
            out.push(b'\n');
        }
    }

    /// Appends the record's line, with its newline, to `out`; on an error
    /// (a payload that is not JSON, where JSON is written) `out` is left as
    /// it was.
    ///
    /// - A dead letter's payload is already a whole recording line (origin,
    ///   original bytes, `error`): it is written as it is, in either format.
    /// - `recording`: the record's origin and its payload's bytes as they
    ///   are, under `data` (JSON on one line) or `data_base64`.
    /// - `payloads`: the payload, as compact JSON on one line.
    pub(super) fn write(&self, record: &mut Record, out: &mut Vec<u8>) -> Result<(), String> {
        let start = out.len();
        let written = match (self.role, self.format) {
            (SinkRole::DeadLetter, _) | (SinkRole::Output, ObjectFormat::Payloads) => record
                .payload
                .write_json_line(out)
                .map_err(|error| error.to_string()),
            (SinkRole::Output, ObjectFormat::Recording) => {
                recording_line(record, out);
                Ok(())
            }
        };
        match written {
            Ok(()) => {
                out.push(b'\n');
                Ok(())
            }
            Err(reason) => {
                out.truncate(start);
                Err(reason)
            }
        }
    }
}

/// The record's recording line: its bytes go in as they are when they are
/// JSON on one line with nothing around them (checked once, when the
/// pipeline checked the payload; not parsed again here), else as
/// [`encode_record`] decides.
fn recording_line(record: &mut Record, out: &mut Vec<u8>) {
    let json = record.payload.validate_json().is_ok();
    match record.payload.raw() {
        Some(raw) if json && embeds_as_is(raw) => encode_json_record(out, &record.origin, raw),
        Some(raw) => encode_record::<()>(out, &record.origin, raw, None),
        None => {
            // A payload a processor changed: serde_json writes it compact,
            // on one line.
            let bytes = record.payload.to_bytes();
            if embeds_as_is(&bytes) {
                encode_json_record(out, &record.origin, &bytes);
            } else {
                encode_record::<()>(out, &record.origin, &bytes, None);
            }
        }
    }
}

/// Whether valid JSON `bytes` go under `data` as they are: on one line,
/// with no white space around them, and not `null` (which reads as no data).
fn embeds_as_is(bytes: &[u8]) -> bool {
    let edges = |b: Option<&u8>| b.is_some_and(|b| !b.is_ascii_whitespace());
    edges(bytes.first())
        && edges(bytes.last())
        && bytes != b"null"
        && memchr::memchr2(b'\n', b'\r', bytes).is_none()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use tributary_core::{InputIndex, Payload, SourceKind};

    use super::*;

    fn record(payload: Payload) -> Record {
        let mut origin = Origin::new(SourceKind::Kinesis, "arn:s", "shardId-1", "42");
        origin.arrival_ms = 5;
        Record::new(Arc::new(origin), payload, InputIndex(0))
    }

    fn line(writer: LineWriter, payload: Payload) -> Result<String, String> {
        let mut out = b"before\n".to_vec();
        let written = writer.write(&mut record(payload), &mut out);
        let text = String::from_utf8(out).unwrap();
        match written {
            Ok(()) => Ok(text["before\n".len()..].to_owned()),
            Err(reason) => {
                assert_eq!(text, "before\n", "a failed line leaves nothing behind");
                Err(reason)
            }
        }
    }

    const RECORDING: LineWriter = LineWriter {
        format: ObjectFormat::Recording,
        role: SinkRole::Output,
    };
    const PAYLOADS: LineWriter = LineWriter {
        format: ObjectFormat::Payloads,
        role: SinkRole::Output,
    };

    #[test]
    fn a_recording_line_keeps_the_origin_and_the_bytes_as_they_are() {
        let origin = "\"shard\":\"shardId-1\",\"sequence\":\"42\",\"arrival_ms\":5";
        assert_eq!(
            line(RECORDING, Payload::from_bytes(r#"{"a": 1}"#)).unwrap(),
            format!("{{{origin},\"data\":{{\"a\": 1}}}}\n")
        );
        // Bytes that are not JSON on one line go in base64, byte for byte.
        assert_eq!(
            line(RECORDING, Payload::from_bytes("{\"a\":\n1}")).unwrap(),
            format!("{{{origin},\"data_base64\":\"eyJhIjoKMX0=\"}}\n")
        );
        assert_eq!(
            line(RECORDING, Payload::from_bytes(" 1")).unwrap(),
            format!("{{{origin},\"data_base64\":\"IDE=\"}}\n")
        );
        let changed = Payload::from_value(serde_json::json!({"b": [true]}));
        assert_eq!(
            line(RECORDING, changed).unwrap(),
            format!("{{{origin},\"data\":{{\"b\":[true]}}}}\n")
        );
    }

    #[test]
    fn a_payloads_line_is_the_payload_as_compact_json() {
        assert_eq!(
            line(PAYLOADS, Payload::from_bytes("{\"a\":\n1}")).unwrap(),
            "{\"a\":1}\n"
        );
        assert!(line(PAYLOADS, Payload::from_bytes("not json")).is_err());
    }

    #[test]
    fn a_dead_letter_is_written_as_it_is_in_either_format() {
        let letter = r#"{"shard":"s","sequence":"1","arrival_ms":0,"data":{"a":1},"error":{"stage":"search","message":"refused"}}"#;
        for format in [ObjectFormat::Recording, ObjectFormat::Payloads] {
            let writer = LineWriter {
                format,
                role: SinkRole::DeadLetter,
            };
            assert_eq!(
                line(writer, Payload::from_json_text(letter)).unwrap(),
                format!("{letter}\n")
            );
        }
    }

    #[test]
    fn only_the_recording_format_has_a_header() {
        let origin = record(Payload::from_bytes("{}")).origin;
        let mut out = Vec::new();
        RECORDING.header(&origin, &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"tributary_recording\":1,\"source\":\"kinesis\",\"stream\":\"arn:s\"}\n"
        );
        let mut out = Vec::new();
        PAYLOADS.header(&origin, &mut out);
        assert!(out.is_empty());
    }
}
