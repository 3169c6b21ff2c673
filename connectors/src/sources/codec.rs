//! How a record's bytes become its payloads.

use std::io::Read as _;

use base64::Engine as _;
use bytes::Bytes;
use flate2::Compression;
use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;
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
    /// `subscriptionFilters`, and is accounted as a record of its own (as
    /// KPL user records are), while Lambda is answered per Kinesis record.
    /// Control messages (CloudWatch's checks that the destination is
    /// reachable) give no payload and count as dropped.
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
    /// A payload would take the invocation past its [`DecompressionBudget`]:
    /// earlier records of the invocation took the rest. It is no fault of
    /// the record's, and a later invocation, with a budget of its own, takes
    /// it.
    #[error(
        "payload would take the invocation past its decompression budget of {budget} bytes, \
         which earlier records used; Lambda retries it in an invocation of its own \
         (the budget is a quarter of the function's memory: raise `memory_mb` to decompress more at once)"
    )]
    OverBudget {
        /// The invocation's budget, in bytes.
        budget: usize,
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

impl DecodeError {
    /// Whether the record is not at fault, and is to be retried whatever the
    /// pipeline's `on_error` says.
    pub fn is_transient(&self) -> bool {
        matches!(self, DecodeError::OverBudget { .. })
    }
}

/// How many bytes one invocation may decompress, all its records together.
///
/// The per-record limit ([`Codec::MAX_DECOMPRESSED_BYTES`]) alone lets an
/// event of twenty near-limit gzip records hold over a gigabyte. A record
/// that would take the invocation past its budget fails for retry (Lambda
/// redelivers the shard from it, in an invocation with a fresh budget), so
/// a shard still moves on, a few large records at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecompressionBudget {
    total: usize,
    remaining: usize,
    /// Set once a record was past what was left: the records after it in
    /// the shard are redelivered with it, so they are not decompressed now.
    overrun: bool,
}

impl DecompressionBudget {
    /// The budget of a function with `memory_mb` of memory: a quarter of it,
    /// and never less than one record's limit, so that every record within
    /// that limit fits in an invocation of its own.
    pub fn for_memory_mb(memory_mb: u32) -> Self {
        let quarter = (memory_mb as usize).saturating_mul(1024 * 1024) / 4;
        Self::of_bytes(quarter.max(Codec::MAX_DECOMPRESSED_BYTES))
    }

    /// A budget of `bytes`.
    fn of_bytes(bytes: usize) -> Self {
        DecompressionBudget {
            total: bytes,
            remaining: bytes,
            overrun: false,
        }
    }

    /// The whole budget, unspent: what each invocation starts with.
    pub fn fresh(self) -> Self {
        Self::of_bytes(self.total)
    }

    /// The budget, in bytes.
    pub fn total(self) -> usize {
        self.total
    }
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
    /// says the bytes were already checked to be one JSON text. What is
    /// decompressed is taken from `budget`.
    pub fn decode(
        self,
        bytes: Bytes,
        known_json: bool,
        budget: &mut DecompressionBudget,
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
            Codec::GzipJson => emit(Payload::from_bytes(Bytes::from(gunzip(&bytes, budget)?))),
            Codec::CloudwatchLogs => log_events(&gunzip(&bytes, budget)?, emit)?,
        }
        Ok(())
    }
}

fn gunzip(bytes: &[u8], budget: &mut DecompressionBudget) -> Result<Vec<u8>, DecodeError> {
    let gzip_error = |error: std::io::Error| DecodeError::Gzip {
        reason: error.to_string(),
    };
    let over_budget = DecodeError::OverBudget {
        budget: budget.total,
    };
    if budget.overrun {
        return Err(over_budget);
    }
    let record_limit = Codec::MAX_DECOMPRESSED_BYTES;
    let limit = record_limit.min(budget.remaining);
    let mut decoder = MultiGzDecoder::new(bytes);
    let mut out = Vec::with_capacity(bytes.len().saturating_mul(4).min(limit));
    (&mut decoder)
        .take(limit as u64 + 1)
        .read_to_end(&mut out)
        .map_err(gzip_error)?;
    if out.len() <= limit {
        budget.remaining -= out.len();
        return Ok(out);
    }
    if limit == record_limit {
        return Err(DecodeError::TooLarge { limit });
    }
    // Past what earlier records left of the budget. Whether it fits a budget
    // of its own decides between retrying it later and refusing it: read on,
    // keeping nothing.
    let read = out.len() as u64;
    drop(out);
    let rest = std::io::copy(
        &mut decoder.take(record_limit as u64 + 1 - read),
        &mut std::io::sink(),
    )
    .map_err(gzip_error)?;
    if read + rest > record_limit as u64 {
        return Err(DecodeError::TooLarge {
            limit: record_limit,
        });
    }
    budget.overrun = true;
    Err(over_budget)
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
    let mut text = Vec::new();
    for mut event in message.log_events {
        for (name, value) in [
            (LOG_GROUP, &message.log_group),
            (LOG_STREAM, &message.log_stream),
            (OWNER, &message.owner),
            (SUBSCRIPTION_FILTERS, &message.subscription_filters),
        ] {
            event.insert(name.into(), value.clone());
        }
        // As text: filters then read it without a tree, and sinks copy it.
        serde_json::to_writer(&mut text, &event).expect("writing JSON to a Vec cannot fail");
        emit(Payload::from_json_text(std::mem::take(&mut text)));
    }
    Ok(())
}

/// The message's fields that each log event's payload carries too.
const LOG_GROUP: &str = "logGroup";
const LOG_STREAM: &str = "logStream";
const OWNER: &str = "owner";
const SUBSCRIPTION_FILTERS: &str = "subscriptionFilters";

/// The record bytes that give back one log event: its payload (as
/// [`Codec::CloudwatchLogs`] made it) wrapped again in a gzipped
/// subscription message of its own. A dead letter of a log event carries
/// these, so sending it through again gives the same event, alone.
pub fn log_event_record(payload: &[u8]) -> Bytes {
    let mut event: Map<String, Value> = serde_json::from_slice(payload).unwrap_or_default();
    let mut take = |name: &str| event.remove(name).unwrap_or(Value::Null);
    let message = serde_json::json!({
        "messageType": "DATA_MESSAGE",
        "owner": take(OWNER),
        "logGroup": take(LOG_GROUP),
        "logStream": take(LOG_STREAM),
        "subscriptionFilters": take(SUBSCRIPTION_FILTERS),
        "logEvents": [event],
    });
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    serde_json::to_writer(&mut encoder, &message).expect("writing JSON to a Vec cannot fail");
    Bytes::from(encoder.finish().expect("gzip into a Vec cannot fail"))
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::*;

    fn decode(codec: Codec, bytes: &[u8]) -> Result<Vec<Value>, DecodeError> {
        let mut budget = DecompressionBudget::for_memory_mb(512);
        let mut payloads = Vec::new();
        codec.decode(Bytes::copy_from_slice(bytes), false, &mut budget, |p| {
            payloads.push(p)
        })?;
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

    #[test]
    fn a_log_event_wraps_back_into_a_message_that_gives_it_alone() {
        let message = br#"{"messageType":"DATA_MESSAGE","owner":"123456789012","logGroup":"/aws/lambda/f","logStream":"s","subscriptionFilters":["all"],"logEvents":[{"id":"1","timestamp":1,"message":"start"},{"id":"2","timestamp":2,"message":"end"}]}"#;
        let events = decode(Codec::CloudwatchLogs, &gzip(message)).unwrap();
        let record = log_event_record(serde_json::to_string(&events[1]).unwrap().as_bytes());
        let again = decode(Codec::CloudwatchLogs, &record).unwrap();
        assert_eq!(again, [events[1].clone()]);
    }

    #[test]
    fn a_log_events_dead_letter_gives_back_its_numbers_to_the_last_digit() {
        // Found by the codecs fuzz target: each reading moved the timestamp
        // by a unit in the last place, before serde_json's float_roundtrip.
        let message = br#"{"messageType":"DATA_MESSAGE","owner":"1","logGroup":"g","logStream":"s","subscriptionFilters":[],"logEvents":[{"id":"1","timestamp":1.7999999899999996e50,"message":"m"}]}"#;
        let events = decode(Codec::CloudwatchLogs, &gzip(message)).unwrap();
        assert_eq!(events[0]["timestamp"].as_f64(), Some(1.7999999899999996e50));
        let record = log_event_record(serde_json::to_string(&events[0]).unwrap().as_bytes());
        assert_eq!(decode(Codec::CloudwatchLogs, &record).unwrap(), events);
    }

    #[test]
    fn an_invocation_decompresses_no_more_than_its_budget() {
        let near_limit = gzip(&vec![b' '; 50 * 1024 * 1024]);
        let mut budget = DecompressionBudget::for_memory_mb(512);
        assert_eq!(budget.total(), 128 * 1024 * 1024);
        let decode = |budget: &mut DecompressionBudget| {
            Codec::GzipJson.decode(Bytes::from(near_limit.clone()), false, budget, |_| {})
        };
        assert!(decode(&mut budget).is_ok());
        assert!(decode(&mut budget).is_ok());
        let over = decode(&mut budget).unwrap_err();
        assert!(matches!(over, DecodeError::OverBudget { .. }), "{over}");
        assert!(over.is_transient());
        // What follows is redelivered with it: not even read now (a record
        // that is not gzip would otherwise say so).
        let after = Codec::GzipJson
            .decode(Bytes::from_static(b"not gzip"), false, &mut budget, |_| {})
            .unwrap_err();
        assert!(matches!(after, DecodeError::OverBudget { .. }), "{after}");
        // The next invocation starts afresh.
        assert!(decode(&mut budget.fresh()).is_ok());
        // A small function still takes one record of the per-record limit.
        assert_eq!(
            DecompressionBudget::for_memory_mb(128).total(),
            Codec::MAX_DECOMPRESSED_BYTES
        );
        let too_large = gzip(&vec![b' '; Codec::MAX_DECOMPRESSED_BYTES + 1]);
        let error = Codec::GzipJson
            .decode(Bytes::from(too_large), false, &mut budget.fresh(), |_| {})
            .unwrap_err();
        assert!(matches!(error, DecodeError::TooLarge { .. }), "{error}");
        assert!(!error.is_transient());
    }
}
