//! `tributary validate FILE...`

use std::path::PathBuf;
use std::process::ExitCode;

use tributary_processors::Registry;

use super::EXIT_INVALID;
use tributary::Plan;

pub(super) fn run(files: &[PathBuf], registry: &Registry) -> ExitCode {
    let mut invalid = 0;
    for file in files {
        match Plan::load(file, registry) {
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
