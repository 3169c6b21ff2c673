//! Re-reading one shard's records between two sequence numbers, as a Lambda
//! on-failure record names a failed batch: `GetShardIterator
//! AT_SEQUENCE_NUMBER` the first, then GetRecords until past the last.

use std::sync::Arc;

use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::error::DisplayErrorContext;
use aws_sdk_kinesis::types::ShardIteratorType;
use bytes::Bytes;

use super::event::push_user_records;
use super::recorder::origin_of;
use crate::sources::aws_clients::{ShardPage, read_range};
use crate::sources::{AwsError, Endpoint, RangeRead, SequenceRange, SourceRecord};

/// Re-reads ranges of Kinesis streams with one client.
pub struct KinesisRangeReader {
    client: Client,
}

impl KinesisRangeReader {
    /// A reader with the default credential chain and `endpoint`'s overrides.
    pub async fn new(endpoint: &Endpoint) -> Self {
        KinesisRangeReader {
            client: Client::new(&endpoint.sdk_config().await),
        }
    }

    /// Gives each record of `range` to `write`, in stream order, as a
    /// recording holds it: a KPL aggregate as its user records (with their
    /// sub-sequence numbers), as Lambda's event decoding gives them.
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
            .starting_sequence_number(&range.first)
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
                "Kinesis gave no shard iterator",
            ));
        };
        let stream: Arc<str> = Arc::from(range.stream.as_str());
        let shard: Arc<str> = Arc::from(range.shard.as_str());
        let client = &self.client;
        let page = |iterator: String| {
            let (stream, shard) = (stream.clone(), shard.clone());
            async move {
                // The stream's ARN on each read too: an iterator opened by ARN
                // names no stream to moto, and AWS takes it alike.
                let answer = client
                    .get_records()
                    .stream_arn(&*stream)
                    .shard_iterator(iterator)
                    .limit(1000)
                    .send()
                    .await
                    .map_err(|e| {
                        AwsError::new(format!("reading shard {shard}"), DisplayErrorContext(e))
                    })?;
                let mut records = Vec::with_capacity(answer.records().len());
                for record in answer.records() {
                    let origin = origin_of(record, &stream, &shard);
                    let data = Bytes::copy_from_slice(record.data().as_ref());
                    push_user_records(&mut records, origin, data);
                }
                Ok(ShardPage {
                    records,
                    next: answer.next_shard_iterator().map(str::to_owned),
                    caught_up: answer.millis_behind_latest() == Some(0),
                })
            }
        };
        read_range(range, iterator.to_owned(), page, write).await
    }
}
