//! Collecting the leaf values an event has at the fields a pattern set
//! tests, with the array elements they came from.
//!
//! Two collectors fill the same [`Collected`]: [`Collected::scan`] reads raw
//! JSON bytes, descending only into keys on some pattern's path and skipping
//! everything else without parsing it; [`Collected::walk`] reads an already
//! parsed tree. `Collected` is scratch space, reused from event to event, so
//! matching allocates nothing once it has warmed up.

use std::fmt::{self, Write as _};

use serde_json::Value;

use super::fields::{FieldId, FieldTable, NodeId, ROOT};
use super::leaf::{Leaf, Number};
use super::nesting::{MAX_NESTING, TOO_DEEP, string_end};

/// Which element of which array a value came from: `(array, index)`.
pub type Step = (u32, u32);

/// The leaf values found at the tested fields of one event.
#[derive(Debug, Default)]
pub struct Collected {
    /// The leaves found, in the order of the event.
    pub leaves: Vec<Entry>,
    /// Every entry's trail, stored end to end.
    trails: Vec<Step>,
    /// Strings that could not be borrowed from the event: unescaped ones,
    /// and those copied from a parsed tree.
    text: String,
    /// The array elements of the value being read, outermost first.
    stack: Vec<Step>,
    arrays: u32,
}

/// One leaf value at one field.
#[derive(Debug, Clone, Copy)]
pub struct Entry {
    pub field: FieldId,
    value: Stored,
    trail: (u32, u32),
}

#[derive(Debug, Clone, Copy)]
enum Stored {
    /// A string borrowed from the event's bytes.
    Raw(u32, u32),
    /// A string in `Collected::text`.
    Text(u32, u32),
    Number(f64),
    /// A long number's value or approximation, and its text in the event's
    /// bytes.
    Approximate(f64, u32, u32),
    /// A parsed integer that a double does not hold, and its digits in
    /// `Collected::text`.
    LongInteger(f64, u32, u32),
    Bool(bool),
    Null,
}

/// Where an event's bytes stop being JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanError {
    /// The byte offset of the problem.
    pub offset: usize,
    /// What was expected there.
    pub message: &'static str,
}

impl fmt::Display for ScanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "payload is not valid JSON: {} at byte {}",
            self.message, self.offset
        )
    }
}

impl std::error::Error for ScanError {}

impl Collected {
    /// The leaf value of an entry; `bytes` are the event's bytes it was scanned from.
    pub fn leaf<'a>(&'a self, bytes: &'a [u8], entry: &Entry) -> Leaf<'a> {
        match entry.value {
            Stored::Raw(start, end) => Leaf::String(&bytes[start as usize..end as usize]),
            Stored::Text(start, end) => {
                Leaf::String(&self.text.as_bytes()[start as usize..end as usize])
            }
            Stored::Number(number) => Leaf::Number(Number::exact(number)),
            Stored::Approximate(number, start, end) => Leaf::Number(Number::approximate(
                number,
                &bytes[start as usize..end as usize],
            )),
            Stored::LongInteger(number, start, end) => Leaf::Number(Number::approximate(
                number,
                &self.text.as_bytes()[start as usize..end as usize],
            )),
            Stored::Bool(b) => Leaf::Bool(b),
            Stored::Null => Leaf::Null,
        }
    }

    /// The array elements an entry's value came from.
    pub fn trail(&self, entry: &Entry) -> &[Step] {
        &self.trails[entry.trail.0 as usize..(entry.trail.0 + entry.trail.1) as usize]
    }

    fn clear(&mut self) {
        self.leaves.clear();
        self.trails.clear();
        self.text.clear();
        self.stack.clear();
        self.arrays = 0;
    }

    fn record(&mut self, field: FieldId, value: Stored) {
        let trail = (self.trails.len() as u32, self.stack.len() as u32);
        self.trails.extend_from_slice(&self.stack);
        self.leaves.push(Entry {
            field,
            value,
            trail,
        });
    }

    fn record_text(&mut self, field: FieldId, text: &str) {
        let start = self.text.len() as u32;
        self.text.push_str(text);
        self.record(field, Stored::Text(start, self.text.len() as u32));
    }

    /// Records a parsed number. An integer that a double does not hold
    /// (9007199254740993) keeps its digits, as a scanned one does, so that
    /// matching knows it is not a double as written; a fraction has been
    /// rounded to a double by the parser already.
    fn record_number(&mut self, field: FieldId, number: &serde_json::Number) {
        let value = number.as_f64().unwrap_or(f64::NAN);
        let integer = number
            .as_i64()
            .map(i128::from)
            .or_else(|| number.as_u64().map(i128::from));
        match integer {
            Some(integer) if value as i128 != integer => {
                let start = self.text.len() as u32;
                let _ = write!(self.text, "{integer}");
                self.record(
                    field,
                    Stored::LongInteger(value, start, self.text.len() as u32),
                );
            }
            _ => self.record(field, Stored::Number(value)),
        }
    }

    /// Collects from a parsed event. A tree nested deeper than
    /// [`MAX_NESTING`] on a read path is an error (serde_json never parses
    /// one, but a tree can be built by code).
    pub fn walk(&mut self, fields: &FieldTable, event: &Value) -> Result<(), ScanError> {
        self.clear();
        self.walk_value(fields, event, ROOT, 0)
    }

    fn walk_value(
        &mut self,
        fields: &FieldTable,
        value: &Value,
        node: NodeId,
        depth: usize,
    ) -> Result<(), ScanError> {
        let nested = || too_deep(0);
        match value {
            Value::Object(object) => {
                if fields.has_children(node) {
                    if depth >= MAX_NESTING {
                        return Err(nested());
                    }
                    for (key, child) in object {
                        if let Some(next) = fields.child(node, key.as_bytes()) {
                            self.walk_value(fields, child, next, depth + 1)?;
                        }
                    }
                }
            }
            Value::Array(items) => {
                if depth >= MAX_NESTING {
                    return Err(nested());
                }
                let id = self.next_array();
                for (index, item) in items.iter().enumerate() {
                    self.stack.push((id, index as u32));
                    let walked = self.walk_value(fields, item, node, depth + 1);
                    self.stack.pop();
                    walked?;
                }
            }
            leaf => {
                if let Some(field) = fields.field(node) {
                    match leaf {
                        Value::String(text) => self.record_text(field, text),
                        Value::Number(number) => self.record_number(field, number),
                        Value::Bool(b) => self.record(field, Stored::Bool(*b)),
                        _ => self.record(field, Stored::Null),
                    }
                }
            }
        }
        Ok(())
    }

    /// Collects from raw JSON bytes, reading only what the fields need.
    pub fn scan(&mut self, fields: &FieldTable, bytes: &[u8]) -> Result<(), ScanError> {
        self.clear();
        let mut scanner = Scanner {
            bytes,
            pos: 0,
            depth: 0,
            stopped: false,
            fields,
            out: self,
        };
        scanner.skip_whitespace();
        scanner.value(Some(ROOT))?;
        scanner.skip_whitespace();
        if !scanner.stopped && scanner.pos != bytes.len() {
            return Err(scanner.error("unexpected characters after the JSON value"));
        }
        Ok(())
    }

    fn next_array(&mut self) -> u32 {
        self.arrays += 1;
        self.arrays - 1
    }
}

struct Scanner<'a> {
    bytes: &'a [u8],
    pos: usize,
    /// How many objects and arrays enclose `pos`, counting only those read
    /// (skipped ones need no stack).
    depth: usize,
    fields: &'a FieldTable,
    out: &'a mut Collected,
    /// Set when the rest of the event cannot matter and was not read.
    stopped: bool,
}

impl Scanner<'_> {
    fn error(&self, message: &'static str) -> ScanError {
        ScanError {
            offset: self.pos,
            message,
        }
    }

    fn peek(&self) -> Result<u8, ScanError> {
        self.bytes
            .get(self.pos)
            .copied()
            .ok_or_else(|| self.error("unexpected end of input"))
    }

    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    fn expect(&mut self, byte: u8, message: &'static str) -> Result<(), ScanError> {
        self.skip_whitespace();
        if self.peek()? != byte {
            return Err(self.error(message));
        }
        self.pos += 1;
        Ok(())
    }

    /// Reads a value at `node` (None: nobody looks here, skip it).
    fn value(&mut self, node: Option<NodeId>) -> Result<(), ScanError> {
        match self.peek()? {
            b'{' => match node {
                Some(node) if self.fields.has_children(node) => self.object(node),
                _ => self.skip_container(b'{', b'}'),
            },
            b'[' => match node {
                Some(node) => self.array(node),
                None => self.skip_container(b'[', b']'),
            },
            b'"' => {
                let (start, end, escaped) = self.string()?;
                if let Some(field) = node.and_then(|n| self.fields.field(n)) {
                    if escaped {
                        let text = self.unescape(start, end)?;
                        self.out.record_text(field, &text);
                    } else {
                        if std::str::from_utf8(&self.bytes[start..end]).is_err() {
                            return Err(ScanError {
                                offset: start,
                                message: "a string that is not UTF-8",
                            });
                        }
                        self.out
                            .record(field, Stored::Raw(start as u32, end as u32));
                    }
                }
                Ok(())
            }
            b't' => self.literal(b"true", node, Stored::Bool(true)),
            b'f' => self.literal(b"false", node, Stored::Bool(false)),
            b'n' => self.literal(b"null", node, Stored::Null),
            b'-' | b'0'..=b'9' => self.number(node),
            _ => Err(self.error("expected a value")),
        }
    }

    /// Enters an object or array that is read, not skipped.
    fn enter(&mut self) -> Result<(), ScanError> {
        if self.depth >= MAX_NESTING {
            return Err(too_deep(self.pos));
        }
        self.depth += 1;
        Ok(())
    }

    fn object(&mut self, node: NodeId) -> Result<(), ScanError> {
        self.enter()?;
        let read = self.object_members(node);
        self.depth -= 1;
        read
    }

    fn object_members(&mut self, node: NodeId) -> Result<(), ScanError> {
        self.pos += 1;
        self.skip_whitespace();
        if self.peek()? == b'}' {
            self.pos += 1;
            return Ok(());
        }
        // The needed keys read so far, to stop reading the object once all
        // are read and nothing after them can matter: at the top level, when
        // the rest of the event holds no dotted key that continues one; below
        // it, when the needed keys are all leaves. (A later duplicate of a key
        // already read is not looked for: JSON leaves duplicates undefined.)
        let needed = self.fields.children(node);
        let watch = needed <= 64 && (node == ROOT || self.fields.only_leaves_below(node));
        let mut seen = 0u64;
        loop {
            self.skip_whitespace();
            if self.peek()? != b'"' {
                return Err(self.error("expected a key in quotes"));
            }
            let (start, end, escaped) = self.string()?;
            let found = if escaped {
                let key = self.unescape(start, end)?;
                self.fields.lookup(node, key.as_bytes())
            } else {
                self.fields.lookup(node, &self.bytes[start..end])
            };
            self.expect(b':', "expected `:` after a key")?;
            self.skip_whitespace();
            self.value(found.map(|(child, _)| child))?;
            if watch && let Some((_, Some(position))) = found {
                seen |= 1 << position;
                if seen.count_ones() as usize == needed {
                    if node != ROOT {
                        return self.skip_to_close(b'{', b'}', 1);
                    }
                    if !self.fields.rest_may_matter(&self.bytes[self.pos..]) {
                        self.stopped = true;
                        return Ok(());
                    }
                }
            }
            self.skip_whitespace();
            match self.peek()? {
                b',' => self.pos += 1,
                b'}' => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return Err(self.error("expected `,` or `}`")),
            }
        }
    }

    fn array(&mut self, node: NodeId) -> Result<(), ScanError> {
        self.enter()?;
        let read = self.array_elements(node);
        self.depth -= 1;
        read
    }

    fn array_elements(&mut self, node: NodeId) -> Result<(), ScanError> {
        self.pos += 1;
        let id = self.out.next_array();
        self.skip_whitespace();
        if self.peek()? == b']' {
            self.pos += 1;
            return Ok(());
        }
        let mut index = 0;
        loop {
            self.skip_whitespace();
            self.out.stack.push((id, index));
            let read = self.value(Some(node));
            self.out.stack.pop();
            read?;
            index += 1;
            self.skip_whitespace();
            match self.peek()? {
                b',' => self.pos += 1,
                b']' => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return Err(self.error("expected `,` or `]`")),
            }
        }
    }

    /// Reads a string at `pos` (its opening quote); returns the span of its
    /// contents and whether it holds escapes.
    fn string(&mut self) -> Result<(usize, usize, bool), ScanError> {
        let start = self.pos + 1;
        // Most strings are short: look at the first words eight bytes at a
        // time before paying for a vectorized search.
        if let Some(found) = quote_or_backslash(self.bytes, start, 32)
            && self.bytes[found] == b'"'
        {
            self.pos = found + 1;
            return Ok((start, found, false));
        }
        let mut at = start;
        let mut escaped = false;
        loop {
            match memchr::memchr2(b'"', b'\\', &self.bytes[at..]) {
                Some(found) if self.bytes[at + found] == b'"' => {
                    self.pos = at + found + 1;
                    return Ok((start, at + found, escaped));
                }
                Some(found) => {
                    escaped = true;
                    at += found + 2;
                    if at > self.bytes.len() {
                        break;
                    }
                }
                None => break,
            }
        }
        self.pos = self.bytes.len();
        Err(ScanError {
            offset: start - 1,
            message: "a string that never ends",
        })
    }

    fn unescape(&self, start: usize, end: usize) -> Result<String, ScanError> {
        serde_json::from_slice::<String>(&self.bytes[start - 1..=end]).map_err(|_| ScanError {
            offset: start - 1,
            message: "an invalid escape in a string",
        })
    }

    /// Skips an object or array without reading it: only strings (which may
    /// hold brackets) and the brackets of its own kind matter. A plain loop:
    /// in JSON, quotes and brackets come every few bytes, too often for a
    /// vectorized search to pay for its start.
    fn skip_container(&mut self, open: u8, close: u8) -> Result<(), ScanError> {
        self.skip_to_close(open, close, 0)
    }

    /// Skips to the bracket that closes the container `depth` levels up.
    fn skip_to_close(&mut self, open: u8, close: u8, mut depth: usize) -> Result<(), ScanError> {
        let bytes = self.bytes;
        let mut at = self.pos;
        while at < bytes.len() {
            let byte = bytes[at];
            if byte == b'"' {
                at = string_end(bytes, at + 1);
            } else if byte == open {
                depth += 1;
            } else if byte == close {
                depth -= 1;
                if depth == 0 {
                    self.pos = at + 1;
                    return Ok(());
                }
            }
            at += 1;
        }
        self.pos = bytes.len();
        Err(self.error("an object or array that never ends"))
    }

    fn literal(
        &mut self,
        word: &[u8],
        node: Option<NodeId>,
        value: Stored,
    ) -> Result<(), ScanError> {
        if !self.bytes[self.pos..].starts_with(word) {
            return Err(self.error("expected a value"));
        }
        self.pos += word.len();
        if let Some(field) = node.and_then(|n| self.fields.field(n)) {
            self.out.record(field, value);
        }
        Ok(())
    }

    fn number(&mut self, node: Option<NodeId>) -> Result<(), ScanError> {
        let start = self.pos;
        let Some(field) = node.and_then(|n| self.fields.field(n)) else {
            while let Some(b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E') =
                self.bytes.get(self.pos)
            {
                self.pos += 1;
            }
            return Ok(());
        };
        let (length, parsed) = parse_number(&self.bytes[start..]);
        self.pos = start + length;
        let (number, exact) = parsed.ok_or(ScanError {
            offset: start,
            message: "an invalid number",
        })?;
        let stored = if exact {
            Stored::Number(number)
        } else {
            Stored::Approximate(number, start as u32, self.pos as u32)
        };
        self.out.record(field, stored);
        Ok(())
    }
}

fn too_deep(offset: usize) -> ScanError {
    ScanError {
        offset,
        message: TOO_DEEP,
    }
}

/// The first `"` or `\` at or after `from`, looking at most `limit` bytes
/// (rounded up to a whole word), eight bytes at a time: a byte of a word equal
/// to the target leaves a zero byte in `word ^ target`, found with the
/// classic has-zero-byte test. The lowest flagged byte is always a true match.
fn quote_or_backslash(bytes: &[u8], from: usize, limit: usize) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    const QUOTES: u64 = u64::from_ne_bytes([b'"'; 8]);
    const BACKSLASHES: u64 = u64::from_ne_bytes([b'\\'; 8]);
    let end = bytes.len().min(from.saturating_add(limit));
    let mut at = from;
    while at + 8 <= bytes.len() && at < end {
        let word = u64::from_le_bytes(bytes[at..at + 8].try_into().expect("eight bytes"));
        let quotes = word ^ QUOTES;
        let backslashes = word ^ BACKSLASHES;
        let zero =
            (quotes.wrapping_sub(ONES) & !quotes) | (backslashes.wrapping_sub(ONES) & !backslashes);
        let found = zero & HIGHS;
        if found != 0 {
            return Some(at + (found.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    while at < end {
        if matches!(bytes[at], b'"' | b'\\') {
            return Some(at);
        }
        at += 1;
    }
    None
}

/// Powers of ten that an `f64` holds exactly.
const EXACT_POWERS_OF_TEN: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// Reads the JSON number at the start of `bytes`, in one pass: how many
/// bytes it takes, and its value with whether it is short and exact (else
/// the caller keeps its text beside it).
///
/// Plain decimals of at most 15 digits take Clinger's fast path: the digits
/// and the power of ten are both exact in an `f64`, so one division gives the
/// correctly rounded value. Plain decimals of 16 to 19 digits get the same
/// computation as an approximation (within about 2 units in the last place;
/// see [`Number`]). Anything else goes to the standard library's parser,
/// exactly, and is not short.
fn parse_number(bytes: &[u8]) -> (usize, Option<(f64, bool)>) {
    let negative = bytes.first() == Some(&b'-');
    let mut at = usize::from(negative);
    let mut mantissa: u64 = 0;
    let mut count = 0;
    let mut decimals = 0;
    let mut dot = false;
    let mut plain = true;
    while let Some(&byte) = bytes.get(at) {
        match byte {
            b'0'..=b'9' if count < 19 => {
                mantissa = mantissa * 10 + u64::from(byte - b'0');
                count += 1;
                decimals += usize::from(dot);
            }
            b'.' if !dot => dot = true,
            b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E' => plain = false,
            _ => break,
        }
        at += 1;
    }
    let text = &bytes[..at];
    if !plain || decimals >= EXACT_POWERS_OF_TEN.len() {
        // Exact, but not short: the text is kept (as an approximation's is),
        // for matching to tell whether it is a double as written.
        let parsed = std::str::from_utf8(text).ok().and_then(|t| t.parse().ok());
        return (at, parsed.map(|value| (value, false)));
    }
    if count == 0 || text.last() == Some(&b'.') {
        return (at, None);
    }
    let value = mantissa as f64 / EXACT_POWERS_OF_TEN[decimals];
    (
        at,
        Some((if negative { -value } else { value }, count <= 15)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(paths: &[&str], json: &str) -> Vec<(FieldId, String, Vec<Step>)> {
        let mut table = FieldTable::default();
        for path in paths {
            table.intern(path);
        }
        table.seal();
        let mut scanned = Collected::default();
        scanned.scan(&table, json.as_bytes()).unwrap();
        let mut walked = Collected::default();
        walked
            .walk(&table, &serde_json::from_str(json).unwrap())
            .unwrap();
        let show = |c: &Collected| -> Vec<(FieldId, String, Vec<Step>)> {
            c.leaves
                .iter()
                .map(|e| {
                    (
                        e.field,
                        format!("{:?}", c.leaf(json.as_bytes(), e)),
                        c.trail(e).to_vec(),
                    )
                })
                .collect()
        };
        assert_eq!(
            show(&scanned),
            show(&walked),
            "the scanner and the walker agree"
        );
        show(&scanned)
    }

    #[test]
    fn collects_only_tested_fields_with_their_array_elements() {
        let json = r#"{"skip": {"a": [1, {"b": "}"}]}, "d": {"x": [1, [2, 3]], "y.z": "q\"r", "n": null}, "t": true}"#;
        let got = collect(&["d.x", "d.y.z", "d.n"], json);
        assert_eq!(
            got,
            [
                (
                    0,
                    "Number(Number { value: 1.0, text: None })".into(),
                    vec![(0, 0)]
                ),
                (
                    0,
                    "Number(Number { value: 2.0, text: None })".into(),
                    vec![(0, 1), (1, 0)]
                ),
                (
                    0,
                    "Number(Number { value: 3.0, text: None })".into(),
                    vec![(0, 1), (1, 1)]
                ),
                (1, "String([113, 34, 114])".into(), vec![]),
                (2, "Null".into(), vec![]),
            ]
        );
    }

    #[test]
    fn finds_the_first_quote_or_backslash_word_by_word() {
        let text = br#"abcdefgh"ijkl\mnop"#;
        assert_eq!(quote_or_backslash(text, 0, 64), Some(8));
        assert_eq!(quote_or_backslash(text, 9, 64), Some(13));
        assert_eq!(quote_or_backslash(b"abc", 0, 64), None);
        assert_eq!(
            quote_or_backslash(b"abcdefghijklmnop\"", 0, 8),
            None,
            "stops after the limit"
        );
        for length in 0..40 {
            let mut bytes = vec![b'x'; length];
            bytes.push(b'"');
            bytes.extend_from_slice(b"\\\\\"");
            assert_eq!(quote_or_backslash(&bytes, 0, 64), Some(length), "{length}");
        }
        // The bytes either side of `"` (0x22) and `\` (0x5c) are not matches.
        assert_eq!(quote_or_backslash(b"!#[]![]#!#[]][#!", 0, 64), None);
    }

    #[test]
    fn numbers_parse_exactly_on_both_paths() {
        for text in [
            "0",
            "-0",
            "12",
            "-122.41771779274842",
            "37.808480096967251",
            "0.1",
            "123.45",
            "1e3",
            "-2.5E-3",
            "999999999999999",
            "9007199254740993",
            "0.000000000000001",
            "12345678901234567890123",
        ] {
            let exact: f64 = text.parse().unwrap();
            let (length, parsed) = parse_number(format!("{text},").as_bytes());
            assert_eq!(length, text.len(), "{text}");
            let (value, is_exact) = parsed.unwrap();
            if is_exact {
                assert_eq!(value, exact, "{text}");
            } else {
                assert!(
                    (value - exact).abs() <= exact.abs() * 1e-15,
                    "{text}: {value} is not near {exact}"
                );
            }
        }
        for bad in ["", "-", ".", "1.", "1..2", "--1", "1e"] {
            assert_eq!(parse_number(bad.as_bytes()).1, None, "{bad}");
        }
    }

    #[test]
    fn nesting_past_the_limit_is_an_error_not_a_stack_overflow() {
        let mut table = FieldTable::default();
        table.intern("a.b");
        table.seal();
        let mut collected = Collected::default();
        // About 120 KB: fits in a Kinesis record or an EventBridge event.
        let arrays = format!("{}{}", "[".repeat(60_000), "]".repeat(60_000));
        let under_a_key = format!(r#"{{"a": {}{}}}"#, "[".repeat(60_000), "]".repeat(60_000));
        for deep in [&arrays, &under_a_key] {
            let error = collected.scan(&table, deep.as_bytes()).unwrap_err();
            assert!(error.message.contains("nested more than 128"), "{error}");
        }
        // Exactly at the limit is fine; skipped containers need no stack.
        let objects = format!("{}1{}", r#"{"a":"#.repeat(60_000), "}".repeat(60_000));
        assert!(collected.scan(&table, objects.as_bytes()).is_ok());
        let at_limit = format!("{}{}", "[".repeat(MAX_NESTING), "]".repeat(MAX_NESTING));
        assert!(collected.scan(&table, at_limit.as_bytes()).is_ok());
        let skipped = format!(r#"{{"z": {}1{}}}"#, "[".repeat(60_000), "]".repeat(60_000));
        assert!(collected.scan(&table, skipped.as_bytes()).is_ok());
        // A tree built by code, deeper than serde_json would parse.
        let mut tree = Value::Null;
        for _ in 0..60_000 {
            tree = Value::Array(vec![tree]);
        }
        assert!(collected.walk(&table, &tree).is_err());
        // Dropping a deep serde_json tree recurses too: unwind it by hand.
        while let Value::Array(mut items) = tree {
            tree = items.pop().unwrap_or(Value::Null);
        }
    }

    #[test]
    fn malformed_json_is_an_error_not_a_panic() {
        let mut table = FieldTable::default();
        table.intern("a.b");
        table.seal();
        let mut collected = Collected::default();
        for bad in [
            "",
            "{",
            "{\"a\"",
            "{\"a\": ",
            "{\"a\": {\"b\": tru}}",
            "{\"a\": \"x",
            "[1,",
            "{} x",
            "{\"a\" 1}",
            "{\"z\": [}",
        ] {
            assert!(collected.scan(&table, bad.as_bytes()).is_err(), "{bad}");
        }
        let error = collected.scan(&table, b"{\"a\": {\"x\": 1,}}").unwrap_err();
        assert_eq!(error.offset, 14);
        // Past the last needed key, the rest is skipped, not checked.
        assert!(collected.scan(&table, b"{\"a\": {\"b\": 1,}}").is_ok());
    }
}
