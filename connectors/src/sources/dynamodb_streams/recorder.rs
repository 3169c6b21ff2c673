//! Recording a DynamoDB table's stream.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_dynamodbstreams::Client;
use aws_sdk_dynamodbstreams::types::{
    AttributeValue, Record, Shard, ShardIteratorType, StreamRecord, StreamStatus, StreamViewType,
};
use bytes::Bytes;
use serde_json::{Map, Value};
use tributary_core::{Origin, SourceKind};

use super::{change_of, dynamodb_to_json, is_time_to_live};
use crate::sources::sequence_range::ShardPage;
use crate::sources::{
    AwsError, Endpoint, Recorded, RecordingOutput, SourceRecord, StartAt, StopWhen,
};

/// Records the stream of table `table` as
/// [`record_stream`](crate::sources::kinesis::record_stream) records a Kinesis
/// stream: each change becomes a record whose data is its stream record (the
/// `dynamodb` object of a Lambda event, in DynamoDB JSON), with its keys as
/// plain JSON, event name, TTL mark and change (upsert or delete) in the
/// origin (docs/recording-format.md).
pub async fn record_table(
    endpoint: &Endpoint,
    table: &str,
    start: StartAt,
    stop: StopWhen,
    output: RecordingOutput<'_>,
) -> Result<Recorded, AwsError> {
    let RecordingOutput {
        header,
        write,
        progress,
    } = output;
    let client = Client::new(&endpoint.sdk_config().await);
    let arn = table_stream(&client, table).await?.arn;
    header(&arn).map_err(|e| AwsError::new("writing the recording", e))?;
    let arn: Arc<str> = Arc::from(arn);
    let mut iterators: HashMap<String, String> = HashMap::new();
    let mut done: HashSet<String> = HashSet::new();
    let mut caught_up: HashSet<String> = HashSet::new();
    let started = Instant::now();
    let mut recorded = Recorded::default();
    let open_type = match start {
        StartAt::Latest => ShardIteratorType::Latest,
        StartAt::TrimHorizon | StartAt::Timestamp(_) => ShardIteratorType::TrimHorizon,
    };
    loop {
        for shard in startable(&list_shards(&client, &arn).await?, &iterators, &done) {
            let answer = client
                .get_shard_iterator()
                .stream_arn(&*arn)
                .shard_id(&shard)
                .shard_iterator_type(open_type.clone())
                .send()
                .await
                .map_err(|e| {
                    AwsError::new(
                        format!("opening shard {shard}"),
                        crate::aws_error::describe(&e),
                    )
                })?;
            match answer.shard_iterator() {
                Some(iterator) => iterators.insert(shard, iterator.to_owned()),
                None => done.insert(shard).then_some(String::new()),
            };
        }
        if iterators.is_empty() || stop.reached(recorded.records, started) {
            break;
        }
        let mut read_any = false;
        for (shard, iterator) in iterators.clone() {
            let shard_id: Arc<str> = Arc::from(shard.as_str());
            let page = changes_page(&client, &arn, &shard_id, iterator)
                .await
                .map_err(|e| AwsError::new(format!("reading shard {shard}"), e))?;
            let mut count = 0;
            for record in page.records {
                if stop.reached(recorded.records, started) {
                    break;
                }
                // DynamoDB Streams has no AT_TIMESTAMP: read from the start and skip.
                if let StartAt::Timestamp(from) = start
                    && record.origin.arrival_ms < from
                {
                    continue;
                }
                write(&record.origin, &record.data)
                    .map_err(|e| AwsError::new("writing the recording", e))?;
                recorded.records += 1;
                recorded.bytes += record.data.len() as u64;
                count += 1;
            }
            read_any |= count > 0;
            if count == 0 {
                caught_up.insert(shard.clone());
            } else {
                caught_up.remove(&shard);
            }
            match page.next {
                Some(next) => iterators.insert(shard, next),
                None => {
                    iterators.remove(&shard);
                    done.insert(shard).then_some(String::new())
                }
            };
            progress(recorded);
        }
        if stop.caught_up && iterators.keys().all(|s| caught_up.contains(s)) {
            break;
        }
        if !read_any {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    Ok(recorded)
}

/// One GetRecords page of a shard of `stream`, each change as a recording
/// holds it ([`recorded_change`]).
pub(super) async fn changes_page(
    client: &Client,
    stream: &Arc<str>,
    shard: &Arc<str>,
    iterator: String,
) -> Result<ShardPage, String> {
    let answer = client
        .get_records()
        .shard_iterator(iterator)
        .limit(1000)
        .send()
        .await
        .map_err(|e| crate::aws_error::describe(&e))?;
    let records = answer
        .records()
        .iter()
        .filter_map(|record| recorded_change(record, stream, shard))
        .map(|(origin, data)| SourceRecord::new(origin, Bytes::from(data)))
        .collect();
    Ok(ShardPage {
        records,
        next: answer.next_shard_iterator().map(str::to_owned),
        caught_up: false,
    })
}

/// A change GetRecords gave, as a recording holds it: its origin (stream,
/// shard, sequence number, arrival time, keys as plain JSON, event name,
/// TTL mark) and its stream record in DynamoDB JSON. `None` for a record
/// without a stream record.
fn recorded_change(
    record: &Record,
    stream: &Arc<str>,
    shard: &Arc<str>,
) -> Option<(Origin, Vec<u8>)> {
    let change = record.dynamodb()?;
    let event_name = record
        .event_name()
        .map(|e| e.as_str().to_owned())
        .unwrap_or_default();
    let mut origin = Origin::new(
        SourceKind::DynamodbStreams,
        stream.clone(),
        shard.clone(),
        change.sequence_number().unwrap_or_default(),
    );
    origin.arrival_ms = change
        .approximate_creation_date_time()
        .and_then(|t| t.to_millis().ok())
        .unwrap_or(0);
    origin.removed_by_ttl = event_name == "REMOVE"
        && record.user_identity().is_some_and(|u| {
            is_time_to_live(
                u.r#type().unwrap_or_default(),
                u.principal_id().unwrap_or_default(),
            )
        });
    let keys = dynamodb_to_json(item(change.keys()));
    origin.item_keys = keys
        .as_object()
        .is_some_and(|k| !k.is_empty())
        .then_some(keys);
    origin.change = change_of(Some(&event_name));
    origin.event_name = Some(event_name);
    Some((origin, stream_record_json(change)))
}

fn item(image: Option<&HashMap<String, AttributeValue>>) -> serde_dynamo::Item {
    serde_dynamo::Item::from(image.cloned().unwrap_or_default())
}

/// A stream record as a Lambda event's `dynamodb` object has it: DynamoDB
/// JSON, the creation time in seconds, attributes in the order of their names.
fn stream_record_json(change: &StreamRecord) -> Vec<u8> {
    let mut object = Map::new();
    // Whole seconds from DynamoDB; to the millisecond, as the line's
    // `arrival_ms`, from emulators that say more.
    if let Some(millis) = change
        .approximate_creation_date_time()
        .and_then(|t| t.to_millis().ok())
    {
        let seconds = match millis % 1000 {
            0 => Value::from(millis / 1000),
            _ => Value::from(millis as f64 / 1000.0),
        };
        object.insert("ApproximateCreationDateTime".to_owned(), seconds);
    }
    for (name, image) in [
        ("Keys", change.keys()),
        ("NewImage", change.new_image()),
        ("OldImage", change.old_image()),
    ] {
        if image.is_some() {
            let item = item(image);
            let sorted: BTreeMap<&String, &serde_dynamo::AttributeValue> =
                item.inner().iter().collect();
            let value = serde_json::to_value(sorted).expect("an item serializes");
            object.insert(name.to_owned(), value);
        }
    }
    if let Some(sequence) = change.sequence_number() {
        object.insert("SequenceNumber".to_owned(), Value::from(sequence));
    }
    if let Some(size) = change.size_bytes() {
        object.insert("SizeBytes".to_owned(), Value::from(size));
    }
    if let Some(view) = change.stream_view_type() {
        object.insert("StreamViewType".to_owned(), Value::from(view.as_str()));
    }
    serde_json::to_vec(&object).expect("a JSON object serializes")
}

/// Shards not opened yet whose parent (if any) is read to its end.
fn startable(
    shards: &[Shard],
    open: &HashMap<String, String>,
    done: &HashSet<String>,
) -> Vec<String> {
    let known: HashSet<&str> = shards.iter().filter_map(|s| s.shard_id()).collect();
    shards
        .iter()
        .filter_map(|s| Some((s.shard_id()?, s.parent_shard_id())))
        .filter(|(id, _)| !open.contains_key(*id) && !done.contains(*id))
        .filter(|(_, parent)| parent.is_none_or(|p| !known.contains(p) || done.contains(p)))
        .map(|(id, _)| id.to_owned())
        .collect()
}

async fn list_shards(client: &Client, arn: &str) -> Result<Vec<Shard>, AwsError> {
    let mut shards = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let answer = client
            .describe_stream()
            .stream_arn(arn)
            .set_exclusive_start_shard_id(after.clone())
            .send()
            .await
            .map_err(|e| {
                AwsError::new(
                    format!("describing stream {arn}"),
                    crate::aws_error::describe(&e),
                )
            })?;
        let Some(description) = answer.stream_description() else {
            return Ok(shards);
        };
        shards.extend(description.shards().iter().cloned());
        after = description.last_evaluated_shard_id().map(str::to_owned);
        if after.is_none() {
            return Ok(shards);
        }
    }
}

/// A table's enabled stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableStream {
    /// The stream's ARN.
    pub arn: String,
    /// What its records carry besides the keys: `KEYS_ONLY`, `NEW_IMAGE`,
    /// `OLD_IMAGE` or `NEW_AND_OLD_IMAGES`; `None` when DynamoDB does not say.
    pub view_type: Option<String>,
}

impl TableStream {
    /// Whether an INSERT or MODIFY on this stream carries the item after the
    /// change, as a DynamoDB source with `payload = "item"` needs. `true` when
    /// the view type is unknown.
    pub fn has_new_images(&self) -> bool {
        self.view_type.as_deref().is_none_or(|view| {
            view == StreamViewType::NewImage.as_str()
                || view == StreamViewType::NewAndOldImages.as_str()
        })
    }
}

/// The enabled stream of a table. A table has at most one; streams disabled
/// in the last 24 hours are listed too, and are skipped.
pub async fn table_stream(client: &Client, table: &str) -> Result<TableStream, AwsError> {
    let streams = client
        .list_streams()
        .table_name(table)
        .send()
        .await
        .map_err(|e| {
            AwsError::new(
                format!("listing the streams of table `{table}`"),
                crate::aws_error::describe(&e),
            )
        })?;
    for arn in streams
        .streams()
        .iter()
        .rev()
        .filter_map(|s| s.stream_arn())
    {
        let answer = client
            .describe_stream()
            .stream_arn(arn)
            .send()
            .await
            .map_err(|e| {
                AwsError::new(
                    format!("describing stream {arn}"),
                    crate::aws_error::describe(&e),
                )
            })?;
        let description = answer.stream_description();
        let status = description.and_then(|d| d.stream_status());
        if matches!(
            status,
            Some(StreamStatus::Enabled | StreamStatus::Enabling) | None
        ) {
            return Ok(TableStream {
                arn: arn.to_owned(),
                view_type: description
                    .and_then(|d| d.stream_view_type())
                    .map(|v| v.as_str().to_owned()),
            });
        }
    }
    Err(AwsError::new(
        format!("table `{table}`"),
        "it has no enabled stream; enable DynamoDB Streams on it (NEW_AND_OLD_IMAGES)",
    ))
}
