//! One leaf value of a JSON payload, as the scanner reads it.

use std::cmp::Ordering;

/// A number from an event. Long numbers are read approximately (to within a
/// few units in the last place) and keep their text: a comparison decides on
/// the approximation when it is clearly on one side, and parses the text
/// exactly only when it is too close to call. Results are those of parsing
/// every number exactly. The text also tells whether the number is a double
/// as written ([`Number::is_double`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Number<'a> {
    value: f64,
    /// The number's text, when it is long or has an exponent.
    text: Option<&'a [u8]>,
}

impl<'a> Number<'a> {
    /// A number read exactly.
    pub fn exact(value: f64) -> Self {
        Number { value, text: None }
    }

    /// A long number (or one with an exponent): its approximation and its
    /// text.
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

    /// Whether the number is a double exactly as written: the decimal value
    /// of its text is that of the shortest decimal of its double. Only such
    /// numbers are compared as numbers by EventBridge's matching
    /// (event-ruler's `ComparableNumber.generate` refuses the others:
    /// 9007199254740993 is not one, 0.1 and 1e3 are).
    pub fn is_double(self) -> bool {
        use std::io::Write as _;

        let Some(text) = self.text else {
            return true;
        };
        let value = self.exact_value();
        // The shortest decimal of a double is at most 24 bytes
        // (`-2.2250738585072014e-308`); written on the stack, as matching
        // allocates nothing.
        let mut shortest = [0u8; 32];
        let mut out = std::io::Cursor::new(&mut shortest[..]);
        if !value.is_finite() || write!(out, "{value:e}").is_err() {
            return false;
        }
        let length = out.position() as usize;
        match (Decimal::read(text), Decimal::read(&shortest[..length])) {
            (Some(written), Some(double)) => written.same_value(&double),
            _ => false,
        }
    }

    /// The number as the event writes it, when it was kept: for a long
    /// number, or one with an exponent.
    pub fn text(self) -> Option<&'a [u8]> {
        self.text
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

/// A decimal number as written (`-1.50e2`): its sign, its digits before and
/// after the point, which of them are significant (no leading or trailing
/// zero), and the power of ten of the last significant one. Read without
/// allocating.
#[derive(Debug, Clone, Copy)]
struct Decimal<'t> {
    negative: bool,
    whole: &'t [u8],
    fraction: &'t [u8],
    /// The significant digits: `first..end` of `whole` then `fraction`.
    first: usize,
    end: usize,
    /// The power of ten of the digit before `end`.
    exponent: i64,
}

impl<'t> Decimal<'t> {
    /// `None` for text that is not a decimal number.
    fn read(text: &'t [u8]) -> Option<Self> {
        let (negative, text) = match text.split_first() {
            Some((b'-', rest)) => (true, rest),
            _ => (false, text),
        };
        let (mantissa, written_exponent) = match text.iter().position(|b| matches!(b, b'e' | b'E'))
        {
            Some(at) => (
                &text[..at],
                std::str::from_utf8(&text[at + 1..])
                    .ok()?
                    .parse::<i64>()
                    .ok()?,
            ),
            None => (text, 0),
        };
        let (whole, fraction) = match mantissa.iter().position(|&b| b == b'.') {
            Some(at) => (&mantissa[..at], &mantissa[at + 1..]),
            None => (mantissa, &[][..]),
        };
        let mut decimal = Decimal {
            negative,
            whole,
            fraction,
            first: 0,
            end: whole.len() + fraction.len(),
            exponent: 0,
        };
        if decimal.end == 0 || !(0..decimal.end).all(|i| decimal.digit(i).is_ascii_digit()) {
            return None;
        }
        while decimal.first < decimal.end && decimal.digit(decimal.first) == b'0' {
            decimal.first += 1;
        }
        while decimal.end > decimal.first && decimal.digit(decimal.end - 1) == b'0' {
            decimal.end -= 1;
        }
        let trailing_zeros = (whole.len() + fraction.len() - decimal.end) as i64;
        decimal.exponent = written_exponent
            .checked_sub(fraction.len() as i64)?
            .checked_add(trailing_zeros)?;
        Some(decimal)
    }

    fn digit(&self, index: usize) -> u8 {
        match index.checked_sub(self.whole.len()) {
            None => self.whole[index],
            Some(index) => self.fraction[index],
        }
    }

    fn is_zero(&self) -> bool {
        self.first == self.end
    }

    /// Whether both write the same number (`-0` is `0`).
    fn same_value(&self, other: &Decimal<'_>) -> bool {
        if self.is_zero() || other.is_zero() {
            return self.is_zero() && other.is_zero();
        }
        self.negative == other.negative
            && self.exponent == other.exponent
            && self.end - self.first == other.end - other.first
            && (self.first..self.end)
                .map(|i| self.digit(i))
                .eq((other.first..other.end).map(|i| other.digit(i)))
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

#[cfg(test)]
mod tests {
    use super::Number;

    fn written(text: &str) -> Number<'_> {
        Number::approximate(text.parse().unwrap(), text.as_bytes())
    }

    #[test]
    fn a_number_is_a_double_when_its_text_is_the_value_of_one() {
        for text in [
            "1e3",
            "1.50e2",
            "150",
            "-0",
            "0.1",
            "-2.5E-3",
            "0.30000000000000004",
            "9007199254740992",
            "1.7976931348623157e308",
            "5e-324",
        ] {
            assert!(written(text).is_double(), "{text}");
        }
        for text in [
            "9007199254740993",
            "0.30000000000000001",
            "123456789012345678901",
            "1e400",
        ] {
            assert!(!written(text).is_double(), "{text}");
        }
        assert!(Number::exact(0.1).is_double(), "a short number is one");
    }
}
