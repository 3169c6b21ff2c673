//! `tributary validate` on the examples and on a corpus of broken pipelines.

use std::path::Path;

use crate::support::{files_in, root, run, tributary};

#[test]
fn every_example_pipeline_is_valid() {
    let examples: Vec<_> = std::fs::read_dir(root().join("examples"))
        .unwrap()
        .map(|entry| entry.unwrap().path().join("pipeline.toml"))
        .filter(|path| path.exists())
        .collect();
    assert!(!examples.is_empty());
    let (output, stdout, stderr) = run(tributary().arg("validate").args(&examples));
    assert!(output.status.success(), "{stderr}");
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with("ok: ")).count(),
        examples.len()
    );
}

/// Each broken pipeline's first line says what `validate` must report:
/// `# expect: LINE:COLUMN message`.
#[test]
fn every_broken_pipeline_is_reported_at_its_place_with_a_hint() {
    let corpus = files_in(&root().join("tests/pipelines/invalid"), "toml");
    assert!(
        corpus.len() >= 15,
        "the corpus has {} pipelines",
        corpus.len()
    );
    for file in &corpus {
        let relative = file.strip_prefix(root()).unwrap();
        let (position, message) = expectation(file);
        let (output, stdout, stderr) = run(tributary().arg("validate").arg(relative));
        assert_eq!(
            output.status.code(),
            Some(1),
            "{}: {stdout}{stderr}",
            relative.display()
        );
        let place = format!("--> {}:{position}", relative.display());
        let block = stderr
            .split("\nerror: ")
            .find(|block| block.contains(&place))
            .unwrap_or_else(|| panic!("{}: no error at {position}:\n{stderr}", relative.display()));
        assert!(
            block.contains(&message),
            "{}: expected `{message}` in:\n{block}",
            relative.display()
        );
        assert!(
            block.contains(" = hint: "),
            "{}: no hint in:\n{block}",
            relative.display()
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn one_broken_file_among_valid_ones_fails_the_run() {
    let (output, stdout, _) = run(tributary().args([
        "validate",
        "examples/clickstream/pipeline.toml",
        "tests/pipelines/invalid/unknown-key.toml",
    ]));
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout.contains("ok: examples/clickstream/pipeline.toml"));
}

#[test]
fn a_missing_file_is_an_error_not_a_crash() {
    let (output, _, stderr) = run(tributary().args(["validate", "no/such/pipeline.toml"]));
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr.contains("cannot read pipeline file `no/such/pipeline.toml`"),
        "{stderr}"
    );
}

#[test]
fn variables_fill_in_from_the_environment() {
    let file = "tests/pipelines/invalid/undefined-variable.toml";
    let (output, _, stderr) = run(tributary()
        .args(["validate", file])
        .env("TRIBUTARY_TEST_SURELY_UNSET", "/tmp"));
    assert!(output.status.success(), "{stderr}");
}

/// A 124 KB file saved with carriage returns alone as line breaks printed
/// 12,044 errors, 2.26 GB in all: each echoed the whole file as its line.
#[test]
fn a_file_with_carriage_returns_alone_is_one_short_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = "[pipeline]\nname = \"mac\"\n\n[source]\ntype = \"kinesis\"\nstream = \"s\"\n\n\
                    [sinks.out]\ntype = \"jsonl\"\npath = \"out.jsonl\"\n"
        .to_owned();
    while text.len() < 124 * 1024 {
        text.push_str("\n[[processors]]\ntype = \"sample\"\nrate = 10\n");
    }
    let file = dir.path().join("mac.toml");
    std::fs::write(&file, text.replace('\n', "\r")).unwrap();
    let (output, stdout, stderr) = run(tributary().arg("validate").arg(&file));
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        output.stdout.len() + output.stderr.len() < 1024,
        "{} bytes of output:\n{stdout}{stderr}",
        output.stdout.len() + output.stderr.len()
    );
    assert!(
        stderr.contains(&format!("--> {}:1:11", file.display())),
        "{stderr}"
    );
    assert!(stderr.contains("carriage return"), "{stderr}");
    assert!(stderr.contains(": 1 error(s)"), "{stderr}");
}

#[test]
fn errors_past_twenty_are_counted_not_printed() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = "[pipeline]\nname = \"p\"\n[source]\ntype = \"kinesis\"\n".to_owned();
    for i in 0..500 {
        text.push_str(&format!("[sinks.s{i}]\ntype = \"jsonl\"\npth = \"x\"\n"));
    }
    let file = dir.path().join("typo.toml");
    std::fs::write(&file, text).unwrap();
    let (output, _, stderr) = run(tributary().arg("validate").arg(&file));
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(stderr.matches("error: unknown field `pth`").count(), 20);
    assert!(
        stderr.contains("and 480 more errors, not shown"),
        "{stderr}"
    );
    assert!(stderr.contains(": 500 error(s)"), "{stderr}");
}

#[test]
fn a_file_that_is_not_utf8_is_reported_at_its_first_bad_byte() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("latin1.toml");
    std::fs::write(&file, b"[pipeline]\nname = \"caf\xe9\"\n").unwrap();
    let (output, _, stderr) = run(tributary().arg("validate").arg(&file));
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr.contains(&format!("--> {}:2:12", file.display())),
        "{stderr}"
    );
    assert!(stderr.contains("not UTF-8"), "{stderr}");
}

/// A password put in `endpoint = "${PW}"` was printed in the error about
/// the endpoint.
#[test]
fn an_interpolated_secret_is_not_printed() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("secret.toml");
    std::fs::write(
        &file,
        "[pipeline]\nname = \"p\"\n\n[source]\ntype = \"kinesis\"\nstream = \"s\"\n\n\
         [sinks.search]\ntype = \"opensearch\"\nendpoint = \"${TRIBUTARY_TEST_PW}\"\nindex = \"events\"\n",
    )
    .unwrap();
    let (output, stdout, stderr) = run(tributary()
        .arg("validate")
        .arg(&file)
        .env("TRIBUTARY_TEST_PW", "hunter2-s3cret"));
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("`${TRIBUTARY_TEST_PW}` is not a URL"),
        "{stderr}"
    );
    assert!(
        !stdout.contains("hunter2") && !stderr.contains("hunter2"),
        "{stderr}"
    );
}

fn expectation(file: &Path) -> (String, String) {
    let text = std::fs::read_to_string(file).unwrap();
    let first = text.lines().next().unwrap_or_default();
    let rest = first.strip_prefix("# expect: ").unwrap_or_else(|| {
        panic!(
            "{} does not start with `# expect: LINE:COL message`",
            file.display()
        )
    });
    let (position, message) = rest.split_once(' ').unwrap();
    (position.to_owned(), message.to_owned())
}
