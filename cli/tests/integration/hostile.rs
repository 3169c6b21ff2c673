//! Hostile input through `tributary invoke`: payloads built to break a
//! reader, floods of failures. Each must fail its own record alone, say
//! why, and leave the rest of the batch delivered and accounted.

use std::path::Path;

use serde_json::Value;

use crate::support::events::{gzip, kinesis_event_of, sequence};
use crate::support::{run, tributary};

/// Writes a pipeline of `processor` (a `[[processors]]` body) under
/// `on_error` into `dir`, with an `out` sink and a `rejected` dead-letter
/// sink; gives its path.
fn pipeline(dir: &Path, on_error: &str, processor: &str) -> std::path::PathBuf {
    let file = dir.join("pipeline.toml");
    let (dead_letter, rejected) = if on_error == "dead-letter" {
        let path = dir.join("rejected.jsonl");
        let sink = format!(
            "[sinks.rejected]\ntype = \"jsonl\"\npath = \"{}\"\n",
            path.display()
        );
        ("dead_letter = \"rejected\"\n", sink)
    } else {
        ("", String::new())
    };
    let text = format!(
        "[pipeline]\nname = \"hostile\"\non_error = \"{on_error}\"\n{dead_letter}\
         [source]\ntype = \"kinesis\"\n\
         [[processors]]\n{processor}\n\
         [sinks.out]\ntype = \"jsonl\"\npath = \"{out}\"\n{rejected}",
        out = dir.join("out.jsonl").display(),
    );
    std::fs::write(&file, text).unwrap();
    file
}

/// Runs `tributary invoke` on an event; gives Lambda's answer and stderr.
fn invoke(dir: &Path, pipeline: &Path, event: &str) -> (Value, String) {
    invoke_logging(dir, pipeline, event, "info")
}

/// `invoke` with `TRIBUTARY_LOG=level`.
fn invoke_logging(dir: &Path, pipeline: &Path, event: &str, level: &str) -> (Value, String) {
    let event_file = dir.join("event.json");
    std::fs::write(&event_file, event).unwrap();
    let (output, stdout, stderr) = run(tributary()
        .env("TRIBUTARY_LOG", level)
        .arg("invoke")
        .arg(pipeline)
        .arg("--event")
        .arg(&event_file));
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let answer = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    (answer, stderr)
}

fn lines(path: &Path) -> usize {
    std::fs::read_to_string(path).map_or(0, |text| text.lines().count())
}

/// A record of about 120 KB: 60,000 arrays, one inside the other. It fits in
/// a Kinesis record and an EventBridge event, and once overflowed the stack
/// of every payload reader.
fn deeply_nested() -> String {
    format!(
        r#"{{"type": "a", "id": "x", "n": {}{}}}"#,
        "[".repeat(60_000),
        "]".repeat(60_000)
    )
}

#[test]
fn a_deeply_nested_record_fails_alone_in_every_reader_under_every_on_error() {
    let deep = deeply_nested();
    // `n` is read by each, so each reader meets the nesting.
    let processors = [
        "type = \"filter\"\npattern = { n = [{ exists = true }] }",
        "type = \"dedupe\"\nkey = \"n\"",
        "type = \"sample\"\nrate = 1\nkey = \"n\"",
        "type = \"throttle\"\nrecords_per_second = 1000\nkey = \"n\"",
        "type = \"aggregate\"\nwindow = \"batch\"\ngroup_by = [\"n\"]\nmetrics.count = { op = \"count\" }",
        "type = \"project\"\nselect = [\"n\", \"type\"]",
    ];
    for processor in processors {
        for on_error in ["retry", "skip", "dead-letter"] {
            let dir = tempfile::tempdir().unwrap();
            let file = pipeline(dir.path(), on_error, processor);
            let event = kinesis_event_of(&[
                ("shardId-0", r#"{"type": "a", "id": "1", "n": 1}"#),
                ("shardId-1", &deep),
                ("shardId-2", r#"{"type": "a", "id": "2", "n": 2}"#),
            ]);
            let (answer, stderr) = invoke(dir.path(), &file, &event);
            let context = format!("{processor} under {on_error}: {stderr}");
            let failures = answer["batchItemFailures"].as_array().unwrap();
            let (failed, dead_lettered) = match on_error {
                "retry" => (1, 0),
                "skip" => (0, 0),
                _ => (0, 1),
            };
            assert_eq!(failures.len(), failed, "{context}");
            if failed == 1 {
                assert_eq!(failures[0]["itemIdentifier"], sequence(1), "{context}");
            }
            assert_eq!(
                lines(&dir.path().join("rejected.jsonl")),
                dead_lettered,
                "{context}"
            );
            // The reason is logged, or written in the dead letter.
            let letters = std::fs::read_to_string(dir.path().join("rejected.jsonl"));
            assert!(
                stderr.contains("nested more than 128 deep")
                    || letters.is_ok_and(|l| l.contains("nested more than 128 deep")),
                "{context}"
            );
            assert!(
                stderr.contains("3 records in:")
                    && !stderr.contains(" 0 delivered, 0 dropped, 0 skipped, 0 aggregated"),
                "the other records went on: {context}"
            );
        }
    }
}

#[test]
fn under_retry_each_failures_reason_is_logged_without_its_payload() {
    let dir = tempfile::tempdir().unwrap();
    let file = pipeline(
        dir.path(),
        "retry",
        "type = \"filter\"\npattern = { type = [\"a\"] }",
    );
    let event = kinesis_event_of(&[
        ("shardId-0", r#"{"type": "a"}"#),
        ("shardId-0", r#"{"type": "a", "secret": "hunter2""#),
        ("shardId-0", r#"{"type": "a"}"#),
    ]);
    let (answer, stderr) = invoke_logging(dir.path(), &file, &event, "debug");
    assert_eq!(
        answer["batchItemFailures"][0]["itemIdentifier"],
        sequence(1)
    );
    let logged: Vec<&str> = stderr
        .lines()
        .filter(|line| line.contains("record not processed"))
        .collect();
    assert_eq!(
        logged.len(),
        1,
        "one debug line for the failure, none for the record held back behind it: {stderr}"
    );
    for part in [
        "shard=shardId-0",
        &format!("sequence={}", sequence(1)),
        "payload is not valid JSON",
        "Lambda will retry it",
    ] {
        assert!(logged[0].contains(part), "`{part}` in {}", logged[0]);
    }
    let summary: Vec<&str> = stderr
        .lines()
        .filter(|line| line.contains("records not processed"))
        .collect();
    assert_eq!(summary.len(), 1, "one summary at warn: {stderr}");
    for part in [
        "records=1",
        "first_shard=shardId-0",
        &format!("first_sequence={}", sequence(1)),
        "payload is not valid JSON",
    ] {
        assert!(summary[0].contains(part), "`{part}` in {}", summary[0]);
    }
    assert!(
        !stderr.contains("hunter2"),
        "a payload was logged: {stderr}"
    );
}

#[test]
fn a_poison_batch_is_one_summary_line_with_its_count() {
    let dir = tempfile::tempdir().unwrap();
    let file = pipeline(
        dir.path(),
        "skip",
        "type = \"filter\"\npattern = { type = [\"a\"] }",
    );
    let records: Vec<(&str, &str)> = (0..2000).map(|_| ("shardId-0", "not json")).collect();
    let (answer, stderr) = invoke(dir.path(), &file, &kinesis_event_of(&records));
    assert_eq!(answer["batchItemFailures"].as_array().unwrap().len(), 0);
    assert_eq!(
        stderr.matches("record not processed").count(),
        0,
        "none at info"
    );
    let summary: Vec<&str> = stderr
        .lines()
        .filter(|line| line.contains("records not processed"))
        .collect();
    assert_eq!(summary.len(), 1, "{stderr}");
    assert!(summary[0].contains("records=2000"), "{}", summary[0]);
    assert!(
        stderr.contains("2000 records in: 0 delivered, 0 dropped, 2000 skipped"),
        "{stderr}"
    );
}

#[test]
fn grep_skips_a_deeply_nested_line_and_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("events.jsonl");
    let text = format!("{}\n{{\"type\": \"a\", \"n\": 2}}\n", deeply_nested());
    std::fs::write(&file, text).unwrap();
    let (output, stdout, stderr) = run(tributary()
        .args(["grep", "--event-pattern", r#"{"n": [{"exists": true}]}"#])
        .arg(&file));
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert_eq!(stdout, "{\"type\": \"a\", \"n\": 2}\n");
    assert!(stderr.contains("1 line(s)"), "{stderr}");
}

/// The peak resident memory, in bytes, of `command` run to its end (Linux
/// reports `ru_maxrss` in KiB), and its standard output.
fn peak_rss(command: &std::process::Command) -> (u64, String) {
    let script = "import resource, subprocess, sys\n\
                  out = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout\n\
                  print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n\
                  sys.stdout.write(out.decode())";
    let output = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(command.get_program())
        .args(command.get_args())
        .current_dir(command.get_current_dir().unwrap_or(Path::new(".")))
        .output()
        .expect("python3 runs");
    let text = String::from_utf8(output.stdout).unwrap();
    let (kib, rest) = text.split_once('\n').unwrap_or_else(|| panic!("{text}"));
    (kib.trim().parse::<u64>().unwrap() * 1024, rest.to_owned())
}

/// Twenty gzip records that each decompress to just under the 64 MiB
/// per-record limit once held 1.3 GB at the same time. A 512 MB function
/// decompresses a quarter of its memory per invocation: the records past
/// that fail for retry (Lambda redelivers them in later invocations), and
/// the process stays far below its memory.
#[test]
fn an_event_of_gzip_bombs_stays_within_the_invocation_budget() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pipeline.toml");
    let text = format!(
        "[pipeline]\nname = \"bombs\"\n[source]\ntype = \"kinesis\"\ncodec = \"gzip-json\"\n\
         [[processors]]\ntype = \"filter\"\npattern = {{ kind = [\"never\"] }}\n\
         [sinks.out]\ntype = \"jsonl\"\npath = \"{}\"\n[deploy]\nmemory_mb = 512\n",
        dir.path().join("out.jsonl").display()
    );
    std::fs::write(&file, text).unwrap();
    let bomb = gzip(format!("{{\"pad\":\"{}\"}}", "x".repeat(63 << 20)).as_bytes());
    let entries: Vec<Value> = (0..20)
        .map(|i| crate::support::events::kinesis_entry("shardId-0", &sequence(i), &bomb))
        .collect();
    let event_file = dir.path().join("event.json");
    std::fs::write(&event_file, crate::support::events::kinesis_event(entries)).unwrap();
    let mut command = tributary();
    command
        .arg("invoke")
        .arg(&file)
        .arg("--event")
        .arg(&event_file);
    let (peak, stdout) = peak_rss(&command);
    let answer: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    // 128 MiB of budget: two records, then the third waits for a later invocation.
    assert_eq!(
        answer["batchItemFailures"][0]["itemIdentifier"],
        sequence(2),
        "{answer}"
    );
    assert!(
        peak < 400 * 1024 * 1024,
        "peak RSS {} MB",
        peak / 1024 / 1024
    );
    eprintln!("peak RSS of the invocation: {} MB", peak / 1024 / 1024);
}

#[test]
fn a_record_past_the_budget_says_why_and_is_retried_whatever_on_error_says() {
    let dir = tempfile::tempdir().unwrap();
    let file = pipeline(
        dir.path(),
        "skip",
        "type = \"filter\"\npattern = { kind = [\"x\"] }",
    );
    let mut text = std::fs::read_to_string(&file).unwrap();
    text = text.replace(
        "type = \"kinesis\"",
        "type = \"kinesis\"\ncodec = \"gzip-json\"",
    );
    std::fs::write(&file, text).unwrap();
    let big = gzip(format!("{{\"kind\":\"x\",\"pad\":\"{}\"}}", "y".repeat(40 << 20)).as_bytes());
    let entries: Vec<Value> = (0..3)
        .map(|i| crate::support::events::kinesis_entry("shardId-0", &sequence(i), &big))
        .collect();
    let (answer, stderr) = invoke(
        dir.path(),
        &file,
        &crate::support::events::kinesis_event(entries),
    );
    // The default memory (256 MB) gives 64 MiB: one record, then a retry.
    assert_eq!(
        answer["batchItemFailures"][0]["itemIdentifier"],
        sequence(1),
        "{stderr}"
    );
    assert!(
        stderr.contains("past its decompression budget of 67108864 bytes"),
        "{stderr}"
    );
    assert!(stderr.contains("3 records in: 1 delivered, 0 dropped, 0 skipped, 0 aggregated, 0 dead-lettered, 2 failed"), "{stderr}");
}

#[test]
fn a_dynamodb_item_nested_past_the_limit_fails_alone() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pipeline.toml");
    let text = format!(
        "[pipeline]\nname = \"deep\"\non_error = \"skip\"\n[source]\ntype = \"dynamodb_streams\"\n\
         [[processors]]\ntype = \"filter\"\npattern = {{ v = [{{ exists = true }}] }}\n\
         [sinks.out]\ntype = \"jsonl\"\npath = \"{}\"\n",
        dir.path().join("out.jsonl").display()
    );
    std::fs::write(&file, text).unwrap();
    // 30,000 lists, one inside the other, in DynamoDB JSON.
    let deep = format!(
        "{}{{\"N\":\"1\"}}{}",
        "{\"L\":[".repeat(30_000),
        "]}".repeat(30_000)
    );
    let change = |sequence: &str, value: &str| {
        format!(
            r#"{{"eventID":"{sequence}","eventName":"INSERT","eventVersion":"1.1","eventSource":"aws:dynamodb","awsRegion":"us-east-1","eventSourceARN":"arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/2024","dynamodb":{{"ApproximateCreationDateTime":1700000000,"Keys":{{"pk":{{"S":"k{sequence}"}}}},"SequenceNumber":"{sequence}","SizeBytes":26,"StreamViewType":"NEW_AND_OLD_IMAGES","NewImage":{{"pk":{{"S":"k{sequence}"}},"v":{value}}}}}}}"#
        )
    };
    let event = format!(
        "{{\"Records\":[{},{},{}]}}",
        change("100", "{\"N\":\"1\"}"),
        change("200", &deep),
        change("300", "{\"N\":\"3\"}")
    );
    let (answer, stderr) = invoke(dir.path(), &file, &event);
    assert_eq!(
        answer["batchItemFailures"].as_array().unwrap().len(),
        0,
        "{stderr}"
    );
    assert!(
        stderr.contains("3 records in: 2 delivered, 0 dropped, 1 skipped"),
        "{stderr}"
    );
    assert_eq!(lines(&dir.path().join("out.jsonl")), 2);
}
