//! `tributary explain`: the examples' pipelines in plain words, with the
//! push-down decision `package` makes for them, and why when it does not
//! push down.

use crate::support::{run, tributary};

/// `tributary explain FILE`'s output, which must succeed.
fn explain(file: &str) -> String {
    let (output, stdout, stderr) = run(tributary().args(["explain", file]));
    assert!(output.status.success(), "explain {file}: {stderr}");
    stdout
}

fn assert_says(text: &str, sentences: &[&str]) {
    for sentence in sentences {
        assert!(text.contains(sentence), "missing {sentence:?} in:\n{text}");
    }
}

#[test]
fn a_kinesis_filter_with_on_error_skip_is_pushed_down_as_filter_criteria() {
    let text = explain("examples/search/pipeline.toml");
    assert_says(
        &text,
        &[
            "Pipeline `clickstream-search`: Clicks and purchases, indexed for search and dashboards",
            "Source: the Kinesis data stream `clickstream` (`type = \"kinesis\"`).",
            "batch of up to 500 records (`batch_size`), waiting up to 1 s to fill it",
            "Up to 2 batches of a shard are processed at once",
            "retried from the first failed one, up to 5 times",
            "A record older than 3600 s is not retried",
            "split in two",
            "arn:aws:sqs:eu-west-1:123456789012:clickstream-failed",
            r#"1. `clicks-and-purchases` (filter): keeps the records that match the event pattern {"type":["click","purchase"]}, and drops the rest."#,
            "`search` (opensearch): takes every record the processors pass -> https://abc123def456.eu-west-1.aoss.amazonaws.com, index clicks-%Y.%m.%d.",
            "is skipped: counted and logged",
            "Push-down: yes.",
            "FilterCriteria",
            r#"{"data":{"type":["click","purchase"]}}"#,
        ],
    );
    assert!(!text.contains("Why not"), "{text}");
}

#[test]
fn a_kinesis_filter_under_dead_letter_is_not_pushed_down_and_says_why() {
    let text = explain("examples/purchases/pipeline.toml");
    assert_says(
        &text,
        &[
            "1. `large-purchases` (filter): keeps the records that match the event pattern",
            "`purchases` (jsonl): takes every record the processors pass -> target/purchases/purchases.jsonl.",
            "`rejected` (jsonl): takes only dead letters",
            "sent to the dead-letter sink `rejected`",
            "Push-down: no; the event source mapping gets no FilterCriteria",
            "Why not: Lambda's filter drops records whose data is not JSON, where the pipeline's `on_error = \"dead-letter\"` reports them",
        ],
    );
}

#[test]
fn a_dynamodb_pipeline_without_processors_says_why_nothing_is_pushed_down() {
    let text = explain("examples/orders/pipeline.toml");
    assert_says(
        &text,
        &[
            "Source: the stream of DynamoDB table `orders` (`type = \"dynamodb_streams\"`).",
            "batch of up to 200 records",
            "up to 10 times",
            "Of several changes to one item in a batch, only the last goes on",
            "Processors: none",
            "`search` (opensearch): takes every record",
            "reported as failed, so Lambda retries it",
            "Push-down: no;",
            "Why not: the pipeline has no processors, and sink `search` has no `when`: it takes every record.",
        ],
    );
}

#[test]
fn an_eventbridge_filter_becomes_the_rules_pattern() {
    let text = explain("examples/alerts/pipeline.toml");
    assert_says(
        &text,
        &[
            "Source: events of the EventBridge bus `orders` (`type = \"eventbridge\"`).",
            "retries it up to 1 time",
            "1. `failed-payments` (filter)",
            "Push-down: yes.",
            "the EventBridge rule's event pattern",
            r#"{"detail-type":["Payment Failed"],"source":["shop.payments"]}"#,
        ],
    );
}

#[test]
fn a_remap_first_is_not_pushed_down_and_the_codec_is_named() {
    let text = explain("examples/cloudwatch-logs/pipeline.toml");
    assert_says(
        &text,
        &[
            "`codec = \"cloudwatch-logs\"`",
            "1. `parse` (remap): runs the VRL program in `parse.vrl`",
            "Why not: the first processor is `remap`, not `filter`.",
        ],
    );
}

#[test]
fn an_invalid_pipeline_gets_validates_errors() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("p.toml");
    std::fs::write(
        &file,
        "[pipeline]\nname = \"p\"\n[source]\ntype = \"kinesys\"\n[sinks.out]\ntype = \"jsonl\"\n",
    )
    .unwrap();
    let (output, stdout, stderr) = run(tributary().arg("explain").arg(&file));
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout.is_empty(), "{stdout}");
    assert!(stderr.contains("unknown source type `kinesys`"), "{stderr}");
    let (output, _, stderr) = run(tributary().args(["explain", "no/such/pipeline.toml"]));
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr.contains("no/such/pipeline.toml"), "{stderr}");
}
