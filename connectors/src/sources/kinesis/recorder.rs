//! Recording a Kinesis stream: every shard, children after a reshard.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::primitives::DateTime;
use aws_sdk_kinesis::types::{Record, Shard, ShardIteratorType};
use tributary_core::{Origin, SourceKind};

use crate::sources::aws_clients::stream_name;
use crate::sources::{AwsError, Endpoint, Recorded, RecordingOutput, StartAt, StopWhen};

/// Records a Kinesis stream from `start` until `stop`, giving each record
/// (origin and data) to `write` in per-shard order, and the running totals
/// to `progress`. Shards are read round-robin; a closed shard's children are
/// read once it is done, so order holds across a reshard. Returns the
/// stream's ARN (for the recording's header, written by the caller through
/// `header` before the first record) and the totals.
pub async fn record_stream(
    endpoint: &Endpoint,
    stream: &str,
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
    let name = stream_name(stream);
    let summary = client
        .describe_stream_summary()
        .stream_name(name)
        .send()
        .await
        .map_err(|e| {
            AwsError::new(
                format!("describing stream `{name}`"),
                crate::aws_error::describe(&e),
            )
        })?;
    let arn: Arc<str> = Arc::from(
        summary
            .stream_description_summary()
            .map(|s| s.stream_arn())
            .unwrap_or(name),
    );
    header(&arn).map_err(|e| AwsError::new("writing the recording", e))?;
    let shards = list_shards(&client, name).await?;
    let mut reader = Reader {
        client,
        name: name.to_owned(),
        arn,
        shards,
        iterators: HashMap::new(),
        done: HashSet::new(),
        caught_up: HashSet::new(),
    };
    let started = Instant::now();
    let mut recorded = Recorded::default();
    for shard in reader.startable() {
        reader.open(&shard, start).await?;
    }
    loop {
        if stop.reached(recorded.records, started) {
            break;
        }
        let open: Vec<String> = reader.iterators.keys().cloned().collect();
        if open.is_empty() {
            break; // every shard is closed and read
        }
        let mut read_any = false;
        for shard in open {
            let count = reader
                .poll(&shard, &mut recorded, stop, started, write)
                .await?;
            read_any |= count > 0;
            progress(recorded);
            if stop.reached(recorded.records, started) {
                break;
            }
        }
        for shard in reader.startable() {
            reader.open(&shard, StartAt::TrimHorizon).await?;
        }
        if stop.caught_up
            && reader
                .iterators
                .keys()
                .all(|s| reader.caught_up.contains(s))
        {
            break;
        }
        if !read_any {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    Ok(recorded)
}

struct Reader {
    client: Client,
    name: String,
    arn: Arc<str>,
    shards: Vec<Shard>,
    iterators: HashMap<String, String>,
    done: HashSet<String>,
    /// Shards whose last read found nothing new.
    caught_up: HashSet<String>,
}

impl Reader {
    /// Shards not yet opened whose parents (if any) are read to their end.
    fn startable(&self) -> Vec<String> {
        let known: HashSet<&str> = self.shards.iter().map(|s| s.shard_id()).collect();
        self.shards
            .iter()
            .filter(|s| {
                !self.iterators.contains_key(s.shard_id()) && !self.done.contains(s.shard_id())
            })
            .filter(|s| {
                [s.parent_shard_id(), s.adjacent_parent_shard_id()]
                    .into_iter()
                    .flatten()
                    .all(|parent| !known.contains(parent) || self.done.contains(parent))
            })
            .map(|s| s.shard_id().to_owned())
            .collect()
    }

    async fn open(&mut self, shard: &str, start: StartAt) -> Result<(), AwsError> {
        let request = self
            .client
            .get_shard_iterator()
            .stream_name(&self.name)
            .shard_id(shard);
        let request = match start {
            StartAt::TrimHorizon => request.shard_iterator_type(ShardIteratorType::TrimHorizon),
            StartAt::Latest => request.shard_iterator_type(ShardIteratorType::Latest),
            StartAt::Timestamp(ms) => request
                .shard_iterator_type(ShardIteratorType::AtTimestamp)
                .timestamp(DateTime::from_millis(ms)),
        };
        let answer = request.send().await.map_err(|e| {
            AwsError::new(
                format!("opening shard {shard}"),
                crate::aws_error::describe(&e),
            )
        })?;
        match answer.shard_iterator() {
            Some(iterator) => {
                self.iterators.insert(shard.to_owned(), iterator.to_owned());
            }
            None => {
                self.done.insert(shard.to_owned());
            }
        }
        Ok(())
    }

    /// Reads one page of a shard; gives how many records it had.
    async fn poll(
        &mut self,
        shard: &str,
        recorded: &mut Recorded,
        stop: StopWhen,
        started: Instant,
        write: &mut dyn FnMut(&Origin, &[u8]) -> std::io::Result<()>,
    ) -> Result<usize, AwsError> {
        let Some(iterator) = self.iterators.get(shard).cloned() else {
            return Ok(0);
        };
        let answer = self
            .client
            .get_records()
            .shard_iterator(iterator)
            .limit(1000)
            .send()
            .await
            .map_err(|e| {
                AwsError::new(
                    format!("reading shard {shard}"),
                    crate::aws_error::describe(&e),
                )
            })?;
        let shard_id: Arc<str> = Arc::from(shard);
        let mut count = 0;
        for record in answer.records() {
            if stop.reached(recorded.records, started) {
                break;
            }
            let origin = origin_of(record, &self.arn, &shard_id);
            let data = record.data().as_ref();
            write(&origin, data).map_err(|e| AwsError::new("writing the recording", e))?;
            recorded.records += 1;
            recorded.bytes += data.len() as u64;
            count += 1;
        }
        let behind = answer.millis_behind_latest().unwrap_or(0);
        if count == 0 && behind == 0 {
            self.caught_up.insert(shard.to_owned());
        } else {
            self.caught_up.remove(shard);
        }
        match answer.next_shard_iterator() {
            Some(next) => {
                self.iterators.insert(shard.to_owned(), next.to_owned());
            }
            None => {
                // The shard is closed and read: its children may start.
                self.iterators.remove(shard);
                self.done.insert(shard.to_owned());
                self.shards = list_shards(&self.client, &self.name).await?;
            }
        }
        Ok(count)
    }
}

/// Where a record GetRecords gave came from: its stream and shard, sequence
/// number, partition key and arrival time.
pub(super) fn origin_of(record: &Record, stream: &Arc<str>, shard: &Arc<str>) -> Origin {
    let mut origin = Origin::new(
        SourceKind::Kinesis,
        stream.clone(),
        shard.clone(),
        record.sequence_number(),
    );
    origin.partition_key = Some(record.partition_key().to_owned());
    origin.arrival_ms = record
        .approximate_arrival_timestamp()
        .and_then(|t| t.to_millis().ok())
        .unwrap_or(0);
    origin
}

async fn list_shards(client: &Client, name: &str) -> Result<Vec<Shard>, AwsError> {
    let mut shards = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let request = match &next {
            Some(token) => client.list_shards().next_token(token),
            None => client.list_shards().stream_name(name),
        };
        let answer = request.send().await.map_err(|e| {
            AwsError::new(
                format!("listing the shards of `{name}`"),
                crate::aws_error::describe(&e),
            )
        })?;
        shards.extend(answer.shards().iter().cloned());
        next = answer.next_token().map(str::to_owned);
        if next.is_none() {
            return Ok(shards);
        }
    }
}
