//! `tributary remap`: a VRL program tried on events, without a pipeline.

use std::io::{BufRead as _, BufReader, Write as _};
use std::process::Stdio;

use serde_json::{Value, json};

use crate::support::{run, tributary};

/// The JSON lines a run printed.
fn json_lines(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{line}: {e}")))
        .collect()
}

#[test]
fn a_program_that_parses_a_json_line_prints_the_result() {
    let (output, stdout, stderr) = run(tributary().args([
        "remap",
        "--source",
        ". = parse_json!(.message)\n.seen = true",
        "--event",
        r#"{"message": "{\"user\": \"u1\", \"n\": 2}"}"#,
    ]));
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert_eq!(
        json_lines(&stdout),
        [json!({"user": "u1", "n": 2, "seen": true})]
    );
    assert_eq!(stderr, "");
}

#[test]
fn events_from_a_file_run_line_by_line_and_what_fails_is_named_by_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let events = dir.path().join("events.jsonl");
    std::fs::write(
        &events,
        "{\"n\": \"1\"}\n{\"n\": \"x\"}\n{\"skip\": true}\nnot json\n{\"n\": \"5\"}\n",
    )
    .unwrap();
    let (output, stdout, stderr) = run(tributary()
        .args([
            "remap",
            "--source",
            "if .skip == true { abort }\n.n = to_int!(.n)",
            "--event",
        ])
        .arg(&events));
    assert_eq!(
        output.status.code(),
        Some(2),
        "an event failed while running: {stdout}{stderr}"
    );
    assert_eq!(json_lines(&stdout), [json!({"n": 1}), json!({"n": 5})]);
    let name = events.display();
    let line = |n: usize| {
        stderr
            .lines()
            .find(|l| l.contains(&format!("{name}:{n}:")))
            .unwrap_or_else(|| panic!("nothing about line {n}:\n{stderr}"))
    };
    assert!(line(2).starts_with("error: "), "{stderr}");
    assert!(line(2).contains("to_int"), "VRL's message: {stderr}");
    assert_eq!(
        line(3),
        format!("{name}:3: aborted: the record would be dropped")
    );
    assert!(line(4).starts_with("error: "), "{stderr}");
    assert!(line(4).contains("remap reads JSON payloads"), "{stderr}");
    assert_eq!(stderr.lines().count(), 3, "{stderr}");
}

#[test]
fn a_program_that_does_not_compile_exits_1_with_vrls_report() {
    let (output, stdout, stderr) = run(tributary().args([
        "remap",
        "--source",
        ".kind = \"log\"\n.fields = parse_json(.message)",
        "--event",
        "{}",
    ]));
    assert_eq!(
        output.status.code(),
        Some(1),
        "the program must be fixed: {stderr}"
    );
    assert_eq!(stdout, "");
    assert!(stderr.contains("E103"), "{stderr}");
    assert!(stderr.contains("unhandled fallible assignment"), "{stderr}");
    // The report shows the program's line at fault.
    assert!(
        stderr.contains(".fields = parse_json(.message)"),
        "{stderr}"
    );
}

/// The example's program, on its own log lines given on standard input.
#[test]
fn events_are_read_from_standard_input() {
    let lines = [
        json!({"timestamp": 1795860000000_i64, "message": "203.0.113.9 - - [28/Nov/2026:10:00:00 +0000] \"GET /cart HTTP/1.1\" 503 120 \"-\" \"curl/8.5.0\""}),
        json!({"timestamp": 1795860000100_i64, "message": "START RequestId: 1f2e Version: $LATEST"}),
        json!({"timestamp": 1795860000200_i64, "message": "config reloaded"}),
    ];
    let mut child = tributary()
        .args(["remap", "--program", "examples/cloudwatch-logs/parse.vrl"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    for line in &lines {
        writeln!(stdin, "{line}").unwrap();
    }
    drop(stdin);
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let documents = json_lines(&stdout);
    assert_eq!(documents.len(), 2, "{stdout}");
    assert_eq!(documents[0]["kind"], "access");
    assert_eq!(documents[0]["status"], 503);
    assert_eq!(documents[0]["path"], "/cart");
    assert_eq!(documents[0]["@timestamp"], "2026-11-28T10:00:00Z");
    assert_eq!(documents[1]["kind"], "text");
    assert_eq!(documents[1]["message"], "config reloaded");
    assert_eq!(
        stderr,
        "standard input:2: aborted: the record would be dropped\n"
    );
}

/// `tributary remap ... | head -1`: the reader goes away after a line.
#[test]
fn output_closed_early_stops_the_run_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let events = dir.path().join("many.jsonl");
    // Far more output than a pipe holds, so the writer meets the closed end.
    let line = format!("{{\"text\": \"{}\"}}\n", "x".repeat(200));
    std::fs::write(&events, line.repeat(20_000)).unwrap();
    let mut child = tributary()
        .args(["remap", "--source", ".n = 1", "--event"])
        .arg(&events)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.contains("\"n\":1"), "{first}");
    // The reader is dropped here, closing the pipe: the command stops on
    // its own, or SIGPIPE ends it, as it ends any Unix tool; never a panic.
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        crate::support::stopped_quietly(output.status),
        "{:?} {stderr}",
        output.status
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}
