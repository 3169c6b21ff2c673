//! The command line on a pipe its reader closes early, as `| head -1` does.

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use crate::support::tributary;

#[test]
fn a_reader_that_closes_the_pipe_early_ends_the_command_without_a_panic() {
    let out = tempfile::tempdir().unwrap();
    let mut child = tributary()
        .env("TRIBUTARY_OUT", out.path())
        .args([
            "replay",
            "examples/clickstream/pipeline.toml",
            "--recording",
            "examples/clickstream/recording.jsonl",
        ])
        // Every line the replay writes goes to the one pipe, as `2>&1 | head -1`.
        .env("TRIBUTARY_LOG", "debug")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut first = String::new();
    BufReader::new(stderr).read_line(&mut first).unwrap();
    assert!(!first.is_empty());
    // The reader is gone: the next writes meet a closed pipe.
    drop(child.stdout.take());
    let status = child.wait().unwrap();
    assert_ne!(status.code(), Some(101), "a panic on the closed pipe");
    assert!(
        crate::support::stopped_quietly(status),
        "ended by SIGPIPE or done: {status:?}"
    );
}

#[test]
fn logs_into_a_pipe_carry_no_colour_codes() {
    let out = tempfile::tempdir().unwrap();
    // A recording with a line that is not a record: replay warns of it.
    let recording = std::fs::read_to_string(
        crate::support::root().join("examples/clickstream/recording.jsonl"),
    )
    .unwrap();
    let mut lines: Vec<&str> = recording.lines().take(3).collect();
    lines.push("{\"shard\": 1}");
    let file = out.path().join("bad.jsonl");
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    // Without NO_COLOR (the tests' default sets it): a pipe alone must do.
    let output = tributary()
        .env_remove("NO_COLOR")
        .env("TRIBUTARY_OUT", out.path())
        .args([
            "replay",
            "examples/clickstream/pipeline.toml",
            "--recording",
        ])
        .arg(&file)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("WARN"), "a warning was logged: {stderr}");
    assert!(
        !stderr.contains('\u{1b}'),
        "an escape code in a pipe: {stderr}"
    );
}
