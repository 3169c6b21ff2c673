//! What one S3 object or local file holds, whatever its name: its bytes are
//! gunzipped when they start with gzip's magic number (an `s3` sink's
//! `.jsonl.gz`, or a key without an extension), then read as dead letters
//! when the first line is a tributary recording header, and otherwise as
//! Lambda on-failure records: one JSON document (an S3 destination's
//! object, a captured message), or JSON Lines of them.

use std::io::Read as _;

use super::dead_letters::{self, DeadLetters};
use super::on_failure::{self, NotOnFailure, OnFailureRecord};

/// gzip's magic number, the first two bytes of every gzip stream.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// An object's or a file's contents.
#[derive(Debug)]
pub(super) enum Contents {
    /// A recording: dead letters (or an archive).
    DeadLetters(DeadLetters),
    /// On-failure records, each read or why not, in the file's order.
    OnFailure(Vec<Result<OnFailureRecord, NotOnFailure>>),
}

/// Reads the bytes of `name`; an error (not gzip it claims to be, not
/// UTF-8, not a recording it claims to be) says what is wrong with the
/// whole of it.
pub(super) fn read(name: &str, bytes: Vec<u8>) -> Result<Contents, String> {
    let bytes = if bytes.starts_with(&GZIP_MAGIC) {
        let mut plain = Vec::with_capacity(bytes.len());
        flate2::read::MultiGzDecoder::new(&bytes[..])
            .read_to_end(&mut plain)
            .map_err(|error| {
                format!(
                    "{name}: cannot gunzip it ({error}): it is cut short or damaged, and nothing \
                     was read from it; copy it again, or gunzip what can be read and redrive that file"
                )
            })?;
        plain
    } else {
        bytes
    };
    let first_line = bytes
        .split(|&b| b == b'\n')
        .find(|line| !line.trim_ascii().is_empty());
    let is_recording =
        first_line.is_some_and(|line| contains_bytes(line, br#""tributary_recording""#));
    if is_recording {
        return dead_letters::read(name, bytes).map(Contents::DeadLetters);
    }
    let text = String::from_utf8(bytes).map_err(|error| {
        format!(
            "{name}: not UTF-8 text (an invalid byte at offset {}): neither a recording nor \
             on-failure records",
            error.utf8_error().valid_up_to()
        )
    })?;
    if text.trim().is_empty() {
        // Nothing to redrive, and nothing lost.
        return Ok(Contents::OnFailure(Vec::new()));
    }
    Ok(Contents::OnFailure(on_failure_records(&text)))
}

fn contains_bytes(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

/// The on-failure records of a text: one document, or one a line. A text
/// that does not read as one document is JSON Lines when its first line is
/// a JSON document alone; each line is then read on its own, and its
/// errors are at its own line.
fn on_failure_records(text: &str) -> Vec<Result<OnFailureRecord, NotOnFailure>> {
    let whole = on_failure::parse(text);
    if whole.is_ok() || !is_json_lines(text) {
        return vec![whole];
    }
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(index, line)| {
            on_failure::parse(line).map_err(|mut error| {
                error.line += index;
                error
            })
        })
        .collect()
}

fn is_json_lines(text: &str) -> bool {
    let mut lines = text.lines().filter(|line| !line.trim().is_empty());
    let first_alone = lines
        .next()
        .is_some_and(|line| serde_json::from_str::<serde::de::IgnoredAny>(line).is_ok());
    first_alone && lines.next().is_some()
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::*;

    const KINESIS_SQS: &str =
        include_str!("../../../tests/fixtures/on-failure/kinesis-sqs-body.json");
    const KINESIS_S3: &str =
        include_str!("../../../tests/fixtures/on-failure/kinesis-s3-object.json");

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(bytes).unwrap();
        gz.finish().unwrap()
    }

    fn on_failure(contents: Contents) -> Vec<Result<OnFailureRecord, NotOnFailure>> {
        match contents {
            Contents::OnFailure(records) => records,
            Contents::DeadLetters(letters) => panic!("not dead letters: {letters:?}"),
        }
    }

    #[test]
    fn a_pretty_printed_document_is_one_record_gzip_or_not() {
        for bytes in [KINESIS_S3.as_bytes().to_vec(), gzip(KINESIS_S3.as_bytes())] {
            let records = on_failure(read("k", bytes).unwrap());
            assert_eq!(records.len(), 1);
            assert!(records[0].as_ref().unwrap().payload.is_some());
        }
    }

    #[test]
    fn json_lines_are_a_record_a_line_each_error_at_its_own_line() {
        let compact =
            serde_json::to_string(&serde_json::from_str::<serde_json::Value>(KINESIS_SQS).unwrap())
                .unwrap();
        let text = format!("{compact}\n\n{{\"Records\":[]}}\n{compact}\n");
        let records = on_failure(read("messages.jsonl", text.into_bytes()).unwrap());
        assert_eq!(records.len(), 3);
        assert!(records[0].is_ok() && records[2].is_ok());
        let error = records[1].as_ref().unwrap_err();
        assert_eq!(error.line, 3, "{error}");
    }

    #[test]
    fn a_recording_is_read_as_dead_letters_whatever_its_name_and_compression() {
        let text = "{\"tributary_recording\":1,\"source\":\"kinesis\",\"stream\":\"s\"}\n\
                    {\"shard\":\"a\",\"sequence\":\"1\",\"arrival_ms\":1,\"data\":{},\"error\":{\"stage\":\"x\",\"message\":\"y\"}}\n";
        for bytes in [text.as_bytes().to_vec(), gzip(text.as_bytes())] {
            match read("raw/key-without-extension", bytes).unwrap() {
                Contents::DeadLetters(letters) => assert_eq!(letters.letters.len(), 1),
                other => panic!("dead letters, not {other:?}"),
            }
        }
    }

    #[test]
    fn an_empty_object_holds_nothing_and_is_no_error() {
        for bytes in [Vec::new(), b"\n \n".to_vec(), gzip(b"")] {
            assert!(on_failure(read("k", bytes).unwrap()).is_empty());
        }
    }

    #[test]
    fn damaged_gzip_and_binary_bytes_are_errors_naming_the_object() {
        let mut cut = gzip(KINESIS_S3.as_bytes());
        cut.truncate(cut.len() / 2);
        let error = read("s3://b/k.gz", cut).unwrap_err();
        assert!(
            error.starts_with("s3://b/k.gz: cannot gunzip it"),
            "{error}"
        );
        let error = read("s3://b/k", vec![b'{', 0xff, b'}']).unwrap_err();
        assert!(
            error.starts_with("s3://b/k: not UTF-8 text (an invalid byte at offset 1)"),
            "{error}"
        );
    }
}
