//! `tributary test PIPELINE...`

use std::path::PathBuf;
use std::process::ExitCode;

use tributary_processors::Registry;

use super::EXIT_INVALID;
use tributary::declared_tests::run_file;

pub(super) fn run(files: &[PathBuf], registry: &Registry) -> ExitCode {
    let (mut passed, mut failed, mut invalid) = (0, 0, 0);
    for file in files {
        match run_file(file, registry) {
            Err(diagnostics) => {
                invalid += 1;
                for diagnostic in diagnostics {
                    eprint!("{diagnostic}");
                }
            }
            Ok(outcomes) if outcomes.is_empty() => println!("{}: no [[tests]]", file.display()),
            Ok(outcomes) => {
                for outcome in outcomes {
                    if outcome.problems.is_empty() {
                        passed += 1;
                        println!("ok      {}: {}", file.display(), outcome.name);
                    } else {
                        failed += 1;
                        println!("FAILED  {}: {}", file.display(), outcome.name);
                        for problem in outcome.problems {
                            println!("  {}", problem.replace('\n', "\n  "));
                        }
                    }
                }
            }
        }
    }
    println!("\n{passed} passed, {failed} failed");
    if failed > 0 || invalid > 0 {
        ExitCode::from(EXIT_INVALID)
    } else {
        ExitCode::SUCCESS
    }
}
