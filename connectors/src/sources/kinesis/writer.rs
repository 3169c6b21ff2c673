//! Putting a recording into a Kinesis stream.

use std::num::NonZeroU32;
use std::time::Duration;

use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::PutRecordsRequestEntry;
use governor::{Quota, RateLimiter};

use crate::sources::aws_clients::stream_name;
use crate::sources::{AwsError, Endpoint, SourceRecord};

/// The most entries a PutRecords call takes.
const MAX_ENTRIES: usize = 500;
/// The most bytes a PutRecords call takes.
const MAX_BYTES: usize = 5 * 1024 * 1024;
/// How many times an entry is put at most.
const MAX_ATTEMPTS: u32 = 10;

/// Puts records into `stream` with PutRecords, in order, keeping their
/// partition keys (or their shard's name when they have none, so records
/// of one shard stay together), at most `per_second` records a second.
/// Entries the stream refuses (throughput exceeded) are put again, with
/// backoff. Gives how many records were put.
pub async fn put_records(
    endpoint: &Endpoint,
    stream: &str,
    records: impl IntoIterator<Item = SourceRecord>,
    per_second: u32,
    progress: &mut dyn FnMut(u64),
) -> Result<u64, AwsError> {
    let client = Client::new(&endpoint.sdk_config().await);
    let name = stream_name(stream).to_owned();
    let rate = NonZeroU32::new(per_second).unwrap_or(NonZeroU32::MIN);
    let limiter = RateLimiter::direct(
        Quota::per_second(rate)
            .allow_burst(rate.max(NonZeroU32::new(MAX_ENTRIES as u32).unwrap_or(rate))),
    );
    let mut pending: Vec<PutRecordsRequestEntry> = Vec::new();
    let mut bytes = 0;
    let mut put = 0;
    for record in records {
        let key = record
            .origin
            .partition_key
            .clone()
            .unwrap_or_else(|| record.origin.shard.to_string());
        let size = record.data.len() + key.len();
        if pending.len() == MAX_ENTRIES || bytes + size > MAX_BYTES {
            put += send(&client, &name, std::mem::take(&mut pending), &limiter).await?;
            bytes = 0;
            progress(put);
        }
        let entry = PutRecordsRequestEntry::builder()
            .data(Blob::new(record.data.to_vec()))
            .partition_key(key)
            .build()
            .map_err(|e| AwsError::new("making a PutRecords entry", e))?;
        pending.push(entry);
        bytes += size;
    }
    if !pending.is_empty() {
        put += send(&client, &name, pending, &limiter).await?;
        progress(put);
    }
    Ok(put)
}

async fn send(
    client: &Client,
    stream: &str,
    mut entries: Vec<PutRecordsRequestEntry>,
    limiter: &governor::DefaultDirectRateLimiter,
) -> Result<u64, AwsError> {
    let total = entries.len() as u64;
    for attempt in 1..=MAX_ATTEMPTS {
        if let Some(n) = NonZeroU32::new(entries.len() as u32) {
            let _ = limiter.until_n_ready(n).await;
        }
        let answer = client
            .put_records()
            .stream_name(stream)
            .set_records(Some(entries.clone()))
            .send()
            .await
            .map_err(|e| {
                AwsError::new(
                    format!("putting records into `{stream}`"),
                    crate::aws_error::describe(&e),
                )
            })?;
        if answer.failed_record_count().unwrap_or(0) == 0 {
            return Ok(total);
        }
        // Put again only the entries that failed, in their order.
        entries = entries
            .into_iter()
            .zip(answer.records())
            .filter(|(_, result)| result.error_code().is_some())
            .map(|(entry, _)| entry)
            .collect();
        tokio::time::sleep(Duration::from_millis(50u64 << attempt.min(6))).await;
    }
    Err(AwsError::new(
        format!("putting records into `{stream}`"),
        format!(
            "{} entries still refused after {MAX_ATTEMPTS} attempts",
            entries.len()
        ),
    ))
}
