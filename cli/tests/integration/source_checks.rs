//! `replay` and `test` check what they are given (issue 20, problem 1): a
//! recording of another source than the pipeline's is refused before a
//! record is sent, DynamoDB Streams records must be changes, redeliveries
//! are not counted as records in, and the AWS SDK's warnings stay quiet.

use std::path::{Path, PathBuf};

use crate::support::{root, run, summary_counts, tributary};

/// Replays `recording` through `pipeline`; gives the exit code and the log.
fn replay(pipeline: &Path, recording: &Path) -> (Option<i32>, String) {
    let (output, _, stderr) = run(tributary()
        .arg("replay")
        .arg(pipeline)
        .arg("--recording")
        .arg(recording));
    (output.status.code(), stderr)
}

#[test]
fn a_kinesis_recording_is_refused_by_the_dynamodb_and_eventbridge_examples() {
    let recording = Path::new("examples/clickstream/recording.jsonl");
    for (pipeline, expected) in [
        ("examples/orders/pipeline.toml", "dynamodb_streams"),
        ("examples/alerts/pipeline.toml", "eventbridge"),
    ] {
        let (code, stderr) = replay(Path::new(pipeline), recording);
        assert_eq!(code, Some(1), "{stderr}");
        let message = format!(
            "error: cannot replay through `{pipeline}`: `examples/clickstream/recording.jsonl` is a kinesis recording (its header says \"source\":\"kinesis\"), but the pipeline's [source] is {expected}: it needs a {expected} recording"
        );
        assert!(stderr.starts_with(&message), "{stderr}");
        assert!(!stderr.contains("records in"), "nothing ran: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "one line, no SDK log: {stderr}");
    }
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let file = dir.join(name);
    std::fs::write(&file, text).unwrap();
    file
}

/// A pipeline writing to out.jsonl in `dir`; `source` is the `[source]`
/// table's lines, `extra` more `[pipeline]` lines.
fn jsonl_pipeline(dir: &Path, source: &str, extra: &str) -> PathBuf {
    let text = format!(
        "[pipeline]\nname = \"checked\"\n{extra}\n[source]\n{source}\n[sinks.out]\ntype = \"jsonl\"\npath = \"{}\"\n",
        dir.join("out.jsonl").display()
    );
    write(dir, "pipeline.toml", &text)
}

const CHANGE: &str = r#"{"ApproximateCreationDateTime":1795860000,"Keys":{"pk":{"S":"k1"}},"NewImage":{"pk":{"S":"k1"}},"SequenceNumber":"1","SizeBytes":20,"StreamViewType":"NEW_AND_OLD_IMAGES"}"#;

#[test]
fn dynamodb_records_without_keys_or_event_names_are_refused_naming_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let pipeline = jsonl_pipeline(dir.path(), "type = \"dynamodb_streams\"", "");
    let recording = write(
        dir.path(),
        "changes.jsonl",
        &format!(
            "{{\"tributary_recording\":1,\"source\":\"dynamodb_streams\",\"stream\":\"s\"}}\n\
             {{\"shard\":\"a\",\"sequence\":\"1\",\"keys\":{{\"pk\":\"k1\"}},\"event_name\":\"INSERT\",\"arrival_ms\":1,\"data\":{CHANGE}}}\n\
             {{\"shard\":\"a\",\"sequence\":\"2\",\"keys\":{{\"pk\":\"k1\"}},\"arrival_ms\":1,\"data\":{CHANGE}}}\n"
        ),
    );
    let (code, stderr) = replay(&pipeline, &recording);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{}:3: a dynamodb_streams record without `event_name`",
            recording.display()
        )),
        "{stderr}"
    );
    assert!(
        !dir.path().join("out.jsonl").exists(),
        "nothing was sent: {stderr}"
    );
}

#[test]
fn a_test_whose_recording_is_of_another_source_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        root().join("examples/clickstream/recording.jsonl"),
        dir.path().join("clicks.jsonl"),
    )
    .unwrap();
    let tests =
        "[[tests]]\nname = \"clicks\"\nrecording = \"clicks.jsonl\"\nexpect.delivered = 1\n";
    let pipeline = jsonl_pipeline(dir.path(), "type = \"eventbridge\"", "");
    let text = std::fs::read_to_string(&pipeline).unwrap() + tests;
    std::fs::write(&pipeline, text).unwrap();
    let (output, stdout, stderr) = run(tributary().arg("test").arg(&pipeline));
    assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stderr.contains("clicks.jsonl` is a kinesis recording")
            && stderr.contains("the pipeline's [source] is eventbridge"),
        "{stderr}"
    );
}

#[test]
fn redelivered_records_are_reported_as_redeliveries_not_records_in() {
    let dir = tempfile::tempdir().unwrap();
    let pipeline = jsonl_pipeline(
        dir.path(),
        "type = \"kinesis\"\nbatch_size = 10\nmaximum_retry_attempts = 2",
        "on_error = \"retry\"",
    );
    let mut recording =
        String::from("{\"tributary_recording\":1,\"source\":\"kinesis\",\"stream\":\"s\"}\n");
    for n in 1..=10 {
        // The third is not JSON: it fails, and Lambda redelivers from it.
        let data = if n == 3 {
            "\"data_base64\":\"cGluZw==\"".to_owned()
        } else {
            format!("\"data\":{{\"n\":{n}}}")
        };
        recording += &format!(
            "{{\"shard\":\"a\",\"sequence\":\"{n}\",\"partition_key\":\"p\",\"arrival_ms\":1,{data}}}\n"
        );
    }
    let recording = write(dir.path(), "poison.jsonl", &recording);
    let (code, stderr) = replay(&pipeline, &recording);
    assert_eq!(code, Some(0), "{stderr}");
    let summary = summary_counts(&stderr);
    assert_eq!(summary["records in"], 10, "{stderr}");
    // Twice records 3 to 10 again, as maximum_retry_attempts = 2 allows.
    assert_eq!(summary["redelivered"], 16, "{stderr}");
    assert_eq!(summary["discarded"], 8, "{stderr}");
    assert!(stderr.contains("in 2 invocation(s)"), "{stderr}");
}

#[test]
fn the_aws_sdks_warnings_are_shown_only_when_tributary_log_asks_for_them() {
    let dir = tempfile::tempdir().unwrap();
    // An OpenSearch sink signs with SigV4: the SDK looks for credentials,
    // and warns of the config files it cannot find.
    let pipeline = write(
        dir.path(),
        "pipeline.toml",
        "[pipeline]\nname = \"quiet\"\n[source]\ntype = \"kinesis\"\nmaximum_retry_attempts = 0\n\
         [sinks.search]\ntype = \"opensearch\"\nendpoint = \"http://127.0.0.1:9\"\nindex = \"i\"\n",
    );
    let recording = write(
        dir.path(),
        "one.jsonl",
        "{\"tributary_recording\":1,\"source\":\"kinesis\",\"stream\":\"s\"}\n\
         {\"shard\":\"a\",\"sequence\":\"1\",\"partition_key\":\"p\",\"arrival_ms\":1,\"data\":{\"n\":1}}\n",
    );
    let replay = |log: Option<&str>| {
        let mut command = tributary();
        command
            .arg("replay")
            .arg(&pipeline)
            .arg("--recording")
            .arg(&recording)
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .env_remove("AWS_PROFILE")
            .env("AWS_CONFIG_FILE", dir.path().join("no-config"))
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                dir.path().join("no-credentials"),
            )
            .env("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:1")
            .env("AWS_REGION", "eu-west-1");
        match log {
            Some(log) => command.env("TRIBUTARY_LOG", log),
            None => command.env_remove("TRIBUTARY_LOG"),
        };
        let (output, _, stderr) = run(&mut command);
        assert_eq!(output.status.code(), Some(0), "{stderr}");
        stderr
    };
    let sdk_warning = |line: &str| line.contains(" WARN aws_");
    let quiet = replay(None);
    assert!(!quiet.lines().any(sdk_warning), "{quiet}");
    assert!(quiet.contains("records in"), "{quiet}");
    let asked = replay(Some("warn"));
    assert!(asked.lines().any(sdk_warning), "{asked}");
}

#[test]
fn a_misspelt_recording_field_is_named_at_its_place_with_the_field_meant() {
    let dir = tempfile::tempdir().unwrap();
    let good = r#"{"shard":"shardId-0","sequence":"1","partition_key":"k","data":{"a":1},"arrival_ms":1795860000000}"#;
    let typo = good
        .replace(r#""sequence":"1""#, r#""sequence":"2""#)
        .replace("partition_key", "partitionKey");
    let recording = write(
        dir.path(),
        "bad.jsonl",
        &format!(
            "{{\"tributary_recording\":1,\"source\":\"kinesis\",\"stream\":\"s\"}}\n{good}\n{typo}\n"
        ),
    );
    let pipeline = jsonl_pipeline(dir.path(), "type = \"kinesis\"", "on_error = \"skip\"");
    let (code, stderr) = replay(&pipeline, &recording);
    // The bad line fails alone at stage `source`; the replay goes on.
    assert_eq!(code, Some(0), "{stderr}");
    let column = typo.find("partitionKey").unwrap();
    let place = format!("bad.jsonl:3:{column}: unknown field `partitionKey`");
    let line = stderr
        .lines()
        .find(|line| line.contains(&place))
        .unwrap_or_else(|| panic!("`{place}` in {stderr}"));
    assert!(line.contains("did you mean `partition_key`?"), "{line}");
    assert!(
        !line.contains("at line 1 column"),
        "the place is given once: {line}"
    );
    let out = std::fs::read_to_string(dir.path().join("out.jsonl")).unwrap();
    assert_eq!(out.lines().count(), 1, "the good line is delivered: {out}");
}
