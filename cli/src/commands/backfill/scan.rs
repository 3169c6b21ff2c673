//! Backfilling from a parallel `Scan`, for tables without point-in-time
//! recovery.
//!
//! Each segment is read by its own task, one page ahead at most: pages wait
//! in a channel that holds one a segment, so memory stays bounded whatever
//! the table's size. Pages go through the pipeline in the order they come;
//! after each, the segment's `LastEvaluatedKey` is checkpointed, so a rerun
//! starts each segment after its last settled page.

use std::collections::HashMap;
use std::path::Path;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use bytes::Bytes;
use tokio::sync::mpsc;
use tributary_connectors::sources::SourceRecord;
use tributary_connectors::sources::dynamodb_streams::BackfillTable;

use super::checkpoint::{Checkpoint, Progress, SegmentProgress};
use super::progress::Ending;
use super::send::PipelineFeed;
use super::table::TableDescription;

/// Items a Scan page holds at most (DynamoDB also stops a page at 1 MB).
const ITEMS_PER_PAGE: i32 = 1000;

type DynamodbItem = HashMap<String, AttributeValue>;

/// One page of one segment.
struct Page {
    segment: usize,
    items: Vec<DynamodbItem>,
    last_evaluated_key: Option<DynamodbItem>,
}

/// Scans `table` in the checkpoint's segments, from where each stopped,
/// sending every item through `feed`, until the table is read or `max_items`
/// items were sent in this run.
pub(super) async fn backfill_by_scan(
    client: &Client,
    table: &TableDescription,
    items: &BackfillTable,
    consistent_read: bool,
    max_items: Option<u64>,
    checkpoint: (&mut Checkpoint, &Path),
    feed: &mut PipelineFeed<'_>,
) -> Result<Ending, String> {
    let (checkpoint, path) = checkpoint;
    let Progress::Scan { segments, .. } = &mut checkpoint.progress else {
        return Err("the checkpoint is not of a scan".to_owned());
    };
    let total = segments.len() as i32;
    let pending = pending_segments(segments);
    let (pages, mut received) = mpsc::channel::<Result<Page, String>>(segments.len().max(1));
    let tasks: Vec<_> = pending
        .into_iter()
        .map(|(segment, start)| {
            let scan = client
                .scan()
                .table_name(&table.name)
                .segment(segment as i32)
                .total_segments(total)
                .limit(ITEMS_PER_PAGE)
                .consistent_read(consistent_read)
                .set_exclusive_start_key(start.map(Into::into));
            tokio::spawn(read_segment(scan, segment, pages.clone()))
        })
        .collect();
    drop(pages);
    let mut ending = Ending::Finished;
    while let Some(page) = received.recv().await {
        let page = page?;
        let records = page
            .items
            .into_iter()
            .map(|item| item_record(items, item))
            .collect();
        feed.send(records).await;
        if let Progress::Scan { segments, .. } = &mut checkpoint.progress {
            settle(segments, page.segment, page.last_evaluated_key);
        }
        checkpoint.save(path)?;
        if max_items.is_some_and(|max| feed.sent >= max) {
            ending = Ending::Paused;
            break;
        }
    }
    for task in tasks {
        task.abort();
    }
    Ok(ending)
}

/// Reads one segment, page after page, into `pages`.
async fn read_segment(
    scan: aws_sdk_dynamodb::operation::scan::builders::ScanFluentBuilder,
    segment: usize,
    pages: mpsc::Sender<Result<Page, String>>,
) {
    let mut start = scan.get_exclusive_start_key().clone();
    loop {
        let answer = scan.clone().set_exclusive_start_key(start).send().await;
        let page = answer
            .map(|mut answer| Page {
                segment,
                items: answer.items.take().unwrap_or_default(),
                last_evaluated_key: answer.last_evaluated_key.take().filter(|k| !k.is_empty()),
            })
            .map_err(|error| {
                format!(
                    "scanning segment {segment}: {}",
                    tributary_connectors::aws_error::describe(&error)
                )
            });
        let next = page
            .as_ref()
            .ok()
            .and_then(|p| p.last_evaluated_key.clone());
        let failed = page.is_err();
        if pages.send(page).await.is_err() || failed || next.is_none() {
            return;
        }
        start = next;
    }
}

/// The segments still to read, each with the key to start after.
fn pending_segments(segments: &[SegmentProgress]) -> Vec<(usize, Option<serde_dynamo::Item>)> {
    segments
        .iter()
        .enumerate()
        .filter(|(_, progress)| !progress.done)
        .map(|(segment, progress)| (segment, progress.last_evaluated_key.clone()))
        .collect()
}

/// Records that a page of `segment` ending at `last_evaluated_key` was
/// settled: the segment goes on after it, or is done when it has none.
fn settle(
    segments: &mut [SegmentProgress],
    segment: usize,
    last_evaluated_key: Option<DynamodbItem>,
) {
    if let Some(progress) = segments.get_mut(segment) {
        progress.done = last_evaluated_key.is_none();
        progress.last_evaluated_key = last_evaluated_key.map(serde_dynamo::Item::from);
    }
}

/// The record of a scanned item. An item holding a type this SDK does not
/// know fails alone, named by the table and its keys.
fn item_record(items: &BackfillTable, item: DynamodbItem) -> SourceRecord {
    if item.values().any(has_unknown_type) {
        let keys: DynamodbItem = items
            .key_names()
            .iter()
            .filter_map(|name| item.get(name).map(|v| (name.clone(), v.clone())))
            .filter(|(_, value)| !has_unknown_type(value))
            .collect();
        let keys = serde_json::to_string(&serde_dynamo::Item::from(keys)).unwrap_or_default();
        return items.unreadable(
            Bytes::from(keys.clone()),
            format!(
                "an item of table `{}` (keys {keys}) holds an attribute of a type this tributary does not know",
                items.table()
            ),
        );
    }
    items.record(serde_dynamo::Item::from(item))
}

fn has_unknown_type(value: &AttributeValue) -> bool {
    match value {
        AttributeValue::M(map) => map.values().any(has_unknown_type),
        AttributeValue::L(list) => list.iter().any(has_unknown_type),
        AttributeValue::S(_)
        | AttributeValue::N(_)
        | AttributeValue::B(_)
        | AttributeValue::Bool(_)
        | AttributeValue::Null(_)
        | AttributeValue::Ss(_)
        | AttributeValue::Ns(_)
        | AttributeValue::Bs(_) => false,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(pk: &str) -> DynamodbItem {
        HashMap::from([("pk".to_owned(), AttributeValue::S(pk.to_owned()))])
    }

    #[test]
    fn a_segment_goes_on_after_its_last_settled_page_and_is_done_without_one() {
        let mut segments = vec![SegmentProgress::default(); 3];
        assert_eq!(
            pending_segments(&segments),
            vec![(0, None), (1, None), (2, None)]
        );
        settle(&mut segments, 1, Some(key("m")));
        settle(&mut segments, 2, None);
        settle(&mut segments, 7, None);
        let pending = pending_segments(&segments);
        assert_eq!(pending.len(), 2, "segment 2 is done");
        assert_eq!(pending[0], (0, None));
        assert_eq!(pending[1].0, 1);
        let start: DynamodbItem = pending[1].1.clone().unwrap().into();
        assert_eq!(start, key("m"));
        settle(&mut segments, 1, None);
        settle(&mut segments, 0, None);
        assert!(pending_segments(&segments).is_empty());
    }

    #[test]
    fn a_scanned_item_of_known_types_becomes_its_record() {
        // The SDK's `Unknown` variant cannot be built outside it: only the
        // known types are tested here.
        let items = BackfillTable::new(
            "orders",
            "arn:stream",
            vec!["pk".to_owned()],
            0,
            tributary_connectors::sources::DynamodbPayload::Item,
        );
        let mut item = key("a");
        item.insert(
            "l".to_owned(),
            AttributeValue::L(vec![
                AttributeValue::M(key("x")),
                AttributeValue::Null(true),
            ]),
        );
        assert!(!item.values().any(has_unknown_type));
        let record = item_record(&items, item);
        assert!(record.error.is_none());
        let data: serde_json::Value = serde_json::from_slice(&record.data).unwrap();
        assert_eq!(
            data,
            serde_json::json!({"l": [{"pk": "x"}, null], "pk": "a"})
        );
        let missing_key = item_record(&items, HashMap::new());
        let reason = missing_key.error.expect("it fails").to_string();
        assert!(
            reason.contains("table `orders`") && reason.contains("`pk`"),
            "{reason}"
        );
    }
}
