//! Re-reading one shard's changes between two sequence numbers, as a Lambda
//! on-failure record names a failed batch: `GetShardIterator
//! AT_SEQUENCE_NUMBER` the first, then GetRecords until past the last.

use std::sync::Arc;

use aws_sdk_dynamodbstreams::Client;
use aws_sdk_dynamodbstreams::error::DisplayErrorContext;
use aws_sdk_dynamodbstreams::types::ShardIteratorType;
use bytes::Bytes;

use super::recorder::recorded_change;
use crate::sources::aws_clients::{ShardPage, read_range};
use crate::sources::{AwsError, Endpoint, RangeRead, SequenceRange, SourceRecord};

/// Re-reads ranges of DynamoDB tables' streams with one client.
pub struct DynamodbRangeReader {
    client: Client,
}

impl DynamodbRangeReader {
    /// A reader with the default credential chain and `endpoint`'s overrides.
    pub async fn new(endpoint: &Endpoint) -> Self {
        DynamodbRangeReader {
            client: Client::new(&endpoint.sdk_config().await),
        }
    }

    /// Gives each change of `range` to `write`, in stream order, as
    /// `tributary record --table` records it: its stream record in DynamoDB
    /// JSON, with keys, event name and TTL mark in the origin.
    pub async fn read(
        &self,
        range: &SequenceRange,
        write: &mut dyn FnMut(SourceRecord),
    ) -> Result<RangeRead, AwsError> {
        let opened = self
            .client
            .get_shard_iterator()
            .stream_arn(&range.stream)
            .shard_id(&range.shard)
            .shard_iterator_type(ShardIteratorType::AtSequenceNumber)
            .sequence_number(&range.first)
            .send()
            .await
            .map_err(|e| {
                AwsError::new(
                    format!(
                        "opening shard {} of {} at sequence number {}",
                        range.shard, range.stream, range.first
                    ),
                    DisplayErrorContext(e),
                )
            })?;
        let Some(iterator) = opened.shard_iterator() else {
            return Err(AwsError::new(
                format!("opening shard {} of {}", range.shard, range.stream),
                "DynamoDB Streams gave no shard iterator",
            ));
        };
        let stream: Arc<str> = Arc::from(range.stream.as_str());
        let shard: Arc<str> = Arc::from(range.shard.as_str());
        let client = &self.client;
        let page = |iterator: String| {
            let (stream, shard) = (stream.clone(), shard.clone());
            async move {
                let answer = client
                    .get_records()
                    .shard_iterator(iterator)
                    .limit(1000)
                    .send()
                    .await
                    .map_err(|e| {
                        AwsError::new(format!("reading shard {shard}"), DisplayErrorContext(e))
                    })?;
                let records = answer
                    .records()
                    .iter()
                    .filter_map(|record| recorded_change(record, &stream, &shard))
                    .map(|(origin, data)| SourceRecord::new(origin, Bytes::from(data)))
                    .collect();
                Ok(ShardPage {
                    records,
                    next: answer.next_shard_iterator().map(str::to_owned),
                    caught_up: false,
                })
            }
        };
        read_range(range, iterator.to_owned(), page, write).await
    }
}
