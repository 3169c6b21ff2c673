//! `tributary test-pattern` and `tributary grep`: event patterns from the
//! command line.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use tributary_processors::filter::{Pattern, PatternSet};

use super::EXIT_FAILED;

/// Exit status of `test-pattern` for an invalid pattern or event, as `aws events test-event-pattern` fails.
const EXIT_BAD_PATTERN: u8 = 2;

/// Exit status of `grep` when no line matched, as grep's.
const EXIT_NO_MATCH: u8 = 1;

/// Prints `true` or `false`: whether the event matches the pattern.
pub(super) fn test_pattern(pattern: &str, event: &str) -> ExitCode {
    let pattern = match Pattern::parse(pattern) {
        Ok(pattern) => pattern,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(EXIT_BAD_PATTERN);
        }
    };
    match serde_json::from_str(event) {
        Ok(event) => {
            println!("{}", pattern.matches(&event));
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: the event is not valid JSON: {error}");
            ExitCode::from(EXIT_BAD_PATTERN)
        }
    }
}

/// Prints the JSON lines of a file (or standard input) that match, like
/// grep: exit 0 when a line matched, 1 when none did, 2 on an error.
pub(super) fn grep(pattern: &str, file: Option<&PathBuf>, invert: bool) -> ExitCode {
    let names_data = names_data(pattern);
    let mut pattern = match Pattern::parse(pattern) {
        Ok(pattern) => PatternSet::new([pattern]),
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(EXIT_FAILED);
        }
    };
    let (name, input): (String, Box<dyn BufRead>) = match file {
        None => ("standard input".to_owned(), Box::new(io::stdin().lock())),
        Some(path) => match File::open(path) {
            Ok(file) => (path.display().to_string(), Box::new(BufReader::new(file))),
            Err(error) => {
                eprintln!("error: cannot read `{}`: {error}", path.display());
                return ExitCode::from(EXIT_FAILED);
            }
        },
    };
    let mut out = io::BufWriter::new(io::stdout().lock());
    let (mut matched, mut not_json) = (0u64, 0u64);
    let mut recording = false;
    for (number, line) in input.lines().enumerate() {
        let line = match line {
            Ok(line) => line,
            Err(error) => {
                eprintln!("error: {name}:{}: {error}", number + 1);
                return ExitCode::from(EXIT_FAILED);
            }
        };
        if number == 0 {
            recording = line.starts_with("{\"tributary_recording\"");
        }
        // Only the fields the pattern tests are read; nothing is parsed.
        let Ok(matched_line) = pattern.matches_bytes(line.as_bytes()) else {
            not_json += 1;
            continue;
        };
        if matched_line != invert {
            matched += 1;
            if writeln!(out, "{line}").is_err() {
                // The reader went away (`| head`): stop quietly, as grep does.
                return ExitCode::SUCCESS;
            }
        }
    }
    let _ = out.flush();
    if not_json > 0 {
        eprintln!(
            "note: {not_json} line(s) of {name} are not JSON (or nest deeper than 128) and were skipped"
        );
    }
    if matched > 0 {
        return ExitCode::SUCCESS;
    }
    if recording && !names_data {
        eprintln!(
            "note: {name} is a recording: each line is a record, its payload under `data`; \
             to match payloads, put the pattern under `data`: {{\"data\": PATTERN}}"
        );
    }
    ExitCode::from(EXIT_NO_MATCH)
}

/// Whether a pattern's text tests the `data` field at its top.
fn names_data(pattern: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(pattern)
        .ok()
        .is_some_and(|pattern| pattern.get("data").is_some())
}
