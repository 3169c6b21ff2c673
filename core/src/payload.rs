//! A record's data, parsed lazily and at most once.

use bytes::Bytes;
use serde::de::IgnoredAny;
use serde_json::Value;

/// Why a payload could not be read as JSON.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("payload is not valid JSON: {message} at line {line}, column {column}")]
pub struct PayloadError {
    /// serde_json's description of the problem.
    pub message: String,
    /// The line inside the payload (1-based).
    pub line: usize,
    /// The column inside the payload (1-based).
    pub column: usize,
}

impl PayloadError {
    /// The error for the problem `message` at byte `offset` of `bytes`.
    fn at(bytes: &[u8], offset: usize, message: &str) -> Self {
        let before = &bytes[..offset];
        let line = 1 + memchr::memchr_iter(b'\n', before).count();
        let line_start = memchr::memrchr(b'\n', before).map_or(0, |i| i + 1);
        PayloadError {
            message: message.to_owned(),
            line,
            column: offset - line_start + 1,
        }
    }
}

impl From<serde_json::Error> for PayloadError {
    fn from(error: serde_json::Error) -> Self {
        let text = error.to_string();
        // serde_json appends " at line L column C"; keep only the description.
        let message = match text.rfind(" at line ") {
            Some(at) => text[..at].to_owned(),
            None => text,
        };
        PayloadError {
            message,
            line: error.line(),
            column: error.column(),
        }
    }
}

/// A record's data.
///
/// It starts as the bytes the source delivered. The JSON tree is built the
/// first time [`Payload::json`] or [`Payload::json_mut`] asks for it and kept
/// from then on. While the tree is unmodified the raw bytes are kept too, so a
/// sink can write them as they came instead of serializing the tree again.
#[derive(Debug, Clone)]
pub struct Payload {
    repr: Repr,
}

#[derive(Debug, Clone)]
enum Repr {
    /// Bytes as delivered; `valid_json` is true once they are known to be one JSON text.
    Raw { bytes: Bytes, valid_json: bool },
    /// The parsed tree, and the bytes it came from while it is unmodified.
    Json { value: Value, raw: Option<Bytes> },
}

impl Payload {
    /// Bytes as the source delivered them; not yet known to be JSON.
    pub fn from_bytes(bytes: impl Into<Bytes>) -> Self {
        Payload {
            repr: Repr::Raw {
                bytes: bytes.into(),
                valid_json: false,
            },
        }
    }

    /// Bytes already known to hold exactly one valid JSON text (for example,
    /// checked by serde_json while reading a recording).
    pub fn from_json_text(bytes: impl Into<Bytes>) -> Self {
        Payload {
            repr: Repr::Raw {
                bytes: bytes.into(),
                valid_json: true,
            },
        }
    }

    /// A payload built as a JSON tree, such as an aggregate document.
    pub fn from_value(value: Value) -> Self {
        Payload {
            repr: Repr::Json { value, raw: None },
        }
    }

    /// The bytes as delivered, while the payload is unmodified.
    pub fn raw(&self) -> Option<&[u8]> {
        match &self.repr {
            Repr::Raw { bytes, .. } => Some(bytes),
            Repr::Json { raw, .. } => raw.as_deref(),
        }
    }

    /// The JSON tree, if it has been parsed already.
    pub fn parsed(&self) -> Option<&Value> {
        match &self.repr {
            Repr::Json { value, .. } => Some(value),
            Repr::Raw { .. } => None,
        }
    }

    /// The size of the payload as delivered, or 0 for a built document.
    pub fn raw_len(&self) -> usize {
        self.raw().map_or(0, <[u8]>::len)
    }

    /// The JSON tree, parsing the raw bytes the first time.
    pub fn json(&mut self) -> Result<&Value, PayloadError> {
        self.ensure_parsed()?;
        match &self.repr {
            Repr::Json { value, .. } => Ok(value),
            Repr::Raw { .. } => unreachable!("ensure_parsed leaves a tree"),
        }
    }

    /// The JSON tree, for changing it. The raw bytes are let go, since they no
    /// longer describe the payload.
    pub fn json_mut(&mut self) -> Result<&mut Value, PayloadError> {
        self.ensure_parsed()?;
        match &mut self.repr {
            Repr::Json { value, raw } => {
                *raw = None;
                Ok(value)
            }
            Repr::Raw { .. } => unreachable!("ensure_parsed leaves a tree"),
        }
    }

    /// Checks that the payload is one JSON text, without building a tree.
    pub fn validate_json(&mut self) -> Result<(), PayloadError> {
        if let Repr::Raw { bytes, valid_json } = &mut self.repr
            && !*valid_json
        {
            // Most payloads pass a quick check; the others get the full
            // one, which says what is wrong.
            if !crate::json::surely_valid(bytes) {
                let mut de = serde_json::Deserializer::from_slice(bytes);
                serde::Deserialize::deserialize(&mut de).map(|_: IgnoredAny| ())?;
                de.end()?;
                // serde_json does not check the UTF-8 of strings it skips.
                if let Err(error) = std::str::from_utf8(bytes) {
                    let message = "invalid UTF-8 (JSON text must be UTF-8)";
                    return Err(PayloadError::at(bytes, error.valid_up_to(), message));
                }
                // Nor does skipping count depth (it needs no stack to skip).
                if let Some(offset) = crate::json::too_deep_at(bytes) {
                    return Err(PayloadError::at(bytes, offset, crate::json::TOO_DEEP));
                }
            }
            *valid_json = true;
        }
        Ok(())
    }

    /// Appends the payload to `out` as compact JSON on one line (no newline
    /// added). Unmodified JSON on a single line is copied as it came.
    pub fn write_json_line(&mut self, out: &mut Vec<u8>) -> Result<(), PayloadError> {
        self.validate_json()?;
        match &self.repr {
            Repr::Raw { bytes, .. }
            | Repr::Json {
                raw: Some(bytes), ..
            } if memchr::memchr2(b'\n', b'\r', bytes).is_none() => {
                out.extend_from_slice(bytes);
                Ok(())
            }
            _ => {
                let value = self.json()?;
                serde_json::to_writer(&mut *out, value).expect("writing JSON to a Vec cannot fail");
                Ok(())
            }
        }
    }

    /// The payload as bytes: the raw bytes, or the tree serialized as JSON.
    pub fn to_bytes(&self) -> Bytes {
        match &self.repr {
            Repr::Raw { bytes, .. }
            | Repr::Json {
                raw: Some(bytes), ..
            } => bytes.clone(),
            Repr::Json { value, raw: None } => Bytes::from(
                serde_json::to_vec(value).expect("serializing a JSON value cannot fail"),
            ),
        }
    }

    fn ensure_parsed(&mut self) -> Result<(), PayloadError> {
        if let Repr::Raw { bytes, .. } = &self.repr {
            let value: Value = serde_json::from_slice(bytes)?;
            let raw = Some(bytes.clone());
            self.repr = Repr::Json { value, raw };
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_once_and_keeps_raw_bytes_until_modified() {
        let mut payload = Payload::from_bytes(&b"{\"a\": 1}"[..]);
        assert!(payload.parsed().is_none());
        assert_eq!(payload.json().unwrap(), &json!({"a": 1}));
        assert_eq!(payload.raw(), Some(&b"{\"a\": 1}"[..]));
        payload.json_mut().unwrap()["b"] = json!(2);
        assert_eq!(payload.raw(), None);
        let mut line = Vec::new();
        payload.write_json_line(&mut line).unwrap();
        assert_eq!(line, br#"{"a":1,"b":2}"#);
    }

    #[test]
    fn invalid_json_is_an_error_with_its_position() {
        let mut payload = Payload::from_bytes(&b"{\"a\": }"[..]);
        let error = payload.validate_json().unwrap_err();
        assert_eq!((error.line, error.column), (1, 7));
        assert!(
            error
                .to_string()
                .starts_with("payload is not valid JSON: expected value")
        );
        assert!(payload.json().is_err());
    }

    #[test]
    fn strings_that_are_not_utf8_are_invalid() {
        let mut payload = Payload::from_bytes(&b"{\"a\": 1,\n \"b\": \"\xff\"}"[..]);
        let error = payload.validate_json().unwrap_err();
        assert_eq!((error.line, error.column), (2, 8));
        assert!(error.to_string().contains("invalid UTF-8"), "{error}");
    }

    #[test]
    fn trailing_garbage_is_invalid() {
        let mut payload = Payload::from_bytes(&b"{} x"[..]);
        assert!(payload.validate_json().is_err());
    }

    #[test]
    fn multi_line_json_is_rewritten_on_one_line() {
        let mut payload = Payload::from_bytes(&b"{\n  \"a\": [1,\n 2]\n}"[..]);
        let mut line = Vec::new();
        payload.write_json_line(&mut line).unwrap();
        assert_eq!(line, br#"{"a":[1,2]}"#);
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = "[".repeat(100_000);
        let mut payload = Payload::from_bytes(deep.into_bytes());
        assert!(payload.validate_json().is_err());
        assert!(payload.json().is_err());
        // Well-formed, about 120 KB, nested 60,000 deep: both readers refuse it.
        let deep = format!("{}{}", "[".repeat(60_000), "]".repeat(60_000));
        let mut payload = Payload::from_bytes(deep.into_bytes());
        let error = payload.validate_json().unwrap_err();
        assert!(error.message.contains("nested more than 128"), "{error}");
        assert_eq!((error.line, error.column), (1, 129));
        assert!(payload.json().is_err());
    }
}
