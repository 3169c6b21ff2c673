//! DynamoDB items as plain JSON, and the document id of an item.
//!
//! Keys and images arrive in DynamoDB JSON (`{"pk":{"S":"a"}}`);
//! [`dynamodb_to_json`] makes them plain JSON (`{"pk":"a"}`), for Lambda
//! events (`event.rs`) and recordings (`recorder.rs`) alike. An item's
//! document id, which sinks write it under and which tells two changes to
//! one item apart from changes to two (`collapse.rs`), comes from its keys
//! ([`item_document_id`]).

use std::collections::HashMap;
use std::sync::Arc;

use base64::Engine as _;
use serde_dynamo::{AttributeValue, Item};
use serde_json::{Number, Value};
use tributary_core::Origin;

/// A DynamoDB item as plain JSON. `S` becomes a string, `N` a number (or a
/// string, when a JSON number cannot hold every digit), `BOOL` a boolean,
/// `NULL` null, `B` a base64 string, `M` an object, `L` an array, and the
/// sets `SS`, `NS` and `BS` arrays. Attributes (of the item and of its maps)
/// are in the order of their names: DynamoDB gives them in no set order, and
/// the same item always gives the same bytes.
pub fn dynamodb_to_json(item: Item) -> Value {
    map_to_json(item.into_inner())
}

fn map_to_json(map: HashMap<String, AttributeValue>) -> Value {
    let mut attributes: Vec<(String, AttributeValue)> = map.into_iter().collect();
    attributes.sort_unstable_by(|(a, _), (b, _)| a.cmp(b));
    Value::Object(
        attributes
            .into_iter()
            .map(|(name, value)| (name, attribute_to_json(value)))
            .collect(),
    )
}

fn attribute_to_json(value: AttributeValue) -> Value {
    let base64 =
        |bytes: Vec<u8>| Value::String(base64::engine::general_purpose::STANDARD.encode(bytes));
    match value {
        AttributeValue::S(text) => Value::String(text),
        AttributeValue::N(number) => number_to_json(number),
        AttributeValue::Bool(flag) => Value::Bool(flag),
        AttributeValue::Null(_) => Value::Null,
        AttributeValue::B(bytes) => base64(bytes),
        AttributeValue::M(map) => map_to_json(map),
        AttributeValue::L(list) => Value::Array(list.into_iter().map(attribute_to_json).collect()),
        AttributeValue::Ss(set) => Value::Array(set.into_iter().map(Value::String).collect()),
        AttributeValue::Ns(set) => Value::Array(set.into_iter().map(number_to_json).collect()),
        AttributeValue::Bs(set) => Value::Array(set.into_iter().map(base64).collect()),
    }
}

/// DynamoDB numbers have up to 38 digits; a JSON number here is an `i64`,
/// `u64` or `f64`. A number that would lose digits stays a string.
fn number_to_json(text: String) -> Value {
    match text.parse::<Number>() {
        Ok(number) if number.is_i64() || number.is_u64() => Value::Number(number),
        Ok(number) if number.to_string() == text => Value::Number(number),
        _ => Value::String(text),
    }
}

/// The document id of an item, from its keys (plain JSON, as
/// [`dynamodb_to_json`] makes them). The encoding is stable and documented
/// in docs/sources.md: the key attributes in order of their names, each
/// value as text (a string as it is, a number as written, binary as base64),
/// with `\` and `|` escaped by a `\`, joined by `|`. A table with only a
/// partition key `pk = "order#1"` gives `order#1`; with a sort key `sk = 2`
/// as well, `order#1|2`. An id over 512 bytes becomes `md5:` and the hex MD5
/// digest of the text.
pub fn item_document_id(keys: &Value) -> Arc<str> {
    let mut keys: Vec<(&String, &Value)> = keys
        .as_object()
        .map(|k| k.iter().collect())
        .unwrap_or_default();
    keys.sort_by_key(|(name, _)| *name);
    tributary_core::document_id(tributary_core::join_id_values(
        keys.into_iter().map(|(_, value)| value),
    ))
}

/// The document id of the item a change names: [`item_document_id`] of its
/// origin's keys, or `None` when it has none or they name no item (`{}`).
pub(in crate::sources) fn item_id(origin: &Origin) -> Option<Arc<str>> {
    origin
        .item_keys
        .as_ref()
        .filter(|keys| keys.as_object().is_some_and(|keys| !keys.is_empty()))
        .map(item_document_id)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn item(json: &str) -> Item {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn every_attribute_type_becomes_plain_json() {
        let value = dynamodb_to_json(item(
            r#"{"s":{"S":"a"},"n":{"N":"12"},"f":{"N":"1.5"},"big":{"N":"123456789012345678901234567890"},
                "t":{"BOOL":true},"z":{"NULL":true},"b":{"B":"AAEqQQ=="},
                "m":{"M":{"x":{"N":"-3"}}},"l":{"L":[{"S":"x"},{"N":"1"}]},
                "ss":{"SS":["a","b"]},"ns":{"NS":["1","2.25"]},"bs":{"BS":["AAEqQQ=="]}}"#,
        ));
        assert_eq!(
            value,
            json!({"s":"a","n":12,"f":1.5,"big":"123456789012345678901234567890","t":true,"z":null,
                   "b":"AAEqQQ==","m":{"x":-3},"l":["x",1],"ss":["a","b"],"ns":[1,2.25],"bs":["AAEqQQ=="]})
        );
    }

    #[test]
    fn document_ids_are_stable_and_unambiguous() {
        assert_eq!(&*item_document_id(&json!({"pk": "order#1"})), "order#1");
        assert_eq!(
            &*item_document_id(&json!({"sk": 2, "pk": "order#1"})),
            "order#1|2"
        );
        assert_eq!(
            &*item_document_id(&json!({"a": "x|y", "b": "z"})),
            "x\\|y|z"
        );
        assert_ne!(
            item_document_id(&json!({"a": "x|y", "b": "z"})),
            item_document_id(&json!({"a": "x", "b": "y|z"}))
        );
        let long = item_document_id(&json!({"pk": "x".repeat(600)}));
        assert!(long.starts_with("md5:") && long.len() == 36, "{long}");
    }
}
