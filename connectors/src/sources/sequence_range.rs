//! Re-reading one shard's records between two sequence numbers, both
//! included, as a Lambda on-failure record names a failed batch:
//! `GetShardIterator AT_SEQUENCE_NUMBER` the first, then GetRecords page by
//! page until past the last. The loop is here, once; each stream's two calls
//! are in its source's `range.rs` ([`ShardReads`]). Streams have gaps (an
//! empty page with records after it) and ends (a closed shard, nothing more
//! yet), and records expire: [`RangeRead`] says how much of the range was
//! found.

use std::cmp::Ordering;
use std::time::Duration;

use tributary_core::{SourceKind, compare_sequence_numbers};

use crate::sources::{AwsError, Endpoint, SourceRecord};

/// One shard's records from `first` to `last`, both included, as a Lambda
/// on-failure record names a failed batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SequenceRange {
    /// The stream's ARN.
    pub stream: String,
    /// The shard id.
    pub shard: String,
    /// The first record's sequence number.
    pub first: String,
    /// The last record's sequence number.
    pub last: String,
}

/// How re-reading a [`SequenceRange`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeEnd {
    /// The record at `last` was read: the range is whole at its end.
    ReadLast,
    /// A record after `last` came without `last` itself.
    PassedLast,
    /// The shard is closed and was read to its end before `last`.
    ShardClosed,
    /// The shard had nothing more to give before `last`: the stream said it
    /// was caught up, or [`MAX_EMPTY_PAGES`] pages in a row were empty.
    NothingMore,
}

/// What re-reading a [`SequenceRange`] read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RangeRead {
    /// Records given to the caller (user records, for KPL aggregates).
    pub records: u64,
    /// The sequence number of the first record read, if any: the range is
    /// whole at its start when it is the range's `first`.
    pub first_read: Option<String>,
    /// How it ended.
    pub end: RangeEnd,
}

impl RangeRead {
    /// Whether every record of the range was read: from `first` through
    /// `last`, with nothing missing at either end.
    pub fn is_whole(&self, range: &SequenceRange) -> bool {
        self.end == RangeEnd::ReadLast && self.first_read.as_deref() == Some(range.first.as_str())
    }
}

/// How many empty pages in a row end a re-read that the stream does not
/// say is caught up. Streams have gaps (a page can be empty with records
/// after it), so one empty page is not the end.
pub const MAX_EMPTY_PAGES: u32 = 10;

/// One GetRecords answer, in the records a recording holds.
pub(crate) struct ShardPage {
    /// The page's records, in stream order.
    pub(crate) records: Vec<SourceRecord>,
    /// The iterator for the next page; `None` when the shard is closed and
    /// read to its end.
    pub(crate) next: Option<String>,
    /// Whether the stream says nothing newer is there now (Kinesis:
    /// `MillisBehindLatest` 0). DynamoDB Streams never says.
    pub(crate) caught_up: bool,
}

/// The two calls re-reading a range makes to a stream's API, which each
/// source's `range.rs` makes with its SDK. Errors are the SDK's, as text:
/// [`read_range`] says what was being done.
pub(crate) trait ShardReads {
    /// `GetShardIterator AT_SEQUENCE_NUMBER` the range's first; `None` when
    /// the API gives no iterator.
    async fn open(&self, range: &SequenceRange) -> Result<Option<String>, String>;
    /// `GetRecords` at `iterator`, on the range's shard.
    async fn page(&self, range: &SequenceRange, iterator: String) -> Result<ShardPage, String>;
}

/// Reads `range` page by page from `AT_SEQUENCE_NUMBER` its first, giving
/// each record up to its last to `write`, and stops once past the last, at
/// the end of a closed shard, or when the shard has nothing more
/// ([`RangeEnd`]).
pub(crate) async fn read_range(
    reads: &impl ShardReads,
    range: &SequenceRange,
    write: &mut dyn FnMut(SourceRecord),
) -> Result<RangeRead, AwsError> {
    let opening = || {
        format!(
            "opening shard {} of {} at sequence number {}",
            range.shard, range.stream, range.first
        )
    };
    let mut iterator = reads
        .open(range)
        .await
        .map_err(|error| AwsError::new(opening(), error))?
        .ok_or_else(|| AwsError::new(opening(), "the stream gave no shard iterator"))?;
    let mut read = RangeRead {
        records: 0,
        first_read: None,
        end: RangeEnd::NothingMore,
    };
    let mut empty_pages = 0;
    loop {
        let answer = reads.page(range, iterator).await.map_err(|error| {
            AwsError::new(
                format!("reading shard {} of {}", range.shard, range.stream),
                error,
            )
        })?;
        let was_empty = answer.records.is_empty();
        let mut read_last = false;
        for record in answer.records {
            let sequence = &record.origin.sequence;
            if compare_sequence_numbers(sequence, &range.first) == Ordering::Less {
                continue;
            }
            match compare_sequence_numbers(sequence, &range.last) {
                Ordering::Greater => {
                    read.end = if read_last {
                        RangeEnd::ReadLast
                    } else {
                        RangeEnd::PassedLast
                    };
                    return Ok(read);
                }
                Ordering::Equal => read_last = true,
                Ordering::Less => {}
            }
            read.first_read.get_or_insert_with(|| sequence.clone());
            read.records += 1;
            write(record);
        }
        if read_last {
            read.end = RangeEnd::ReadLast;
            return Ok(read);
        }
        let Some(next) = answer.next else {
            read.end = RangeEnd::ShardClosed;
            return Ok(read);
        };
        iterator = next;
        if !was_empty {
            empty_pages = 0;
            continue;
        }
        empty_pages += 1;
        if answer.caught_up || empty_pages >= MAX_EMPTY_PAGES {
            read.end = RangeEnd::NothingMore;
            return Ok(read);
        }
        // Stream APIs allow a few reads a second a shard: empty pages are
        // asked for gently.
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Re-reads ranges of Kinesis streams and DynamoDB tables' streams, each
/// SDK client made when first needed, with the default credential chain and
/// the endpoint's overrides.
pub struct RangeReader {
    endpoint: Endpoint,
    kinesis: Option<aws_sdk_kinesis::Client>,
    dynamodb: Option<aws_sdk_dynamodbstreams::Client>,
}

impl RangeReader {
    /// A reader for streams at `endpoint`.
    pub fn new(endpoint: Endpoint) -> Self {
        RangeReader {
            endpoint,
            kinesis: None,
            dynamodb: None,
        }
    }

    /// Gives each record of `range`, a shard of a stream of `kind`, to
    /// `write`, in stream order, as a recording holds it: a Kinesis KPL
    /// aggregate as its user records (as Lambda's decoding gives them), a
    /// DynamoDB change as `tributary record --table` records it.
    pub async fn read(
        &mut self,
        kind: SourceKind,
        range: &SequenceRange,
        write: &mut dyn FnMut(SourceRecord),
    ) -> Result<RangeRead, AwsError> {
        match kind {
            SourceKind::Kinesis => {
                if self.kinesis.is_none() {
                    let sdk = self.endpoint.sdk_config().await;
                    self.kinesis = Some(aws_sdk_kinesis::Client::new(&sdk));
                }
                let client = self.kinesis.as_ref().expect("made above");
                read_range(client, range, write).await
            }
            SourceKind::DynamodbStreams => {
                if self.dynamodb.is_none() {
                    let sdk = self.endpoint.sdk_config().await;
                    self.dynamodb = Some(aws_sdk_dynamodbstreams::Client::new(&sdk));
                }
                let client = self.dynamodb.as_ref().expect("made above");
                read_range(client, range, write).await
            }
            SourceKind::Eventbridge => Err(AwsError::new(
                format!("re-reading {}", range.stream),
                "an EventBridge bus has no shards to read again",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::{Cell, RefCell};
    use std::collections::VecDeque;

    use bytes::Bytes;
    use tributary_core::{Origin, SourceKind};

    use super::*;

    fn range(first: &str, last: &str) -> SequenceRange {
        SequenceRange {
            stream: "arn:s".to_owned(),
            shard: "shardId-0".to_owned(),
            first: first.to_owned(),
            last: last.to_owned(),
        }
    }

    fn page(sequences: &[&str], next: bool, caught_up: bool) -> ShardPage {
        let records = sequences
            .iter()
            .map(|sequence| {
                let origin = Origin::new(SourceKind::Kinesis, "arn:s", "shardId-0", *sequence);
                SourceRecord::new(origin, Bytes::from_static(b"{}"))
            })
            .collect();
        ShardPage {
            records,
            next: next.then(|| "next".to_owned()),
            caught_up,
        }
    }

    /// A stream API that answers with these pages, counting them.
    struct Pages {
        pages: RefCell<VecDeque<ShardPage>>,
        asked: Cell<usize>,
    }

    impl ShardReads for Pages {
        async fn open(&self, _: &SequenceRange) -> Result<Option<String>, String> {
            Ok(Some("first".to_owned()))
        }

        async fn page(&self, _: &SequenceRange, _: String) -> Result<ShardPage, String> {
            self.asked.set(self.asked.get() + 1);
            let next = self.pages.borrow_mut().pop_front();
            Ok(next.expect("no page is asked for after the end"))
        }
    }

    /// Reads `range` from these pages; gives what was read, the sequence
    /// numbers written, and how many pages were asked for.
    async fn read_pages(
        range: &SequenceRange,
        pages: Vec<ShardPage>,
    ) -> (RangeRead, Vec<String>, usize) {
        let pages = Pages {
            pages: RefCell::new(VecDeque::from(pages)),
            asked: Cell::new(0),
        };
        let mut written = Vec::new();
        let read = read_range(&pages, range, &mut |record| {
            written.push(record.origin.sequence)
        })
        .await
        .unwrap();
        (read, written, pages.asked.get())
    }

    #[tokio::test(start_paused = true)]
    async fn reads_from_the_first_through_the_last_and_stops_past_it() {
        let range = range("9", "11");
        let pages = vec![
            page(&["9", "10"], true, false),
            page(&[], true, false),
            page(&["11", "12", "13"], true, false),
        ];
        let (read, written, asked) = read_pages(&range, pages).await;
        assert_eq!(written, ["9", "10", "11"], "numerically, 9 < 10 < 11");
        assert_eq!(asked, 3, "an empty page in the middle is not the end");
        assert_eq!(read.end, RangeEnd::ReadLast);
        assert!(read.is_whole(&range));
    }

    #[tokio::test(start_paused = true)]
    async fn the_user_records_of_the_last_aggregate_are_all_read() {
        let range = range("1", "2");
        let pages = vec![page(&["1", "2", "2", "2"], true, false)];
        let (read, written, asked) = read_pages(&range, pages).await;
        assert_eq!(written, ["1", "2", "2", "2"]);
        assert_eq!(asked, 1, "the last is read: no page more");
        assert_eq!(read.records, 4);
        assert!(read.is_whole(&range));
    }

    #[tokio::test(start_paused = true)]
    async fn a_range_cut_short_says_where_it_ended() {
        let range = range("5", "8");
        // The first records are gone (trimmed), and the stream is caught
        // up before the last.
        let (read, written, _) = read_pages(
            &range,
            vec![page(&["6", "7"], true, false), page(&[], true, true)],
        )
        .await;
        assert_eq!(written, ["6", "7"]);
        assert_eq!(read.first_read.as_deref(), Some("6"));
        assert_eq!(read.end, RangeEnd::NothingMore);
        assert!(!read.is_whole(&range));

        let (read, _, _) = read_pages(&range, vec![page(&["5", "6"], false, false)]).await;
        assert_eq!(read.end, RangeEnd::ShardClosed);
        let (read, written, _) = read_pages(&range, vec![page(&["5", "9"], true, false)]).await;
        assert_eq!(
            (read.end, written),
            (RangeEnd::PassedLast, vec!["5".to_owned()])
        );
    }

    #[tokio::test(start_paused = true)]
    async fn empty_pages_end_a_read_the_stream_never_says_is_caught_up() {
        let range = range("1", "3");
        let mut pages = vec![page(&["1"], true, false)];
        pages.extend((0..MAX_EMPTY_PAGES).map(|_| page(&[], true, false)));
        let (read, written, asked) = read_pages(&range, pages).await;
        assert_eq!(written, ["1"]);
        assert_eq!(asked, 1 + MAX_EMPTY_PAGES as usize);
        assert_eq!(read.end, RangeEnd::NothingMore);
    }
}
