//! What the sources' AWS SDK clients share: where to reach AWS, where in a
//! stream to start and when to stop, where a recording run puts what it
//! reads, re-reading one shard's run of records between two sequence
//! numbers, and the error. The clients themselves are in each source's
//! folder: recording a Kinesis stream (`kinesis/recorder.rs`) or a DynamoDB
//! table's stream (`dynamodb_streams/recorder.rs`) into the recording
//! format, re-reading a range of either (`range.rs` in each), and putting a
//! recording back into a Kinesis stream (`kinesis/writer.rs`).
//!
//! Credentials and region come from the AWS default chain; `--endpoint-url`
//! points the clients elsewhere (a local moto server in the tests).

use std::cmp::Ordering;
use std::future::Future;
use std::time::{Duration, Instant};

use tributary_core::compare_sequence_numbers;

use crate::sources::SourceRecord;

/// What a recording run read.
#[derive(Debug, Clone, Copy, Default)]
pub struct Recorded {
    /// Records written.
    pub records: u64,
    /// Bytes of record data written.
    pub bytes: u64,
}

/// Where a recording run puts what it reads: the recording's header (with
/// the stream's ARN, before any record), each record in per-shard order,
/// and the running totals.
pub struct RecordingOutput<'a> {
    /// Writes the header for the stream with this ARN.
    pub header: &'a mut dyn FnMut(&str) -> std::io::Result<()>,
    /// Writes one record.
    pub write: &'a mut dyn FnMut(&tributary_core::Origin, &[u8]) -> std::io::Result<()>,
    /// Hears the totals so far.
    pub progress: &'a mut dyn FnMut(Recorded),
}

/// Where to reach AWS.
#[derive(Debug, Clone, Default)]
pub struct Endpoint {
    /// Another endpoint than AWS's (`http://127.0.0.1:5000`).
    pub url: Option<String>,
    /// The region; default the chain's.
    pub region: Option<String>,
}

impl Endpoint {
    /// The SDK configuration: the default chain, with the endpoint's
    /// overrides.
    pub async fn sdk_config(&self) -> aws_config::SdkConfig {
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
        if let Some(url) = &self.url {
            loader = loader.endpoint_url(url);
        }
        if let Some(region) = &self.region {
            loader = loader.region(aws_config::Region::new(region.clone()));
        }
        loader.load().await
    }
}

/// Where in a stream to start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartAt {
    /// The oldest record kept.
    TrimHorizon,
    /// Records that arrive from now on.
    Latest,
    /// Records that arrived at this time (milliseconds since the epoch) or later.
    Timestamp(i64),
}

/// When to stop recording. Without any, recording goes on until the stream
/// ends (its shards are closed) or the process is stopped.
#[derive(Debug, Clone, Copy, Default)]
pub struct StopWhen {
    /// After this many records.
    pub max_records: Option<u64>,
    /// After this long.
    pub duration: Option<Duration>,
    /// Once every shard has been read to its end for now.
    pub caught_up: bool,
}

impl StopWhen {
    pub(crate) fn reached(&self, records: u64, started: Instant) -> bool {
        self.max_records.is_some_and(|max| records >= max)
            || self.duration.is_some_and(|d| started.elapsed() >= d)
    }
}

/// An error talking to AWS, with what was being done.
#[derive(Debug, thiserror::Error)]
#[error("{doing}: {message}")]
pub struct AwsError {
    doing: String,
    message: String,
}

impl AwsError {
    pub(crate) fn new(doing: impl Into<String>, error: impl std::fmt::Display) -> Self {
        AwsError {
            doing: doing.into(),
            message: error.to_string(),
        }
    }
}

/// The stream name in a name or an ARN (`arn:aws:kinesis:...:stream/NAME`).
pub(crate) fn stream_name(name_or_arn: &str) -> &str {
    name_or_arn
        .rsplit_once(":stream/")
        .map_or(name_or_arn, |(_, name)| name)
}

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

/// Reads `range` page by page from `iterator` (opened `AT_SEQUENCE_NUMBER`
/// `first`), giving each record up to `last` to `write`, and stops once past
/// `last`, at the end of a closed shard, or when the shard has nothing more
/// ([`RangeEnd`]). `page` asks for the page an iterator points to.
pub(crate) async fn read_range<F, P>(
    range: &SequenceRange,
    mut iterator: String,
    mut page: F,
    write: &mut dyn FnMut(SourceRecord),
) -> Result<RangeRead, AwsError>
where
    F: FnMut(String) -> P,
    P: Future<Output = Result<ShardPage, AwsError>>,
{
    let mut read = RangeRead {
        records: 0,
        first_read: None,
        end: RangeEnd::NothingMore,
    };
    let mut empty_pages = 0;
    loop {
        let answer = page(iterator).await?;
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

#[cfg(test)]
mod tests {
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

    /// Reads `range` from these pages; gives what was read, the sequence
    /// numbers written, and how many pages were asked for.
    async fn read_pages(
        range: &SequenceRange,
        pages: Vec<ShardPage>,
    ) -> (RangeRead, Vec<String>, usize) {
        let mut pages = VecDeque::from(pages);
        let mut asked = 0;
        let mut written = Vec::new();
        let read = read_range(
            range,
            "first".to_owned(),
            |_| {
                asked += 1;
                let next = pages
                    .pop_front()
                    .expect("no page is asked for after the end");
                async move { Ok(next) }
            },
            &mut |record| written.push(record.origin.sequence),
        )
        .await
        .unwrap();
        (read, written, asked)
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
