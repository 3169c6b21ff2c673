//! The usual Kinesis event, read in one pass without serde.
//!
//! Most of a Kinesis event's bytes are strings the decoder skips (Lambda's
//! own fields) or borrows. serde_json reads each one through its generic
//! visitor machinery; this scanner knows the few keys it keeps, and first
//! compares each key, and each string skipped under it, with the previous
//! entry's (Lambda repeats them); only the others are searched for their
//! end, eight bytes at a time.
//!
//! It reads only what it can read exactly as serde_json reads it into
//! [`Entry`] and the envelope: every value it skips is checked against
//! JSON's grammar, as serde_json checks it. Anything else gives `None`, and
//! the event is read by serde_json, as before: an event with window
//! properties, a kept string with an escape, a duplicate field, a value of
//! an unexpected type, a number it could not convert exactly, malformed
//! JSON. So errors and their messages stay serde_json's.

use std::borrow::Cow;

use tributary_core::json::{self, special_byte_at};

use super::event::{Data, Entry, Unreadable};

/// Whether the scanner reads `event` (else serde_json does); when it does,
/// panics unless serde_json reads the same entries from it. The check of
/// the tests and of the `lambda_events` fuzz target.
#[cfg(any(test, fuzzing))]
pub fn agrees_with_serde_json(event: &str) -> bool {
    use crate::sources::envelope::Envelope;

    let Some(scanned) = entries(event) else {
        return false;
    };
    let scanned: Option<Vec<Entry<'_>>> = scanned.into_iter().map(Result::ok).collect();
    // serde_json's reading, of an event without window properties.
    let by_serde = serde_json::from_str::<Envelope<Entry<'_>>>(event)
        .ok()
        .and_then(|mut envelope| {
            let plain = envelope.take_window().is_none() && envelope.shard_id.is_none();
            plain.then_some(envelope.records)
        });
    assert_eq!(scanned, by_serde, "the scanner and serde_json read {event}");
    true
}

/// The entries of `Records`, or `None` when serde_json must read the event.
pub(super) fn entries(event: &str) -> Option<Vec<Result<Entry<'_>, Unreadable<'_>>>> {
    let mut scanner = Scanner {
        text: event,
        bytes: event.as_bytes(),
        at: 0,
    };
    let entries = scanner.envelope()?;
    scanner.skip_whitespace();
    (scanner.at == scanner.bytes.len()).then_some(entries)
}

struct Scanner<'a> {
    text: &'a str,
    bytes: &'a [u8],
    at: usize,
}

/// The keys of the last object of one kind, in order, each with the string
/// skipped under it. The entries of an event mostly have the same keys in
/// the same order, and the same values for the fields Lambda repeats
/// (`eventSource`, `awsRegion`, ...): comparing with the last ones is
/// quicker than looking for the end of each string.
#[derive(Default)]
struct Shape<'a> {
    keys: Vec<(&'a str, Option<&'a str>)>,
}

impl<'a> Scanner<'a> {
    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.bytes.get(self.at) {
            self.at += 1;
        }
    }

    /// The next byte that is not whitespace, consumed.
    fn next(&mut self) -> Option<u8> {
        self.skip_whitespace();
        let byte = *self.bytes.get(self.at)?;
        self.at += 1;
        Some(byte)
    }

    /// The next byte that is not whitespace, left in place.
    fn peek(&mut self) -> Option<u8> {
        self.skip_whitespace();
        self.bytes.get(self.at).copied()
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        (self.next()? == byte).then_some(())
    }

    /// Whether the text at the scanner is `string` and its closing quote;
    /// if so, moves past them. `string` was read as a plain string before,
    /// so the same bytes are one too.
    fn skip_known(&mut self, string: &str) -> bool {
        let end = self.at + string.len();
        let same = self.bytes.get(self.at..end) == Some(string.as_bytes())
            && self.bytes.get(end) == Some(&b'"');
        if same {
            self.at = end + 1;
        }
        same
    }

    /// Reads the members of an object whose `{` was consumed, calling
    /// `member` with each key, the scanner then at its value; `member` reads
    /// the value and gives `true`, or gives `false` for the value to be
    /// skipped. `depth` is how many objects and arrays hold the object.
    fn object(
        &mut self,
        shape: &mut Shape<'a>,
        depth: usize,
        mut member: impl FnMut(&mut Self, &'a str) -> Option<bool>,
    ) -> Option<()> {
        if self.peek()? == b'}' {
            self.at += 1;
            return Some(());
        }
        let mut index = 0;
        loop {
            self.expect(b'"')?;
            let key = match shape.keys.get(index) {
                Some(&(key, _)) if self.skip_known(key) => key,
                _ => {
                    let key = self.plain_string()?;
                    shape.keys.truncate(index);
                    shape.keys.push((key, None));
                    key
                }
            };
            self.expect(b':')?;
            if !member(self, key)? {
                let last = &mut shape.keys[index].1;
                if self.peek()? == b'"' {
                    self.at += 1;
                    if !last.is_some_and(|value| self.skip_known(value)) {
                        *last = self.skip_string()?;
                    }
                } else {
                    *last = None;
                    self.skip_value(depth + 1)?;
                }
            }
            index += 1;
            match self.next()? {
                b',' => continue,
                b'}' => return Some(()),
                _ => return None,
            }
        }
    }

    /// The top level: `Records`, and keys serde_json ignores. The window
    /// properties are left to serde_json.
    fn envelope(&mut self) -> Option<Vec<Result<Entry<'a>, Unreadable<'a>>>> {
        self.expect(b'{')?;
        let mut records = None;
        self.object(&mut Shape::default(), 0, |scanner, key| match key {
            "Records" if records.is_none() => {
                records = Some(scanner.records()?);
                Some(true)
            }
            "Records"
            | "window"
            | "state"
            | "shardId"
            | "eventSourceARN"
            | "isFinalInvokeForWindow"
            | "isWindowTerminatedEarly" => None,
            _ => Some(false),
        })?;
        records
    }

    fn records(&mut self) -> Option<Vec<Result<Entry<'a>, Unreadable<'a>>>> {
        self.expect(b'[')?;
        // A Kinesis entry as Lambda writes it takes some 500 bytes of the
        // event, more than its payload.
        let mut entries = Vec::with_capacity(self.bytes.len() / 512);
        if self.peek()? == b']' {
            self.at += 1;
            return Some(entries);
        }
        let mut shapes = (Shape::default(), Shape::default());
        loop {
            entries.push(Ok(self.entry(&mut shapes)?));
            match self.next()? {
                b',' => continue,
                b']' => return Some(entries),
                _ => return None,
            }
        }
    }

    fn entry(&mut self, (shape, data_shape): &mut (Shape<'a>, Shape<'a>)) -> Option<Entry<'a>> {
        self.expect(b'{')?;
        let mut kinesis = None;
        let mut event_id = None;
        let mut event_source_arn = None;
        self.object(shape, 2, |scanner, key| {
            match key {
                "kinesis" if kinesis.is_none() => kinesis = Some(scanner.data(data_shape)?),
                "eventID" if event_id.is_none() => event_id = Some(scanner.optional_string()?),
                "eventSourceARN" if event_source_arn.is_none() => {
                    event_source_arn = Some(scanner.optional_string()?);
                }
                "kinesis" | "eventID" | "eventSourceARN" => return None,
                _ => return Some(false),
            }
            Some(true)
        })?;
        Some(Entry {
            kinesis: kinesis?,
            event_id: event_id.flatten().map(Cow::Borrowed),
            event_source_arn: event_source_arn.flatten().map(Cow::Borrowed),
        })
    }

    fn data(&mut self, shape: &mut Shape<'a>) -> Option<Data<'a>> {
        self.expect(b'{')?;
        let mut partition_key = None;
        let mut sequence_number = None;
        let mut data = None;
        let mut arrival = None;
        self.object(shape, 3, |scanner, key| {
            match key {
                "partitionKey" if partition_key.is_none() => {
                    partition_key = Some(scanner.string()?)
                }
                "sequenceNumber" if sequence_number.is_none() => {
                    sequence_number = Some(scanner.string()?);
                }
                "data" if data.is_none() => data = Some(scanner.string()?),
                "approximateArrivalTimestamp" if arrival.is_none() => {
                    arrival = Some(scanner.exact_number()?);
                }
                "partitionKey" | "sequenceNumber" | "data" | "approximateArrivalTimestamp" => {
                    return None;
                }
                _ => return Some(false),
            }
            Some(true)
        })?;
        Some(Data {
            partition_key: Cow::Borrowed(partition_key.unwrap_or("")),
            sequence_number: Cow::Borrowed(sequence_number?),
            data: Cow::Borrowed(data?),
            approximate_arrival_timestamp: arrival.unwrap_or(0.0),
        })
    }

    /// A string value without escapes.
    fn string(&mut self) -> Option<&'a str> {
        self.expect(b'"')?;
        self.plain_string()
    }

    /// A string value without escapes, or `null`.
    fn optional_string(&mut self) -> Option<Option<&'a str>> {
        if self.peek()? == b'n' {
            self.literal(b"null")?;
            return Some(None);
        }
        self.string().map(Some)
    }

    /// The rest of a string whose opening quote was consumed, when it has
    /// no escape and no control character.
    fn plain_string(&mut self) -> Option<&'a str> {
        let start = self.at;
        let end = start + special_byte_at(&self.bytes[start..])?;
        if self.bytes[end] != b'"' {
            return None;
        }
        self.at = end + 1;
        // The event is a `str`, and a quote is a character boundary.
        self.text.get(start..end)
    }

    /// Skips the rest of a string whose opening quote was consumed, checking
    /// its escapes and that it has no control character. Gives the string
    /// when it has no escape.
    fn skip_string(&mut self) -> Option<Option<&'a str>> {
        let start = self.at;
        let (end, plain) = json::string_end(self.bytes, start)?;
        self.at = end;
        Some(plain.then(|| self.text.get(start..end - 1)).flatten())
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        self.skip_whitespace();
        if !self.bytes[self.at..].starts_with(word) {
            return None;
        }
        self.at += word.len();
        Some(())
    }

    /// Skips one JSON value, checking it as serde_json would. `depth` is how
    /// many objects and arrays hold it.
    fn skip_value(&mut self, depth: usize) -> Option<()> {
        self.at = json::value_end(self.bytes, self.at, depth)?;
        Some(())
    }

    /// Skips a number of JSON's grammar, giving its text.
    fn number(&mut self) -> Option<Number<'a>> {
        self.skip_whitespace();
        let start = self.at;
        let bytes = self.bytes;
        let mut at = start;
        let negative = bytes.get(at) == Some(&b'-');
        if negative {
            at += 1;
        }
        let digits = |at: usize| {
            bytes[at..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count()
        };
        let integer = digits(at);
        // No leading zero, and at least one digit.
        if integer == 0 || (integer > 1 && bytes[at] == b'0') {
            return None;
        }
        let integer_digits = &bytes[at..at + integer];
        at += integer;
        let mut fraction_digits: &[u8] = &[];
        if bytes.get(at) == Some(&b'.') {
            let fraction = digits(at + 1);
            if fraction == 0 {
                return None;
            }
            fraction_digits = &bytes[at + 1..at + 1 + fraction];
            at += 1 + fraction;
        }
        let mut exponent = false;
        if let Some(b'e' | b'E') = bytes.get(at) {
            exponent = true;
            at += 1;
            if let Some(b'+' | b'-') = bytes.get(at) {
                at += 1;
            }
            let digits = digits(at);
            if digits == 0 {
                return None;
            }
            at += digits;
        }
        self.at = at;
        Some(Number {
            negative,
            integer: integer_digits,
            fraction: fraction_digits,
            exponent,
        })
    }

    /// A number read as `f64` the way serde_json reads it. With at most 15
    /// digits and no exponent, the number is an integer below 2^53 over a
    /// power of ten of at most 10^15, both exact as `f64`: serde_json's
    /// reading and this division are then both the correctly rounded
    /// quotient, so the same. Other numbers are left to serde_json.
    fn exact_number(&mut self) -> Option<f64> {
        let number = self.number()?;
        let digits = number.integer.len() + number.fraction.len();
        if number.exponent || digits > 15 {
            return None;
        }
        let significand = number
            .integer
            .iter()
            .chain(number.fraction)
            .fold(0u64, |value, digit| value * 10 + u64::from(digit - b'0'));
        let value = significand as f64 / POWERS_OF_TEN[number.fraction.len()];
        Some(if number.negative { -value } else { value })
    }
}

/// A number's parts, as written.
struct Number<'a> {
    negative: bool,
    integer: &'a [u8],
    fraction: &'a [u8],
    exponent: bool,
}

/// 10^0 to 10^15, each exact as `f64`.
const POWERS_OF_TEN: [f64; 16] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
];

#[cfg(test)]
mod tests {
    use super::*;

    fn agrees(event: &str) -> bool {
        agrees_with_serde_json(event)
    }

    const EVENT: &str = r#"{"Records":[{"kinesis":{"kinesisSchemaVersion":"1.0","partitionKey":"u-1","sequenceNumber":"4959","data":"eyJhIjoxfQ==","approximateArrivalTimestamp":1790000000.037},"eventSource":"aws:kinesis","eventID":"shardId-000000000000:4959","eventSourceARN":"arn:aws:kinesis:eu-west-1:1:stream/s","x":[1,-2.5e3,true,false,null,{"a":"\u00e9\n\/"},[]]},
 { "kinesis" : { "sequenceNumber" : "4961" , "data" : "" , "approximateArrivalTimestamp" : 17 } , "eventID" : null },
{"kinesis":{"kinesisSchemaVersion":"1.0","partitionKey":"u-2","sequenceNumber":"4963","data":"eyJhIjoyfQ==","approximateArrivalTimestamp":-0.5},"eventSource":"aws:kinesis","eventID":"shardId-000000000000:4963","eventSourceARN":"arn:aws:kinesis:eu-west-1:1:stream/s","x":"\u00e9"}],"other":{}}"#;

    #[test]
    fn reads_the_usual_events_as_serde_json_does() {
        for name in [
            "example-kinesis-event.json",
            "example-kinesis-event-encrypted.json",
        ] {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../tests/fixtures/events")
                .join(name);
            let event = std::fs::read_to_string(path).unwrap();
            assert!(agrees(&event), "{name} is read fast");
        }
        assert!(agrees(EVENT));
        assert!(agrees(r#" {"Records":[]} "#));
    }

    #[test]
    fn leaves_other_events_to_serde_json() {
        for event in [
            // Window properties, escapes in kept strings, duplicates, other
            // types, numbers not exact, bad JSON.
            r#"{"Records":[],"window":{"start":"a","end":"b"}}"#,
            r#"{"Records":[{"kinesis":{"sequenceNumber":"1\u0032","data":""}}]}"#,
            r#"{"Records":[{"kinesis":{"sequenceNumber":"1","data":"","data":""}}]}"#,
            r#"{"Records":[{"kinesis":{"sequenceNumber":1,"data":""}}]}"#,
            r#"{"Records":[{"kinesis":{"sequenceNumber":"1","data":"","approximateArrivalTimestamp":1e3}}]}"#,
            r#"{"Records":[{"kinesis":{"sequenceNumber":"1","data":"","approximateArrivalTimestamp":1.0000000000000001}}]}"#,
            r#"{"Records":[{"kinesis":{"sequenceNumber":"1","data":"","x":01}}]}"#,
            r#"{"Records":[{"kinesis":{"sequenceNumber":"1","data":"","x":"\q"}}]}"#,
            r#"{"Records":[{"kinesis":{"sequenceNumber":"1","data":""}}]} x"#,
            r#"{"Records":[{"kinesis":{"data":""}}]}"#,
            r#"{"Records":[],"Records":[]}"#,
            r#"{}"#,
        ] {
            assert!(entries(event).is_none(), "{event}");
        }
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        let event = format!(r#"{{"Records":[],"x":{deep}}}"#);
        assert!(entries(&event).is_none());
    }

    #[test]
    fn reads_numbers_as_serde_json_does() {
        for number in [
            "0",
            "-0",
            "17",
            "1790000000.037",
            "1480641523.477",
            "0.1",
            "-12.345",
            "999999999999999",
            "99999999999.9999",
            "0.00000000000001",
            "123456789.012345",
        ] {
            let mut scanner = Scanner {
                text: number,
                bytes: number.as_bytes(),
                at: 0,
            };
            let ours = scanner.exact_number().unwrap();
            let theirs: f64 = serde_json::from_str(number).unwrap();
            assert_eq!(ours.to_bits(), theirs.to_bits(), "{number}");
        }
    }

    /// The event with each byte replaced by bytes that matter to JSON, or
    /// removed: what the scanner reads, serde_json reads the same.
    #[test]
    fn agrees_with_serde_json_on_every_one_byte_change() {
        let mut fast = 0;
        for at in 0..EVENT.len() {
            if !EVENT.is_char_boundary(at) || !EVENT.is_char_boundary(at + 1) {
                continue;
            }
            for with in [
                "", "\"", "\\", "{", "}", "[", "]", ",", ":", "0", "-", ".", "e", " ", "n", "t",
                "\u{1}", "a", "/", "u",
            ] {
                let event = format!("{}{with}{}", &EVENT[..at], &EVENT[at + 1..]);
                fast += usize::from(agrees(&event));
            }
        }
        assert!(fast > 1000, "{fast} changed events read fast");
    }
}
