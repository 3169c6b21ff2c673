//! DynamoDB Streams' two calls for re-reading a shard's range
//! (`sources/sequence_range.rs` drives them): `GetShardIterator
//! AT_SEQUENCE_NUMBER`, and GetRecords, each change as `record --table`
//! records it.

use std::sync::Arc;

use aws_sdk_dynamodbstreams::Client;
use aws_sdk_dynamodbstreams::types::ShardIteratorType;

use super::recorder::changes_page;
use crate::sources::SequenceRange;
use crate::sources::sequence_range::{ShardPage, ShardReads};

impl ShardReads for Client {
    async fn open(&self, range: &SequenceRange) -> Result<Option<String>, String> {
        let opened = self
            .get_shard_iterator()
            .stream_arn(&range.stream)
            .shard_id(&range.shard)
            .shard_iterator_type(ShardIteratorType::AtSequenceNumber)
            .sequence_number(&range.first)
            .send()
            .await
            .map_err(|e| crate::aws_error::describe(&e))?;
        Ok(opened.shard_iterator().map(str::to_owned))
    }

    async fn page(&self, range: &SequenceRange, iterator: String) -> Result<ShardPage, String> {
        let stream: Arc<str> = Arc::from(range.stream.as_str());
        let shard: Arc<str> = Arc::from(range.shard.as_str());
        changes_page(self, &stream, &shard, iterator).await
    }
}
