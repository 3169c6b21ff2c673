//! How a record's bytes become its payload.

use base64::Engine as _;
use bytes::Bytes;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;
use tributary_core::Payload;

/// How a record's bytes become its payload.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Codec {
    /// The bytes are one JSON document. It is parsed lazily, when a processor
    /// or sink first needs it, and a record that is not JSON fails then.
    #[default]
    Json,
    /// The bytes are UTF-8 text; the payload is a JSON string.
    Text,
    /// The bytes are opaque; the payload is a JSON string of their base64.
    Bytes,
}

/// Why a record's bytes do not fit its codec.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The `text` codec met bytes that are not UTF-8.
    #[error("payload is not UTF-8 text: invalid byte at offset {offset}")]
    NotUtf8 {
        /// Where the first invalid byte is.
        offset: usize,
    },
}

impl Codec {
    /// Turns a record's bytes into its payload. `known_json` says the bytes
    /// were already checked to be one JSON text, so the check is not repeated.
    pub fn decode(self, bytes: Bytes, known_json: bool) -> Result<Payload, DecodeError> {
        match self {
            Codec::Json if known_json => Ok(Payload::from_json_text(bytes)),
            Codec::Json => Ok(Payload::from_bytes(bytes)),
            Codec::Text => match std::str::from_utf8(&bytes) {
                Ok(text) => Ok(Payload::from_value(Value::String(text.to_owned()))),
                Err(error) => Err(DecodeError::NotUtf8 {
                    offset: error.valid_up_to(),
                }),
            },
            Codec::Bytes => Ok(Payload::from_value(Value::String(
                base64::engine::general_purpose::STANDARD.encode(&bytes),
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_each_codec() {
        let mut json = Codec::Json
            .decode(Bytes::from_static(b"{\"a\":1}"), false)
            .unwrap();
        assert_eq!(json.json().unwrap()["a"], 1);
        let mut text = Codec::Text
            .decode(Bytes::from_static(b"hello"), false)
            .unwrap();
        assert_eq!(text.json().unwrap(), "hello");
        let mut bytes = Codec::Bytes
            .decode(Bytes::from_static(&[0xff, 0x00]), false)
            .unwrap();
        assert_eq!(bytes.json().unwrap(), "/wA=");
        assert_eq!(
            Codec::Text
                .decode(Bytes::from_static(b"ab\xffc"), false)
                .unwrap_err(),
            DecodeError::NotUtf8 { offset: 2 }
        );
    }
}
