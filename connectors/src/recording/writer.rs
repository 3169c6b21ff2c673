//! Writing recordings.

use std::io::{self, Write};

use base64::Engine as _;
use serde::Serialize;
use serde::de::IgnoredAny;
use serde_json::value::RawValue;
use tributary_core::Origin;

use super::Header;

/// Writes a recording: the header, then one line a record.
pub struct RecordingWriter<W: Write> {
    out: W,
    line: Vec<u8>,
}

impl<W: Write> RecordingWriter<W> {
    /// Starts a recording by writing its header.
    pub fn new(mut out: W, header: &Header) -> io::Result<Self> {
        serde_json::to_writer(&mut out, header)?;
        out.write_all(b"\n")?;
        Ok(RecordingWriter {
            out,
            line: Vec::with_capacity(1024),
        })
    }

    /// Writes one record.
    pub fn write(&mut self, origin: &Origin, data: &[u8]) -> io::Result<()> {
        self.line.clear();
        encode_record::<()>(&mut self.line, origin, data, None);
        self.line.push(b'\n');
        self.out.write_all(&self.line)
    }

    /// Flushes and returns the writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

#[derive(Serialize)]
struct Line<'a, E: Serialize> {
    #[serde(skip_serializing_if = "Option::is_none")]
    stream: Option<&'a str>,
    shard: &'a str,
    sequence: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    sub_sequence: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    partition_key: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    keys: Option<&'a serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    event_name: Option<&'a str>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    removed_by_ttl: bool,
    arrival_ms: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<&'a RawValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    data_base64: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<E>,
}

/// Appends one record line (without its newline) to `out`: the record's
/// origin and its data, and, for a dead letter, an `error` object.
pub fn encode_record<E: Serialize>(
    out: &mut Vec<u8>,
    origin: &Origin,
    data: &[u8],
    error: Option<E>,
) {
    let text = std::str::from_utf8(data)
        .ok()
        .filter(|text| is_single_line_json(text));
    let line = Line {
        data: text.and_then(|text| serde_json::from_str::<&RawValue>(text).ok()),
        data_base64: match text {
            Some(_) => None,
            None => Some(base64::engine::general_purpose::STANDARD.encode(data)),
        },
        error,
        ..Line::of(origin)
    };
    serde_json::to_writer(out, &line).expect("writing JSON to a Vec cannot fail");
}

impl<'a, E: Serialize> Line<'a, E> {
    /// The line of a record from `origin`, without data or error.
    fn of(origin: &'a Origin) -> Self {
        Line {
            stream: None,
            shard: &origin.shard,
            sequence: &origin.sequence,
            sub_sequence: origin.sub_sequence,
            partition_key: origin.partition_key.as_deref(),
            keys: origin.item_keys.as_ref(),
            event_name: origin.event_name.as_deref(),
            removed_by_ttl: origin.removed_by_ttl,
            arrival_ms: origin.arrival_ms,
            data: None,
            data_base64: None,
            error: None,
        }
    }
}

/// Appends one record line (without its newline) to `out`, whose data is
/// `json`: the same line [`encode_record`] writes for it, without checking
/// `json` again. The caller has checked what `encode_record` would: `json`
/// is one JSON text (UTF-8, nested no deeper than JSON readers take, as
/// [`Payload::validate_json`](tributary_core::Payload::validate_json)
/// checks), on one line, with no white space around it, and not `null`.
pub(crate) fn encode_json_record(out: &mut Vec<u8>, origin: &Origin, json: &[u8]) {
    debug_assert!(std::str::from_utf8(json).is_ok_and(is_single_line_json));
    let line = Line::<()> {
        data: None,
        data_base64: None,
        error: None,
        ..Line::of(origin)
    };
    serde_json::to_writer(&mut *out, &line).expect("writing JSON to a Vec cannot fail");
    // `data` is the line's last field when it has neither `data_base64` nor
    // `error`: put it in before the closing brace, as serde_json writes a
    // raw value (as it is).
    out.pop();
    out.extend_from_slice(b",\"data\":");
    out.extend_from_slice(json);
    out.push(b'}');
}

/// Whether `text` is exactly one JSON text on one line, with no white space
/// around it, so that embedding it verbatim keeps every byte; nested no
/// deeper than JSON readers take (serde_json's limit), so that the line
/// stays readable as a whole; and not `null`, which under `data` reads as
/// no data at all.
fn is_single_line_json(text: &str) -> bool {
    let trimmed = text.trim_matches(|c: char| c.is_ascii_whitespace());
    trimmed.len() == text.len()
        && !text.is_empty()
        && text != "null"
        && !text.contains(['\n', '\r'])
        && serde_json::from_str::<IgnoredAny>(text).is_ok()
        && tributary_core::json::too_deep_at(text.as_bytes()).is_none()
}

#[cfg(test)]
mod tests {
    use tributary_core::SourceKind;

    use super::*;

    #[test]
    fn a_json_record_line_is_the_line_encode_record_writes() {
        let mut origin = Origin::new(SourceKind::Kinesis, "s", "shardId-1", "42");
        origin.sub_sequence = Some(3);
        origin.partition_key = Some("user \"7\"".to_owned());
        origin.arrival_ms = 1_795_860_000_123;
        for json in [&b"{\"a\":[1,2,{\"b\":\"\\u00e9\"}]}"[..], b"7", b"\"text\""] {
            let (mut checked, mut trusted) = (Vec::new(), Vec::new());
            encode_record::<()>(&mut checked, &origin, json, None);
            encode_json_record(&mut trusted, &origin, json);
            assert_eq!(
                String::from_utf8(trusted).unwrap(),
                String::from_utf8(checked).unwrap()
            );
        }
    }
}
