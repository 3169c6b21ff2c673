//! Whether a recording is of the source a pipeline reads: its header's
//! `source`, and records shaped as that source's (a DynamoDB Streams change
//! carries its keys and event name; a Kinesis or EventBridge record carries
//! neither). Replaying records of one source through a pipeline of another
//! would run them with the wrong semantics without a word, so `replay` and
//! `test` refuse them.

use tributary_core::SourceKind;

use super::RecordingReader;
use crate::sources::SourceRecord;

/// A recording that is not of the source a pipeline reads.
#[derive(Debug, thiserror::Error)]
pub enum SourceMismatch {
    /// The header names another source.
    #[error(
        "`{file}` is a {found} recording (its header says \"source\":\"{found}\"), but the pipeline's [source] is {expected}: it needs a {expected} recording (see docs/recording-format.md)"
    )]
    Header {
        /// The recording.
        file: String,
        /// The source its header names.
        found: SourceKind,
        /// The pipeline's source.
        expected: SourceKind,
    },
    /// A DynamoDB Streams record without a field every change has.
    #[error(
        "{file}:{line}: a dynamodb_streams record without `{field}`: every change of a DynamoDB stream has `keys` and `event_name` (`tributary record --table` writes both; see docs/recording-format.md)"
    )]
    Missing {
        /// The recording.
        file: String,
        /// The record's line, counting from 1.
        line: usize,
        /// The field it lacks.
        field: &'static str,
    },
    /// A record of another source with a field only DynamoDB Streams
    /// changes have.
    #[error(
        "{file}:{line}: the recording is {expected} but this record has `{field}`, which only dynamodb_streams records have: are these DynamoDB changes under a {expected} header?"
    )]
    Foreign {
        /// The recording.
        file: String,
        /// The record's line, counting from 1.
        line: usize,
        /// The field it should not have.
        field: &'static str,
        /// The recording's (and pipeline's) source.
        expected: SourceKind,
    },
}

/// Reads the whole recording and checks it is of the `expected` source:
/// its header, then every record. Lines that are not records, and a file
/// that cannot be read to its end, are left for the replay to report: they
/// say nothing of the source.
pub fn check_source(
    mut reader: RecordingReader,
    expected: SourceKind,
) -> Result<(), SourceMismatch> {
    let found = reader.header().source;
    if found != expected {
        return Err(SourceMismatch::Header {
            file: reader.name().to_owned(),
            found,
            expected,
        });
    }
    while let Some(record) = reader.next_record() {
        let Ok(record) = record else { continue };
        // A letter that failed reading is replayed to fail again, as it did.
        if reader
            .dead_letter_reason()
            .is_some_and(|reason| reason.stage == "source")
        {
            continue;
        }
        check_record(&record, expected).map_err(|(field, missing)| {
            let (file, line) = (reader.name().to_owned(), reader.lines_read());
            if missing {
                SourceMismatch::Missing { file, line, field }
            } else {
                SourceMismatch::Foreign {
                    file,
                    line,
                    field,
                    expected,
                }
            }
        })?;
    }
    Ok(())
}

/// The field a record of `expected` lacks (`true`) or should not have
/// (`false`), if any.
fn check_record(record: &SourceRecord, expected: SourceKind) -> Result<(), (&'static str, bool)> {
    let origin = &record.origin;
    let fields = [
        ("keys", origin.item_keys.is_some()),
        ("event_name", origin.event_name.is_some()),
    ];
    for (field, present) in fields {
        match (expected, present) {
            (SourceKind::DynamodbStreams, false) => return Err((field, true)),
            (SourceKind::Kinesis | SourceKind::Eventbridge, true) => return Err((field, false)),
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader(text: &str) -> RecordingReader {
        RecordingReader::new("r.jsonl", std::io::Cursor::new(text.as_bytes().to_vec())).unwrap()
    }

    const KINESIS: &str = "{\"tributary_recording\":1,\"source\":\"kinesis\",\"stream\":\"s\"}\n\
        {\"shard\":\"a\",\"sequence\":\"1\",\"arrival_ms\":1,\"data\":{}}\n";

    #[test]
    fn a_header_of_another_source_is_refused_naming_both() {
        let error = check_source(reader(KINESIS), SourceKind::DynamodbStreams).unwrap_err();
        assert_eq!(
            error.to_string(),
            "`r.jsonl` is a kinesis recording (its header says \"source\":\"kinesis\"), but the pipeline's [source] is dynamodb_streams: it needs a dynamodb_streams recording (see docs/recording-format.md)"
        );
        check_source(reader(KINESIS), SourceKind::Kinesis).unwrap();
    }

    #[test]
    fn dynamodb_records_need_keys_and_event_names_and_others_have_neither() {
        let dynamodb = "{\"tributary_recording\":1,\"source\":\"dynamodb_streams\",\"stream\":\"s\"}\n\
            {\"shard\":\"a\",\"sequence\":\"1\",\"keys\":{\"pk\":\"k\"},\"event_name\":\"INSERT\",\"arrival_ms\":1,\"data\":{}}\n\
            {\"shard\":\"a\",\"sequence\":\"2\",\"keys\":{\"pk\":\"k\"},\"arrival_ms\":1,\"data\":{}}\n";
        let error = check_source(reader(dynamodb), SourceKind::DynamodbStreams).unwrap_err();
        assert!(
            matches!(
                error,
                SourceMismatch::Missing {
                    line: 3,
                    field: "event_name",
                    ..
                }
            ),
            "{error}"
        );
        let eventbridge = "{\"tributary_recording\":1,\"source\":\"eventbridge\",\"stream\":\"b\"}\n\
            {\"shard\":\"b\",\"sequence\":\"1\",\"keys\":{\"pk\":\"k\"},\"arrival_ms\":1,\"data\":{}}\n";
        let error = check_source(reader(eventbridge), SourceKind::Eventbridge).unwrap_err();
        assert!(
            matches!(
                error,
                SourceMismatch::Foreign {
                    line: 2,
                    field: "keys",
                    ..
                }
            ),
            "{error}"
        );
    }
}
