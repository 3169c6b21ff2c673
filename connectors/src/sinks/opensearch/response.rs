//! Reading a bulk response: what became of each operation.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::Value;

use super::Action;

/// What became of one operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum ItemOutcome {
    /// Stored (or, for a delete, gone).
    Done,
    /// Refused this time (429, 402, 5xx): send it again.
    Retry(String),
    /// Refused for good (a mapping error, a bad document): do not send again.
    Rejected(String),
}

#[derive(Deserialize)]
struct BulkResponse {
    #[serde(default)]
    items: Vec<HashMap<String, Item>>,
}

#[derive(Deserialize)]
struct Item {
    status: u16,
    #[serde(default)]
    error: Option<Value>,
}

/// Whether a status is worth trying again: throttled (429), out of capacity
/// (402, OpenSearch Serverless's OCU limit), a timeout (408), or a server
/// error.
pub(super) fn is_retryable(status: u16) -> bool {
    matches!(status, 402 | 408 | 429) || status >= 500
}

/// The outcome of each operation of a 200 bulk response, in order; `None`
/// when the response does not answer each operation once.
pub(super) fn outcomes(body: &[u8], actions: &[Action]) -> Option<Vec<ItemOutcome>> {
    let response: BulkResponse = serde_json::from_slice(body).ok()?;
    if response.items.len() != actions.len() {
        return None;
    }
    response
        .items
        .into_iter()
        .zip(actions)
        .map(|(item, action)| {
            let item = item.into_values().next()?;
            Some(outcome(item, *action))
        })
        .collect()
}

fn outcome(item: Item, action: Action) -> ItemOutcome {
    match (item.status, action) {
        (200..=299, _) => ItemOutcome::Done,
        // Already there: a retried create that had gone through.
        (409, Action::Create) => ItemOutcome::Done,
        // Already gone.
        (404, Action::Delete) => ItemOutcome::Done,
        (status, _) => {
            let reason = describe(status, item.error.as_ref());
            if is_retryable(status) {
                ItemOutcome::Retry(reason)
            } else {
                ItemOutcome::Rejected(reason)
            }
        }
    }
}

fn describe(status: u16, error: Option<&Value>) -> String {
    let kind = error.and_then(|e| e["type"].as_str()).unwrap_or("error");
    let reason = error
        .and_then(|e| e["reason"].as_str())
        .unwrap_or("no reason given");
    format!("OpenSearch answered {status} ({kind}: {reason})")
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let outcomes = outcomes(body, &actions).unwrap();
        assert_eq!(outcomes[0], ItemOutcome::Done);
        assert_eq!(
            outcomes[1],
            ItemOutcome::Retry(
                "OpenSearch answered 429 (es_rejected_execution_exception: busy)".into()
            )
        );
        assert_eq!(outcomes[2], ItemOutcome::Done);
        assert!(
            matches!(&outcomes[3], ItemOutcome::Rejected(r) if r.contains("mapper_parsing_exception"))
        );
        assert_eq!(outcomes[4], ItemOutcome::Done);
        assert!(matches!(outcomes[5], ItemOutcome::Retry(_)));
        assert_eq!(
            super::outcomes(body, &actions[..2]),
            None,
            "a count mismatch is no answer"
        );
        assert!(is_retryable(402) && !is_retryable(400));
    }
}
