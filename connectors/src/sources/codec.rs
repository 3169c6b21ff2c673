//! How a record's bytes become its payloads.

use std::io::Read as _;

use base64::Engine as _;
use bytes::Bytes;
use flate2::read::MultiGzDecoder;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value};
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
    /// The bytes are gzip-compressed JSON (as Kinesis producers often write).
    GzipJson,
    /// A CloudWatch Logs subscription: gzip-compressed JSON holding a batch of
    /// log events. Each log event becomes one payload, an object with `id`,
    /// `timestamp`, `message`, `logGroup`, `logStream`, `owner` and
    /// `subscriptionFilters`. Control messages (CloudWatch's checks that the
    /// destination is reachable) give no payload and count as dropped.
    CloudwatchLogs,
}

/// Why a record's bytes do not fit its codec, or could not be read at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The `text` codec met bytes that are not UTF-8.
    #[error("payload is not UTF-8 text: invalid byte at offset {offset}")]
    NotUtf8 {
        /// Where the first invalid byte is.
        offset: usize,
    },
    /// The record's `data` in the Lambda event is not base64.
    #[error(
        "record data is not valid base64 ({reason}); the event was changed on its way or is not from Lambda"
    )]
    Base64 {
        /// What the base64 decoder said.
        reason: String,
    },
    /// The `gzip-json` or `cloudwatch-logs` codec met bytes that do not
    /// decompress.
    #[error("payload is not gzip ({reason}); check the source's `codec`")]
    Gzip {
        /// What the decompressor said.
        reason: String,
    },
    /// A payload decompressed to more than [`Codec::MAX_DECOMPRESSED_BYTES`].
    #[error(
        "payload decompresses to more than {limit} bytes; it is refused to protect the function's memory"
    )]
    TooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The `cloudwatch-logs` codec met a document that is not a subscription
    /// message.
    #[error("payload is not a CloudWatch Logs subscription message: {reason}")]
    NotCloudwatchLogs {
        /// What is wrong with it.
        reason: String,
    },
    /// An entry of the Lambda event does not have the shape of a record.
    #[error("the event's record could not be read: {reason}")]
    Unreadable {
        /// What is wrong with it.
        reason: String,
    },
}

impl Codec {
    /// The most bytes a compressed payload may decompress to.
    pub const MAX_DECOMPRESSED_BYTES: usize = 64 * 1024 * 1024;

    /// The codec's name, as written in TOML.
    pub fn name(self) -> &'static str {
        match self {
            Codec::Json => "json",
            Codec::Text => "text",
            Codec::Bytes => "bytes",
            Codec::GzipJson => "gzip-json",
            Codec::CloudwatchLogs => "cloudwatch-logs",
        }
    }

    /// Turns a record's bytes into its payloads, handing each to `emit`: one
    /// for most codecs, one per log event for `cloudwatch-logs`. `known_json`
    /// says the bytes were already checked to be one JSON text.
    pub fn decode(
        self,
        bytes: Bytes,
        known_json: bool,
        mut emit: impl FnMut(Payload),
    ) -> Result<(), DecodeError> {
        match self {
            Codec::Json if known_json => emit(Payload::from_json_text(bytes)),
            Codec::Json => emit(Payload::from_bytes(bytes)),
            Codec::Text => match std::str::from_utf8(&bytes) {
                Ok(text) => emit(Payload::from_value(Value::String(text.to_owned()))),
                Err(error) => {
                    return Err(DecodeError::NotUtf8 {
                        offset: error.valid_up_to(),
                    });
                }
            },
            Codec::Bytes => emit(Payload::from_value(Value::String(
                base64::engine::general_purpose::STANDARD.encode(&bytes),
            ))),
            Codec::GzipJson => emit(Payload::from_bytes(Bytes::from(gunzip(&bytes)?))),
            Codec::CloudwatchLogs => log_events(&gunzip(&bytes)?, emit)?,
        }
        Ok(())
    }
}

fn gunzip(bytes: &[u8]) -> Result<Vec<u8>, DecodeError> {
    let limit = Codec::MAX_DECOMPRESSED_BYTES;
    let mut out = Vec::with_capacity(bytes.len().saturating_mul(4).min(limit));
    MultiGzDecoder::new(bytes)
        .take(limit as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|error| DecodeError::Gzip {
            reason: error.to_string(),
        })?;
    if out.len() > limit {
        return Err(DecodeError::TooLarge { limit });
    }
    Ok(out)
}

/// A CloudWatch Logs subscription message.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LogsMessage {
    message_type: String,
    #[serde(default)]
    owner: Value,
    #[serde(default)]
    log_group: Value,
    #[serde(default)]
    log_stream: Value,
    #[serde(default)]
    subscription_filters: Value,
    #[serde(default)]
    log_events: Vec<Map<String, Value>>,
}

fn log_events(json: &[u8], mut emit: impl FnMut(Payload)) -> Result<(), DecodeError> {
    let message: LogsMessage =
        serde_json::from_slice(json).map_err(|error| DecodeError::NotCloudwatchLogs {
            reason: error.to_string(),
        })?;
    match message.message_type.as_str() {
        "CONTROL_MESSAGE" => return Ok(()),
        "DATA_MESSAGE" => {}
        other => {
            return Err(DecodeError::NotCloudwatchLogs {
                reason: format!("unknown messageType `{other}`"),
            });
        }
    }
    for mut event in message.log_events {
        event.insert("logGroup".into(), message.log_group.clone());
        event.insert("logStream".into(), message.log_stream.clone());
        event.insert("owner".into(), message.owner.clone());
        event.insert(
            "subscriptionFilters".into(),
            message.subscription_filters.clone(),
        );
        emit(Payload::from_value(Value::Object(event)));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use flate2::Compression;
    use flate2::write::GzEncoder;

    use super::*;

    fn decode(codec: Codec, bytes: &[u8]) -> Result<Vec<Value>, DecodeError> {
        let mut payloads = Vec::new();
        codec.decode(Bytes::copy_from_slice(bytes), false, |p| payloads.push(p))?;
        Ok(payloads
            .into_iter()
            .map(|mut p| p.json().unwrap().clone())
            .collect())
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn decodes_each_codec() {
        assert_eq!(decode(Codec::Json, b"{\"a\":1}").unwrap()[0]["a"], 1);
        assert_eq!(decode(Codec::Text, b"hello").unwrap()[0], "hello");
        assert_eq!(decode(Codec::Bytes, &[0xff, 0x00]).unwrap()[0], "/wA=");
        assert_eq!(
            decode(Codec::GzipJson, &gzip(b"{\"a\":2}")).unwrap()[0]["a"],
            2
        );
        assert_eq!(
            decode(Codec::Text, b"ab\xffc").unwrap_err(),
            DecodeError::NotUtf8 { offset: 2 }
        );
    }

    #[test]
    fn bad_gzip_is_a_clear_error() {
        let error = decode(Codec::GzipJson, b"{\"not\":\"gzip\"}").unwrap_err();
        assert!(matches!(error, DecodeError::Gzip { .. }), "{error}");
        let mut truncated = gzip(b"{\"a\":1}");
        truncated.truncate(truncated.len() - 5);
        assert!(decode(Codec::GzipJson, &truncated).is_err());
    }

    #[test]
    fn cloudwatch_logs_give_one_payload_per_log_event() {
        let message = br#"{"messageType":"DATA_MESSAGE","owner":"123456789012","logGroup":"/aws/lambda/f","logStream":"s","subscriptionFilters":["all"],"logEvents":[{"id":"1","timestamp":1700000000000,"message":"start"},{"id":"2","timestamp":1700000000001,"message":"end"}]}"#;
        let events = decode(Codec::CloudwatchLogs, &gzip(message)).unwrap();
        assert_eq!(events.len(), 2);
        assert_eq!(events[1]["message"], "end");
        assert_eq!(events[1]["logGroup"], "/aws/lambda/f");
        assert_eq!(events[0]["subscriptionFilters"][0], "all");
        let control = br#"{"messageType":"CONTROL_MESSAGE","owner":"CloudwatchLogs","logGroup":"","logStream":"","subscriptionFilters":[],"logEvents":[{"id":"","timestamp":1,"message":"CWL CONTROL MESSAGE: Checking health of destination Kinesis stream."}]}"#;
        assert!(
            decode(Codec::CloudwatchLogs, &gzip(control))
                .unwrap()
                .is_empty()
        );
        let wrong = decode(Codec::CloudwatchLogs, &gzip(b"[1,2]")).unwrap_err();
        assert!(matches!(wrong, DecodeError::NotCloudwatchLogs { .. }));
    }
}
