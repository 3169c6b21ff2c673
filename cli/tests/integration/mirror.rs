//! A DynamoDB table mirrored into the real OpenSearch node (docs/mirror.md):
//! the items that existed backfilled, the stream's changes replayed, in
//! either order and with redeliveries; the index ends equal to the table.
//!
//! The design, against moto in server mode:
//! 1. A table with a stream (NEW_AND_OLD_IMAGES) from its creation and
//!    point-in-time recovery, filled with 2,000 items of every attribute
//!    type (tests/fixtures/moto/tables.py `fill`).
//! 2. A point-in-time export, made **before** the changes
//!    (`tables.py export`; moto writes the snapshot when asked, and gives no
//!    ExportTime, so its time is when it was asked, as `backfill
//!    --start-export` takes it).
//! 3. Changes after the export's time: new items put (some deleted again),
//!    items replaced, updated (every attribute type) and deleted (some after
//!    an update). moto never expires items by Time to Live, so the deletes
//!    are plain deletes, not TTL deletes.
//! 4. The whole stream (the fill's INSERTs and the changes) recorded with
//!    `tributary record --table`.
//!
//! So the export holds each changed item's state from before its changes,
//! with the export's (older) version: backfilling it after the replay
//! would, without versions, put back replaced and updated items' old state
//! and bring back deleted items. Each scenario runs on a fresh index (with
//! `index.gc_deletes` of an hour, so deletes' versions outlive the test):
//! backfill then replay; replay then backfill; half the stream, the
//! backfill, then the whole stream (its first half redelivered) and a slice
//! of it once more; and a scan (reading the table after the changes) then
//! the replay. After each, the index equals a boto3 scan of the table item
//! by item (ids, contents after the same plain-JSON conversion, deleted
//! items absent), and each command's summary counts every record it read
//! exactly once, all delivered (a write refused as older counts delivered).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use tributary::connectors::sources::dynamodb_streams::{dynamodb_to_json, item_document_id};

use crate::support::moto::{self, tables};
use crate::support::{opensearch, run, summary_counts};

const TABLE: &str = "mirrored";
const ITEMS: usize = 2000;

/// What the scenarios share: the recording of the whole stream, the
/// export, and what the table holds at the end.
struct Fixture {
    dir: tempfile::TempDir,
    recording: PathBuf,
    records: u64,
    export_time: String,
    table: BTreeMap<String, Value>,
}

fn fixture() -> Fixture {
    tables(&["fill", TABLE, &ITEMS.to_string(), "pitr"]);
    let exported = tables(&["export", TABLE, "exports", "mirror"]);
    let export_time = exported["export_time"].as_str().unwrap().to_owned();
    // Changes in a later second than the export's: the export holds none.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let made = tables(&["change", TABLE, &ITEMS.to_string()]);
    let dir = tempfile::tempdir().unwrap();
    let recording = dir.path().join("mirrored.jsonl");
    moto::record("--table", TABLE, &recording);
    let records = std::fs::read_to_string(&recording).unwrap().lines().count() as u64 - 1;
    assert_eq!(
        records,
        ITEMS as u64 + made["made"].as_u64().unwrap(),
        "the recording holds every put and every change"
    );
    // The table as boto3 scans it, by document id, in plain JSON.
    let table = tables(&["scan", TABLE])
        .as_array()
        .unwrap()
        .iter()
        .map(|item| {
            let plain = dynamodb_to_json(serde_json::from_value(item.clone()).unwrap());
            let id = item_document_id(&json!({"pk": plain["pk"], "sk": plain["sk"]}));
            (id.to_string(), plain)
        })
        .collect();
    Fixture {
        dir,
        recording,
        records,
        export_time,
        table,
    }
}

/// A fresh index (deleted documents' versions kept an hour, fields not
/// mapped: an item's attributes mix types a dynamic mapping would refuse)
/// and a pipeline from the table's stream into it, with versions.
fn pipeline(dir: &Path, index: &str) -> PathBuf {
    let settings = json!({
        "settings": {"number_of_shards": 1, "number_of_replicas": 0, "index.gc_deletes": "1h"},
        "mappings": {"dynamic": false},
    });
    let (status, answer) = opensearch::call("PUT", &format!("/{index}"), Some(settings));
    assert_eq!(status, 200, "{answer}");
    let path = dir.join(format!("{index}.toml"));
    std::fs::write(
        &path,
        format!(
            "[pipeline]\nname = \"{index}\"\n[source]\ntype = \"dynamodb_streams\"\ntable = \"{TABLE}\"\n\
             collapse = false\n[sinks.mirror]\ntype = \"opensearch\"\nendpoint = \"{}\"\nauth = \"none\"\n\
             index = \"{index}\"\nversion = \"change_time\"\n",
            opensearch::url()
        ),
    )
    .unwrap();
    path
}

/// Every record the command read has exactly one fate, and it is
/// delivered.
fn assert_all_delivered(stderr: &str, records: u64) {
    let summary = summary_counts(stderr);
    assert_eq!(summary["records in"], records, "{stderr}");
    assert_eq!(summary["delivered"], records, "{stderr}");
    for fate in ["dropped", "dead-lettered", "failed"] {
        assert_eq!(
            summary.get(fate).copied().unwrap_or(0),
            0,
            "{fate}: {stderr}"
        );
    }
}

fn replay(pipeline: &Path, recording: &Path, records: u64) {
    let (output, _, stderr) = run(crate::support::tributary()
        .arg("replay")
        .arg(pipeline)
        .args(["--no-progress", "--recording"])
        .arg(recording));
    assert!(output.status.success(), "{stderr}");
    assert_all_delivered(&stderr, records);
}

/// Backfills from the export made before the changes (`scan` false), or by
/// a scan of the table as it is now; gives how many items it sent.
fn backfill(fixture: &Fixture, pipeline: &Path, scan: bool) -> u64 {
    let checkpoint = pipeline.with_extension("checkpoint.json");
    let mut command = moto::tributary();
    command
        .arg("backfill")
        .arg(pipeline)
        .args([
            "--table",
            TABLE,
            "--endpoint-url",
            moto::url(),
            "--no-progress",
        ])
        .arg("--checkpoint")
        .arg(&checkpoint);
    if !scan {
        command.args([
            "--export",
            "s3://exports/mirror",
            "--export-time",
            &fixture.export_time,
        ]);
    }
    let (output, _, stderr) = run(&mut command);
    assert!(output.status.success(), "{stderr}");
    let items = summary_counts(&stderr)["records in"];
    let expected = if scan { fixture.table.len() } else { ITEMS } as u64;
    assert_eq!(items, expected, "{stderr}");
    assert_all_delivered(&stderr, items);
    items
}

/// The recording's header and the records `range` of it, as a recording.
fn slice(fixture: &Fixture, name: &str, range: std::ops::Range<usize>) -> (PathBuf, u64) {
    let text = std::fs::read_to_string(&fixture.recording).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let records: Vec<&str> = lines.skip(range.start).take(range.len()).collect();
    let path = fixture.dir.path().join(name);
    std::fs::write(&path, format!("{header}\n{}\n", records.join("\n"))).unwrap();
    (path, records.len() as u64)
}

/// The index's documents, by id.
fn documents(index: &str) -> BTreeMap<String, Value> {
    opensearch::call("POST", &format!("/{index}/_refresh"), None);
    let (status, answer) = opensearch::call(
        "POST",
        &format!("/{index}/_search"),
        Some(json!({"size": 10000, "track_total_hits": true})),
    );
    assert_eq!(status, 200, "{answer}");
    assert!(answer["hits"]["total"]["value"].as_u64().unwrap() < 10000);
    answer["hits"]["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|hit| {
            (
                hit["_id"].as_str().unwrap().to_owned(),
                hit["_source"].clone(),
            )
        })
        .collect()
}

/// The index equals the table, item by item, or the first difference.
fn assert_mirrors(fixture: &Fixture, index: &str) {
    let documents = documents(index);
    for (id, item) in &fixture.table {
        match documents.get(id) {
            Some(document) => assert_eq!(document, item, "{index}: {id}"),
            None => panic!("{index}: {id} is missing"),
        }
    }
    if let Some(id) = documents.keys().find(|id| !fixture.table.contains_key(*id)) {
        panic!("{index}: {id} is not in the table (deleted)");
    }
}

#[test]
fn backfill_and_stream_in_any_order_and_redelivered_mirror_the_table() {
    let fixture = fixture();
    let all = fixture.records;
    // The changes did change what the export holds: deleted and new items
    // make the table differ from the 2,000 exported.
    assert_ne!(fixture.table.len(), ITEMS);

    let first = pipeline(fixture.dir.path(), "mirror-backfill-first");
    backfill(&fixture, &first, false);
    replay(&first, &fixture.recording, all);
    assert_mirrors(&fixture, "mirror-backfill-first");

    // The export's older state arrives last: refused for every item changed
    // since, deleted items included (their versions are kept).
    let last = pipeline(fixture.dir.path(), "mirror-backfill-last");
    replay(&last, &fixture.recording, all);
    backfill(&fixture, &last, false);
    assert_mirrors(&fixture, "mirror-backfill-last");

    // Half the stream, the backfill, the whole stream (its first half
    // delivered again), then a slice from the middle once more.
    let between = pipeline(fixture.dir.path(), "mirror-redelivered");
    let half = (all / 2) as usize;
    let (first_half, first_records) = slice(&fixture, "first-half.jsonl", 0..half);
    replay(&between, &first_half, first_records);
    backfill(&fixture, &between, false);
    replay(&between, &fixture.recording, all);
    let (middle, middle_records) = slice(&fixture, "middle.jsonl", half - 300..half + 300);
    replay(&between, &middle, middle_records);
    assert_mirrors(&fixture, "mirror-redelivered");

    // A scan made after the changes: newer than every change, it is the
    // table's state; the replay after it changes nothing.
    let scanned = pipeline(fixture.dir.path(), "mirror-scanned");
    backfill(&fixture, &scanned, true);
    replay(&scanned, &fixture.recording, all);
    assert_mirrors(&fixture, "mirror-scanned");
}
