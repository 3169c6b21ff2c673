//! Dead letters an `s3` sink (or a `jsonl` dead-letter sink) wrote: a
//! recording whose record lines carry an `error` object, `{"stage",
//! "message"}`, beside the record's origin and original bytes
//! (docs/recording-format.md). The recording reader gives each record as it
//! was and its reason; the reason's stage is what `--stage` filters on.

use std::io::Cursor;

use tributary_connectors::recording::RecordingReader;
use tributary_connectors::sources::SourceRecord;

/// One record of a dead-letter file, and the stage that failed it.
#[derive(Debug)]
pub(super) struct Letter {
    /// The record, its data the bytes it had when it failed.
    pub(super) record: SourceRecord,
    /// The `error.stage`; `None` for a line without an error object (an
    /// archive rather than dead letters).
    pub(super) stage: Option<String>,
}

/// What a dead-letter file held. Its header's source and stream are in
/// each record's origin.
#[derive(Debug)]
pub(super) struct DeadLetters {
    /// Its records, in the file's order.
    pub(super) letters: Vec<Letter>,
    /// Each line that is not a record (at `name:line:column`), and where
    /// reading stopped if the file could not be read to its end.
    pub(super) problems: Vec<String>,
}

/// Reads a dead-letter recording, already gunzipped; `name` (an S3 URL, a
/// path) names it in errors. Only a file without a valid header is an error
/// as a whole; a bad line is one problem, and reading goes on.
pub(super) fn read(name: &str, bytes: Vec<u8>) -> Result<DeadLetters, String> {
    let mut reader =
        RecordingReader::new(name, Cursor::new(bytes)).map_err(|error| error.to_string())?;
    let mut letters = Vec::new();
    let mut problems = Vec::new();
    while let Some(next) = reader.next_record() {
        match next {
            Ok(record) => letters.push(Letter {
                stage: reader
                    .dead_letter_reason()
                    .map(|reason| reason.stage.clone()),
                record,
            }),
            Err(error) => problems.push(error.to_string()),
        }
    }
    Ok(DeadLetters { letters, problems })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LETTERS: &str = concat!(
        r#"{"tributary_recording":1,"source":"kinesis","stream":"arn:aws:kinesis:eu-west-1:123456789012:stream/clicks"}"#,
        "\n",
        r#"{"shard":"shardId-000000000000","sequence":"7","partition_key":"u-1","arrival_ms":1795860000000,"data":{"page":"/"},"error":{"stage":"search","message":"mapper_parsing_exception"}}"#,
        "\n",
        r#"{"shard":"shardId-000000000000","sequence":"8","partition_key":"u-2","arrival_ms":1795860000001,"data_base64":"3q2+7w==","error":{"stage":"source","message":"payload is not valid JSON"}}"#,
        "\n",
    );

    #[test]
    fn reads_each_letter_with_its_stage_and_original_bytes() {
        let read = read("s3://b/k", LETTERS.as_bytes().to_vec()).unwrap();
        let origin = &read.letters[0].record.origin;
        assert_eq!(
            (origin.source, &*origin.stream),
            (
                tributary_core::SourceKind::Kinesis,
                "arn:aws:kinesis:eu-west-1:123456789012:stream/clicks"
            )
        );
        let stages: Vec<Option<&str>> = read.letters.iter().map(|l| l.stage.as_deref()).collect();
        assert_eq!(stages, [Some("search"), Some("source")]);
        assert_eq!(&read.letters[0].record.data[..], br#"{"page":"/"}"#);
        assert_eq!(&read.letters[1].record.data[..], b"\xde\xad\xbe\xef");
        assert!(read.problems.is_empty());
    }

    #[test]
    fn a_bad_line_is_one_problem_at_its_line_and_the_rest_is_read() {
        let mut text = LETTERS.lines().collect::<Vec<_>>();
        text.insert(2, "{\"shard\":\"s\"");
        let read = read("s3://b/k", (text.join("\n") + "\n").into_bytes()).unwrap();
        assert_eq!(read.letters.len(), 2);
        let [problem] = &read.problems[..] else {
            panic!("one problem: {:?}", read.problems);
        };
        assert!(problem.starts_with("s3://b/k:3:"), "{problem}");
    }

    #[test]
    fn a_file_that_is_not_a_recording_is_an_error_naming_it() {
        let error = read("s3://b/k", b"{\"hello\":1}\n".to_vec()).unwrap_err();
        assert!(error.starts_with("s3://b/k:1:"), "{error}");
        assert!(error.contains("header"), "{error}");
    }
}
