//! Every command's `--help` ends with examples, and they name files that
//! exist; `tributary completions` writes a script that knows the commands.

use crate::support::{root, run, tributary};

/// Every subcommand of the real command line, from its clap command: a new
/// command is checked without being listed here.
fn subcommands() -> Vec<String> {
    tributary_cli::command()
        .get_subcommands()
        .map(|command| command.get_name().to_owned())
        .collect()
}

#[test]
fn every_subcommands_help_has_examples() {
    let names = subcommands();
    for expected in [
        "init",
        "explain",
        "completions",
        "validate",
        "replay",
        "deploy",
    ] {
        assert!(
            names.iter().any(|name| name == expected),
            "{expected} in {names:?}"
        );
    }
    for name in names {
        let (output, stdout, stderr) = run(tributary().args([&name, "--help"]));
        assert!(output.status.success(), "{name} --help: {stderr}");
        let examples = stdout
            .find("Examples:")
            .map(|at| &stdout[at..])
            .unwrap_or_else(|| panic!("`tributary {name} --help` has no Examples:\n{stdout}"));
        assert!(
            examples.contains(&format!("tributary {name}")),
            "`tributary {name} --help`'s examples do not run it:\n{examples}"
        );
    }
    let (_, stdout, _) = run(tributary().arg("--help"));
    assert!(stdout.contains("Examples:"), "{stdout}");
}

#[test]
fn the_examples_in_help_name_files_that_exist() {
    let mut checked = 0;
    for name in subcommands() {
        let (_, stdout, _) = run(tributary().args([&name, "--help"]));
        let words = stdout
            .split_whitespace()
            .map(|word| word.trim_matches(|c| c == '"' || c == '\'' || c == ')' || c == '('));
        for word in words.filter(|word| word.starts_with("examples/") && !word.contains('*')) {
            let word = word.trim_start_matches("$(cat ");
            assert!(
                root().join(word).exists(),
                "`tributary {name} --help` names {word}, which is not there"
            );
            checked += 1;
        }
    }
    assert!(checked >= 10, "only {checked} example files named");
}

#[test]
fn the_examples_that_need_no_service_work() {
    let out = tempfile::tempdir().unwrap();
    let alert = std::fs::read_to_string(root().join("examples/alerts/event.json")).unwrap();
    for args in [
        &["validate", "examples/purchases/pipeline.toml"][..],
        &["test", "examples/purchases/pipeline.toml"],
        &["explain", "examples/search/pipeline.toml"],
        &[
            "invoke",
            "examples/clickstream/pipeline.toml",
            "--event",
            "examples/clickstream/event.json",
        ],
        &[
            "replay",
            "examples/clickstream/pipeline.toml",
            "--recording",
            "examples/clickstream/recording.jsonl",
            "--no-progress",
        ],
        &[
            "grep",
            "--event-pattern",
            r#"{"data": {"type": ["purchase"]}}"#,
            "examples/clickstream/recording.jsonl",
        ],
        &[
            "remap",
            "--source",
            ".total = to_float!(.price) * to_float!(.quantity)",
            "--event",
            r#"{"price": 2.5, "quantity": 4}"#,
        ],
        &[
            "test-pattern",
            "--event-pattern",
            r#"{"source": ["shop.payments"]}"#,
            "--event",
            &alert,
        ],
    ] {
        // The examples' jsonl sinks write under TRIBUTARY_OUT.
        let (output, stdout, stderr) = run(tributary().env("TRIBUTARY_OUT", out.path()).args(args));
        assert!(
            output.status.success(),
            "tributary {args:?}: {stdout}{stderr}"
        );
    }
}

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
