//! Where a JSON string's plain text stops.

/// Where the first quote, backslash or control character of `bytes` is,
/// eight bytes at a time: where a JSON string's plain text stops. The quick
/// payload check and the Kinesis event scanner find strings' ends with it.
pub fn special_byte_at(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
    let mut chunks = bytes.chunks_exact(8);
    let mut offset = 0;
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
        let quote = word ^ (ONES * u64::from(b'"'));
        let backslash = word ^ (ONES * u64::from(b'\\'));
        // A byte is flagged when it is zero (or below 0x20): the lowest
        // flagged byte is exact, bytes above it may be flagged falsely.
        let found = (quote.wrapping_sub(ONES) & !quote)
            | (backslash.wrapping_sub(ONES) & !backslash)
            | (word.wrapping_sub(ONES * 0x20) & !word);
        let found = found & HIGH;
        if found != 0 {
            return Some(offset + found.trailing_zeros() as usize / 8);
        }
        offset += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&byte| byte == b'"' || byte == b'\\' || byte < 0x20)
        .map(|at| offset + at)
}

#[cfg(test)]
mod tests {
    use super::special_byte_at;

    #[test]
    fn finds_the_first_quote_backslash_or_control_byte_in_a_word_or_after() {
        for at in 0..20 {
            for special in [b'"', b'\\', b'\n', 0x1f] {
                let mut bytes = vec![b'a'; 20];
                bytes[at] = special;
                // A later special byte never hides the first.
                if at + 1 < bytes.len() {
                    bytes[at + 1] = b'"';
                }
                assert_eq!(special_byte_at(&bytes), Some(at), "{special} at {at}");
            }
        }
        assert_eq!(
            special_byte_at("plain text, é and ~ and 0x7f\u{7f}".as_bytes()),
            None
        );
        assert_eq!(special_byte_at(b""), None);
    }
}
