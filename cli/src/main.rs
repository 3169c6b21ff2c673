//! The `tributary` command line, with the built-in processors.

use std::process::ExitCode;

fn main() -> ExitCode {
    tributary_cli::end_quietly_on_a_closed_pipe();
    tributary_cli::run(tributary_processors::Registry::builtin())
}
