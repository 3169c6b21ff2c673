//! The operators of an event pattern, compiled, and how each tests one value.

use std::cmp::Ordering;
use std::net::IpAddr;

pub(super) use tributary_core::json::{Leaf, Number};

/// A pattern value to compare with an event value: strings as strings,
/// numbers as numbers (`300` equals `300.0`), and `true`, `false`, `null`.
///
/// Numbers compare as numbers only when both are doubles as written
/// ([`Number::is_double`]), as in EventBridge (event-ruler's
/// `ComparableNumber`); a number that is not one, on either side, matches
/// only the same text (`9007199254740993` matches `9007199254740993`, not
/// `9007199254740992`).
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Literal {
    String(String),
    Number(f64),
    /// A number of the pattern that is not a double as written, by its text.
    NumberText(String),
    Bool(bool),
    Null,
}

impl Literal {
    pub(super) fn matches(&self, value: Leaf<'_>) -> bool {
        match (self, value) {
            (Literal::String(s), Leaf::String(v)) => s.as_bytes() == v,
            (Literal::Number(n), Leaf::Number(v)) => {
                v.is_double() && v.compare(*n) == Some(Ordering::Equal)
            }
            (Literal::NumberText(text), Leaf::Number(v)) => v.text() == Some(text.as_bytes()),
            (Literal::Bool(b), Leaf::Bool(v)) => *b == v,
            (Literal::Null, Leaf::Null) => true,
            _ => false,
        }
    }
}

/// One test of one leaf value of the event.
#[derive(Debug, Clone)]
pub(super) enum Operator {
    /// `"value"`, `5`, `true`, `null`.
    Exact(Literal),
    /// `{"prefix": "us-"}`.
    Prefix(String),
    /// `{"prefix": {"equals-ignore-case": "us-"}}`.
    PrefixIgnoreCase(IgnoreCase),
    /// `{"suffix": ".png"}`.
    Suffix(String),
    /// `{"suffix": {"equals-ignore-case": ".png"}}`.
    SuffixIgnoreCase(IgnoreCase),
    /// `{"equals-ignore-case": "Running"}`.
    EqualsIgnoreCase(IgnoreCase),
    /// `{"wildcard": "arn:*:bus/*"}`.
    Wildcard(Wildcard),
    /// `{"anything-but": ...}`: any value the inner test does not accept.
    AnythingBut(AnythingBut),
    /// `{"numeric": [">", 0, "<=", 5]}`.
    Numeric(Range),
    /// `{"cidr": "10.0.0.0/24"}`.
    Cidr(Cidr),
    /// `"10.0.0.1"`, `"2001:db8::1"`: an exact value that is an IP address
    /// compares as an address, as in event-ruler (`JsonRuleCompiler.writeRules`
    /// turns it into a one-address range), so `"2001:DB8::1"` matches it too.
    Address(IpAddr),
}

impl Operator {
    /// Whether this operator accepts one leaf value.
    pub(super) fn matches(&self, value: Leaf<'_>) -> bool {
        match self {
            Operator::Exact(literal) => literal.matches(value),
            Operator::Prefix(prefix) => value
                .as_bytes()
                .is_some_and(|v| v.starts_with(prefix.as_bytes())),
            Operator::PrefixIgnoreCase(prefix) => {
                value.as_bytes().is_some_and(|v| prefix.starts(v))
            }
            Operator::Suffix(suffix) => value
                .as_bytes()
                .is_some_and(|v| v.ends_with(suffix.as_bytes())),
            Operator::SuffixIgnoreCase(suffix) => value.as_bytes().is_some_and(|v| suffix.ends(v)),
            Operator::EqualsIgnoreCase(text) => value.as_bytes().is_some_and(|v| text.equals(v)),
            Operator::Wildcard(wildcard) => value.as_bytes().is_some_and(|v| wildcard.matches(v)),
            Operator::AnythingBut(but) => !but.excludes(value),
            Operator::Numeric(range) => value.as_number().is_some_and(|v| range.contains(v)),
            Operator::Cidr(cidr) => value
                .as_str()
                .and_then(|v| v.parse::<IpAddr>().ok())
                .is_some_and(|ip| cidr.contains(ip)),
            Operator::Address(address) => value
                .as_str()
                .and_then(ip_literal)
                .is_some_and(|ip| ip == *address),
        }
    }
}

/// The address a string names, read as event-ruler reads one (`CIDR.java`):
/// four dot-separated decimal numbers up to 255 (leading zeros allowed, as
/// the JDK allows them), or hex digits and colons with at least one colon.
/// An IPv4-mapped IPv6 address (`::ffff:a00:1`) is the IPv4 address, as the
/// JDK's `InetAddress` returns it.
pub(super) fn ip_literal(text: &str) -> Option<IpAddr> {
    if text.contains(':') {
        if !text.bytes().all(|b| b == b':' || b.is_ascii_hexdigit()) {
            return None;
        }
        let ip: std::net::Ipv6Addr = text.parse().ok()?;
        return Some(match ip.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(ip),
        });
    }
    let mut octets = [0u8; 4];
    let mut parts = text.split('.');
    for octet in &mut octets {
        let part = parts.next()?;
        if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let digits = part.trim_start_matches('0');
        *octet = if digits.is_empty() {
            0
        } else {
            digits.parse().ok()?
        };
    }
    match parts.next() {
        Some(_) => None,
        None => Some(IpAddr::from(octets)),
    }
}

/// What `anything-but` excludes.
#[derive(Debug, Clone)]
pub(super) enum AnythingBut {
    /// `{"anything-but": "x"}`, `{"anything-but": [1, "x"]}`.
    Values(Vec<Literal>),
    /// `{"anything-but": {"prefix": "x"}}`, or a list of prefixes.
    Prefixes(Vec<String>),
    /// `{"anything-but": {"suffix": "x"}}`, or a list of suffixes.
    Suffixes(Vec<String>),
    /// `{"anything-but": {"equals-ignore-case": "x"}}`, or a list.
    IgnoreCase(Vec<IgnoreCase>),
    /// `{"anything-but": {"wildcard": "x*"}}`, or a list.
    Wildcards(Vec<Wildcard>),
}

impl AnythingBut {
    /// Whether `value` is one of the excluded ones. Values of another type
    /// than the excluded ones (a number against prefixes, `null`) are never
    /// excluded, so `anything-but` accepts them.
    fn excludes(&self, value: Leaf<'_>) -> bool {
        match self {
            AnythingBut::Values(values) => values.iter().any(|literal| literal.matches(value)),
            AnythingBut::Prefixes(prefixes) => value
                .as_bytes()
                .is_some_and(|v| prefixes.iter().any(|p| v.starts_with(p.as_bytes()))),
            AnythingBut::Suffixes(suffixes) => value
                .as_bytes()
                .is_some_and(|v| suffixes.iter().any(|s| v.ends_with(s.as_bytes()))),
            AnythingBut::IgnoreCase(texts) => value
                .as_bytes()
                .is_some_and(|v| texts.iter().any(|t| t.equals(v))),
            AnythingBut::Wildcards(wildcards) => value
                .as_bytes()
                .is_some_and(|v| wildcards.iter().any(|w| w.matches(v))),
        }
    }
}

/// A numeric range: at most one lower and one upper bound, or one value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Range {
    pub(super) lower: Option<(f64, bool)>,
    pub(super) upper: Option<(f64, bool)>,
}

impl Range {
    /// Whether `value` is in the range; a number that is not a double as
    /// written is in none (EventBridge does not compare it).
    fn contains(&self, value: Number<'_>) -> bool {
        if !value.is_double() {
            return false;
        }
        let above = match self.lower {
            Some((bound, inclusive)) => match value.compare(bound) {
                Some(Ordering::Greater) => true,
                Some(Ordering::Equal) => inclusive,
                _ => false,
            },
            None => true,
        };
        let below = match self.upper {
            Some((bound, inclusive)) => match value.compare(bound) {
                Some(Ordering::Less) => true,
                Some(Ordering::Equal) => inclusive,
                _ => false,
            },
            None => true,
        };
        above && below
    }
}

/// An IPv4 or IPv6 network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Cidr {
    network: u128,
    mask: u128,
    v6: bool,
}

impl Cidr {
    /// Parses `10.0.0.0/24` or `2001:db8::/32`. As in event-ruler (`CIDR.java`),
    /// the `/` is required and the mask is shorter than the address: no /32
    /// for IPv4, no /128 for IPv6 (match one address as an exact string).
    pub(super) fn parse(text: &str) -> Option<Cidr> {
        let (address, bits) = text.split_once('/')?;
        let bits = bits.parse::<u32>().ok()?;
        let (value, width, v6) = match address.parse::<IpAddr>().ok()? {
            IpAddr::V4(ip) => (u128::from(u32::from(ip)), 32, false),
            IpAddr::V6(ip) => (u128::from(ip), 128, true),
        };
        if bits >= width {
            return None;
        }
        let mask = if bits == 0 {
            0
        } else {
            (u128::MAX << (width - bits)) & (u128::MAX >> (128 - width))
        };
        Some(Cidr {
            network: value & mask,
            mask,
            v6,
        })
    }

    fn contains(&self, ip: IpAddr) -> bool {
        let (value, v6) = match ip {
            IpAddr::V4(ip) => (u128::from(u32::from(ip)), false),
            IpAddr::V6(ip) => (u128::from(ip), true),
        };
        v6 == self.v6 && value & self.mask == self.network
    }
}

/// A wildcard pattern: `*` stands for any run of characters; `\*` is a
/// literal star and `\\` a literal backslash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Wildcard {
    /// The literal pieces between stars; one piece means no star at all.
    pieces: Vec<String>,
}

impl Wildcard {
    /// Parses a wildcard pattern, or says what is wrong with it.
    pub(super) fn parse(text: &str) -> Result<Wildcard, String> {
        let mut pieces = vec![String::new()];
        let mut chars = text.chars().peekable();
        let mut previous_star = false;
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some(escaped @ ('*' | '\\')) => {
                        pieces.last_mut().expect("never empty").push(escaped);
                        previous_star = false;
                    }
                    _ => return Err("`\\` must be followed by `*` or `\\`".to_owned()),
                },
                '*' if previous_star => return Err("consecutive `*` are not allowed".to_owned()),
                '*' => {
                    pieces.push(String::new());
                    previous_star = true;
                }
                c => {
                    pieces.last_mut().expect("never empty").push(c);
                    previous_star = false;
                }
            }
        }
        Ok(Wildcard { pieces })
    }

    /// The literal pieces between stars; one piece means no star at all.
    pub(super) fn pieces(&self) -> &[String] {
        &self.pieces
    }

    /// The literal text before the first star, when there is a star and that text is not empty.
    pub(super) fn head(&self) -> Option<&str> {
        (self.pieces.len() > 1 && !self.pieces[0].is_empty()).then_some(self.pieces[0].as_str())
    }

    /// The literal text after the last star, when there is a star and that text is not empty.
    pub(super) fn tail(&self) -> Option<&str> {
        let last = self.pieces.last().expect("never empty");
        (self.pieces.len() > 1 && !last.is_empty()).then_some(last.as_str())
    }

    /// Whether `text` matches, in linear time: anchored first and last
    /// pieces, and the middle pieces found leftmost in order.
    pub(super) fn matches(&self, text: &[u8]) -> bool {
        if self.pieces.len() == 1 {
            return text == self.pieces[0].as_bytes();
        }
        let first = self.pieces[0].as_bytes();
        let last = self.pieces[self.pieces.len() - 1].as_bytes();
        if text.len() < first.len() + last.len()
            || !text.starts_with(first)
            || !text.ends_with(last)
        {
            return false;
        }
        let mut rest = &text[first.len()..text.len() - last.len()];
        for piece in &self.pieces[1..self.pieces.len() - 1] {
            match memchr::memmem::find(rest, piece.as_bytes()) {
                Some(at) => rest = &rest[at + piece.len()..],
                None => return false,
            }
        }
        true
    }
}

/// A string compared as event-ruler compares `equals-ignore-case`
/// (`input/EqualsIgnoreCaseParser.java`): each character of the pattern
/// matches its lowercase or its uppercase form (Unicode's full mappings, as
/// Java's `toLowerCase`/`toUpperCase` in `Locale.ROOT`), and the value is
/// read as it is. So `ß` matches `SS` (its uppercase) but not `ss`, and
/// `k` does not match the Kelvin sign. For an ASCII pattern this is ASCII
/// case-insensitivity.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct IgnoreCase {
    /// The pattern, ASCII-lowercased.
    lower: String,
    /// Each character's lowercase and uppercase forms, when not all ASCII.
    forms: Option<Vec<(String, String)>>,
}

impl IgnoreCase {
    pub(super) fn new(text: &str) -> IgnoreCase {
        let forms = (!text.is_ascii()).then(|| {
            text.chars()
                .map(|c| (c.to_lowercase().collect(), c.to_uppercase().collect()))
                .collect()
        });
        IgnoreCase {
            lower: text.to_ascii_lowercase(),
            forms,
        }
    }

    /// The lowercase key of an ASCII pattern: a value matches only if it
    /// lowercases to the key (or starts or ends with it), so an index can use it.
    pub(super) fn ascii_key(&self) -> Option<&str> {
        self.forms.is_none().then_some(self.lower.as_str())
    }

    /// Whether `value` is the pattern, in either case.
    pub(super) fn equals(&self, value: &[u8]) -> bool {
        match &self.forms {
            None => value.eq_ignore_ascii_case(self.lower.as_bytes()),
            Some(forms) => walk(forms.iter(), value, false)[value.len()],
        }
    }

    /// Whether `value` starts with the pattern, in either case.
    pub(super) fn starts(&self, value: &[u8]) -> bool {
        match &self.forms {
            None => {
                let n = self.lower.len();
                value.len() >= n && value[..n].eq_ignore_ascii_case(self.lower.as_bytes())
            }
            Some(forms) => walk(forms.iter(), value, false).contains(&true),
        }
    }

    /// Whether `value` ends with the pattern, in either case.
    pub(super) fn ends(&self, value: &[u8]) -> bool {
        match &self.forms {
            None => {
                let n = self.lower.len();
                value.len() >= n
                    && value[value.len() - n..].eq_ignore_ascii_case(self.lower.as_bytes())
            }
            Some(forms) => walk(forms.iter().rev(), value, true).contains(&true),
        }
    }
}

/// Where in `value` the characters' forms can end (from the start), or
/// start (from the end, with `backwards`), having matched all of them in turn.
fn walk<'a>(
    forms: impl Iterator<Item = &'a (String, String)>,
    value: &[u8],
    backwards: bool,
) -> Vec<bool> {
    let n = value.len();
    let mut at = vec![false; n + 1];
    at[if backwards { n } else { 0 }] = true;
    for (lower, upper) in forms {
        let mut next = vec![false; n + 1];
        for p in (0..=n).filter(|&p| at[p]) {
            for form in [lower.as_bytes(), upper.as_bytes()] {
                if backwards && value[..p].ends_with(form) {
                    next[p - form.len()] = true;
                } else if !backwards && value[p..].starts_with(form) {
                    next[p + form.len()] = true;
                }
            }
        }
        at = next;
    }
    at
}

/// Lowercases for `equals-ignore-case`: Unicode simple case folding by way
/// of `to_lowercase`, without allocating for ASCII that is already lowercase.
/// Whether a string value, lowercased, passes `test`. Short ASCII values
/// are lowercased on the stack, so the common case allocates nothing; other
/// values must be UTF-8, and are lowercased as [`lowercase`] does.
pub(super) fn with_lowercase(value: Leaf<'_>, test: impl FnOnce(&[u8]) -> bool) -> bool {
    const SHORT: usize = 128;
    let Some(bytes) = value.as_bytes() else {
        return false;
    };
    if bytes.len() <= SHORT && bytes.is_ascii() {
        let mut buffer = [0u8; SHORT];
        let lower = &mut buffer[..bytes.len()];
        lower.copy_from_slice(bytes);
        lower.make_ascii_lowercase();
        return test(lower);
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => test(lowercase(text).as_bytes()),
        Err(_) => false,
    }
}

pub(super) fn lowercase(text: &str) -> std::borrow::Cow<'_, str> {
    if text.bytes().all(|b| !b.is_ascii_uppercase()) && text.is_ascii() {
        std::borrow::Cow::Borrowed(text)
    } else {
        std::borrow::Cow::Owned(text.to_lowercase())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_like_globs_with_escapes() {
        struct W(Wildcard);
        impl W {
            fn matches(&self, text: &str) -> bool {
                self.0.matches(text.as_bytes())
            }
        }
        let w = |p: &str| W(Wildcard::parse(p).unwrap());
        assert!(w("/Users/*/doc.txt").matches("/Users/ana/doc.txt"));
        assert!(w("/Users/*/doc.txt").matches("/Users/a/b/doc.txt"));
        assert!(!w("/Users/*/doc.txt").matches("/Users/doc.txt"));
        assert!(w("*").matches(""));
        assert!(
            w("a*b*c").matches("abc") && w("a*b*c").matches("aXbYc") && !w("a*b*c").matches("acb")
        );
        assert!(!w("ab*ba").matches("aba") && w("ab*ba").matches("abba"));
        assert!(w("").matches("") && !w("").matches("x"));
        assert!(w(r"a\*b").matches("a*b") && !w(r"a\*b").matches("axb"));
        assert!(w(r"a\\*").matches(r"a\anything"));
        assert!(Wildcard::parse("a**b").is_err());
        assert!(Wildcard::parse(r"a\b").is_err());
    }

    #[test]
    fn cidr_covers_v4_and_v6() {
        let net = Cidr::parse("10.0.0.0/24").unwrap();
        assert!(net.contains("10.0.0.255".parse().unwrap()));
        assert!(!net.contains("10.0.1.0".parse().unwrap()));
        let v6 = Cidr::parse("2001:db8:1234:1a00::/64").unwrap();
        assert!(v6.contains("2001:db8:1234:1a00::1".parse().unwrap()));
        assert!(!v6.contains("2001:db8:1234:1a01::1".parse().unwrap()));
        assert!(!v6.contains("10.0.0.1".parse().unwrap()));
        assert!(
            Cidr::parse("0.0.0.0/0")
                .unwrap()
                .contains("1.2.3.4".parse().unwrap())
        );
        assert!(Cidr::parse("10.0.0.0/33").is_none());
        assert!(Cidr::parse("10.0.0.1/32").is_none() && Cidr::parse("10.0.0.1").is_none());
        assert!(Cidr::parse("2001:db8::1/128").is_none());
        assert!(Cidr::parse("xxxx:db8::/64").is_none());
    }

    #[test]
    fn numbers_compare_as_numbers() {
        assert!(Literal::Number(300.0).matches(Leaf::Number(Number::exact(300.0))));
        // An approximation too close to call is parsed exactly.
        let close = Number::approximate(0.30000000000000004, b"0.3");
        assert!(Literal::Number(0.3).matches(Leaf::Number(close)));
        let far = Number::approximate(0.5, b"0.5");
        assert!(!Literal::Number(0.3).matches(Leaf::Number(far)));
        assert!(!Literal::Number(300.0).matches(Leaf::String(b"300")));
        let range = Range {
            lower: Some((0.0, false)),
            upper: Some((5.0, true)),
        };
        let n = Number::exact;
        assert!(
            !range.contains(n(0.0))
                && range.contains(n(0.5))
                && range.contains(n(5.0))
                && !range.contains(n(5.1))
        );
        // 5.000000000000001 reads as about 5.0: too close to call, so it is parsed.
        assert!(!range.contains(Number::approximate(5.0, b"5.000000000000001")));
    }
}
