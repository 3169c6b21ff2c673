//! What the handler answers Lambda.

use std::collections::BTreeMap;

use serde::Serialize;

/// The answer to one invocation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Response {
    /// Kinesis and DynamoDB Streams: the partial batch response, with the
    /// window state on a tumbling window.
    Stream(StreamResponse),
    /// EventBridge: Lambda ignores the answer of an asynchronous invocation;
    /// it is `null`.
    Event(()),
}

/// `{"batchItemFailures": [...]}`, and on a tumbling window `state` too. The
/// `aws_lambda_events` type for window responses has no `batchItemFailures`,
/// so this one serves both.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamResponse {
    /// The window state for the next invocation of this window.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<BTreeMap<String, String>>,
    /// The records Lambda must retry: per shard, the first that failed.
    pub batch_item_failures: Vec<BatchItemFailure>,
}

/// One entry of `batchItemFailures`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchItemFailure {
    /// The sequence number of the failed record.
    pub item_identifier: String,
}

#[cfg(test)]
mod tests {
    use aws_lambda_events::streams::{DynamoDbEventResponse, KinesisEventResponse};

    use super::*;

    fn failures(ids: &[&str]) -> StreamResponse {
        StreamResponse {
            state: None,
            batch_item_failures: ids
                .iter()
                .map(|id| BatchItemFailure {
                    item_identifier: (*id).to_owned(),
                })
                .collect(),
        }
    }

    #[test]
    fn reads_as_the_aws_lambda_events_responses() {
        let json = serde_json::to_string(&Response::Stream(failures(&["49568"]))).unwrap();
        assert_eq!(
            json,
            r#"{"batchItemFailures":[{"itemIdentifier":"49568"}]}"#
        );
        let kinesis: KinesisEventResponse = serde_json::from_str(&json).unwrap();
        assert_eq!(
            kinesis.batch_item_failures[0].item_identifier.as_deref(),
            Some("49568")
        );
        let dynamodb: DynamoDbEventResponse = serde_json::from_str(&json).unwrap();
        assert_eq!(dynamodb.batch_item_failures.len(), 1);
    }

    #[test]
    fn window_responses_carry_state_and_failures() {
        let mut response = failures(&["7"]);
        response.state = Some(BTreeMap::from([("count".to_owned(), "3".to_owned())]));
        assert_eq!(
            serde_json::to_string(&response).unwrap(),
            r#"{"state":{"count":"3"},"batchItemFailures":[{"itemIdentifier":"7"}]}"#
        );
        assert_eq!(serde_json::to_string(&Response::Event(())).unwrap(), "null");
    }
}
