//! Where a byte of a TOML string's value stands in the file: a program or a
//! pattern held in a string reports its errors at its own line and column,
//! not at the start of the string.
//!
//! The string is read again from its literal, character by character, so
//! escapes (`\n`, `\u00e9`, a line-ending backslash) and the newline that
//! opens a multi-line string are each taken into account.

/// The offset, inside `literal` (a TOML string as written, with its quotes),
/// of the value's byte `offset`; `None` when `literal` is not a string or
/// the value is shorter.
pub(crate) fn offset_in_literal(literal: &str, offset: usize) -> Option<usize> {
    let (quote, escapes) = if literal.starts_with("'''") {
        ("'''", false)
    } else if literal.starts_with("\"\"\"") {
        ("\"\"\"", true)
    } else if literal.starts_with('\'') {
        ("'", false)
    } else if literal.starts_with('"') {
        ("\"", true)
    } else {
        return None;
    };
    let mut at = quote.len();
    // A newline right after the opening quotes of a multi-line string is
    // not part of the value.
    if quote.len() == 3 {
        if literal[at..].starts_with("\r\n") {
            at += 2;
        } else if literal[at..].starts_with('\n') {
            at += 1;
        }
    }
    let body_end = literal.len().checked_sub(quote.len())?;
    let mut value = 0;
    loop {
        if at >= body_end {
            return (value == offset).then_some(at);
        }
        let rest = &literal[at..body_end];
        let (raw, produced) = if escapes && rest.starts_with('\\') {
            escape(rest)
        } else {
            let c = rest.chars().next()?;
            (c.len_utf8(), c.len_utf8())
        };
        // The place is the first character that makes the byte, past any
        // line-ending backslash that makes nothing.
        if value >= offset && produced > 0 {
            return Some(at);
        }
        at += raw;
        value += produced;
    }
}

/// The length of the escape at the start of `rest`, and how many bytes of
/// the value it makes.
fn escape(rest: &str) -> (usize, usize) {
    let after = &rest[1..];
    match after.chars().next() {
        Some('u') => (6, unicode_len(after.get(1..5))),
        Some('U') => (10, unicode_len(after.get(1..9))),
        // A line-ending backslash: it, the line break and the whitespace
        // after it make nothing.
        Some(c) if c.is_whitespace() => {
            let skipped = after.len() - after.trim_start().len();
            (1 + skipped, 0)
        }
        Some(c) => (1 + c.len_utf8(), 1),
        None => (1, 0),
    }
}

/// How many bytes the character of a `\u` or `\U` escape takes in UTF-8.
fn unicode_len(hex: Option<&str>) -> usize {
    hex.and_then(|h| u32::from_str_radix(h, 16).ok())
        .and_then(char::from_u32)
        .map_or(1, char::len_utf8)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The literal's text from the value's byte `offset`.
    fn from(literal: &str, offset: usize) -> &str {
        &literal[offset_in_literal(literal, offset).unwrap()..]
    }

    #[test]
    fn multi_line_literal_strings_skip_the_opening_newline() {
        let literal = "'''\n. = 1\nbad(\n'''";
        assert_eq!(from(literal, 6), "bad(\n'''");
        let crlf = "'''\r\n. = 1\r\nbad(\r\n'''";
        assert_eq!(from(crlf, 7), "bad(\r\n'''");
    }

    #[test]
    fn escapes_count_as_the_characters_they_make() {
        // The value is `a\n\u{e9}bad`: `bad` starts at byte 4.
        let literal = r#""a\n\u00e9bad""#;
        assert_eq!(from(literal, 4), "bad\"");
        let continued = "\"\"\"\nx \\\n   y\"\"\"";
        assert_eq!(from(continued, 2), "y\"\"\"");
    }

    #[test]
    fn places_past_the_value_or_outside_a_string_have_none() {
        assert_eq!(offset_in_literal("'ab'", 3), None);
        assert_eq!(offset_in_literal("42", 0), None);
    }
}
