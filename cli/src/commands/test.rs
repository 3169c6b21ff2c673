//! `tributary test PIPELINE...`

use std::path::PathBuf;
use std::process::ExitCode;

use serde_json::{Value, json};
use tributary_processors::Registry;

use super::EXIT_INVALID;
use super::summary;
use tributary::declared_tests::{Outcome, run_file};

/// Runs the `[[tests]]` of each file: prints each test's result, what each
/// sink received and the first dead letters; with `json`, one JSON document
/// on standard output instead (docs/replay.md#summaries).
pub(super) fn run(files: &[PathBuf], json: bool, registry: &Registry) -> ExitCode {
    let (mut passed, mut failed, mut invalid) = (0, 0, 0);
    let mut reports = Vec::new();
    for file in files {
        let name = file.display().to_string();
        match run_file(file, registry) {
            Err(diagnostics) => {
                invalid += 1;
                let errors: Vec<String> = diagnostics.iter().map(ToString::to_string).collect();
                if !json {
                    errors.iter().for_each(|error| eprint!("{error}"));
                }
                reports.push(json!({ "file": name, "errors": errors }));
            }
            Ok(outcomes) => {
                if outcomes.is_empty() && !json {
                    println!("{name}: no [[tests]]");
                }
                let mut tests = Vec::new();
                for outcome in outcomes {
                    if outcome.problems.is_empty() {
                        passed += 1;
                    } else {
                        failed += 1;
                    }
                    if json {
                        tests.push(outcome_json(&outcome));
                    } else {
                        print_outcome(&name, &outcome);
                    }
                }
                reports.push(json!({ "file": name, "tests": tests }));
            }
        }
    }
    if json {
        let summary = json!({
            "command": "test",
            "files": reports,
            "passed": passed,
            "failed": failed,
            "invalid_files": invalid,
        });
        println!("{summary}");
    } else {
        println!("\n{passed} passed, {failed} failed");
    }
    if failed > 0 || invalid > 0 {
        ExitCode::from(EXIT_INVALID)
    } else {
        ExitCode::SUCCESS
    }
}

fn print_outcome(file: &str, outcome: &Outcome) {
    let status = if outcome.problems.is_empty() {
        "ok     "
    } else {
        "FAILED "
    };
    println!("{status} {file}: {}", outcome.name);
    for problem in &outcome.problems {
        println!("  {}", problem.replace('\n', "\n  "));
    }
    let sinks: Vec<String> = outcome
        .deliveries
        .sinks
        .iter()
        .map(|sink| match sink.emitted {
            0 => format!("{} {}", sink.name, sink.records),
            n => format!("{} {} ({n} aggregate documents)", sink.name, sink.records),
        })
        .collect();
    if !sinks.is_empty() {
        println!("  sinks received: {}", sinks.join(", "));
    }
    print!("{}", summary::dead_letters_text(&outcome.deliveries));
}

fn outcome_json(outcome: &Outcome) -> Value {
    json!({
        "name": outcome.name,
        "passed": outcome.problems.is_empty(),
        "problems": outcome.problems,
        "totals": summary::totals_json(&outcome.totals),
        "sinks": summary::captured_sinks_json(&outcome.deliveries),
        "dead_letters": summary::dead_letters_json(&outcome.deliveries),
    })
}
