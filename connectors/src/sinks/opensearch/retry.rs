//! What the OpenSearch sink sends again: throttling (429), OpenSearch
//! Serverless's capacity limit (402), timeouts (408) and server errors,
//! whether they answer the whole request or one item of it, and requests
//! that got no usable answer. Everything else is final.

use std::sync::Arc;

use tributary_core::SinkError;

use super::Action;
use super::bulk::{BulkRequest, Operation};
use super::error::OpensearchError;
use super::response::{self, Item};
use super::service::BulkAnswer;
use crate::sinks::layers::{Items as _, Outcome, RetryLogic};

/// Reads each bulk answer into what became of each operation.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct OpensearchRetryLogic;

/// Whether a status is worth trying again: throttled (429), out of capacity
/// (402, OpenSearch Serverless's OCU limit), a timeout (408), or a server
/// error.
pub(super) fn is_retryable(status: u16) -> bool {
    matches!(status, 402 | 408 | 429) || status >= 500
}

/// What a status that is worth trying again is: throttling (429), out of
/// capacity (402, 503) or another refusal for now.
fn refused_for_now(status: u16, reason: String) -> Outcome {
    let error = SinkError::RefusedForNow(reason);
    if matches!(status, 402 | 429 | 503) {
        Outcome::Throttled(error)
    } else {
        Outcome::Retry(error)
    }
}

impl RetryLogic<BulkRequest<'_>, Result<BulkAnswer, OpensearchError>> for OpensearchRetryLogic {
    fn outcomes(
        &self,
        request: &BulkRequest<'_>,
        answer: Result<BulkAnswer, OpensearchError>,
    ) -> Vec<Outcome> {
        let all = |outcome: Outcome| vec![outcome; request.len()];
        let BulkAnswer { status, body } = match answer {
            Ok(answer) => answer,
            Err(error) => return all(Outcome::Retry(SinkError::NoAnswer(Arc::new(error)))),
        };
        if status != 200 {
            let reason = OpensearchError::Status {
                status,
                snippet: response::snippet(&body),
            }
            .to_string();
            return all(if is_retryable(status) {
                refused_for_now(status, reason)
            } else {
                Outcome::Failed(SinkError::Rejected(reason))
            });
        }
        match response::items(&body, request.len()) {
            Some(items) => request
                .operations()
                .zip(items)
                .map(|(operation, item)| outcome(item, operation))
                .collect(),
            None => {
                let error = OpensearchError::Unanswered {
                    snippet: response::snippet(&body),
                };
                all(Outcome::Retry(SinkError::NoAnswer(Arc::new(error))))
            }
        }
    }
}

/// What became of one operation.
fn outcome(item: Item, operation: &Operation) -> Outcome {
    match (item.status, operation.action) {
        (200..=299, _) => Outcome::Delivered,
        // Already there: a retried create that had gone through.
        (409, Action::Create) => Outcome::Delivered,
        // A newer change of the document is stored: this older one lost to
        // it, which is what versions are for.
        (409, _) if is_older_version(&item, operation) => {
            tracing::debug!(
                version = operation.version,
                reason = item.describe(),
                "not written: OpenSearch holds a newer change of the document"
            );
            Outcome::Delivered
        }
        // Already gone.
        (404, Action::Delete) => Outcome::Delivered,
        (status, _) => {
            let reason = item.describe();
            if is_retryable(status) {
                refused_for_now(status, reason)
            } else {
                Outcome::Failed(SinkError::Rejected(reason))
            }
        }
    }
}

/// Whether OpenSearch refused a versioned operation because it holds a
/// version at least as new.
fn is_older_version(item: &Item, operation: &Operation) -> bool {
    operation.version.is_some() && item.error_type() == Some("version_conflict_engine_exception")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(actions: &[Action]) -> Vec<Operation> {
        actions
            .iter()
            .enumerate()
            .map(|(record, action)| Operation {
                record,
                action: *action,
                id: None,
                version: None,
                lines: Vec::new(),
            })
            .collect()
    }

    /// Each outcome as `done`, `retry: reason` or `failed: reason`.
    fn read(outcomes: Vec<Outcome>) -> Vec<String> {
        outcomes
            .into_iter()
            .map(|outcome| match outcome {
                Outcome::Delivered => "done".to_owned(),
                Outcome::Retry(error) => format!("retry: {error}"),
                Outcome::Throttled(error) => format!("throttled: {error}"),
                Outcome::Failed(error) => format!("failed: {error}"),
            })
            .collect()
    }

    fn answer(status: u16, body: &[u8]) -> Result<BulkAnswer, OpensearchError> {
        Ok(BulkAnswer {
            status,
            body: body.to_vec(),
        })
    }

    #[test]
    fn classifies_each_item() {
        let body = br#"{"took":3,"errors":true,"items":[
            {"index":{"_index":"a","status":201}},
            {"index":{"_index":"a","status":429,"error":{"type":"es_rejected_execution_exception","reason":"busy"}}},
            {"create":{"_index":"a","status":409,"error":{"type":"version_conflict_engine_exception","reason":"exists"}}},
            {"index":{"_index":"a","status":400,"error":{"type":"mapper_parsing_exception","reason":"failed to parse field [n]"}}},
            {"delete":{"_index":"a","status":404}},
            {"index":{"_index":"a","status":503}}]}"#;
        let actions = [
            Action::Index,
            Action::Index,
            Action::Create,
            Action::Index,
            Action::Delete,
            Action::Index,
        ];
        let operations = request(&actions);
        let all = BulkRequest {
            operations: &operations,
            positions: (0..6).collect(),
        };
        let outcomes = read(OpensearchRetryLogic.outcomes(&all, answer(200, body)));
        assert_eq!(outcomes[0], "done");
        assert_eq!(
            outcomes[1],
            "throttled: OpenSearch answered 429 (es_rejected_execution_exception: busy)"
        );
        assert_eq!(outcomes[2], "done");
        assert!(
            outcomes[3].starts_with("failed: ") && outcomes[3].contains("mapper_parsing_exception"),
            "{}",
            outcomes[3]
        );
        assert_eq!(outcomes[4], "done");
        assert!(outcomes[5].starts_with("throttled: "), "{}", outcomes[5]);
        let two = BulkRequest {
            operations: &operations,
            positions: vec![0, 1],
        };
        let mismatch = read(OpensearchRetryLogic.outcomes(&two, answer(200, body)));
        assert!(
            mismatch
                .iter()
                .all(|o| o.starts_with("retry: the bulk response did not answer each item: ")),
            "a count mismatch is no answer: {mismatch:?}"
        );
        assert!(is_retryable(402) && !is_retryable(400));
        let busy = |status| read(vec![refused_for_now(status, "x".to_owned())]).remove(0);
        assert_eq!(
            [402, 408, 429, 500, 503].map(busy),
            [
                "throttled: x",
                "retry: x",
                "throttled: x",
                "retry: x",
                "throttled: x"
            ]
        );
    }

    #[test]
    fn a_whole_request_is_sent_again_when_refused_for_now_or_unanswered() {
        let operations = request(&[Action::Index, Action::Index]);
        let both = BulkRequest {
            operations: &operations,
            positions: vec![0, 1],
        };
        let throttled = read(OpensearchRetryLogic.outcomes(&both, answer(429, b"slow\ndown")));
        let reason = "OpenSearch answered 429 to the bulk request: slow down";
        assert_eq!(
            throttled,
            [
                format!("throttled: {reason}"),
                format!("throttled: {reason}")
            ]
        );
        let refused = read(OpensearchRetryLogic.outcomes(&both, answer(403, b"no")));
        let reason = "OpenSearch answered 403 to the bulk request: no";
        assert_eq!(
            refused,
            [format!("failed: {reason}"), format!("failed: {reason}")]
        );
        let timed_out = OpensearchError::from(crate::sinks::layers::Elapsed {
            after: std::time::Duration::from_millis(400),
        });
        let unanswered = read(OpensearchRetryLogic.outcomes(&both, Err(timed_out)));
        assert_eq!(
            unanswered,
            ["retry: bulk request failed: no answer within 400 ms"; 2]
        );
    }

    #[test]
    fn an_older_version_refused_with_409_is_delivered() {
        let body = br#"{"took":3,"errors":true,"items":[
            {"index":{"_index":"a","status":409,"error":{"type":"version_conflict_engine_exception","reason":"[k]: version conflict, current version [12] is higher than the one provided [11]"}}},
            {"delete":{"_index":"a","status":409,"error":{"type":"version_conflict_engine_exception","reason":"[k]: version conflict"}}},
            {"index":{"_index":"a","status":409,"error":{"type":"version_conflict_engine_exception","reason":"[k]: version conflict"}}},
            {"index":{"_index":"a","status":409,"error":{"type":"other_conflict","reason":"no"}}}]}"#;
        let mut operations =
            request(&[Action::Index, Action::Delete, Action::Index, Action::Index]);
        for position in [0, 1, 3] {
            operations[position].version = Some(11);
        }
        let all = BulkRequest {
            operations: &operations,
            positions: (0..4).collect(),
        };
        let outcomes = read(OpensearchRetryLogic.outcomes(&all, answer(200, body)));
        assert_eq!(outcomes[..2], ["done", "done"]);
        assert!(
            outcomes[2].starts_with("failed: OpenSearch answered 409"),
            "an unversioned write has no older version to lose to: {}",
            outcomes[2]
        );
        assert!(
            outcomes[3].starts_with("failed: OpenSearch answered 409 (other_conflict"),
            "{}",
            outcomes[3]
        );
    }
}
