//! examples/cloudwatch-logs replayed into the test OpenSearch node, as its
//! pipeline file says to: every count its generator wrote to expected.json
//! is searched for, exactly.

use serde_json::{Value, json};

use crate::support::{opensearch, root, run, summary_counts, tributary};

const PIPELINE: &str = "examples/cloudwatch-logs/pipeline.toml";
const RECORDING: &str = "examples/cloudwatch-logs/recording.jsonl";

/// What generate.py counted as it wrote the recording.
fn expected() -> Value {
    let text = std::fs::read_to_string(root().join("examples/cloudwatch-logs/expected.json"))
        .expect("generate.py wrote expected.json");
    serde_json::from_str(&text).unwrap()
}

fn number(expected: &Value, name: &str) -> u64 {
    expected[name]
        .as_u64()
        .unwrap_or_else(|| panic!("expected.json has no count `{name}`"))
}

fn term(field: &str, value: &str) -> Value {
    json!({"term": {field: value}})
}

#[test]
fn the_recording_is_searchable_as_expected_json_counts_it() {
    let expected = expected();
    let days = expected["days"].as_object().unwrap();
    // The index names come from the log lines' own dates: a run before
    // this one left the same indices, which would double every count.
    for index in days.keys() {
        let (status, answer) = opensearch::call("DELETE", &format!("/{index}"), None);
        assert!(status == 200 || status == 404, "{answer}");
    }

    let out = tempfile::tempdir().unwrap();
    let (output, stdout, stderr) = run(tributary()
        .args([
            "replay",
            PIPELINE,
            "--recording",
            RECORDING,
            "--no-progress",
        ])
        .env("OPENSEARCH_ENDPOINT", opensearch::url())
        .env("TRIBUTARY_OUT", out.path())
        // The sink signs with SigV4, as it would against OpenSearch
        // Serverless; the node, without security, ignores the signature.
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "eu-west-1")
        .env("AWS_EC2_METADATA_DISABLED", "true"));
    assert!(output.status.success(), "{stdout}{stderr}");

    // Every log event and the control message has one fate: indexed, or
    // dropped on purpose (Lambda's own lines, health checks, the control
    // message). Nothing failed.
    let summary = summary_counts(&stderr);
    let log_events = number(&expected, "log_events");
    let documents = number(&expected, "documents");
    assert_eq!(summary["records in"], log_events + 1, "{stderr}");
    assert_eq!(summary["delivered"], documents, "{stderr}");
    assert_eq!(
        summary["dropped"],
        number(&expected, "dropped") + 1,
        "{stderr}"
    );
    assert_eq!(
        summary["delivered"] + summary["dropped"],
        log_events + 1,
        "{stderr}"
    );
    assert_eq!(summary["dead-lettered"], 0, "{stderr}");
    assert_eq!(summary["failed"], 0, "{stderr}");
    let rejected = out.path().join("rejected.jsonl");
    assert!(
        std::fs::read_to_string(&rejected)
            .unwrap_or_default()
            .is_empty(),
        "nothing is dead-lettered"
    );

    // One index a day, named from the lines' own time.
    assert_eq!(
        opensearch::indices("logs-*"),
        days.keys().cloned().collect::<Vec<_>>()
    );
    for (index, count) in days {
        assert_eq!(opensearch::count(index), count.as_u64().unwrap(), "{index}");
    }

    let count = |query: Value| opensearch::count_matching("logs-*", query);
    assert_eq!(count(json!({"match_all": {}})), documents);
    for kind in ["access", "application", "text"] {
        assert_eq!(
            count(term("kind.keyword", kind)),
            number(&expected, kind),
            "{kind}"
        );
    }
    // `status` is an integer field: ranges on numbers, not on text.
    assert_eq!(
        count(json!({"range": {"status": {"gte": 500, "lte": 599}}})),
        number(&expected, "status_5xx")
    );
    assert_eq!(
        count(json!({"range": {"status": {"gte": 400, "lte": 499}}})),
        number(&expected, "status_4xx")
    );
    assert_eq!(
        count(term("path.keyword", "/checkout")),
        number(&expected, "path_checkout")
    );
    // parse.vrl lowercases the application's `ERROR`.
    assert_eq!(
        count(term("level.keyword", "error")),
        number(&expected, "level_error")
    );
    assert_eq!(
        count(json!({"range": {"duration_ms": {"gte": 1000}}})),
        number(&expected, "slow_requests")
    );

    // What the program aborts on was not indexed: Lambda's own lines would
    // have become `text` documents of the Lambda's log group, and health
    // checks `access` documents.
    assert_eq!(
        count(term("log_group.keyword", "/aws/lambda/checkout")),
        number(&expected, "application")
    );
    for prefix in ["START RequestId:", "END RequestId:", "REPORT RequestId:"] {
        assert_eq!(
            count(json!({"prefix": {"message.keyword": prefix}})),
            0,
            "{prefix}"
        );
    }
    assert_eq!(count(term("path.keyword", "/health")), 0);
}
