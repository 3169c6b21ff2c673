//! A quick check that a payload is one JSON text.
//!
//! [`Payload::validate_json`](crate::Payload::validate_json) checks each
//! payload once, with serde_json, then for UTF-8 and depth. For the usual
//! small payload that is most of the check's time in serde_json's generic
//! machinery. [`surely_valid`] answers first: `true` only when the text is
//! UTF-8, one JSON text by serde_json's grammar, and nests at most
//! [`MAX_DEPTH`] deep; on `false` the full check runs and says why, so
//! errors stay as they were.

use super::special_byte_at;

/// Deeper than this, the full check decides (its limit is
/// [`MAX_NESTING`](super::MAX_NESTING)).
const MAX_DEPTH: usize = 64;

/// Whether `bytes` is surely one valid JSON text within the nesting limit.
/// `false` says nothing: the full check must run.
pub fn surely_valid(bytes: &[u8]) -> bool {
    if std::str::from_utf8(bytes).is_err() {
        return false;
    }
    let mut checker = Checker { bytes, at: 0 };
    checker.value(0).is_some() && {
        checker.skip_whitespace();
        checker.at == bytes.len()
    }
}

/// Where the JSON value at `bytes[at..]` (after any whitespace) ends,
/// checked as serde_json checks it (escapes, numbers, no control
/// character), when it nests at most [`MAX_DEPTH`] deep counting the `depth`
/// objects and arrays that hold it. The Kinesis event scanner skips the
/// values it does not keep with it.
pub fn value_end(bytes: &[u8], at: usize, depth: usize) -> Option<usize> {
    let mut checker = Checker { bytes, at };
    checker.value(depth)?;
    Some(checker.at)
}

/// Where the JSON string whose opening quote is just before `at` ends (past
/// its closing quote), checked as serde_json checks it; and whether it has
/// no escape, so that its text is its value.
pub fn string_end(bytes: &[u8], at: usize) -> Option<(usize, bool)> {
    let mut checker = Checker { bytes, at };
    let plain = checker.string()?;
    Some((checker.at, plain))
}

struct Checker<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Checker<'_> {
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

    fn value(&mut self, depth: usize) -> Option<()> {
        if depth >= MAX_DEPTH {
            return None;
        }
        match self.next()? {
            b'"' => self.string().map(drop),
            b'{' => {
                if self.next()? == b'}' {
                    return Some(());
                }
                self.at -= 1;
                loop {
                    if self.next()? != b'"' {
                        return None;
                    }
                    self.string()?;
                    if self.next()? != b':' {
                        return None;
                    }
                    self.value(depth + 1)?;
                    match self.next()? {
                        b',' => continue,
                        b'}' => return Some(()),
                        _ => return None,
                    }
                }
            }
            b'[' => {
                if self.next()? == b']' {
                    return Some(());
                }
                self.at -= 1;
                loop {
                    self.value(depth + 1)?;
                    match self.next()? {
                        b',' => continue,
                        b']' => return Some(()),
                        _ => return None,
                    }
                }
            }
            b't' => self.rest_of(b"rue"),
            b'f' => self.rest_of(b"alse"),
            b'n' => self.rest_of(b"ull"),
            b'-' | b'0'..=b'9' => {
                self.at -= 1;
                self.number()
            }
            _ => None,
        }
    }

    fn rest_of(&mut self, word: &[u8]) -> Option<()> {
        self.bytes[self.at..].starts_with(word).then(|| {
            self.at += word.len();
        })
    }

    /// The rest of a string whose opening quote was consumed: no control
    /// character, and escapes as serde_json reads them. Gives whether it had
    /// no escape.
    fn string(&mut self) -> Option<bool> {
        let mut plain = true;
        loop {
            let end = self.at + special_byte_at(&self.bytes[self.at..])?;
            self.at = end + 1;
            match self.bytes[end] {
                b'"' => return Some(plain),
                b'\\' => plain = false,
                _ => return None,
            }
            match *self.bytes.get(self.at)? {
                b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => self.at += 1,
                b'u' => {
                    let hex = self.bytes.get(self.at + 1..self.at + 5)?;
                    if !hex.iter().all(u8::is_ascii_hexdigit) {
                        return None;
                    }
                    self.at += 5;
                }
                _ => return None,
            }
        }
    }

    /// A number of JSON's grammar: `-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?`.
    fn number(&mut self) -> Option<()> {
        if self.bytes.get(self.at) == Some(&b'-') {
            self.at += 1;
        }
        let first = self.at;
        let integer = self.digits();
        if integer == 0 || (integer > 1 && self.bytes[first] == b'0') {
            return None;
        }
        if self.bytes.get(self.at) == Some(&b'.') {
            self.at += 1;
            if self.digits() == 0 {
                return None;
            }
        }
        if let Some(b'e' | b'E') = self.bytes.get(self.at) {
            self.at += 1;
            if let Some(b'+' | b'-') = self.bytes.get(self.at) {
                self.at += 1;
            }
            if self.digits() == 0 {
                return None;
            }
        }
        Some(())
    }

    fn digits(&mut self) -> usize {
        let count = self.bytes[self.at..]
            .iter()
            .take_while(|byte| byte.is_ascii_digit())
            .count();
        self.at += count;
        count
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Payload;

    /// What the full check says.
    fn fully_valid(bytes: &[u8]) -> bool {
        let mut payload = Payload::from_bytes(bytes.to_vec());
        payload.validate_json().is_ok()
    }

    const PAYLOAD: &str = r#" {"kind":"purchase","user":"u-0\u00e9\n\/","eur":-12.5e+3,"items":[1,0.25,true,false,null,{},[],{"a":[{"b":"café"}]}],"0":0} "#;

    #[test]
    fn payloads_are_surely_valid_only_when_fully_valid() {
        assert!(surely_valid(PAYLOAD.as_bytes()));
        let mut surely = 0;
        for at in 0..PAYLOAD.len() {
            for with in [
                &b""[..],
                b"\"",
                b"\\",
                b"{",
                b"}",
                b"[",
                b"]",
                b",",
                b":",
                b"0",
                b"-",
                b".",
                b"e",
                b" ",
                b"n",
                b"t",
                b"\x01",
                b"a",
                b"u",
                b"\xff",
            ] {
                let mut bytes = PAYLOAD.as_bytes()[..at].to_vec();
                bytes.extend_from_slice(with);
                bytes.extend_from_slice(&PAYLOAD.as_bytes()[at + 1..]);
                if surely_valid(&bytes) {
                    surely += 1;
                    assert!(fully_valid(&bytes), "{}", String::from_utf8_lossy(&bytes));
                }
            }
        }
        assert!(surely > 500, "{surely} changed payloads surely valid");
        let deep = format!("{}{}", "[".repeat(100), "]".repeat(100));
        assert!(!surely_valid(deep.as_bytes()) && fully_valid(deep.as_bytes()));
        for bad in ["", "01", "1.", "[1,]", "{\"a\"}", "\"\\x\"", "nul", "1 2"] {
            assert!(!surely_valid(bad.as_bytes()), "{bad}");
        }
    }
}
