//! DynamoDB JSON to plain JSON: any item that reads as DynamoDB JSON must
//! convert without a panic, with every object's names in order (the same
//! item always gives the same bytes), and must agree with serde_dynamo's own
//! conversion wherever serde_dynamo accepts the item.
//!
//! The input is JSON text read as a `serde_dynamo::Item`, as Lambda events'
//! keys and images are. Agreeing means: the same shape and the same strings,
//! booleans and nulls; a number is the same number, except where tributary
//! keeps a number that no `i64`, `u64` or `f64` holds exactly as its text
//! (serde_dynamo rounds it to a float, or refuses it). serde_dynamo refuses
//! binary values (`B`, `BS`) into JSON, so items holding them are only
//! checked for order. The document id of the converted item is made too.
//!
//! Seeds: the keys and images of tests/fixtures/events' DynamoDB events and
//! cli/tests/fixtures/dynamodb-export, and one item of every type.
//!
//! cargo +nightly fuzz run --sanitizer none dynamodb_json /tmp/corpus/dynamodb_json fuzz/seeds/dynamodb_json -- -timeout=10

#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_dynamo::{AttributeValue, Item};
use serde_json::Value;
use tributary::connectors::sources::dynamodb_streams::{dynamodb_to_json, item_document_id};

/// Whether tributary's `ours` and serde_dynamo's `theirs` agree on `value`.
fn agree(value: &AttributeValue, ours: &Value, theirs: &Value) -> bool {
    match (value, ours) {
        (AttributeValue::N(text), Value::String(kept)) => kept == text,
        (AttributeValue::N(_), Value::Number(_)) => ours == theirs,
        (AttributeValue::Ns(texts), Value::Array(ours)) => {
            let Value::Array(theirs) = theirs else {
                return false;
            };
            ours.len() == texts.len()
                && theirs.len() == texts.len()
                && texts
                    .iter()
                    .zip(ours)
                    .zip(theirs)
                    .all(|((text, ours), theirs)| {
                        agree(&AttributeValue::N(text.clone()), ours, theirs)
                    })
        }
        (AttributeValue::L(values), Value::Array(ours)) => {
            let Value::Array(theirs) = theirs else {
                return false;
            };
            values.len() == ours.len()
                && values.len() == theirs.len()
                && values
                    .iter()
                    .zip(ours)
                    .zip(theirs)
                    .all(|((v, o), t)| agree(v, o, t))
        }
        (AttributeValue::M(map), Value::Object(ours)) => {
            let Value::Object(theirs) = theirs else {
                return false;
            };
            map.len() == ours.len()
                && map.len() == theirs.len()
                && map
                    .iter()
                    .all(|(name, v)| match (ours.get(name), theirs.get(name)) {
                        (Some(o), Some(t)) => agree(v, o, t),
                        _ => false,
                    })
        }
        _ => ours == theirs,
    }
}

/// Whether every object in `value` has its names in order.
fn names_in_order(value: &Value) -> bool {
    match value {
        Value::Object(map) => {
            map.keys().zip(map.keys().skip(1)).all(|(a, b)| a < b)
                && map.values().all(names_in_order)
        }
        Value::Array(values) => values.iter().all(names_in_order),
        _ => true,
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(item) = serde_json::from_slice::<Item>(data) else {
        return;
    };
    let ours = dynamodb_to_json(item.clone());
    assert!(
        names_in_order(&ours),
        "attributes are in the order of their names: {ours}"
    );
    let again = dynamodb_to_json(item.clone());
    assert_eq!(
        serde_json::to_vec(&ours).unwrap(),
        serde_json::to_vec(&again).unwrap(),
        "one item, one text"
    );
    let _ = item_document_id(&ours);

    let Ok(theirs) = serde_dynamo::from_item::<_, Value>(item.clone()) else {
        return;
    };
    let attribute = AttributeValue::M(item.into_inner());
    assert!(
        agree(&attribute, &ours, &theirs),
        "tributary and serde_dynamo disagree:\n{ours}\n{theirs}"
    );
});
