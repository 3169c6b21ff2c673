//! Document ids that a sink can write a record under.

use std::sync::Arc;

use md5::{Digest as _, Md5};

/// The longest id used as it is; OpenSearch refuses ids over 512 bytes.
pub const MAX_DOCUMENT_ID_BYTES: usize = 512;

/// A document id from its text: the text itself, or when it is longer than
/// [`MAX_DOCUMENT_ID_BYTES`], `md5:` and the hexadecimal MD5 digest of it.
/// The same text always gives the same id.
pub fn document_id(text: String) -> Arc<str> {
    if text.len() <= MAX_DOCUMENT_ID_BYTES {
        return Arc::from(text);
    }
    let digest = Md5::digest(text.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    Arc::from(format!("md5:{hex}"))
}

/// Appends one part of an id: `\\` and `|` escaped with a `\\`, so that
/// parts joined by `|` read back unambiguously.
pub fn push_id_part(id: &mut String, part: &str) {
    for c in part.chars() {
        if c == '\\' || c == '|' {
            id.push('\\');
        }
        id.push(c);
    }
}

/// Values joined into id text: each as text (a string as it is, anything
/// else as JSON), escaped by [`push_id_part`], joined by `|`.
pub fn join_id_values<'a>(values: impl IntoIterator<Item = &'a serde_json::Value>) -> String {
    let mut id = String::new();
    for (i, value) in values.into_iter().enumerate() {
        if i > 0 {
            id.push('|');
        }
        match value {
            serde_json::Value::String(text) => push_id_part(&mut id, text),
            other => push_id_part(&mut id, &other.to_string()),
        }
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_ids_become_digests() {
        assert_eq!(&*document_id("a|b".to_owned()), "a|b");
        let long = document_id("x".repeat(600));
        assert!(long.starts_with("md5:") && long.len() == 36, "{long}");
        assert_eq!(long, document_id("x".repeat(600)));
    }
}
