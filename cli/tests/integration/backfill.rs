//! `tributary backfill` against moto in server mode: tables filled by boto3
//! with items of every attribute type, backfilled by scan and by export into
//! a jsonl sink, compared with what the table's stream gives for the same
//! items (`record --table`, then `replay`).

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::moto::{self, tables};
use crate::support::run;

const ITEMS: usize = 300;

/// A pipeline reading `table`'s stream into a jsonl file it appends to (so
/// that a resumed backfill adds to what the first run wrote); gives both
/// paths.
fn pipeline(dir: &Path, table: &str) -> (PathBuf, PathBuf) {
    pipeline_with(dir, table, "")
}

/// [`pipeline`], with more `[source]` settings.
fn pipeline_with(dir: &Path, table: &str, settings: &str) -> (PathBuf, PathBuf) {
    let sink = dir.join(format!("{table}.jsonl"));
    let pipeline = dir.join(format!("{table}.toml"));
    std::fs::write(
        &pipeline,
        format!(
            "[pipeline]\nname = \"{table}\"\n[source]\ntype = \"dynamodb_streams\"\ntable = \"{table}\"\n{settings}\n\
             [sinks.out]\ntype = \"jsonl\"\nappend = true\npath = \"{}\"\n",
            sink.display()
        ),
    )
    .unwrap();
    (pipeline, sink)
}

fn lines(sink: &Path) -> Vec<Value> {
    std::fs::read_to_string(sink)
        .unwrap_or_default()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// Runs `tributary backfill PIPELINE --table TABLE ARGS...`; gives stderr.
fn backfill(pipeline: &Path, table: &str, checkpoint: &Path, args: &[&str]) -> String {
    let (output, _, stderr) = run(moto::tributary()
        .arg("backfill")
        .arg(pipeline)
        .args([
            "--table",
            table,
            "--endpoint-url",
            moto::url(),
            "--no-progress",
        ])
        .arg("--checkpoint")
        .arg(checkpoint)
        .args(args));
    assert!(output.status.success(), "{stderr}");
    stderr
}

/// What the stream path makes of the same items: the table's stream (one
/// INSERT per put) recorded and replayed through the same pipeline.
fn streamed(dir: &Path, pipeline: &Path, sink: &Path, table: &str) -> Vec<Value> {
    let recording = dir.join(format!("{table}-stream.jsonl"));
    moto::record("--table", table, &recording);
    let _ = std::fs::remove_file(sink);
    let (output, _, stderr) = run(crate::support::tributary()
        .arg("replay")
        .arg(pipeline)
        .arg("--recording")
        .arg(&recording));
    assert!(output.status.success(), "{stderr}");
    sorted(lines(sink))
}

fn sorted(mut items: Vec<Value>) -> Vec<Value> {
    items.sort_by_key(Value::to_string);
    items
}

/// Every item once, the same plain JSON as the stream path gives.
fn assert_same_as_stream(
    backfilled: Vec<Value>,
    dir: &Path,
    pipeline: &Path,
    sink: &Path,
    table: &str,
) {
    let backfilled = sorted(backfilled);
    assert_eq!(backfilled.len(), ITEMS);
    let keys: std::collections::BTreeSet<String> = backfilled
        .iter()
        .map(|item| format!("{}|{}", item["pk"], item["sk"]))
        .collect();
    assert_eq!(keys.len(), ITEMS, "every item exactly once");
    assert_same_items(backfilled, streamed(dir, pipeline, sink, table));
}

/// The same items in the same order, or the first that differs.
fn assert_same_items(backfilled: Vec<Value>, streamed: Vec<Value>) {
    assert_eq!(
        backfilled.len(),
        streamed.len(),
        "as many items as the stream gives"
    );
    if let Some((b, s)) = backfilled.iter().zip(&streamed).find(|(b, s)| b != s) {
        panic!("backfilled {b}\nstreamed   {s}");
    }
}

#[test]
fn a_scan_backfills_every_item_once_as_the_stream_gives_it() {
    tables(&["fill", "scanned", &ITEMS.to_string()]);
    let dir = tempfile::tempdir().unwrap();
    let (pipeline, sink) = pipeline(dir.path(), "scanned");
    let checkpoint = dir.path().join("scanned.json");
    let stderr = backfill(&pipeline, "scanned", &checkpoint, &["--segments", "3"]);
    assert!(stderr.contains("finished"), "{stderr}");
    assert!(
        stderr.contains(&format!("delivered      {ITEMS:>10}")),
        "{stderr}"
    );
    // What the sink received and where it wrote.
    let sink_line = stderr
        .lines()
        .find(|line| line.trim_start().starts_with("out "))
        .unwrap_or_else(|| panic!("a line for sink `out`: {stderr}"));
    assert!(
        sink_line.contains(&format!("{ITEMS}   records, {ITEMS} stored")),
        "{sink_line}"
    );
    assert!(
        sink_line.ends_with(&format!("-> {}", sink.display())),
        "{sink_line}"
    );
    assert_same_as_stream(lines(&sink), dir.path(), &pipeline, &sink, "scanned");

    // The whole change: the same keys (so the same document ids) and image
    // as the stream's INSERTs, with the backfill's sequence number. With
    // --json, the summary is one JSON document on standard output.
    let dir = tempfile::tempdir().unwrap();
    let (pipeline, sink) = pipeline_with(dir.path(), "scanned", "payload = \"change\"");
    let checkpoint = dir.path().join("cp.json");
    let backfill_json = || {
        let (output, stdout, stderr) = run(moto::tributary()
            .arg("backfill")
            .arg(&pipeline)
            .args([
                "--table",
                "scanned",
                "--endpoint-url",
                moto::url(),
                "--json",
            ])
            .arg("--checkpoint")
            .arg(&checkpoint));
        assert!(output.status.success(), "{stderr}");
        serde_json::from_str::<Value>(&stdout)
            .unwrap_or_else(|e| panic!("one JSON document ({e}): {stdout}"))
    };
    let summary = backfill_json();
    assert_eq!(summary["command"], "backfill");
    assert_eq!(summary["table"], "scanned");
    assert_eq!(summary["ending"], "finished");
    assert_eq!(summary["totals"]["records_in"], ITEMS);
    assert_eq!(summary["totals"]["delivered"], ITEMS);
    assert_eq!(summary["sinks"][0]["name"], "out");
    assert_eq!(summary["sinks"][0]["records"], ITEMS);
    assert_eq!(
        summary["sinks"][0]["destination"],
        sink.display().to_string()
    );
    assert_eq!(summary["dead_letters"]["count"], 0);
    // Run again: the checkpoint says it is finished, and nothing is sent.
    let again = backfill_json();
    assert_eq!(again["ending"], "already_finished");
    assert_eq!(again["from"], Value::Null);
    let changes = lines(&sink);
    assert_eq!(changes.len(), ITEMS, "the second run sent nothing");
    assert!(
        changes
            .iter()
            .all(|c| c["sequenceNumber"] == "0" && c["eventName"] == "INSERT")
    );
    assert!(
        changes
            .iter()
            .all(|c| c["approximateCreationDateTime"].as_i64().unwrap() % 1000 == 0)
    );
    let keys_and_images = |changes: Vec<Value>| {
        sorted(
            changes
                .into_iter()
                .map(|c| serde_json::json!([c["keys"], c["newImage"]]))
                .collect(),
        )
    };
    let streamed = streamed(dir.path(), &pipeline, &sink, "scanned");
    assert_same_items(keys_and_images(changes), keys_and_images(streamed));
}

#[test]
fn an_interrupted_scan_resumes_from_its_checkpoint_and_delivers_each_item_once() {
    tables(&["fill", "resumed", &ITEMS.to_string()]);
    let dir = tempfile::tempdir().unwrap();
    let (pipeline, sink) = pipeline(dir.path(), "resumed");
    let checkpoint = dir.path().join("resumed.json");
    // Pages of a segment hold at most 1000 items: each of 4 segments is one
    // page here, so pausing at 100 items stops after two pages.
    let stderr = backfill(&pipeline, "resumed", &checkpoint, &["--max-items", "100"]);
    assert!(stderr.contains("paused"), "{stderr}");
    let first = lines(&sink).len();
    assert!(
        (100..ITEMS).contains(&first),
        "{first} items in the first run"
    );
    let stderr = backfill(&pipeline, "resumed", &checkpoint, &[]);
    assert!(
        stderr.contains("resuming") && stderr.contains("finished"),
        "{stderr}"
    );
    let stderr = backfill(&pipeline, "resumed", &checkpoint, &[]);
    assert!(stderr.contains("nothing to do"), "{stderr}");
    assert_same_as_stream(lines(&sink), dir.path(), &pipeline, &sink, "resumed");
}

#[test]
fn an_export_started_and_read_backfills_every_item_once_as_the_stream_gives_it() {
    tables(&["fill", "exported", &ITEMS.to_string(), "pitr"]);
    let dir = tempfile::tempdir().unwrap();
    let (pipeline, sink) = pipeline(dir.path(), "exported");
    let checkpoint = dir.path().join("exported.json");
    // moto 5.x writes no manifests: this reads its data files (the
    // fallback); the manifests are tested on fixtures shaped like AWS's.
    let stderr = backfill(
        &pipeline,
        "exported",
        &checkpoint,
        &[
            "--start-export",
            "--bucket",
            "exports",
            "--prefix",
            "exported",
        ],
    );
    assert!(
        stderr.contains("from the export s3://exports/exported/AWSDynamoDB/"),
        "{stderr}"
    );
    assert_same_as_stream(lines(&sink), dir.path(), &pipeline, &sink, "exported");
}

#[test]
fn a_missing_table_another_tables_pipeline_or_a_kinesis_pipeline_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let (pipeline, _) = pipeline(dir.path(), "absent");
    let (output, _, stderr) = run(moto::tributary().arg("backfill").arg(&pipeline).args([
        "--table",
        "absent",
        "--endpoint-url",
        moto::url(),
        "--no-progress",
    ]));
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("there is no table `absent`"), "{stderr}");
    let (output, _, stderr) = run(moto::tributary().arg("backfill").arg(&pipeline).args([
        "--table",
        "invoices",
        "--endpoint-url",
        moto::url(),
    ]));
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("follows table `absent`, and --table names `invoices`"),
        "{stderr}"
    );
    let kinesis = dir.path().join("kinesis.toml");
    std::fs::write(&kinesis, "[pipeline]\nname = \"k\"\n[source]\ntype = \"kinesis\"\n[sinks.out]\ntype = \"jsonl\"\npath = \"out.jsonl\"\n").unwrap();
    let (output, _, stderr) = run(moto::tributary().arg("backfill").arg(&kinesis).args([
        "--table",
        "absent",
        "--endpoint-url",
        moto::url(),
    ]));
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("dynamodb_streams"), "{stderr}");
}
