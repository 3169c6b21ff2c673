//! How deeply a JSON text may nest, and how deeply it does, read without
//! recursion.

/// How deep objects and arrays may nest in a payload: the same limit as
/// serde_json's parser, so a payload the field readers accept is one a sink
/// can parse. Every reader of payload bytes refuses deeper nesting, and the
/// record fails alone instead of overflowing the stack.
pub const MAX_NESTING: usize = 128;

/// What a reader says of a payload nested deeper than [`MAX_NESTING`].
pub const TOO_DEEP: &str = "objects and arrays nested more than 128 deep (tributary's limit)";

/// The offset of the first `[` or `{` that opens a container nested deeper
/// than [`MAX_NESTING`], outside strings; `None` when the text stays within
/// it. `bytes` must already be known to be valid JSON (strings closed).
///
/// Most payloads hold fewer brackets than the limit, which a vectorized count
/// shows without following the structure; only the others are walked.
pub fn too_deep_at(bytes: &[u8]) -> Option<usize> {
    let openers = bytes.iter().filter(|b| matches!(b, b'[' | b'{')).count();
    if openers <= MAX_NESTING {
        return None;
    }
    let mut depth = 0usize;
    let mut at = 0;
    while at < bytes.len() {
        match bytes[at] {
            b'"' => at = string_end(bytes, at + 1),
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some(at);
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        at += 1;
    }
    None
}

/// Where the string whose contents start at `from` ends: the position of its
/// closing quote, or past the end when it has none. Escapes are stepped
/// over, not checked.
pub(super) fn string_end(bytes: &[u8], from: usize) -> usize {
    let mut at = from;
    while at < bytes.len() {
        match bytes[at] {
            b'"' => return at,
            b'\\' => at += 2,
            _ => at += 1,
        }
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_first_container_past_the_limit_outside_strings() {
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        assert_eq!(too_deep_at(deep.as_bytes()), Some(MAX_NESTING));
        let at_limit = format!("{}{}", "[".repeat(MAX_NESTING), "]".repeat(MAX_NESTING));
        assert_eq!(too_deep_at(at_limit.as_bytes()), None);
        // Many containers side by side, and brackets inside strings, are not depth.
        let wide = format!("[{}]", vec!["{\"a\":[1]}"; 1000].join(","));
        assert_eq!(too_deep_at(wide.as_bytes()), None);
        let quoted = format!("[\"{}\\\"{}\"]", "[".repeat(300), "{".repeat(300));
        assert_eq!(too_deep_at(quoted.as_bytes()), None);
    }
}
