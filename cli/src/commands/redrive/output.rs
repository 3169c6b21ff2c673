//! The recording redrive writes: one stream's records, in stream order per
//! shard, each once, with their original bytes and without the dead
//! letters' `error` objects (the reasons were for the failed run; the
//! summary counts them by stage), so `replay` and `replay --to-kinesis`
//! take it as any recording.

use std::cmp::Ordering;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::sync::Arc;

use tributary_connectors::recording::{Header, RecordingWriter};
use tributary_core::{SourceKind, compare_sequence_numbers};

use super::collect::{Found, Input};

/// Where the recording goes: `--output FILE`, `-` for standard output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Destination {
    Stdout,
    /// A file; gzip-compressed when its name ends in `.gz`.
    File(PathBuf),
}

impl Destination {
    pub(super) fn new(output: &str) -> Destination {
        match output {
            "-" => Destination::Stdout,
            path => Destination::File(PathBuf::from(path)),
        }
    }

    /// Its name in messages.
    pub(super) fn name(&self) -> String {
        match self {
            Destination::Stdout => "standard output".to_owned(),
            Destination::File(path) => path.display().to_string(),
        }
    }
}

/// The source and stream of every record found, when they all agree;
/// `None` when there are none. A recording holds one stream: records of
/// two are an error naming both, and where each came from.
pub(super) fn agreed_stream(
    found: &[Found],
    inputs: &[Input],
) -> Result<Option<(SourceKind, Arc<str>)>, String> {
    let Some(first) = found.first() else {
        return Ok(None);
    };
    let other = found.iter().find(|record| {
        record.origin.source != first.origin.source || record.origin.stream != first.origin.stream
    });
    let from = |record: &Found| {
        inputs
            .get(record.input)
            .map_or("?", |input| &input.name)
            .to_owned()
    };
    match other {
        None => Ok(Some((first.origin.source, first.origin.stream.clone()))),
        Some(other) => Err(format!(
            "the records come from two streams: {} {} (in {}) and {} {} (in {}); a recording \
             holds one stream: redrive each on its own (a narrower prefix, one queue or \
             one file at a time)",
            first.origin.source,
            first.origin.stream,
            from(first),
            other.origin.source,
            other.origin.stream,
            from(other),
        )),
    }
}

/// `records` in stream order per shard (shards by name; sequence numbers as
/// numbers; a KPL aggregate's user records by sub-sequence number), each
/// record once: of two with the same shard, sequence and sub-sequence (one
/// batch dead-lettered by two invocations, an on-failure record and a dead
/// letter of the same record), the first found is kept. Gives how many were
/// dropped, and says when two of them differ in their bytes.
pub(super) fn in_stream_order(
    mut records: Vec<Found>,
    inputs: &[Input],
    warn: &mut dyn FnMut(String),
) -> (Vec<Found>, usize) {
    records.sort_by(stream_order);
    let mut kept: Vec<Found> = Vec::with_capacity(records.len());
    let mut duplicates = 0;
    for record in records {
        if let Some(previous) = kept.last()
            && stream_order(previous, &record) == Ordering::Equal
        {
            duplicates += 1;
            if previous.data != record.data {
                let name = |found: &Found| {
                    inputs
                        .get(found.input)
                        .map_or("?", |input| &input.name)
                        .to_owned()
                };
                warn(format!(
                    "{} is twice, with different bytes: in {} and in {}; the first is redriven",
                    record.origin,
                    name(previous),
                    name(&record)
                ));
            }
            continue;
        }
        kept.push(record);
    }
    (kept, duplicates)
}

fn stream_order(a: &Found, b: &Found) -> Ordering {
    a.origin
        .shard
        .cmp(&b.origin.shard)
        .then_with(|| compare_sequence_numbers(&a.origin.sequence, &b.origin.sequence))
        .then_with(|| a.origin.sub_sequence.cmp(&b.origin.sub_sequence))
}

/// Writes the recording: `header`, then the records.
pub(super) fn write(
    destination: &Destination,
    header: &Header,
    records: &[Found],
) -> io::Result<()> {
    let out = match destination {
        Destination::Stdout => Output::Stdout(io::stdout().lock()),
        Destination::File(path) => {
            let file = BufWriter::new(File::create(path)?);
            if path.extension().is_some_and(|e| e == "gz") {
                Output::Gzip(Box::new(flate2::write::GzEncoder::new(
                    file,
                    flate2::Compression::default(),
                )))
            } else {
                Output::Plain(file)
            }
        }
    };
    let mut writer = RecordingWriter::new(out, header)?;
    for record in records {
        writer.write(&record.origin, &record.data)?;
    }
    writer.finish()?.close()
}

/// A recording's bytes on their way out; closing finishes a gzip stream
/// and reports what the last writes did.
enum Output {
    Stdout(io::StdoutLock<'static>),
    Plain(BufWriter<File>),
    Gzip(Box<flate2::write::GzEncoder<BufWriter<File>>>),
}

impl Output {
    fn close(self) -> io::Result<()> {
        match self {
            Output::Stdout(mut out) => out.flush(),
            Output::Plain(file) => file.into_inner().map_err(|e| e.into_error())?.sync_all(),
            Output::Gzip(gzip) => gzip
                .finish()?
                .into_inner()
                .map_err(|e| e.into_error())?
                .sync_all(),
        }
    }
}

impl Write for Output {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        match self {
            Output::Stdout(out) => out.write(bytes),
            Output::Plain(file) => file.write(bytes),
            Output::Gzip(gzip) => gzip.write(bytes),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Output::Stdout(out) => out.flush(),
            Output::Plain(file) => file.flush(),
            Output::Gzip(gzip) => gzip.flush(),
        }
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use tributary_connectors::recording::RecordingReader;
    use tributary_core::Origin;

    use super::super::collect::InputKind;
    use super::*;

    fn inputs() -> Vec<Input> {
        ["s3://b/one", "s3://b/two"]
            .into_iter()
            .map(|name| Input {
                kind: InputKind::S3Object,
                name: Arc::from(name),
                problems: 0,
            })
            .collect()
    }

    fn found(shard: &str, sequence: &str, sub: Option<u64>, data: &str, input: usize) -> Found {
        let mut origin = Origin::new(SourceKind::Kinesis, "arn:s", shard, sequence);
        origin.sub_sequence = sub;
        Found {
            origin,
            data: Bytes::copy_from_slice(data.as_bytes()),
            stage: None,
            input,
        }
    }

    fn keys(records: &[Found]) -> Vec<String> {
        records
            .iter()
            .map(|r| {
                let sub = r
                    .origin
                    .sub_sequence
                    .map_or(String::new(), |s| format!(".{s}"));
                format!("{}/{}{sub}", r.origin.shard, r.origin.sequence)
            })
            .collect()
    }

    #[test]
    fn records_come_out_in_stream_order_per_shard_each_once() {
        let records = vec![
            found("shard-1", "100", None, "{}", 0),
            found("shard-0", "99", None, "{}", 0),
            found("shard-1", "20", Some(1), "{}", 1),
            found("shard-1", "20", Some(0), "{}", 1),
            found("shard-1", "100", None, "{}", 1),
            found("shard-1", "9", None, "{}", 1),
        ];
        let mut warnings = Vec::new();
        let (kept, duplicates) = in_stream_order(records, &inputs(), &mut |w| warnings.push(w));
        assert_eq!(
            keys(&kept),
            [
                "shard-0/99",
                "shard-1/9",
                "shard-1/20.0",
                "shard-1/20.1",
                "shard-1/100"
            ]
        );
        assert_eq!(duplicates, 1);
        assert!(warnings.is_empty(), "the same bytes: {warnings:?}");
    }

    #[test]
    fn a_duplicate_with_other_bytes_keeps_the_first_and_says_so() {
        let records = vec![
            found("shard-1", "5", None, "first", 0),
            found("shard-1", "5", None, "second", 1),
        ];
        let mut warnings = Vec::new();
        let (kept, duplicates) = in_stream_order(records, &inputs(), &mut |w| warnings.push(w));
        assert_eq!((kept.len(), duplicates), (1, 1));
        assert_eq!(&kept[0].data[..], b"first");
        assert_eq!(
            warnings,
            [
                "shard shard-1, sequence 5 is twice, with different bytes: in s3://b/one and in s3://b/two; the first is redriven"
            ]
        );
    }

    #[test]
    fn records_of_two_streams_are_refused_naming_both() {
        let mut other = found("shard-0", "1", None, "{}", 1);
        other.origin.stream = Arc::from("arn:other");
        let records = vec![found("shard-0", "1", None, "{}", 0), other];
        let error = agreed_stream(&records, &inputs()).unwrap_err();
        assert!(
            error.starts_with("the records come from two streams: kinesis arn:s (in s3://b/one) and kinesis arn:other (in s3://b/two)"),
            "{error}"
        );
        assert_eq!(agreed_stream(&[], &inputs()), Ok(None));
        assert_eq!(
            agreed_stream(&records[..1], &inputs()),
            Ok(Some((SourceKind::Kinesis, Arc::from("arn:s"))))
        );
    }

    #[test]
    fn writes_a_recording_that_reads_back_byte_for_byte_gzip_or_not() {
        let dir = tempfile::tempdir().unwrap();
        let records = vec![
            found("shard-0", "1", None, r#"{"a":1}"#, 0),
            found("shard-0", "2", None, "not json", 0),
        ];
        let header = Header::new(SourceKind::Kinesis, "arn:s");
        for name in ["out.jsonl", "out.jsonl.gz"] {
            let path = dir.path().join(name);
            write(&Destination::File(path.clone()), &header, &records).unwrap();
            let read: Vec<Bytes> = RecordingReader::open(&path)
                .unwrap()
                .map(|r| r.unwrap().data)
                .collect();
            assert_eq!(read, [&br#"{"a":1}"#[..], b"not json"], "{name}");
        }
    }
}
