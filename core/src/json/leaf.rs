//! One leaf value of a JSON payload, as the scanner reads it.

use std::cmp::Ordering;

/// A number from an event. Long numbers are read approximately (to within a
/// few units in the last place) and keep their text: a comparison decides on
/// the approximation when it is clearly on one side, and parses the text
/// exactly only when it is too close to call. Results are those of parsing
/// every number exactly.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Number<'a> {
    value: f64,
    /// The number's text, when `value` is an approximation.
    text: Option<&'a [u8]>,
}

impl<'a> Number<'a> {
    /// A number read exactly.
    pub fn exact(value: f64) -> Self {
        Number { value, text: None }
    }

    /// A long number: its approximation and its text.
    pub fn approximate(value: f64, text: &'a [u8]) -> Self {
        Number {
            value,
            text: Some(text),
        }
    }

    /// The value, or its approximation.
    pub fn approx(self) -> f64 {
        self.value
    }

    /// How far the approximation may be from the exact value (0 when exact).
    pub fn tolerance(self) -> f64 {
        if self.text.is_some() {
            self.value.abs() * 1e-15
        } else {
            0.0
        }
    }

    /// The exact value, parsing the text if need be.
    pub fn exact_value(self) -> f64 {
        match self.text {
            Some(text) => std::str::from_utf8(text)
                .ok()
                .and_then(|t| t.parse().ok())
                .unwrap_or(self.value),
            None => self.value,
        }
    }

    /// Compares with `other` as the exact value would.
    pub fn compare(self, other: f64) -> Option<Ordering> {
        if (self.value - other).abs() > self.tolerance() {
            self.value.partial_cmp(&other)
        } else {
            self.exact_value().partial_cmp(&other)
        }
    }
}

/// One leaf value of an event, borrowed from the event or from scratch space.
/// Strings are bytes: most operators compare bytes, and only those that need
/// text (case folding, addresses) check that they are UTF-8.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Leaf<'a> {
    /// A string's bytes, unescaped.
    String(&'a [u8]),
    /// A number.
    Number(Number<'a>),
    /// `true` or `false`.
    Bool(bool),
    /// `null`.
    Null,
}

impl<'a> Leaf<'a> {
    /// The bytes of a string.
    pub fn as_bytes(self) -> Option<&'a [u8]> {
        match self {
            Leaf::String(bytes) => Some(bytes),
            _ => None,
        }
    }

    /// A string, when it is UTF-8.
    pub fn as_str(self) -> Option<&'a str> {
        self.as_bytes()
            .and_then(|bytes| std::str::from_utf8(bytes).ok())
    }

    /// A number.
    pub fn as_number(self) -> Option<Number<'a>> {
        match self {
            Leaf::Number(number) => Some(number),
            _ => None,
        }
    }
}
