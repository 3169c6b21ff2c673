//! The `s3` sink against moto in server mode (started once per test
//! binary, read back with boto3): archives that replay, retried invocations
//! that overwrite their own objects, S3's faults through the
//! fault-injecting proxy, and durable dead letters of an OpenSearch sink
//! that refuses documents. The pipelines run as `tributary` runs them (the
//! sink takes its credentials from the environment, which only a child
//! process can be given), and every test counts each input record's fate.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use serde_json::Value;
use serde_json::value::RawValue;

use crate::support::events::{kinesis_entry, kinesis_event};
use crate::support::fault_proxy::{FaultProxy, Faults};
use crate::support::{moto, opensearch, root, run, summary_counts, tributary};

/// The stream of the clickstream example's recording and event.
const CLICKSTREAM: &str = "arn:aws:kinesis:eu-west-1:123456789012:stream/clickstream";

/// A `[sinks.NAME]` table of an s3 sink writing to `bucket` at `endpoint`,
/// with its `key` and `extra` settings.
fn s3_sink(name: &str, bucket: &str, key: &str, endpoint: &str, extra: &str) -> String {
    format!(
        "[sinks.{name}]\ntype = \"s3\"\nbucket = \"{bucket}\"\nkey = \"{key}\"\nendpoint_url = \"{endpoint}\"\n{extra}\n"
    )
}

/// A pipeline named `name` that dead-letters to `dead_letter`, with a
/// Kinesis source and `sinks`, written into `dir`.
fn pipeline_file(dir: &Path, name: &str, dead_letter: &str, sinks: &str) -> PathBuf {
    let file = dir.join(format!("{name}.toml"));
    let text = format!(
        "[pipeline]\nname = \"{name}\"\non_error = \"dead-letter\"\ndead_letter = \"{dead_letter}\"\n\
         [source]\ntype = \"kinesis\"\nbatch_size = 100\n{sinks}"
    );
    std::fs::write(&file, text).unwrap();
    file
}

/// The objects under `prefix` in `bucket`, read back with boto3: each key
/// and its text (gunzipped), in key order. Every object is checked to be
/// gzip, as the sinks here write.
fn objects(bucket: &str, prefix: &str) -> BTreeMap<String, String> {
    let read = moto::s3(&["read", bucket, prefix]);
    read.as_object()
        .unwrap()
        .iter()
        .map(|(key, object)| {
            assert_eq!(object["content_type"], "application/gzip", "{key}");
            (key.clone(), object["text"].as_str().unwrap().to_owned())
        })
        .collect()
}

/// The record lines of a recording object's text, each parsed, after
/// checking its header names `stream` and its key ends with its first
/// record's `{shard}-{first_sequence}.jsonl.gz`.
fn records_of(key: &str, text: &str, stream: &str) -> Vec<Value> {
    let mut lines = text.lines();
    let header: Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    assert_eq!(header["tributary_recording"], 1, "{key}");
    assert_eq!(header["source"], "kinesis", "{key}");
    assert_eq!(header["stream"], stream, "{key}");
    let records: Vec<Value> = lines.map(|l| serde_json::from_str(l).unwrap()).collect();
    let first = &records[0];
    let named = format!(
        "/{}-{}.jsonl.gz",
        first["shard"].as_str().unwrap(),
        first["sequence"].as_str().unwrap()
    );
    assert!(
        key.ends_with(&named),
        "{key} is named by its first record ({named})"
    );
    records
}

/// Each record's `(shard, sequence)`.
fn identities(records: &[Value]) -> Vec<(String, String)> {
    records
        .iter()
        .map(|r| {
            (
                r["shard"].as_str().unwrap().to_owned(),
                r["sequence"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// The fates of one invocation, from `tributary invoke`'s closing line
/// (`invoke: 6 records in: 5 delivered, 0 dropped, ... 0 failed in 9.1
/// ms`), checked to add up to the
/// records in: by fate, with `in` for the records in.
fn fates(stderr: &str) -> HashMap<String, u64> {
    let line = stderr
        .lines()
        .find(|l| l.contains(" records in: "))
        .unwrap_or_else(|| panic!("no fates line: {stderr}"));
    let (total, rest) = line.split_once(" records in: ").unwrap();
    // `..., 0 failed in 12.3 ms`
    let rest = rest.rsplit_once(" in ").map_or(rest, |(fates, _)| fates);
    let total: u64 = total.rsplit(' ').next().unwrap().parse().unwrap();
    let mut fates: HashMap<String, u64> = rest
        .split(", ")
        .map(|part| {
            let (count, fate) = part.split_once(' ').unwrap();
            (fate.to_owned(), count.parse().unwrap())
        })
        .collect();
    assert_eq!(
        fates.values().sum::<u64>(),
        total,
        "each record one fate: {line}"
    );
    fates.insert("in".to_owned(), total);
    fates
}

/// Runs the pipeline on `event` once with `tributary invoke`, with moto's
/// credentials: the `itemIdentifier`s of its answer, and its fates.
fn invoke(pipeline: &Path, event: &Path) -> (Vec<String>, HashMap<String, u64>) {
    let (output, stdout, stderr) = run(moto::tributary()
        .arg("invoke")
        .arg(pipeline)
        .arg("--event")
        .arg(event));
    assert_eq!(output.status.code(), Some(0), "{stdout}{stderr}");
    let answer: Value = serde_json::from_str(&stdout).unwrap();
    let failed = answer["batchItemFailures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["itemIdentifier"].as_str().unwrap().to_owned())
        .collect();
    (failed, fates(&stderr))
}

/// The replay summary's counts, checked to add up to the records in.
fn replay_counts(stderr: &str) -> HashMap<String, u64> {
    let counts = summary_counts(stderr);
    let fates: u64 = [
        "delivered",
        "dropped",
        "skipped",
        "aggregated",
        "dead-lettered",
        "failed",
    ]
    .iter()
    .map(|fate| counts.get(*fate).copied().unwrap_or(0))
    .sum();
    assert_eq!(
        Some(&fates),
        counts.get("records in"),
        "each record one fate: {stderr}"
    );
    counts
}

/// Replays `recording` through examples/clickstream/pipeline.toml into
/// `out`; gives its counts and its sorted output lines, by file.
fn replay_example(
    recording: &Path,
    out: &Path,
) -> (HashMap<String, u64>, BTreeMap<String, Vec<String>>) {
    let (output, stdout, stderr) = run(tributary()
        .env("TRIBUTARY_OUT", out)
        .args([
            "replay",
            "examples/clickstream/pipeline.toml",
            "--no-progress",
            "--recording",
        ])
        .arg(recording));
    assert!(output.status.success(), "{stdout}{stderr}");
    let outputs = ["events.jsonl", "rejected.jsonl"]
        .into_iter()
        .map(|file| {
            let text = std::fs::read_to_string(out.join(file)).unwrap();
            let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
            lines.sort();
            (file.to_owned(), lines)
        })
        .collect();
    (replay_counts(&stderr), outputs)
}

#[test]
fn an_archive_of_the_clickstream_recording_reads_back_with_boto3_and_replays_to_the_same_outputs() {
    let bucket = "archive";
    moto::s3(&["create-bucket", bucket]);
    let dir = tempfile::tempdir().unwrap();
    let raw = "raw/{pipeline}/%Y/%m/%d/%H/{shard}-{first_sequence}.jsonl.gz";
    let dead = "dead/{pipeline}/{shard}-{first_sequence}.jsonl.gz";
    let sinks = s3_sink("raw", bucket, raw, moto::url(), "")
        + &s3_sink("dead", bucket, dead, moto::url(), "");
    let file = pipeline_file(dir.path(), "archive", "dead", &sinks);
    let recording = root().join("examples/clickstream/recording.jsonl");
    let (output, stdout, stderr) = run(moto::tributary()
        .arg("replay")
        .arg(&file)
        .arg("--no-progress")
        .arg("--recording")
        .arg(&recording));
    assert!(output.status.success(), "{stdout}{stderr}");
    let counts = replay_counts(&stderr);
    assert_eq!(
        (
            counts["records in"],
            counts["delivered"],
            counts["dead-lettered"],
            counts["failed"]
        ),
        (10_000, 9_990, 10, 0),
        "{stderr}"
    );

    // Read back: every record of the recording once, the archived ones
    // under raw/ by hour, the dead letters under dead/ with their reason.
    let objects = objects(bucket, "");
    let mut archived = Vec::new();
    let mut dead_letters = Vec::new();
    for (key, text) in &objects {
        let records = records_of(key, text, CLICKSTREAM);
        if key.starts_with("raw/archive/2026/11/28/") {
            assert!(records.iter().all(|r| r.get("error").is_none()), "{key}");
            archived.extend(records);
        } else {
            assert!(key.starts_with("dead/archive/shardId-"), "{key}");
            assert!(
                records.iter().all(|r| r["error"]["stage"] == "source"),
                "{key}"
            );
            dead_letters.extend(records);
        }
    }
    assert_eq!((archived.len(), dead_letters.len()), (9_990, 10));
    let mut read_back = identities(&archived);
    read_back.extend(identities(&dead_letters));
    let read_back: BTreeSet<_> = read_back.into_iter().collect();
    let original: BTreeSet<(String, String)> = std::fs::read_to_string(&recording)
        .unwrap()
        .lines()
        .skip(1)
        .map(|line| {
            let record: Value = serde_json::from_str(line).unwrap();
            identities(&[record]).remove(0)
        })
        .collect();
    assert_eq!(read_back.len(), 10_000, "no record twice");
    assert_eq!(read_back, original);

    // The objects joined end to end as they are (each with its header, as
    // `cat` of the downloads gives) are a recording that replays to the
    // same outputs as the original.
    let concatenated: String = objects.values().map(String::as_str).collect();
    let archive = dir.path().join("archive.jsonl");
    std::fs::write(&archive, concatenated).unwrap();
    let (original_counts, original_outputs) =
        replay_example(&recording, &dir.path().join("from-original"));
    let (archive_counts, archive_outputs) =
        replay_example(&archive, &dir.path().join("from-archive"));
    assert_eq!(
        (archive_counts["delivered"], archive_counts["dead-lettered"]),
        (
            original_counts["delivered"],
            original_counts["dead-lettered"]
        )
    );
    assert_eq!(original_outputs["events.jsonl"].len(), 9_990);
    assert_eq!(original_outputs["rejected.jsonl"].len(), 10);
    assert!(
        archive_outputs == original_outputs,
        "the archive replays to other outputs"
    );
}

#[test]
fn a_retried_invocation_overwrites_its_own_objects() {
    let bucket = "retried";
    moto::s3(&["create-bucket", bucket]);
    // The proxy only counts the requests.
    let proxy = FaultProxy::start_s3(moto::url(), Faults::default(), 1);
    let dir = tempfile::tempdir().unwrap();
    let sinks = s3_sink(
        "raw",
        bucket,
        "raw/{shard}-{first_sequence}.jsonl.gz",
        &proxy.url,
        "",
    ) + &s3_sink(
        "dead",
        bucket,
        "dead/{shard}-{first_sequence}.jsonl.gz",
        &proxy.url,
        "",
    );
    let file = pipeline_file(dir.path(), "retried", "dead", &sinks);
    let event = root().join("examples/clickstream/event.json");
    let puts = || proxy.seen().iter().filter(|r| r.method == "PUT").count();

    let (failed, fates) = invoke(&file, &event);
    assert!(failed.is_empty());
    assert_eq!(
        (fates["in"], fates["delivered"], fates["dead-lettered"]),
        (6, 5, 1)
    );
    let first = objects(bucket, "");
    let put_once = puts();
    assert_eq!(put_once, first.len(), "one PutObject an object");

    // Lambda delivers the same batch again (say, the answer was lost).
    let (failed, fates) = invoke(&file, &event);
    assert!(failed.is_empty());
    assert_eq!(
        (fates["in"], fates["delivered"], fates["dead-lettered"]),
        (6, 5, 1)
    );
    assert_eq!(puts(), 2 * put_once, "every object was put again");
    let again = objects(bucket, "");
    assert_eq!(
        again, first,
        "the same keys, with the same records: none twice"
    );
    let lines: usize = again
        .iter()
        .map(|(key, text)| records_of(key, text, CLICKSTREAM).len())
        .sum();
    assert_eq!(lines, 6);
}

/// The fault test's records: `(shard, sequence, payload)` of record `i`,
/// on three shards.
fn fault_record(i: usize) -> (&'static str, String, String) {
    let shards = [
        "shardId-000000000000",
        "shardId-000000000001",
        "shardId-000000000002",
    ];
    (
        shards[i % 3],
        format!("{:06}", 1000 + i),
        format!(r#"{{"id":"r{i}","pad":"{}"}}"#, "x".repeat(i % 50)),
    )
}

/// Writes a Kinesis event of these records into `dir`; gives its path.
fn event_file(dir: &Path, name: &str, records: &[usize]) -> PathBuf {
    let entries = records
        .iter()
        .map(|i| {
            let (shard, sequence, data) = fault_record(*i);
            kinesis_entry(shard, &sequence, data.as_bytes())
        })
        .collect();
    let file = dir.join(format!("{name}.json"));
    std::fs::write(&file, kinesis_event(entries)).unwrap();
    file
}

#[test]
fn no_record_is_lost_when_s3_slows_down_resets_and_loses_answers() {
    let bucket = "faults";
    moto::s3(&["create-bucket", bucket]);
    let faults = Faults {
        slow_down: 0.3,
        reset: 0.2,
        lost_answer: 0.15,
        ..Faults::default()
    };
    let proxy = FaultProxy::start_s3(moto::url(), faults, 21);
    let dir = tempfile::tempdir().unwrap();
    // Small objects, so that a batch is several of them; few attempts and
    // short waits, so that some objects fail for good and Lambda retries.
    let settings = "max_object_bytes = 1500\nmax_attempts = 2\ninitial_backoff_ms = 5\nmax_backoff_ms = 20\ntimeout_ms = 2000";
    let sinks = s3_sink(
        "raw",
        bucket,
        "raw/{shard}-{first_sequence}.jsonl.gz",
        &proxy.url,
        settings,
    ) + &format!(
        "[sinks.dlq]\ntype = \"jsonl\"\npath = \"{}\"\n",
        dir.path().join("dlq.jsonl").display()
    );
    let file = pipeline_file(dir.path(), "faults", "dlq", &sinks);

    // Each shard as Lambda reads it: a batch of 40 from the checkpoint on;
    // a batch that reports a failure is given again from its first failed
    // record, until the shard is done.
    let total = 360;
    let (mut invocations, mut reported) = (0, 0);
    for shard in 0..3 {
        let mine: Vec<usize> = (0..total).filter(|i| i % 3 == shard).collect();
        let mut checkpoint = 0;
        while checkpoint < mine.len() {
            let batch = &mine[checkpoint..(checkpoint + 40).min(mine.len())];
            invocations += 1;
            assert!(invocations < 200, "Lambda would still be retrying");
            let event = event_file(dir.path(), &format!("invocation-{invocations}"), batch);
            let (identifiers, fates) = invoke(&file, &event);
            assert_eq!(fates["in"], batch.len() as u64);
            match identifiers.first() {
                None => {
                    assert_eq!(fates["delivered"], batch.len() as u64);
                    checkpoint += batch.len();
                }
                Some(first) => {
                    reported += 1;
                    let at = batch
                        .iter()
                        .position(|i| &fault_record(*i).1 == first)
                        .unwrap();
                    assert!(fates["failed"] > 0, "{fates:?}");
                    checkpoint += at;
                }
            }
        }
    }
    assert!(proxy.injected() > 0, "no fault was injected");
    assert!(
        reported > 0,
        "no object failed for good: the test would not test Lambda's retry"
    );
    assert!(
        std::fs::read_to_string(dir.path().join("dlq.jsonl"))
            .unwrap_or_default()
            .is_empty(),
        "faults are not the records' fault: nothing is dead-lettered"
    );

    let objects = objects(bucket, "raw/");
    let mut stored = Vec::new();
    for (key, text) in &objects {
        let in_object = identities(&records_of(key, text, crate::support::events::STREAM));
        let distinct: BTreeSet<&(String, String)> = in_object.iter().collect();
        assert_eq!(distinct.len(), in_object.len(), "{key}: a record twice");
        stored.extend(in_object);
    }
    let all = stored.len();
    let stored: BTreeSet<(String, String)> = stored.into_iter().collect();
    let expected: BTreeSet<(String, String)> = (0..total)
        .map(|i| {
            let (shard, sequence, _) = fault_record(i);
            (shard.to_owned(), sequence)
        })
        .collect();
    assert_eq!(stored, expected, "every record is in S3");
    assert_eq!(
        all, total,
        "each exactly once: retries overwrote their own objects"
    );
    let puts = proxy.seen().iter().filter(|r| r.method == "PUT").count();
    assert!(
        puts > objects.len(),
        "objects were put again ({puts} puts, {} objects)",
        objects.len()
    );
}

#[test]
fn documents_opensearch_refuses_are_dead_lettered_to_s3_with_their_bytes_and_reasons_then_redriven_and_delivered()
 {
    let bucket = "refused";
    moto::s3(&["create-bucket", bucket]);
    let proxy = FaultProxy::start(
        opensearch::url(),
        Faults {
            refuse_documents_with: Some("poison".to_owned()),
            ..Faults::default()
        },
        1,
    );
    let dir = tempfile::tempdir().unwrap();
    let sinks = format!(
        "[sinks.search]\ntype = \"opensearch\"\nendpoint = \"{}\"\nauth = \"none\"\nindex = \"refused\"\ndocument_id = \"field:id\"\n",
        proxy.url
    ) + &s3_sink(
        "dlq",
        bucket,
        "dead/{pipeline}/{shard}-{first_sequence}.jsonl.gz",
        moto::url(),
        "",
    );
    let file = pipeline_file(dir.path(), "refusals", "dlq", &sinks);
    // Every seventh record is refused; some are written with spaces, which
    // the dead letter keeps as they came.
    let data = |i: usize| -> String {
        match (i % 7, i % 2) {
            (3, 0) => format!(r#"{{"id":"r{i}","tag":"poison"}}"#),
            (3, _) => format!(r#"{{ "id": "r{i}", "tag": "poison" }}"#),
            _ => format!(r#"{{"id":"r{i}","tag":"fine"}}"#),
        }
    };
    let sequence = |i: usize| format!("{:05}", 500 + i);
    let entries = (0..50)
        .map(|i| kinesis_entry("shardId-000000000004", &sequence(i), data(i).as_bytes()))
        .collect();
    let event = dir.path().join("event.json");
    std::fs::write(&event, kinesis_event(entries)).unwrap();

    let (identifiers, fates) = invoke(&file, &event);
    let refused: Vec<usize> = (0..50).filter(|i| i % 7 == 3).collect();
    assert!(
        identifiers.is_empty(),
        "refusals are dead-lettered, not retried"
    );
    assert_eq!(
        (
            fates["in"],
            fates["delivered"],
            fates["dead-lettered"],
            fates["failed"]
        ),
        (50, 50 - refused.len() as u64, refused.len() as u64, 0)
    );
    assert_eq!(opensearch::count("refused"), 50 - refused.len() as u64);

    let objects = objects(bucket, "dead/refusals/");
    let mut letters = Vec::new();
    for (key, text) in &objects {
        records_of(key, text, crate::support::events::STREAM);
        letters.extend(text.lines().skip(1).map(str::to_owned));
    }
    let sequences: Vec<String> = letters
        .iter()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["sequence"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        sequences,
        refused.iter().map(|i| sequence(*i)).collect::<Vec<_>>(),
        "exactly those, in order"
    );
    for (letter, i) in letters.iter().zip(&refused) {
        let fields: HashMap<String, Box<RawValue>> = serde_json::from_str(letter).unwrap();
        assert_eq!(fields["data"].get(), data(*i), "the original bytes");
        let error: Value = serde_json::from_str(fields["error"].get()).unwrap();
        assert_eq!(error["stage"], "search");
        let message = error["message"].as_str().unwrap();
        assert!(
            message.contains("400") && message.contains("mapper_parsing_exception"),
            "{message}"
        );
    }

    // Fixed (no proxy refusing them now), the dead letters are redriven from
    // S3 into a recording and replayed: every one of them is delivered.
    let redriven = dir.path().join("redriven.jsonl");
    let (output, stdout, stderr) = run(moto::tributary()
        .args(["redrive", "s3://refused/dead/refusals/", "--endpoint-url"])
        .arg(moto::url())
        .arg("--output")
        .arg(&redriven));
    assert!(output.status.success(), "{stdout}{stderr}");
    let fixed = pipeline_file(
        dir.path(),
        "fixed",
        "dlq",
        &format!(
            "[sinks.search]\ntype = \"opensearch\"\nendpoint = \"{}\"\nauth = \"none\"\nindex = \"refused\"\ndocument_id = \"field:id\"\n\
             [sinks.dlq]\ntype = \"jsonl\"\npath = \"{}\"\n",
            opensearch::url(),
            dir.path().join("still-failing.jsonl").display()
        ),
    );
    let (output, stdout, stderr) = run(tributary()
        .arg("replay")
        .arg(&fixed)
        .args(["--no-progress", "--recording"])
        .arg(&redriven));
    assert!(output.status.success(), "{stdout}{stderr}");
    let counts = replay_counts(&stderr);
    assert_eq!(
        (counts["records in"], counts["delivered"]),
        (refused.len() as u64, refused.len() as u64),
        "{stderr}"
    );
    assert_eq!(
        opensearch::count("refused"),
        50,
        "all fifty are indexed now"
    );
}
