//! Recordings: the reader must take any bytes without a panic, and what the
//! writer writes for any records must read back the same.
//!
//! The input is used twice:
//! - as a recording file, read to its end, plain and through gzip cut
//!   short: every line is a record or an error for that line alone, and a
//!   bad line still makes a failed record (`bad_line_record`); after a
//!   `Stopped` error nothing more is read;
//! - as the recipe (through `arbitrary`) for a header and up to eight
//!   records with any origin (shard, sequence, sub-sequence, partition key,
//!   item keys, event name, Time to Live mark, arrival time) and any data
//!   (bytes, text, or JSON with white space around it), written with
//!   `RecordingWriter` and read back: the same header, the same origins,
//!   the same bytes.
//!
//! Seeds: examples/*/recording.jsonl.
//!
//! cargo +nightly fuzz run --sanitizer none recordings /tmp/corpus/recordings fuzz/seeds/recordings -- -timeout=10

#![no_main]

use std::io::{Cursor, Write as _};

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};
use tributary::connectors::recording::{Header, RecordingError, RecordingReader, RecordingWriter};
use tributary::core::{Change, Origin, SourceKind};

fn read_to_end(input: impl std::io::Read + Send + 'static) {
    let Ok(mut reader) = RecordingReader::new("fuzz.jsonl", input) else {
        return;
    };
    while let Some(record) = reader.next_record() {
        match record {
            Ok(record) => assert!(record.error.is_none()),
            Err(error @ RecordingError::Invalid { .. }) => {
                let failed = reader.bad_line_record(&error);
                assert!(failed.error.is_some(), "a bad line makes a failed record");
            }
            Err(_) => {
                assert!(
                    reader.next_record().is_none(),
                    "nothing is read after the input stopped"
                );
                return;
            }
        }
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// Item keys as a DynamoDB source makes them: an object of scalars.
fn item_keys(u: &mut Unstructured<'_>) -> Result<Value> {
    let mut keys = Map::new();
    for _ in 0..u.int_in_range(0..=3)? {
        let value = match u.int_in_range(0..=2)? {
            0 => Value::from(u.arbitrary::<String>()?),
            1 => Value::from(u.arbitrary::<i64>()?),
            _ => Value::from(u.arbitrary::<bool>()?),
        };
        keys.insert(u.arbitrary()?, value);
    }
    Ok(Value::Object(keys))
}

fn payload(u: &mut Unstructured<'_>) -> Result<Vec<u8>> {
    Ok(match u.int_in_range(0..=2)? {
        0 => u.arbitrary::<Vec<u8>>()?,
        1 => u.arbitrary::<String>()?.into_bytes(),
        _ => {
            let value = match u.int_in_range(0..=2)? {
                0 => Value::from(u.arbitrary::<String>()?),
                1 => Value::from(u.arbitrary::<f64>()?),
                _ => item_keys(u)?,
            };
            let pad = if u.arbitrary()? { " " } else { "" };
            format!("{pad}{value}{pad}").into_bytes()
        }
    })
}

fn origin(u: &mut Unstructured<'_>, source: SourceKind, stream: &str) -> Result<Origin> {
    let mut origin = Origin::new(
        source,
        stream,
        u.arbitrary::<String>()?,
        u.arbitrary::<String>()?,
    );
    origin.sub_sequence = u.arbitrary()?;
    origin.partition_key = u.arbitrary()?;
    origin.item_keys = if u.arbitrary()? {
        Some(item_keys(u)?)
    } else {
        None
    };
    origin.event_name = u.arbitrary()?;
    origin.removed_by_ttl = u.arbitrary()?;
    origin.arrival_ms = u.arbitrary()?;
    // What the reader makes of the event name.
    origin.change = if origin.event_name.as_deref() == Some("REMOVE") {
        Change::Delete
    } else {
        Change::Upsert
    };
    Ok(origin)
}

fn round_trip(u: &mut Unstructured<'_>) -> Result<()> {
    let source = *u.choose(&[
        SourceKind::Kinesis,
        SourceKind::DynamodbStreams,
        SourceKind::Eventbridge,
    ])?;
    let header = Header::new(source, u.arbitrary::<String>()?);
    let mut records = Vec::new();
    for _ in 0..u.int_in_range(0..=8)? {
        records.push((origin(u, source, &header.stream)?, payload(u)?));
    }
    let mut writer = RecordingWriter::new(Vec::new(), &header).expect("writing to a Vec");
    for (origin, data) in &records {
        writer.write(origin, data).expect("writing to a Vec");
    }
    let written = writer.finish().expect("writing to a Vec");
    let reader =
        RecordingReader::new("fuzz.jsonl", Cursor::new(written)).expect("the header reads back");
    assert_eq!(reader.header(), &header);
    let read: Vec<_> = reader
        .map(|record| record.expect("a written line reads back"))
        .collect();
    assert_eq!(
        read.len(),
        records.len(),
        "every record reads back, and no more"
    );
    for ((origin, data), record) in records.iter().zip(&read) {
        assert_eq!(&record.origin, origin, "the origin reads back");
        assert_eq!(
            &record.data[..],
            &data[..],
            "the data reads back byte for byte"
        );
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    read_to_end(Cursor::new(data.to_vec()));
    let compressed = gzip(data);
    let cut = compressed[..compressed.len() * 3 / 4].to_vec();
    read_to_end(flate2::read::MultiGzDecoder::new(Cursor::new(cut)));
    let _ = round_trip(&mut Unstructured::new(data));
});
