//! `tributary test-pattern` and `tributary grep`, run as a user runs them.

use std::io::Write;
use std::process::Stdio;

use crate::support::{run, tributary};

#[test]
fn test_pattern_prints_true_or_false_like_the_aws_cli() {
    let check = |pattern: &str, event: &str| {
        let (output, stdout, stderr) =
            run(tributary().args(["test-pattern", "--event-pattern", pattern, "--event", event]));
        assert!(output.status.success(), "{stderr}");
        stdout.trim().to_owned()
    };
    assert_eq!(
        check(r#"{"source":["shop"]}"#, r#"{"source":"shop"}"#),
        "true"
    );
    assert_eq!(
        check(r#"{"source":["shop"]}"#, r#"{"source":"bank"}"#),
        "false"
    );
    assert_eq!(
        check(r#"{"a":{"b":[{"numeric":[">",1]}]}}"#, r#"{"a.b":2}"#),
        "true"
    );
}

#[test]
fn test_pattern_rejects_an_invalid_pattern_with_exit_2() {
    let (output, stdout, stderr) = run(tributary().args([
        "test-pattern",
        "--event-pattern",
        r#"{"detail":{"n":[{"numeric":[">",0,"<"]}]}}"#,
        "--event",
        "{}",
    ]));
    assert_eq!(output.status.code(), Some(2));
    assert!(stdout.is_empty());
    assert!(
        stderr.contains("invalid event pattern at `detail.n.0.numeric`"),
        "{stderr}"
    );
    let (output, _, stderr) = run(tributary().args([
        "test-pattern",
        "--event-pattern",
        r#"{"a":["b"]}"#,
        "--event",
        "{nope",
    ]));
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr.contains("the event is not valid JSON"), "{stderr}");
    // EventBridge refuses an empty pattern, as event-ruler does.
    let (output, _, stderr) =
        run(tributary().args(["test-pattern", "--event-pattern", "{}", "--event", "{}"]));
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr.contains("an empty object is not allowed"),
        "{stderr}"
    );
}

#[test]
fn grep_prints_matching_lines_of_a_recording() {
    let (output, stdout, stderr) = run(tributary().args([
        "grep",
        "--event-pattern",
        r#"{"data":{"type":["purchase"],"geo":{"country":["DE"]}}}"#,
        "examples/clickstream/recording.jsonl",
    ]));
    assert!(output.status.success(), "{stderr}");
    let recording = std::fs::read_to_string(
        crate::support::root().join("examples/clickstream/recording.jsonl"),
    )
    .unwrap();
    let expected: Vec<&str> = recording
        .lines()
        .filter(|line| line.contains(r#""type":"purchase""#) && line.contains(r#""country":"DE""#))
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(stdout.lines().collect::<Vec<_>>(), expected);
}

#[test]
fn grep_on_a_recording_with_a_payload_pattern_says_where_payloads_are() {
    let (output, stdout, stderr) = run(tributary().args([
        "grep",
        "--event-pattern",
        r#"{"type":["purchase"]}"#,
        "examples/clickstream/recording.jsonl",
    ]));
    assert_eq!(output.status.code(), Some(1), "nothing matched");
    assert!(stdout.is_empty());
    assert!(
        stderr.contains("is a recording: each line is a record, its payload under `data`")
            && stderr.contains(r#"{"data": PATTERN}"#),
        "{stderr}"
    );
}

#[test]
fn grep_reads_standard_input_and_exits_1_when_nothing_matches() {
    let mut child = tributary()
        .args(["grep", "--event-pattern", r#"{"a":[1]}"#])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"{\"a\":1}\nnot json\n{\"a\":2}\n")
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    assert_eq!(String::from_utf8_lossy(&output.stdout), "{\"a\":1}\n");
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .contains("1 line(s) of standard input are not JSON")
    );

    let (output, stdout, _) =
        run(tributary().args(["grep", "--event-pattern", r#"{"a":[3]}"#, "Cargo.toml"]));
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout.is_empty());
}
