//! Pipeline files: `Plan::parse` must take any text without a panic, and
//! every problem it reports must have a place in the file (file, line and
//! column, on a line the file has), so that a user can find it; the error's
//! message, with its excerpts and carets, must render.
//!
//! The input is the file's text (lossily made UTF-8). `${VAR}`s read the
//! process environment, as the command line does. Nothing is started: sinks
//! are not opened.
//!
//! Seeds: every pipeline under tests/pipelines (the invalid ones too) and
//! examples.
//!
//! cargo +nightly fuzz run --sanitizer none pipeline_toml /tmp/corpus/pipeline_toml fuzz/seeds/pipeline_toml -- -timeout=10

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tributary::processors::Registry;

const NAME: &str = "fuzz.toml";

fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(Registry::builtin)
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let Err(error) = tributary::Plan::parse(NAME, &text, registry()) else {
        return;
    };
    assert!(!error.diagnostics.is_empty(), "an error says what is wrong");
    // Lines end at `\n`, `\r\n` or a `\r` alone; a place may be just past
    // the last line's end.
    let lines = text.replace("\r\n", "\n").split(['\n', '\r']).count();
    for diagnostic in &error.diagnostics {
        let Some(location) = &diagnostic.location else {
            panic!("a problem without a place: {}", diagnostic.message)
        };
        assert_eq!(location.file, NAME, "{}", diagnostic.message);
        assert!(
            (1..=lines).contains(&location.line),
            "line {} of {lines}: {}",
            location.line,
            diagnostic.message
        );
        assert!(
            location.column >= 1 && location.width >= 1,
            "{}",
            diagnostic.message
        );
    }
    let _ = error.to_string();
});
