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
        stdout.contains("sink `out` got other records (- expected, + actual):"),
        "{stdout}"
    );
    assert!(stdout.contains("  -   \"price\": 11,"), "{stdout}");
    assert!(stdout.contains("  +   \"price\": 10,"), "{stdout}");
    assert!(stdout.contains("dropped: expected 2, got 1"), "{stdout}");
    assert!(stdout.ends_with("0 passed, 1 failed\n"), "{stdout}");
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
