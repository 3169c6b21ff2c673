//! `tributary completions SHELL`: the shell's completion script for the
//! command line, made by `clap_complete` from the same clap command that
//! parses it, so every subcommand and flag is in it.

use std::process::ExitCode;

use clap_complete::Shell;

/// Prints `shell`'s completion script for `command` on standard output.
pub(super) fn run(shell: Shell, mut command: clap::Command) -> ExitCode {
    let name = command.get_name().to_owned();
    clap_complete::generate(shell, &mut command, name, &mut std::io::stdout());
    ExitCode::SUCCESS
}
