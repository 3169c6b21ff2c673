//! `tributary completions` writes a script that knows the commands.

use crate::support::{run, tributary};

#[test]
fn bash_completions_know_the_commands() {
    let (output, stdout, stderr) = run(tributary().args(["completions", "bash"]));
    assert!(output.status.success(), "{stderr}");
    for command in [
        "init",
        "explain",
        "replay",
        "validate",
        "completions",
        "test-pattern",
    ] {
        assert!(
            stdout.contains(command),
            "{command} is not in the bash script"
        );
    }
    assert!(
        stdout.contains("--to-kinesis"),
        "replay's flags are not in it"
    );
    assert!(
        stdout.contains("complete -F"),
        "not a bash completion script"
    );
}

#[test]
fn every_shell_gets_a_script_and_an_unknown_one_is_refused() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let (output, stdout, stderr) = run(tributary().args(["completions", shell]));
        assert!(output.status.success(), "{shell}: {stderr}");
        assert!(stdout.contains("explain"), "{shell}: explain is not in it");
    }
    let (output, _, stderr) = run(tributary().args(["completions", "tcsh"]));
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr.contains("bash"), "{stderr}");
}
