//! Reading a bulk response: each operation's status and error, in order.
//! What they mean for the operation is [`retry`](super::retry)'s to say.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
struct BulkResponse {
    #[serde(default)]
    items: Vec<HashMap<String, Item>>,
}

/// The answer to one operation.
#[derive(Debug, Deserialize)]
pub(super) struct Item {
    pub(super) status: u16,
    #[serde(default)]
    pub(super) error: Option<Value>,
}

impl Item {
    /// The item's error type, such as `version_conflict_engine_exception`.
    pub(super) fn error_type(&self) -> Option<&str> {
        self.error.as_ref().and_then(|e| e["type"].as_str())
    }

    /// The item's error, in OpenSearch's words.
    pub(super) fn describe(&self) -> String {
        let kind = self.error_type().unwrap_or("error");
        let reason = self
            .error
            .as_ref()
            .and_then(|e| e["reason"].as_str())
            .unwrap_or("no reason given");
        format!("OpenSearch answered {} ({kind}: {reason})", self.status)
    }
}

/// The answer to each of the `count` operations of a 200 bulk response, in
/// order; `None` when the response does not answer each operation once.
pub(super) fn items(body: &[u8], count: usize) -> Option<Vec<Item>> {
    let response: BulkResponse = serde_json::from_slice(body).ok()?;
    if response.items.len() != count {
        return None;
    }
    response
        .items
        .into_iter()
        .map(|item| item.into_values().next())
        .collect()
}

/// The start of a response body, for error messages (never a whole payload).
pub(super) fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(300)]);
    text.replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_each_items_status_and_error_in_order() {
        let body = br#"{"took":3,"errors":true,"items":[
            {"index":{"_index":"a","status":201}},
            {"index":{"_index":"a","status":429,"error":{"type":"es_rejected_execution_exception","reason":"busy"}}},
            {"delete":{"_index":"a","status":404}}]}"#;
        let items = items(body, 3).unwrap();
        let statuses: Vec<u16> = items.iter().map(|i| i.status).collect();
        assert_eq!(statuses, [201, 429, 404]);
        assert_eq!(
            items[1].describe(),
            "OpenSearch answered 429 (es_rejected_execution_exception: busy)"
        );
        assert_eq!(
            items[2].describe(),
            "OpenSearch answered 404 (error: no reason given)"
        );
        assert!(
            super::items(body, 2).is_none(),
            "a count mismatch is no answer"
        );
        assert!(super::items(b"<html>", 0).is_none());
        assert_eq!(snippet(b"a\nb"), "a b");
    }
}
