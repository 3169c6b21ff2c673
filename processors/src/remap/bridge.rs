//! Between payloads and VRL values, with no JSON tree in between.
//!
//! A payload's bytes are read straight into a VRL value, and the program's
//! result written straight back to JSON text: one parse and one write per
//! record. The obvious way, through `serde_json::Value` each time, builds
//! two more trees a record: benches/remap.rs measures both. Public for
//! processors of one's own that run VRL, and for that benchmark.

use bytes::Bytes;
use serde::Deserialize;
use tributary_core::{Payload, PayloadError};
use vrl::value::Value;

/// The payload as a VRL value: from its tree if a processor before parsed
/// it, else from its bytes.
pub fn to_vrl(payload: &Payload) -> Result<Value, PayloadError> {
    if let Some(tree) = payload.parsed() {
        return Value::deserialize(tree).map_err(PayloadError::from);
    }
    let bytes = payload.raw().unwrap_or_default();
    serde_json::from_slice(bytes).map_err(PayloadError::from)
}

/// A VRL value as a payload of JSON text. Timestamps are written in RFC
/// 3339, bytes that are not UTF-8 with `�` for the bad bytes.
pub fn to_payload(value: &Value) -> Payload {
    let text = serde_json::to_vec(value).expect("a VRL value is always valid JSON");
    Payload::from_json_text(Bytes::from(text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bytes_and_trees_give_the_same_value_and_back() {
        let text = br#"{"b":[1,2.5,"x",null,true],"a":{"c":-7}}"#;
        let from_bytes = to_vrl(&Payload::from_bytes(&text[..])).unwrap();
        let from_tree =
            to_vrl(&Payload::from_value(serde_json::from_slice(text).unwrap())).unwrap();
        assert_eq!(from_bytes, from_tree);
        let mut back = to_payload(&from_bytes);
        assert_eq!(
            back.json().unwrap(),
            &json!({"a": {"c": -7}, "b": [1, 2.5, "x", null, true]})
        );
    }

    #[test]
    fn a_payload_that_is_not_json_is_an_error_at_its_place() {
        let error = to_vrl(&Payload::from_bytes(&b"{\"a\":"[..])).unwrap_err();
        assert_eq!((error.line, error.column), (1, 5));
    }
}
