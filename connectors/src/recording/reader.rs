//! Reading recordings.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::sync::Arc;

use base64::Engine as _;
use bytes::Bytes;
use serde::Deserialize;
use serde_json::value::RawValue;
use tributary_core::Origin;

use crate::sources::{DecodeError, SourceRecord, dynamodb_streams};

use super::{FORMAT_VERSION, Header};

/// A recording that cannot be read, with the place that is wrong.
#[derive(Debug, thiserror::Error)]
pub enum RecordingError {
    /// The file cannot be opened or read.
    #[error("cannot read recording `{file}`: {source}")]
    Io {
        /// The recording's name.
        file: String,
        /// The I/O error.
        source: io::Error,
    },
    /// Reading stopped at a line: the file (or its gzip stream) is cut short
    /// or damaged there, and nothing after it can be read.
    #[error(
        "{file}:{line}: cannot read the recording from this line on: {source}; the lines before it were read, the rest could not be (a gzip file cut short or damaged?)"
    )]
    Stopped {
        /// The recording's name.
        file: String,
        /// The line that could not be read, from 1.
        line: usize,
        /// The I/O or gzip error.
        source: io::Error,
    },
    /// A line is not what the format says. Only that line is wrong: the
    /// reader goes on with the next.
    #[error("{file}:{line}:{column}: {message}; {hint}")]
    Invalid {
        /// The recording's name.
        file: String,
        /// The line, from 1.
        line: usize,
        /// The column, from 1.
        column: usize,
        /// What is wrong.
        message: String,
        /// What to do.
        hint: &'static str,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Line<'a> {
    #[serde(default, borrow)]
    stream: Option<Cow<'a, str>>,
    #[serde(borrow)]
    shard: Cow<'a, str>,
    #[serde(borrow)]
    sequence: Cow<'a, str>,
    #[serde(default)]
    sub_sequence: Option<u64>,
    #[serde(default, borrow)]
    partition_key: Option<Cow<'a, str>>,
    #[serde(default)]
    keys: Option<serde_json::Value>,
    #[serde(default, borrow)]
    event_name: Option<Cow<'a, str>>,
    #[serde(default)]
    removed_by_ttl: bool,
    arrival_ms: i64,
    #[serde(default, borrow)]
    data: Option<&'a RawValue>,
    #[serde(default, borrow)]
    data_base64: Option<Cow<'a, str>>,
    /// Present on dead letters; replay ignores it.
    #[serde(default, borrow)]
    error: Option<&'a RawValue>,
}

/// Why a dead letter failed: the `error` object of its line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct DeadLetterReason {
    /// The processor id or sink name that failed the record (`source` when
    /// its bytes could not be decoded, `route` when no sink took it).
    #[serde(default)]
    pub stage: String,
    /// Why.
    #[serde(default)]
    pub message: String,
}

impl RecordingError {
    /// Whether only one line is wrong, and the reader can go on with the next.
    pub fn is_bad_line(&self) -> bool {
        matches!(self, RecordingError::Invalid { .. })
    }
}

/// What can still be read of a line that is not a valid record: each field
/// that has the expected type.
#[derive(Default, Deserialize)]
struct LineIdentity {
    #[serde(default)]
    stream: Option<serde_json::Value>,
    #[serde(default)]
    shard: Option<serde_json::Value>,
    #[serde(default)]
    sequence: Option<serde_json::Value>,
    #[serde(default)]
    sub_sequence: Option<serde_json::Value>,
    #[serde(default)]
    partition_key: Option<serde_json::Value>,
    #[serde(default)]
    arrival_ms: Option<serde_json::Value>,
}

/// The shard of the records made of bad lines that do not name theirs.
pub const UNREADABLE_LINES_SHARD: &str = "unreadable-lines";

/// Reads a recording line by line; records are read as they are needed, so a
/// recording of any size replays in bounded memory. A line that is not a
/// valid record is an error for that line alone ([`RecordingError::Invalid`]):
/// reading goes on with the next, and [`RecordingReader::bad_line_record`]
/// makes a failed record of it. A file that cannot be read further (a gzip
/// stream cut short) ends with [`RecordingError::Stopped`].
pub struct RecordingReader {
    name: String,
    input: Box<dyn BufRead + Send>,
    header: Header,
    stream: Arc<str>,
    shards: HashMap<String, Arc<str>>,
    line: Vec<u8>,
    line_number: usize,
    bytes_read: u64,
    stopped: bool,
    dead_letter_reason: Option<DeadLetterReason>,
}

impl RecordingReader {
    /// Opens a recording file and reads its header; a name ending in `.gz`
    /// is read through gzip.
    pub fn open(path: &Path) -> Result<Self, RecordingError> {
        let name = path.display().to_string();
        let file = File::open(path).map_err(|source| RecordingError::Io {
            file: name.clone(),
            source,
        })?;
        if path.extension().is_some_and(|e| e == "gz") {
            return Self::new(name, flate2::read::MultiGzDecoder::new(file));
        }
        Self::new(name, file)
    }

    /// Reads a recording from any reader; `name` is used in errors.
    pub fn new(
        name: impl Into<String>,
        input: impl Read + Send + 'static,
    ) -> Result<Self, RecordingError> {
        let name = name.into();
        let mut input: Box<dyn BufRead + Send> =
            Box::new(BufReader::with_capacity(256 * 1024, input));
        let mut line = Vec::new();
        let read =
            input
                .read_until(b'\n', &mut line)
                .map_err(|source| RecordingError::Stopped {
                    file: name.clone(),
                    line: 1,
                    source,
                })?;
        let invalid = |column, message: String| RecordingError::Invalid {
            file: name.clone(),
            line: 1,
            column,
            message,
            hint: "a recording starts with a header line such as {\"tributary_recording\":1,\"source\":\"kinesis\",\"stream\":\"...\"}",
        };
        if read == 0 {
            return Err(invalid(1, "the recording is empty".to_owned()));
        }
        let text = std::str::from_utf8(&line).map_err(|e| {
            invalid(
                e.valid_up_to() + 1,
                "invalid header: the line is not UTF-8 text".to_owned(),
            )
        })?;
        let header: Header = serde_json::from_str(text)
            .map_err(|e| invalid(e.column(), format!("invalid header: {e}")))?;
        if header.tributary_recording != FORMAT_VERSION {
            return Err(invalid(
                1,
                format!(
                    "recording format version {} is not supported (this build reads {FORMAT_VERSION})",
                    header.tributary_recording
                ),
            ));
        }
        Ok(RecordingReader {
            stream: Arc::from(header.stream.as_str()),
            header,
            name,
            input,
            shards: HashMap::new(),
            line,
            line_number: 1,
            bytes_read: read as u64,
            stopped: false,
            dead_letter_reason: None,
        })
    }

    /// The recording's name, as its errors give it: the path it was opened
    /// at.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The recording's header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// How many bytes of the file have been read so far.
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read
    }

    /// How many lines have been read so far, the header included.
    pub fn lines_read(&self) -> usize {
        self.line_number
    }

    /// The `error` object of the record [`Self::next_record`] last gave,
    /// when that record is a dead letter; `None` for a plain record, and
    /// when the object is not `{"stage": "...", "message": "..."}`.
    pub fn dead_letter_reason(&self) -> Option<&DeadLetterReason> {
        self.dead_letter_reason.as_ref()
    }

    /// Reads the next record; `None` at the end, and after a
    /// [`RecordingError::Stopped`].
    pub fn next_record(&mut self) -> Option<Result<SourceRecord, RecordingError>> {
        self.dead_letter_reason = None;
        if self.stopped {
            return None;
        }
        loop {
            self.line.clear();
            let read = match self.input.read_until(b'\n', &mut self.line) {
                Ok(read) => read,
                Err(source) => {
                    self.stopped = true;
                    return Some(Err(RecordingError::Stopped {
                        file: self.name.clone(),
                        line: self.line_number + 1,
                        source,
                    }));
                }
            };
            if read == 0 {
                return None;
            }
            self.line_number += 1;
            self.bytes_read += read as u64;
            if self.line.trim_ascii().is_empty() {
                continue;
            }
            match self.header_again() {
                Some(Ok(())) => continue,
                Some(Err(error)) => return Some(Err(error)),
                None => return Some(self.parse_line()),
            }
        }
    }

    /// A record for the line [`Self::next_record`] last found bad, which
    /// fails at stage `source` with `error`: its data is the line itself,
    /// its origin what can still be read of the line (else the shard
    /// [`UNREADABLE_LINES_SHARD`] and the sequence `line N`).
    pub fn bad_line_record(&self, error: &RecordingError) -> SourceRecord {
        let line = self.line.trim_ascii_end();
        let identity: LineIdentity = serde_json::from_slice(line).unwrap_or_default();
        let text = |value: Option<serde_json::Value>| match value {
            Some(serde_json::Value::String(text)) => Some(text),
            _ => None,
        };
        let shard = text(identity.shard).unwrap_or_else(|| UNREADABLE_LINES_SHARD.to_owned());
        let sequence =
            text(identity.sequence).unwrap_or_else(|| format!("line {}", self.line_number));
        let mut origin = Origin::new(self.header.source, self.stream.clone(), shard, sequence);
        if let Some(stream) = text(identity.stream) {
            origin.stream = Arc::from(stream);
        }
        origin.sub_sequence = identity.sub_sequence.and_then(|v| v.as_u64());
        origin.partition_key = text(identity.partition_key);
        origin.arrival_ms = identity
            .arrival_ms
            .and_then(|v| v.as_i64())
            .unwrap_or_default();
        let reason = error.to_string();
        SourceRecord::unreadable(
            origin,
            Bytes::copy_from_slice(line),
            DecodeError::Unreadable { reason },
        )
    }

    /// Whether the line is a header again, as where recordings were joined
    /// end to end (`cat` of an `s3` sink's objects): `Some(Ok)` for a header
    /// of the same source and stream, which is passed over; an error for one
    /// of another; `None` for a record line.
    fn header_again(&self) -> Option<Result<(), RecordingError>> {
        if !self.line.starts_with(b"{\"tributary_recording\"") {
            return None;
        }
        let header: Header = serde_json::from_slice(&self.line).ok()?;
        let same = header.tributary_recording == self.header.tributary_recording
            && header.source == self.header.source
            && header.stream == self.header.stream;
        Some(if same {
            Ok(())
        } else {
            Err(RecordingError::Invalid {
                file: self.name.clone(),
                line: self.line_number,
                column: 1,
                message: format!(
                    "a header of another stream ({} `{}`, where the recording began with {} `{}`)",
                    header.source.as_str(),
                    header.stream,
                    self.header.source.as_str(),
                    self.header.stream
                ),
                hint: "a recording holds one stream's records: join only recordings of the same stream",
            })
        })
    }

    fn parse_line(&mut self) -> Result<SourceRecord, RecordingError> {
        let invalid = |column, message: String| RecordingError::Invalid {
            file: self.name.clone(),
            line: self.line_number,
            column,
            message,
            hint: "each record line needs `shard`, `sequence`, `arrival_ms`, and `data` or `data_base64` (see docs/recording-format.md)",
        };
        let text = std::str::from_utf8(&self.line).map_err(|e| {
            invalid(
                e.valid_up_to() + 1,
                format!(
                    "the line is not UTF-8 text (an invalid byte at column {})",
                    e.valid_up_to() + 1
                ),
            )
        })?;
        let line: Line<'_> = serde_json::from_str(text).map_err(|e| {
            let message = if e.is_eof() && !text.ends_with('\n') {
                format!("the last line is cut short (was the recording finished?): {e}")
            } else {
                line_error_message(&e)
            };
            invalid(field_column(text, &e).unwrap_or(e.column()), message)
        })?;
        let (data, data_is_json) = match (line.data, &line.data_base64) {
            (Some(raw), None) => (Bytes::copy_from_slice(raw.get().as_bytes()), true),
            (None, Some(encoded)) => {
                match base64::engine::general_purpose::STANDARD.decode(encoded.as_bytes()) {
                    Ok(bytes) => (Bytes::from(bytes), false),
                    Err(e) => {
                        return Err(invalid(
                            1,
                            format!("`data_base64` is not valid base64: {e}"),
                        ));
                    }
                }
            }
            _ => {
                return Err(invalid(
                    1,
                    "a record needs exactly one of `data` and `data_base64`".to_owned(),
                ));
            }
        };
        let shard = match self.shards.get(line.shard.as_ref()) {
            Some(shard) => shard.clone(),
            None => {
                let shard: Arc<str> = Arc::from(line.shard.as_ref());
                self.shards.insert(line.shard.into_owned(), shard.clone());
                shard
            }
        };
        let mut origin = Origin::new(
            self.header.source,
            self.stream.clone(),
            shard,
            line.sequence,
        );
        if let Some(stream) = line.stream {
            origin.stream = Arc::from(stream.as_ref());
        }
        origin.sub_sequence = line.sub_sequence;
        origin.partition_key = line.partition_key.map(Cow::into_owned);
        origin.item_keys = line.keys;
        origin.event_name = line.event_name.map(Cow::into_owned);
        origin.change = dynamodb_streams::change_of(origin.event_name.as_deref());
        origin.removed_by_ttl = line.removed_by_ttl;
        origin.arrival_ms = line.arrival_ms;
        self.dead_letter_reason = line
            .error
            .and_then(|error| serde_json::from_str(error.get()).ok());
        Ok(SourceRecord {
            origin,
            data,
            data_is_json,
            error: None,
            raw: None,
        })
    }
}

impl Iterator for RecordingReader {
    type Item = Result<SourceRecord, RecordingError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_record()
    }
}

/// The column where the key an unknown-field error names begins (serde
/// points past it).
fn field_column(text: &str, error: &serde_json::Error) -> Option<usize> {
    let message = error.to_string();
    let field = message.strip_prefix("unknown field `")?.split('`').next()?;
    let before = text.get(..error.column())?;
    Some(before.rfind(&format!("\"{field}\""))? + 1)
}

/// serde's message about a record line, without the position the error
/// already names (`at line 1 column 72`), and, for a misspelt field, the
/// field it resembles.
fn line_error_message(error: &serde_json::Error) -> String {
    let message = error.to_string();
    let message = match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message,
    };
    let Some(rest) = message.strip_prefix("unknown field `") else {
        return message;
    };
    let Some((field, expected)) = rest.split_once("`, expected one of ") else {
        return message;
    };
    let fields = expected.split(", ").map(|name| name.trim_matches('`'));
    match tributary_config::did_you_mean(field, fields) {
        Some(known) => {
            format!("unknown field `{field}`: did you mean `{known}`? (expected one of {expected})")
        }
        None => message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recording::RecordingWriter;
    use tributary_core::{Change, SourceKind};

    fn origin(shard: &str, sequence: &str) -> Origin {
        let mut origin = Origin::new(SourceKind::Kinesis, "arn:s", shard, sequence);
        origin.partition_key = Some("user-1".into());
        origin.arrival_ms = 1_732_700_000_123;
        origin
    }

    #[test]
    fn round_trips_every_record_byte_for_byte() {
        let payloads: [&[u8]; 7] = [
            br#"{"page":"/","n":1.50}"#,
            b"{\n\"multi\": \"line\"}",
            b" {\"padded\":true}",
            b"\xde\xad\xbe\xef",
            b"plain text",
            b"",
            // Found by fuzz/fuzz_targets/payload_readers.rs: `"data":null`
            // reads as no data.
            b"null",
        ];
        let header = Header::new(SourceKind::Kinesis, "arn:s");
        let mut writer = RecordingWriter::new(Vec::new(), &header).unwrap();
        for (i, payload) in payloads.iter().enumerate() {
            let mut origin = origin(&format!("shard-{}", i % 2), &i.to_string());
            origin.sub_sequence = (i == 3).then_some(7);
            writer.write(&origin, payload).unwrap();
        }
        let bytes = writer.finish().unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(
            text.contains(r#""data":{"page":"/","n":1.50}"#),
            "JSON kept verbatim: {text}"
        );

        let reader = RecordingReader::new("r.jsonl", std::io::Cursor::new(bytes)).unwrap();
        assert_eq!(reader.header(), &header);
        let records: Vec<SourceRecord> = reader.map(Result::unwrap).collect();
        assert_eq!(records.len(), payloads.len());
        for (i, (record, payload)) in records.iter().zip(payloads).enumerate() {
            assert_eq!(&record.data[..], payload, "record {i}");
            assert_eq!(record.data_is_json, i == 0);
            assert_eq!(record.origin.sequence, i.to_string());
            assert_eq!(&*record.origin.shard, format!("shard-{}", i % 2));
            assert_eq!(record.origin.partition_key.as_deref(), Some("user-1"));
            assert_eq!(record.origin.arrival_ms, 1_732_700_000_123);
            assert_eq!(record.origin.sub_sequence, (i == 3).then_some(7));
        }
    }

    #[test]
    fn recordings_joined_end_to_end_read_as_one_and_another_streams_header_is_an_error() {
        let header = "{\"tributary_recording\":1,\"source\":\"kinesis\",\"stream\":\"s\"}\n";
        let record = |n: u32| {
            format!("{{\"shard\":\"a\",\"sequence\":\"{n}\",\"arrival_ms\":1,\"data\":{{}}}}\n")
        };
        let joined = format!(
            "{header}{}{}{}\
             {{\"tributary_recording\":1,\"source\":\"kinesis\",\"stream\":\"s\",\"recorded_at_ms\":5}}\n{}\
             {{\"tributary_recording\":1,\"source\":\"kinesis\",\"stream\":\"other\"}}\n{}",
            record(1),
            header,
            record(2),
            record(3),
            record(4)
        );
        let mut reader = RecordingReader::new("r.jsonl", std::io::Cursor::new(joined)).unwrap();
        let mut read = Vec::new();
        let mut errors = Vec::new();
        while let Some(record) = reader.next_record() {
            match record {
                Ok(record) => read.push(record.origin.sequence),
                Err(error) => errors.push(error.to_string()),
            }
        }
        assert_eq!(
            read,
            ["1", "2", "3", "4"],
            "repeated headers are passed over"
        );
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0].starts_with("r.jsonl:7:1: a header of another stream (kinesis `other`"),
            "{}",
            errors[0]
        );
    }

    #[test]
    fn a_misspelt_field_is_named_with_the_field_it_resembles_at_its_place_once() {
        let text = "{\"tributary_recording\":1,\"source\":\"kinesis\",\"stream\":\"s\"}\n\
            {\"shard\":\"a\",\"sequence\":\"1\",\"partitionKey\":\"k\",\"arrival_ms\":1,\"data\":{}}\n";
        let mut reader = RecordingReader::new("r.jsonl", std::io::Cursor::new(text)).unwrap();
        let error = reader.next_record().unwrap().unwrap_err().to_string();
        assert!(
            error.starts_with(
                "r.jsonl:2:29: unknown field `partitionKey`: did you mean `partition_key`?"
            ),
            "{error}"
        );
        assert!(!error.contains("at line 1 column"), "one place: {error}");
    }

    #[test]
    fn a_dead_letters_reason_is_read_beside_its_record() {
        let text = "{\"tributary_recording\":1,\"source\":\"kinesis\",\"stream\":\"s\"}\n\
            {\"shard\":\"a\",\"sequence\":\"1\",\"arrival_ms\":1,\"data\":{},\"error\":{\"stage\":\"search\",\"message\":\"mapping\"}}\n\
            {\"shard\":\"a\",\"sequence\":\"2\",\"arrival_ms\":1,\"data\":{}}\n\
            {\"shard\":\"a\",\"sequence\":\"3\",\"arrival_ms\":1,\"data\":{},\"error\":\"not an object\"}\n";
        let mut reader = RecordingReader::new("r.jsonl", std::io::Cursor::new(text)).unwrap();
        let mut reasons = Vec::new();
        while let Some(record) = reader.next_record() {
            record.unwrap();
            reasons.push(reader.dead_letter_reason().cloned());
        }
        let reason = DeadLetterReason {
            stage: "search".to_owned(),
            message: "mapping".to_owned(),
        };
        assert_eq!(reasons, [Some(reason), None, None]);
    }

    #[test]
    fn a_recorded_remove_reads_as_a_delete() {
        let header = Header::new(SourceKind::DynamodbStreams, "arn:s");
        let mut writer = RecordingWriter::new(Vec::new(), &header).unwrap();
        for (sequence, event_name) in [("1", "INSERT"), ("2", "REMOVE"), ("3", "MODIFY")] {
            let mut origin = Origin::new(SourceKind::DynamodbStreams, "arn:s", "s", sequence);
            origin.event_name = Some(event_name.to_owned());
            writer.write(&origin, b"{}").unwrap();
        }
        let bytes = writer.finish().unwrap();
        let reader = RecordingReader::new("r.jsonl", std::io::Cursor::new(bytes)).unwrap();
        let changes: Vec<Change> = reader.map(|r| r.unwrap().origin.change).collect();
        assert_eq!(changes, [Change::Upsert, Change::Delete, Change::Upsert]);
    }

    #[test]
    fn bad_lines_are_errors_with_file_line_and_column() {
        let text = "{\"tributary_recording\":1,\"source\":\"kinesis\",\"stream\":\"s\"}\n\
                    {\"shard\":\"a\",\"sequence\":\"1\",\"arrival_ms\":1,\"data\":{}}\n\
                    {\"shard\":\"a\",\"sequence\":\"2\",\"arival_ms\":1,\"data\":{}}\n";
        let mut reader = RecordingReader::new("r.jsonl", std::io::Cursor::new(text)).unwrap();
        assert!(reader.next_record().unwrap().is_ok());
        let error = reader.next_record().unwrap().unwrap_err().to_string();
        assert!(error.starts_with("r.jsonl:3:"), "{error}");
        assert!(error.contains("unknown field `arival_ms`"), "{error}");
    }

    #[test]
    fn a_bad_line_is_an_error_for_that_line_alone_and_reading_goes_on() {
        let mut text = b"{\"tributary_recording\":1,\"source\":\"kinesis\",\"stream\":\"s\"}\n\
            {\"shard\":\"a\",\"sequence\":\"1\",\"arrival_ms\":1,\"data\":{}}\n\
            not json\n\
            {\"shard\":\"a\",\"sequence\":\"2\",\"arival_ms\":1,\"data\":{}}\n\
            {\"shard\":\"b\",\"sequence\":\"3\",\"arrival_ms\":1,\"data_base64\":\"!!\"}\n\
            \n\
            {\"shard\":\"b\",\"sequence\":\"4\",\"arrival_ms\":1,\"data\":\"caf"
            .to_vec();
        text.extend_from_slice(b"\xe9\"}\n");
        text.extend_from_slice(
            b"{\"shard\":\"a\",\"sequence\":\"5\",\"arrival_ms\":1,\"data\":{}}\n",
        );
        text.extend_from_slice(b"{\"shard\":\"a\",\"sequence\":\"6\",\"arr");
        let mut reader = RecordingReader::new("r.jsonl", std::io::Cursor::new(text)).unwrap();
        let mut seen = Vec::new();
        while let Some(next) = reader.next_record() {
            match next {
                Ok(record) => seen.push(format!("record {}", record.origin.sequence)),
                Err(error) => {
                    assert!(error.is_bad_line(), "{error}");
                    let record = reader.bad_line_record(&error);
                    let reason = record.error.as_ref().unwrap().to_string();
                    assert!(reason.contains(&error.to_string()), "{reason}");
                    seen.push(format!(
                        "{} as {}/{}",
                        error.to_string().split(": ").next().unwrap(),
                        record.origin.shard,
                        record.origin.sequence
                    ));
                }
            }
        }
        assert_eq!(
            seen,
            [
                "record 1",
                "r.jsonl:3:2 as unreadable-lines/line 3",
                "r.jsonl:4:29 as a/2",
                "r.jsonl:5:1 as b/3",
                "r.jsonl:7:55 as b/4",
                "record 5",
                "r.jsonl:9:32 as unreadable-lines/line 9",
            ]
        );
        assert_eq!(reader.lines_read(), 9, "every line read");
    }

    #[test]
    fn a_line_that_is_not_utf8_names_its_line_and_column() {
        let mut text =
            b"{\"tributary_recording\":1,\"source\":\"kinesis\",\"stream\":\"s\"}\n".to_vec();
        text.extend_from_slice(
            b"{\"shard\":\"a\",\"sequence\":\"1\",\"arrival_ms\":1,\"data\":\"\xff\"}\n",
        );
        let mut reader = RecordingReader::new("r.jsonl", std::io::Cursor::new(text)).unwrap();
        let error = reader.next_record().unwrap().unwrap_err().to_string();
        assert!(
            error.starts_with(
                "r.jsonl:2:52: the line is not UTF-8 text (an invalid byte at column 52)"
            ),
            "{error}"
        );
        assert!(reader.next_record().is_none());
    }

    /// A gzip recording of a header and `records` record lines.
    fn gzip_recording(records: usize) -> Vec<u8> {
        use std::io::Write as _;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        writeln!(
            gz,
            "{{\"tributary_recording\":1,\"source\":\"kinesis\",\"stream\":\"s\"}}"
        )
        .unwrap();
        for i in 0..records {
            writeln!(
                gz,
                "{{\"shard\":\"a\",\"sequence\":\"{i}\",\"arrival_ms\":{i},\"data\":{{\"n\":{i},\"text\":\"{}\"}}}}",
                i.wrapping_mul(2_654_435_761) % 1_000_003
            )
            .unwrap();
        }
        gz.finish().unwrap()
    }

    #[test]
    fn a_gzip_recording_cut_short_stops_at_the_line_it_cannot_read() {
        let gz = gzip_recording(5000);
        let cut = gz[..gz.len() * 2 / 3].to_vec();
        let reader = flate2::read::MultiGzDecoder::new(std::io::Cursor::new(cut));
        let mut reader = RecordingReader::new("r.jsonl.gz", reader).unwrap();
        let mut records = 0;
        let error = loop {
            match reader.next_record() {
                Some(Ok(_)) => records += 1,
                Some(Err(error)) if error.is_bad_line() => {}
                Some(Err(error)) => break error,
                None => panic!("a gzip stream cut short is an error, not the end"),
            }
        };
        assert!(records > 1000 && records < 5000, "{records}");
        let text = error.to_string();
        assert!(!error.is_bad_line());
        let line = reader.lines_read() + 1;
        assert!(
            text.starts_with(&format!(
                "r.jsonl.gz:{line}: cannot read the recording from this line on"
            )),
            "{text}"
        );
        assert!(reader.next_record().is_none(), "nothing is read after it");
    }

    #[test]
    fn a_damaged_gzip_recording_is_an_error_at_a_line_never_a_panic() {
        let mut gz = gzip_recording(5000);
        let middle = gz.len() / 2;
        for byte in &mut gz[middle..middle + 64] {
            *byte = !*byte;
        }
        let reader = flate2::read::MultiGzDecoder::new(std::io::Cursor::new(gz));
        let mut reader = RecordingReader::new("r.jsonl.gz", reader).unwrap();
        let mut errors = Vec::new();
        while let Some(next) = reader.next_record() {
            if let Err(error) = next {
                errors.push(error.to_string());
            }
        }
        assert!(!errors.is_empty());
        assert!(
            errors.iter().all(|e| e.starts_with("r.jsonl.gz:")),
            "{errors:?}"
        );
    }

    #[test]
    fn rejects_other_format_versions_and_missing_headers() {
        let error = RecordingReader::new(
            "r",
            std::io::Cursor::new(
                "{\"tributary_recording\":2,\"source\":\"kinesis\",\"stream\":\"s\"}\n",
            ),
        )
        .err()
        .unwrap();
        assert!(
            error.to_string().contains("version 2 is not supported"),
            "{error}"
        );
        let error = RecordingReader::new("r", std::io::Cursor::new("{\"shard\":\"a\"}\n"))
            .err()
            .unwrap();
        assert!(error.to_string().starts_with("r:1:"), "{error}");
    }
}
