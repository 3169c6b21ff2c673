//! Summaries say where everything went (issue 20, problem 2): each sink's
//! records and destination, the documents aggregates emitted, dead letters
//! with their reasons, a jsonl file replaced only with a word, and `--json`.

use serde_json::Value;

use crate::support::{run, tributary};

const PIPELINE: &str = "examples/clickstream/pipeline.toml";
const RECORDING: &str = "examples/clickstream/recording.jsonl";

/// The summary line of the sink `name`.
fn sink_line<'a>(stderr: &'a str, name: &str) -> &'a str {
    stderr
        .lines()
        .find(|line| line.trim_start().starts_with(&format!("{name} ")))
        .unwrap_or_else(|| panic!("no line for sink `{name}`: {stderr}"))
}

#[test]
fn replay_says_what_each_sink_received_where_it_wrote_and_why_records_were_dead_lettered() {
    let out = tempfile::tempdir().unwrap();
    let (output, _, stderr) = run(tributary()
        .args(["replay", PIPELINE, "--recording", RECORDING])
        .env("TRIBUTARY_OUT", out.path()));
    assert!(output.status.success(), "{stderr}");
    let events = out.path().join("events.jsonl");
    let line = sink_line(&stderr, "events");
    assert!(
        line.contains("9990   records, 9990 stored")
            && line.ends_with(&format!("-> {}", events.display())),
        "{line}"
    );
    let rejected = sink_line(&stderr, "rejected");
    assert!(rejected.contains("10   records, 10 stored"), "{rejected}");
    assert!(
        stderr.contains("dead letters           10   10 at `source`"),
        "{stderr}"
    );
    let reasons = stderr
        .lines()
        .filter(|l| l.contains(" at `source`: "))
        .count();
    assert_eq!(reasons, 5, "the first five, with why: {stderr}");
    assert!(stderr.contains("    ... and 5 more"), "{stderr}");

    // `invoke` replaces the replay's output, and says so.
    let (output, _, stderr) = run(tributary()
        .args([
            "invoke",
            PIPELINE,
            "--event",
            "examples/clickstream/event.json",
        ])
        .env("TRIBUTARY_OUT", out.path()));
    assert!(output.status.success(), "{stderr}");
    let line = sink_line(&stderr, "events");
    assert!(
        line.contains("5   records, 5 stored")
            && line.contains("(replaced: it held 9990 lines before)"),
        "{line}"
    );
    assert_eq!(std::fs::read_to_string(&events).unwrap().lines().count(), 5);
    assert!(
        stderr.contains("at `source`: "),
        "the malformed record's reason: {stderr}"
    );
}

#[test]
fn replay_counts_the_documents_aggregates_wrote() {
    let out = tempfile::tempdir().unwrap();
    let (output, _, stderr) = run(tributary()
        .args([
            "replay",
            "examples/clickstream/aggregates.toml",
            "--recording",
            RECORDING,
        ])
        .env("TRIBUTARY_OUT", out.path()));
    assert!(output.status.success(), "{stderr}");
    let written = std::fs::read_to_string(out.path().join("aggregates.jsonl"))
        .unwrap()
        .lines()
        .count();
    assert!(written > 1000, "{written}");
    let line = sink_line(&stderr, "aggregates");
    assert!(
        line.contains(&format!(
            "{written}   records ({written} aggregate documents), {written} stored"
        )),
        "{line}"
    );
}

#[test]
fn json_prints_one_summary_on_standard_output() {
    let out = tempfile::tempdir().unwrap();
    let (output, stdout, stderr) = run(tributary()
        .args(["replay", PIPELINE, "--recording", RECORDING, "--json"])
        .env("TRIBUTARY_OUT", out.path()));
    assert!(output.status.success(), "{stderr}");
    assert_eq!(stderr, "", "the summary is on standard output only");
    let summary: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(summary["command"], "replay");
    assert_eq!(summary["totals"]["records_in"], 10_000);
    assert_eq!(summary["totals"]["delivered"], 9_990);
    let sinks = summary["sinks"].as_array().unwrap();
    assert_eq!(sinks[0]["name"], "events");
    assert_eq!(
        sinks[0]["destination"],
        out.path().join("events.jsonl").display().to_string()
    );
    assert_eq!(sinks[0]["delivered"], 9_990);
    assert_eq!(sinks[0]["replaced_lines"], Value::Null);
    assert_eq!(summary["dead_letters"]["count"], 10);
    assert_eq!(summary["dead_letters"]["by_stage"]["source"], 10);
    assert_eq!(
        summary["dead_letters"]["first"].as_array().unwrap().len(),
        5
    );

    let (output, stdout, stderr) = run(tributary()
        .args([
            "invoke",
            PIPELINE,
            "--event",
            "examples/clickstream/event.json",
            "--json",
        ])
        .env("TRIBUTARY_OUT", out.path()));
    assert!(output.status.success(), "{stderr}");
    let summary: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(summary["command"], "invoke");
    assert_eq!(
        summary["response"]["batchItemFailures"],
        Value::Array(vec![])
    );
    assert_eq!(summary["sinks"][0]["replaced_lines"], 9_990);
    assert_eq!(summary["sinks"][0]["records"], 5);
    assert_eq!(summary["dead_letters"]["count"], 1);
}

#[test]
fn test_says_what_each_sink_received_and_why_records_were_dead_lettered() {
    let (output, stdout, stderr) = run(tributary().args(["test", PIPELINE]));
    assert!(output.status.success(), "{stdout}{stderr}");
    assert!(
        stdout.contains("  sinks received: events 2, rejected 1\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("00000000000000000002 at `source`: payload is not valid JSON"),
        "{stdout}"
    );

    let (output, stdout, stderr) = run(tributary().args([
        "test",
        "--json",
        PIPELINE,
        "examples/clickstream/aggregates.toml",
    ]));
    assert!(output.status.success(), "{stdout}{stderr}");
    let summary: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(summary["command"], "test");
    assert_eq!(summary["failed"], 0);
    let test = &summary["files"][0]["tests"][0];
    assert_eq!(test["passed"], true);
    assert_eq!(test["sinks"][0]["name"], "events");
    assert_eq!(test["sinks"][0]["records"], 2);
    assert_eq!(test["dead_letters"]["by_stage"]["source"], 1);
    let aggregates = &summary["files"][1]["tests"][0]["sinks"][0];
    assert_eq!(aggregates["records"], aggregates["aggregate_documents"]);
    assert!(aggregates["records"].as_u64().unwrap() > 0, "{summary}");
}

#[test]
fn invoke_json_of_a_failed_invocation_holds_the_error_document() {
    let (output, stdout, stderr) = run(tributary().args([
        "invoke",
        "examples/orders/pipeline.toml",
        "--event",
        "examples/alerts/event.json",
        "--json",
    ]));
    assert_eq!(
        output.status.code(),
        Some(1),
        "the event file is what must be fixed: {stdout}{stderr}"
    );
    let summary: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(summary["command"], "invoke");
    assert_eq!(summary["pipeline"], "orders-search");
    assert_eq!(summary["error"]["errorType"], "tributary.EventError");
}
