//! Kinesis's two calls for re-reading a shard's range
//! (`sources/sequence_range.rs` drives them): `GetShardIterator
//! AT_SEQUENCE_NUMBER` by stream ARN, and GetRecords, with KPL aggregates
//! split into their user records.

use std::sync::Arc;

use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::types::ShardIteratorType;
use bytes::Bytes;

use super::event::push_user_records;
use super::recorder::origin_of;
use crate::sources::SequenceRange;
use crate::sources::sequence_range::{ShardPage, ShardReads};

impl ShardReads for Client {
    async fn open(&self, range: &SequenceRange) -> Result<Option<String>, String> {
        let opened = self
            .get_shard_iterator()
            .stream_arn(&range.stream)
            .shard_id(&range.shard)
            .shard_iterator_type(ShardIteratorType::AtSequenceNumber)
            .starting_sequence_number(&range.first)
            .send()
            .await
            .map_err(|e| crate::aws_error::describe(&e))?;
        Ok(opened.shard_iterator().map(str::to_owned))
    }

    async fn page(&self, range: &SequenceRange, iterator: String) -> Result<ShardPage, String> {
        // The stream's ARN on each read too: an iterator opened by ARN names
        // no stream to moto, and AWS takes it alike.
        let answer = self
            .get_records()
            .stream_arn(&range.stream)
            .shard_iterator(iterator)
            .limit(1000)
            .send()
            .await
            .map_err(|e| crate::aws_error::describe(&e))?;
        let stream: Arc<str> = Arc::from(range.stream.as_str());
        let shard: Arc<str> = Arc::from(range.shard.as_str());
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
}
