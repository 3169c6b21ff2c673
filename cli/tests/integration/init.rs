//! `tributary init`: what it writes passes `validate` and `test` for every
//! source, runs under `invoke` and `explain`, and never replaces a file.

use std::path::Path;

use crate::support::{run, tributary};

const SOURCES: [&str; 3] = ["kinesis", "dynamodb_streams", "eventbridge"];

/// Runs `tributary ARGS` in `dir`; gives stdout, and fails the test with
/// stderr unless it exits 0.
fn ok(dir: &Path, args: &[&str]) -> String {
    let (output, stdout, stderr) = run(tributary().current_dir(dir).args(args));
    assert!(
        output.status.success(),
        "tributary {} failed ({:?}):\n{stdout}\n{stderr}",
        args.join(" "),
        output.status
    );
    stdout
}

#[test]
fn each_source_starts_a_pipeline_that_validates_and_passes_its_tests() {
    for source in SOURCES {
        let dir = tempfile::tempdir().unwrap();
        let printed = ok(dir.path(), &["init", "--source", source, "start"]);
        assert!(
            printed.contains(&format!("Wrote pipeline `start` (source `{source}`)")),
            "{printed}"
        );
        assert!(
            printed.contains("tributary validate start/pipeline.toml"),
            "{printed}"
        );
        assert!(
            printed.contains("tributary test start/pipeline.toml"),
            "{printed}"
        );
        assert!(
            printed.contains("tributary invoke start/pipeline.toml --event start/event.json"),
            "{printed}"
        );

        let pipeline = std::fs::read_to_string(dir.path().join("start/pipeline.toml")).unwrap();
        assert!(
            pipeline.starts_with("#:schema pipeline.schema.json\n"),
            "{pipeline}"
        );
        assert!(
            pipeline.contains(&format!("type = \"{source}\"")),
            "{pipeline}"
        );
        assert!(pipeline.contains("type = \"filter\""), "{pipeline}");
        assert!(pipeline.contains("type = \"jsonl\""), "{pipeline}");
        assert!(pipeline.contains("[[tests]]"), "{pipeline}");

        let validated = ok(dir.path(), &["validate", "start/pipeline.toml"]);
        assert_eq!(validated, "ok: start/pipeline.toml\n");
        let tested = ok(dir.path(), &["test", "--json", "start/pipeline.toml"]);
        let tested: serde_json::Value = serde_json::from_str(&tested).unwrap();
        assert_eq!(tested["failed"], 0, "{source}: {tested}");
        assert!(
            tested["passed"].as_u64().unwrap() >= 1,
            "{source}: {tested}"
        );

        // The event is one the handler takes, and the filter keeps some of it.
        let invoked = ok(
            dir.path(),
            &[
                "invoke",
                "start/pipeline.toml",
                "--event",
                "start/event.json",
                "--json",
            ],
        );
        let invoked: serde_json::Value = serde_json::from_str(&invoked).unwrap();
        let delivered = match source {
            "dynamodb_streams" => 2,
            _ => 1,
        };
        assert_eq!(
            invoked["totals"]["delivered"], delivered,
            "{source}: {invoked}"
        );
        assert_eq!(invoked["totals"]["failed"], 0, "{source}: {invoked}");
        let written = std::fs::read_to_string(dir.path().join(jsonl_path(&pipeline))).unwrap();
        assert!(!written.is_empty(), "{source}: the sink wrote nothing");

        let explained = ok(dir.path(), &["explain", "start/pipeline.toml"]);
        assert!(explained.contains("Push-down:"), "{explained}");
    }
}

/// The `path` of the pipeline's jsonl sink.
fn jsonl_path(pipeline: &str) -> String {
    let table: toml::Table = toml::from_str(pipeline).unwrap();
    table["sinks"]["out"]["path"].as_str().unwrap().to_owned()
}

#[test]
fn the_schema_beside_the_pipeline_is_what_tributary_schema_prints() {
    let dir = tempfile::tempdir().unwrap();
    ok(dir.path(), &["init"]);
    let written: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("pipeline.schema.json")).unwrap(),
    )
    .unwrap();
    let printed: serde_json::Value = serde_json::from_str(&ok(dir.path(), &["schema"])).unwrap();
    assert_eq!(written, printed);
}

#[test]
fn the_default_is_a_kinesis_pipeline_in_the_current_folder_named_after_it() {
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("click stream");
    std::fs::create_dir(&dir).unwrap();
    let printed = ok(&dir, &["init"]);
    assert!(
        printed.contains("Wrote pipeline `click-stream` (source `kinesis`)"),
        "{printed}"
    );
    assert!(
        printed.contains("tributary validate pipeline.toml"),
        "{printed}"
    );
    let pipeline = std::fs::read_to_string(dir.join("pipeline.toml")).unwrap();
    assert!(pipeline.contains("type = \"kinesis\""));
    assert!(pipeline.contains("name = \"click-stream\""));
    assert!(dir.join("pipeline.schema.json").is_file());
    assert!(dir.join("event.json").is_file());
}

#[test]
fn init_refuses_to_overwrite_and_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pipeline.toml"), "# mine\n").unwrap();
    let (output, stdout, stderr) = run(tributary().current_dir(dir.path()).args(["init"]));
    assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stderr.contains("`pipeline.toml` already exists"),
        "{stderr}"
    );
    assert!(stderr.contains("hint:"), "{stderr}");
    assert!(
        stderr.contains("tributary init --source kinesis NEW-FOLDER"),
        "{stderr}"
    );
    // Nothing was written, not even the files that were not there.
    assert_eq!(
        std::fs::read_to_string(dir.path().join("pipeline.toml")).unwrap(),
        "# mine\n"
    );
    assert!(!dir.path().join("pipeline.schema.json").exists());
    assert!(!dir.path().join("event.json").exists());
}

#[test]
fn init_into_a_file_or_with_a_bad_name_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("taken"), "").unwrap();
    let (output, _, stderr) = run(tributary().current_dir(dir.path()).args(["init", "taken"]));
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("`taken` is a file, not a folder"),
        "{stderr}"
    );

    let (output, _, stderr) =
        run(tributary()
            .current_dir(dir.path())
            .args(["init", "--name", "no spaces!", "new"]));
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("`no spaces!` cannot name a pipeline"),
        "{stderr}"
    );
    assert!(stderr.contains("--name no-spaces"), "{stderr}");
    assert!(!dir.path().join("new").exists());

    let (output, _, stderr) = run(tributary()
        .current_dir(dir.path())
        .args(["init", "--source", "sqs"]));
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("kinesis"), "{stderr}");
}
