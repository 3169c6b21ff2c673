//! `tributary test`: the `[[tests]]` of pipeline files.

use crate::support::{run, tributary};

#[test]
fn the_example_pipelines_tests_pass() {
    assert_all_pass(
        &[
            "examples/clickstream/pipeline.toml",
            "examples/clickstream/aggregates.toml",
            "examples/purchases/pipeline.toml",
            "examples/search/pipeline.toml",
            "examples/orders/pipeline.toml",
            "examples/alerts/pipeline.toml",
            "examples/cloudwatch-logs/pipeline.toml",
        ],
        // orders and alerts test on their recordings too.
        9,
    );
}

#[test]
fn a_broken_expectation_fails_with_a_readable_diff() {
    let (output, stdout, _) =
        run(tributary().args(["test", "tests/pipelines/broken-expectation.toml"]));
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stdout.contains("FAILED  tests/pipelines/broken-expectation.toml: a wrong expectation"),
        "{stdout}"
    );
    assert!(
        stdout.contains("sink `out` got other records (- expected, + actual; keys in order):"),
        "{stdout}"
    );
    assert!(stdout.contains("  -   \"price\": 11,"), "{stdout}");
    assert!(stdout.contains("  +   \"price\": 10,"), "{stdout}");
    assert!(stdout.contains("dropped: expected 2, got 1"), "{stdout}");
    assert!(stdout.ends_with("0 passed, 1 failed\n"), "{stdout}");
}

/// A pipeline whose `[[tests]]` hold mistakes: `validate` finds each, as
/// `test` does, at its place.
const MISTAKEN_TESTS: &str = r#"
[pipeline]
name = "p"
[source]
type = "kinesis"
[sinks.out]
type = "jsonl"
path = "-"

[[tests]]
name = "a misspelt expectation"
inputs = [{ data = { a = 1 } }]
expect.aggreated = 1

[[tests]]
name = "a sink that is not there"
inputs = [{ data = { a = 1 } }]
expect.outputs.ou = [{ a = 1 }]
"#;

#[test]
fn validate_finds_the_mistakes_of_tests_that_test_finds() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("p.toml");
    std::fs::write(&file, MISTAKEN_TESTS).unwrap();
    let (validated, _, stderr) = run(tributary().arg("validate").arg(&file));
    assert_eq!(validated.status.code(), Some(1), "{stderr}");
    for part in [
        "error: unknown field `aggreated`",
        "p.toml:13:8",
        "did you mean `aggregated`?",
        "`expect.outputs` names the sink `ou`, which the pipeline does not have",
        "p.toml:18:21",
        "did you mean `out`? The pipeline's sinks are `out`",
        "2 error(s)",
    ] {
        assert!(stderr.contains(part), "`{part}` in {stderr}");
    }
    let (tested, _, test_stderr) = run(tributary().arg("test").arg(&file));
    assert_eq!(tested.status.code(), Some(1));
    assert!(
        test_stderr.contains("`expect.outputs` names the sink `ou`"),
        "{test_stderr}"
    );
}

/// A test whose outputs differ from the expectation in key order only
/// passes; one whose `outputs_include` finds nothing shows what the sink got.
const KEY_ORDER_AND_INCLUDES: &str = r#"
[pipeline]
name = "p"
[source]
type = "kinesis"
[sinks.out]
type = "jsonl"
path = "-"

[[tests]]
name = "key order does not matter"
inputs = [{ data = { avg_latency = 200, route = "/a" } }]
expect.outputs.out = [{ route = "/a", avg_latency = 200 }]

[[tests]]
name = "an include that finds nothing"
inputs = [{ data = { route = "/a", n = 1 } }, { data = { route = "/b", n = 2 } }]
expect.outputs_include.out = [{ route = "/c" }]
"#;

#[test]
fn outputs_compare_regardless_of_key_order_and_a_failed_include_shows_the_records() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("p.toml");
    std::fs::write(&file, KEY_ORDER_AND_INCLUDES).unwrap();
    let (output, stdout, stderr) = run(tributary().arg("test").arg(&file));
    assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stdout.contains("ok      "), "{stdout}");
    assert!(stdout.contains("key order does not matter"), "{stdout}");
    assert!(
        stdout.contains("got no record including") && stdout.contains("among its 2 record(s):"),
        "{stdout}"
    );
    assert!(stdout.contains(r#"{"n":1,"route":"/a"}"#), "{stdout}");
    assert!(stdout.contains(r#"{"n":2,"route":"/b"}"#), "{stdout}");
    assert!(stdout.ends_with("1 passed, 1 failed\n"), "{stdout}");
}

/// A pipeline with no filter, whose project, dedupe and aggregate each carry
/// `when`: its test expects the exact outputs, in order, and counts that add
/// up to the inputs.
#[test]
fn processors_with_when_apply_to_their_records_only() {
    assert_all_pass(&["tests/pipelines/when.toml"], 1);
}

/// One program (tests/pipelines/remap/fates.vrl) on one recording, under
/// each `on_error`: each test expects the exact outputs and every count,
/// which add up to the records in. And a remap with `when`.
#[test]
fn a_remaps_fates_are_counted_under_each_on_error() {
    assert_all_pass(
        &[
            "tests/pipelines/remap/retry.toml",
            "tests/pipelines/remap/skip.toml",
            "tests/pipelines/remap/dead-letter.toml",
            "tests/pipelines/remap/when.toml",
        ],
        4,
    );
}

/// Sinks with `when`: each gets what its route picks, a record two sinks
/// take goes to both, and what no sink takes is dropped or dead-lettered as
/// `unrouted` says; the counts add up to the inputs.
#[test]
fn sinks_with_when_take_their_records_only() {
    assert_all_pass(
        &[
            "tests/pipelines/routing.toml",
            "tests/pipelines/routing-unrouted.toml",
        ],
        2,
    );
}

/// Runs `tributary test` on `files` and checks that all `passed` tests
/// passed.
fn assert_all_pass(files: &[&str], passed: usize) {
    let (output, stdout, stderr) = run(tributary().arg("test").args(files));
    assert!(output.status.success(), "{stdout}{stderr}");
    let summary = format!("{passed} passed, 0 failed\n");
    assert!(stdout.ends_with(&summary), "{stdout}");
}
