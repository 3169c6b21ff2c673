//! Event patterns: compiling and matching arbitrary input must never panic,
//! and the three ways of matching must agree.
//!
//! The input is a pattern and an event, split at the first NUL byte. When
//! the pattern compiles, the event is matched from its raw bytes (which must
//! not panic, valid or not); and when the event is JSON, the raw-bytes
//! scanner, the parsed-tree walker and an indexed set of patterns must give
//! the same answer on the same document (re-serialized, so it has no
//! duplicate keys, which the scanner may read only once by design).
//!
//! cargo fuzz run event_patterns fuzz/seeds/event_patterns

#![no_main]

use libfuzzer_sys::fuzz_target;
use tributary_processors::filter::{Pattern, PatternSet};

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|&b| b == 0).unwrap_or(data.len());
    let (pattern, event) = (&data[..split], data.get(split + 1..).unwrap_or_default());
    let Ok(pattern) = std::str::from_utf8(pattern) else { return };
    let Ok(pattern) = Pattern::parse(pattern) else { return };

    let mut alone = PatternSet::new([pattern.clone()]);
    let _ = alone.matches_bytes(event);

    let Ok(parsed) = serde_json::from_slice::<serde_json::Value>(event) else { return };
    let canonical = serde_json::to_vec(&parsed).expect("a JSON value serializes");
    let walked = alone.matches_value(&parsed).expect("serde_json parses no deeper than the limit");
    let scanned = alone.matches_bytes(&canonical).expect("serde_json's output is JSON");
    assert_eq!(walked, scanned, "the scanner and the walker disagree");

    // The same pattern among others, so that the set is indexed. The fuzzer
    // can find events those others match too, so they are matched apart.
    let others: Vec<Pattern> =
        (0..6).map(|i| Pattern::parse(&format!(r#"{{"fuzz-other-{i}": [{i}]}}"#)).expect("valid")).collect();
    let expected = walked || PatternSet::new(others.clone()).matches_value(&parsed).expect("within the limit");
    let mut indexed = PatternSet::new(std::iter::once(pattern).chain(others));
    assert_eq!(indexed.matches_value(&parsed).expect("within the limit"), expected, "the indexed set disagrees");
    assert_eq!(indexed.matches_bytes(&canonical).expect("JSON"), expected, "the indexed set disagrees on bytes");
});
