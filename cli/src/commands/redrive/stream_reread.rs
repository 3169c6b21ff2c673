//! Reading a failed batch again from its stream, when its on-failure record
//! carries only the batch's range (an SQS or SNS destination): from
//! `GetShardIterator AT_SEQUENCE_NUMBER` the first sequence number through
//! the last, with the connectors' [`RangeReader`]. A range the stream no
//! longer holds whole (records expire after the retention period) gives
//! what it still has, and says what is missing.

use tributary_connectors::sources::{RangeEnd, RangeRead, RangeReader, SourceRecord};

use super::on_failure::OnFailureRecord;

/// What re-reading a batch gave.
#[derive(Debug)]
pub(super) struct Reread {
    /// The records read, in stream order.
    pub(super) records: Vec<SourceRecord>,
    /// What of the range is missing, when it could not be read whole.
    pub(super) missing: Option<String>,
    /// A difference worth saying that loses nothing (the batch counted
    /// fewer records than the range holds).
    pub(super) note: Option<String>,
}

/// Reads the batch `failed` names again with `reader`; an error when the
/// stream cannot be read at all.
pub(super) async fn reread(
    reader: &mut RangeReader,
    failed: &OnFailureRecord,
) -> Result<Reread, String> {
    let range = &failed.range;
    let mut records = Vec::new();
    let read = reader
        .read(failed.kind, range, &mut |record| records.push(record))
        .await
        .map_err(|error| {
            format!(
                "cannot re-read shard {} of {} from {} to {}: {error}; check the stream still \
                 exists, --region and --endpoint-url, and the credentials' permission to read it",
                range.shard, range.stream, range.first, range.last
            )
        })?;
    let missing = missing(failed, &read);
    let note = batch_size_note(failed, &records).filter(|_| missing.is_none());
    Ok(Reread {
        records,
        missing,
        note,
    })
}

/// What of the range the read did not find, if anything.
fn missing(failed: &OnFailureRecord, read: &RangeRead) -> Option<String> {
    let range = &failed.range;
    if read.is_whole(range) {
        return None;
    }
    let mut gaps = Vec::new();
    match read.first_read.as_deref() {
        None => gaps.push("none of its records is in the stream any more".to_owned()),
        Some(first) if first != range.first => gaps.push(format!(
            "its records before {first} are not in the stream any more (it starts at {})",
            range.first
        )),
        Some(_) => {}
    }
    if read.first_read.is_some() {
        gaps.push(match read.end {
            RangeEnd::ReadLast => String::new(),
            RangeEnd::PassedLast => format!("its last record, {}, is not in the shard", range.last),
            RangeEnd::ShardClosed => {
                format!("the shard ended before its last record, {}", range.last)
            }
            RangeEnd::NothingMore => format!(
                "the shard had nothing more before its last record, {}",
                range.last
            ),
        });
    }
    gaps.retain(|gap| !gap.is_empty());
    Some(format!(
        "re-read {} record(s) of shard {} of {}, but {}: records expire after the stream's \
         retention period (24 hours by default); the records read are redriven, the rest cannot be",
        read.records,
        range.shard,
        range.stream,
        gaps.join(", and ")
    ))
}

/// Says when the range holds more stream records than the batch had: a
/// mapping with filter criteria leaves records out of its batches, and the
/// on-failure record counts only those. Every record of the range is
/// redriven; the pipeline's own filter decides again.
fn batch_size_note(failed: &OnFailureRecord, records: &[SourceRecord]) -> Option<String> {
    let batch_size = failed.batch_size?;
    let mut sequences: Vec<&str> = records.iter().map(|r| r.origin.sequence.as_str()).collect();
    sequences.dedup();
    let read = sequences.len() as u64;
    (read != batch_size).then(|| {
        format!(
            "the batch had {batch_size} record(s), and the stream holds {read} from its first to \
             its last sequence number (a mapping's filter criteria leave records out of batches); \
             all {read} are redriven"
        )
    })
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use tributary_connectors::sources::SequenceRange;
    use tributary_core::{Origin, SourceKind};

    use super::*;

    fn failed(batch_size: Option<u64>) -> OnFailureRecord {
        OnFailureRecord {
            kind: SourceKind::Kinesis,
            range: SequenceRange {
                stream: "arn:s".to_owned(),
                shard: "shardId-1".to_owned(),
                first: "10".to_owned(),
                last: "20".to_owned(),
            },
            batch_size,
            payload: None,
        }
    }

    fn records(sequences: &[&str]) -> Vec<SourceRecord> {
        sequences
            .iter()
            .map(|s| {
                SourceRecord::new(
                    Origin::new(SourceKind::Kinesis, "arn:s", "shardId-1", *s),
                    Bytes::new(),
                )
            })
            .collect()
    }

    fn read(first: Option<&str>, end: RangeEnd) -> RangeRead {
        RangeRead {
            records: 2,
            first_read: first.map(str::to_owned),
            end,
        }
    }

    #[test]
    fn a_whole_range_misses_nothing() {
        assert_eq!(
            missing(&failed(None), &read(Some("10"), RangeEnd::ReadLast)),
            None
        );
    }

    #[test]
    fn what_is_missing_is_said_at_each_end() {
        let message = missing(&failed(None), &read(Some("12"), RangeEnd::ShardClosed)).unwrap();
        assert!(
            message.starts_with(
                "re-read 2 record(s) of shard shardId-1 of arn:s, but its records before 12"
            ),
            "{message}"
        );
        assert!(
            message.contains("and the shard ended before its last record, 20"),
            "{message}"
        );
        let message = missing(&failed(None), &read(None, RangeEnd::NothingMore)).unwrap();
        assert!(
            message.contains("none of its records is in the stream any more: records expire"),
            "{message}"
        );
    }

    #[test]
    fn a_batch_smaller_than_its_range_is_a_note_counting_aggregates_once() {
        let note = batch_size_note(&failed(Some(2)), &records(&["10", "15", "15", "20"])).unwrap();
        assert!(
            note.starts_with("the batch had 2 record(s), and the stream holds 3"),
            "{note}"
        );
        assert_eq!(
            batch_size_note(&failed(Some(3)), &records(&["10", "15", "15", "20"])),
            None
        );
        assert_eq!(batch_size_note(&failed(None), &records(&["10"])), None);
    }
}
