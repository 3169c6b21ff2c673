//! `tributary invoke`: the handler once, on a captured event, printing what
//! Lambda would receive.

use crate::support::{root, run, tributary};

fn pipeline(dir: &std::path::Path, source: &str) -> std::path::PathBuf {
    let file = dir.join("pipeline.toml");
    let text = format!(
        "[pipeline]\nname = \"invoke\"\n[source]\n{source}\n[sinks.out]\ntype = \"jsonl\"\npath = \"{}\"\n",
        dir.join("out.jsonl").display()
    );
    std::fs::write(&file, text).unwrap();
    file
}

/// Runs `tributary invoke` on an event the pipeline cannot take, which fails
/// the invocation as a whole; gives the error document it prints, and its
/// log. The exit status is 1: the event file is what must be fixed.
fn failed_invocation(
    file: &std::path::Path,
    event: &std::path::Path,
) -> (serde_json::Value, String) {
    let (output, stdout, stderr) = run(tributary()
        .arg("invoke")
        .arg(file)
        .arg("--event")
        .arg(event));
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    (serde_json::from_str(&stdout).unwrap(), stderr)
}

#[test]
fn prints_the_response_lambda_would_receive() {
    let dir = tempfile::tempdir().unwrap();
    let file = pipeline(dir.path(), "type = \"kinesis\"");
    let event = root().join("tests/fixtures/events/example-kinesis-event.json");
    let (output, stdout, stderr) = run(tributary()
        .arg("invoke")
        .arg(&file)
        .arg("--event")
        .arg(&event));
    // The sample's payloads are "Hello World": not JSON, so both fail, and
    // Lambda is told to retry from the first.
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert_eq!(
        stdout,
        "{\"batchItemFailures\":[{\"itemIdentifier\":\"49568167373333333333333333333333333333333333333333333333\"}]}\n"
    );
    assert!(
        stderr
            .contains("2 records in: 0 delivered, 0 dropped, 0 skipped, 0 aggregated, 0 dead-lettered, 2 failed"),
        "{stderr}"
    );
}

#[test]
fn a_failed_invocation_prints_the_error_document() {
    let dir = tempfile::tempdir().unwrap();
    let file = pipeline(dir.path(), "type = \"dynamodb_streams\"");
    let event = root().join("tests/fixtures/events/example-eventbridge-event-obj.json");
    let (error, _) = failed_invocation(&file, &event);
    assert_eq!(error["errorType"], "tributary.EventError");
    assert_eq!(
        error["errorMessage"],
        "the event is an EventBridge event, and the pipeline's [source] is \
         `type = \"dynamodb_streams\"`: invoke it with a dynamodb_streams event, or set the \
         [source] type to the event's source"
    );
}

#[test]
fn an_event_of_another_source_is_named_with_what_the_pipeline_reads() {
    let dir = tempfile::tempdir().unwrap();
    let file = pipeline(dir.path(), "type = \"kinesis\"");
    let event = root().join("tests/fixtures/events/example-dynamodb-event.json");
    let (error, _) = failed_invocation(&file, &event);
    let message = error["errorMessage"].as_str().unwrap();
    assert!(
        message.starts_with("the event is a DynamoDB Streams event, and the pipeline's [source] is `type = \"kinesis\"`"),
        "{message}"
    );
    assert!(!message.contains("missing field"), "{message}");
}

#[test]
fn the_example_event_dead_letters_its_malformed_record() {
    let out = tempfile::tempdir().unwrap();
    let (output, stdout, stderr) = run(tributary().env("TRIBUTARY_OUT", out.path()).args([
        "invoke",
        "examples/clickstream/pipeline.toml",
        "--event",
        "examples/clickstream/event.json",
    ]));
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert_eq!(stdout, "{\"batchItemFailures\":[]}\n");
    let events = std::fs::read_to_string(out.path().join("events.jsonl")).unwrap();
    let rejected = std::fs::read_to_string(out.path().join("rejected.jsonl")).unwrap();
    assert_eq!((events.lines().count(), rejected.lines().count()), (5, 1));
}

#[test]
fn an_aggregate_over_lambdas_window_fails_an_invocation_without_one_instead_of_skipping() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pipeline.toml");
    let text = format!(
        "[pipeline]\nname = \"windowed\"\non_error = \"skip\"\n\
         [source]\ntype = \"kinesis\"\ntumbling_window_secs = 60\n\
         [[processors]]\ntype = \"aggregate\"\nwindow = \"lambda\"\ngroup_by = [\"k\"]\nmetrics.n = {{ op = \"count\" }}\n\
         [sinks.out]\ntype = \"jsonl\"\npath = \"{}\"\n",
        dir.path().join("out.jsonl").display()
    );
    std::fs::write(&file, text).unwrap();
    let event = dir.path().join("event.json");
    std::fs::write(
        &event,
        crate::support::events::kinesis_event_of(&[("shardId-0", "{\"k\":1}")]),
    )
    .unwrap();
    let (error, stderr) = failed_invocation(&file, &event);
    assert_eq!(error["errorType"], "tributary.NoWindow");
    let message = error["errorMessage"].as_str().unwrap();
    // The pipeline sets the window: the message says the event lacks it,
    // not that the pipeline should set it.
    for part in [
        "this event has none",
        "`tumbling_window_secs = 60`: a mapping made by hand may lack it",
        "`tributary replay` makes the windows itself",
    ] {
        assert!(message.contains(part), "`{part}` in {message}");
    }
    assert!(
        !stderr.contains("skipped\""),
        "no record is skipped: {stderr}"
    );
}
