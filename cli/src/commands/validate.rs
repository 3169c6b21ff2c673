//! `tributary validate FILE...`

use std::path::PathBuf;
use std::process::ExitCode;

use tributary_processors::Registry;

use super::EXIT_INVALID;
use tributary::Plan;
use tributary::declared_tests::read_cases;
use tributary_config::{ConfigError, PipelineConfig};

/// Checks each file as `tributary test` and the function would read it:
/// the pipeline, then its `[[tests]]` tables.
pub(super) fn run(files: &[PathBuf], registry: &Registry) -> ExitCode {
    let mut invalid = 0;
    for file in files {
        match check(file, registry) {
            Ok(_) => println!("ok: {}", file.display()),
            Err(error) => {
                invalid += 1;
                eprint!("{error}");
                eprintln!("{}: {} error(s)\n", file.display(), error.count());
            }
        }
    }
    if invalid == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_INVALID)
    }
}

fn check(file: &std::path::Path, registry: &Registry) -> Result<(), ConfigError> {
    let config = PipelineConfig::load(file)?;
    let plan = Plan::from_config(&config, registry)?;
    read_cases(&config, &plan).map(|_| ())
}
