//! An AWS SDK error in a few words, for a person to read: each error of its
//! chain in its own words (`Display`), without the `Debug` dump of connector
//! internals that the SDK's `DisplayErrorContext` appends (a thousand
//! characters for a refused connection).

/// The longest text [`describe`] gives, in bytes.
const MAX_LEN: usize = 600;

/// `error` and its sources, each said once, joined by `: `; at most
/// [`MAX_LEN`] bytes, cut with `…`.
pub fn describe(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let words = cause.to_string();
        if !text.contains(&words) {
            text.push_str(": ");
            text.push_str(&words);
        }
        source = cause.source();
    }
    if text.len() > MAX_LEN {
        let mut end = MAX_LEN;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push('…');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("dispatch failure")]
    struct Outer(#[source] Inner);

    #[derive(Debug, thiserror::Error)]
    #[error("tcp connect error: Connection refused")]
    struct Inner;

    #[test]
    fn says_each_error_of_the_chain_once_and_no_debug_dump() {
        assert_eq!(
            describe(&Outer(Inner)),
            "dispatch failure: tcp connect error: Connection refused"
        );
    }

    #[derive(Debug, thiserror::Error)]
    #[error("{0}")]
    struct Long(String);

    #[test]
    fn cuts_a_long_chain_on_a_character_boundary() {
        let text = describe(&Long("é".repeat(MAX_LEN)));
        assert!(text.len() <= MAX_LEN + '…'.len_utf8());
        assert!(text.ends_with('…'));
    }
}
