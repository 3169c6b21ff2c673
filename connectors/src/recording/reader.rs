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

use crate::sources::SourceRecord;

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
    /// A line is not what the format says.
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
    #[serde(default, rename = "error")]
    _error: Option<serde::de::IgnoredAny>,
}

/// Reads a recording line by line; records are read as they are needed, so a
/// recording of any size replays in bounded memory.
pub struct RecordingReader {
    name: String,
    input: Box<dyn BufRead + Send>,
    header: Header,
    stream: Arc<str>,
    shards: HashMap<String, Arc<str>>,
    line: String,
    line_number: usize,
    bytes_read: u64,
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
        let mut line = String::new();
        let read = input
            .read_line(&mut line)
            .map_err(|source| RecordingError::Io {
                file: name.clone(),
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
        let header: Header = serde_json::from_str(&line)
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
        })
    }

    /// The recording's header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// How many bytes of the file have been read so far.
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read
    }

    /// Reads the next record; `None` at the end.
    pub fn next_record(&mut self) -> Option<Result<SourceRecord, RecordingError>> {
        loop {
            self.line.clear();
            let read = match self.input.read_line(&mut self.line) {
                Ok(read) => read,
                Err(source) => {
                    return Some(Err(RecordingError::Io {
                        file: self.name.clone(),
                        source,
                    }));
                }
            };
            if read == 0 {
                return None;
            }
            self.line_number += 1;
            self.bytes_read += read as u64;
            if !self.line.trim().is_empty() {
                return Some(self.parse_line());
            }
        }
    }

    fn parse_line(&mut self) -> Result<SourceRecord, RecordingError> {
        let invalid = |column, message: String| RecordingError::Invalid {
            file: self.name.clone(),
            line: self.line_number,
            column,
            message,
            hint: "each record line needs `shard`, `sequence`, `arrival_ms`, and `data` or `data_base64` (see docs/recording-format.md)",
        };
        let line: Line<'_> =
            serde_json::from_str(&self.line).map_err(|e| invalid(e.column(), e.to_string()))?;
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
        origin.removed_by_ttl = line.removed_by_ttl;
        origin.arrival_ms = line.arrival_ms;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recording::RecordingWriter;
    use tributary_core::SourceKind;

    fn origin(shard: &str, sequence: &str) -> Origin {
        let mut origin = Origin::new(SourceKind::Kinesis, "arn:s", shard, sequence);
        origin.partition_key = Some("user-1".into());
        origin.arrival_ms = 1_732_700_000_123;
        origin
    }

    #[test]
    fn round_trips_every_record_byte_for_byte() {
        let payloads: [&[u8]; 6] = [
            br#"{"page":"/","n":1.50}"#,
            b"{\n\"multi\": \"line\"}",
            b" {\"padded\":true}",
            b"\xde\xad\xbe\xef",
            b"plain text",
            b"",
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
