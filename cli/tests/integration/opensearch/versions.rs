//! `version = "change_time"` against the real OpenSearch node: changes of
//! one item in any order of arrival, redelivered, and backfilled items, end
//! at each item's newest state; a deleted item's version is kept only for
//! `index.gc_deletes`.

use serde_json::{Value, json};
use tributary::Plan;

use super::{handler, invoke, pipeline, runtime};
use crate::support::events::dynamodb_entry;
use crate::support::opensearch;
use crate::support::processors::registry;

/// 2026-01-01T00:00:00Z, in seconds.
const SECOND: i64 = 1_767_225_600;

/// A DynamoDB sequence number shaped like AWS's (28 digits), `n` in its
/// last digits.
fn sequence(n: u64) -> String {
    format!("44215845000000000174{n:08}")
}

/// A change of `item` to version `v` of its content, at `second`: INSERT
/// or MODIFY, or REMOVE when `v` is `None`.
fn change(name: &str, item: &str, v: Option<u64>, second: i64, sequence: &str) -> Value {
    let key = json!({"pk": {"S": item}});
    let image = v.map(|v| json!({"pk": {"S": item}, "v": {"N": v.to_string()}}));
    let mut entry = match image {
        Some(image) => dynamodb_entry(name, sequence, key, Some(image), None),
        None => dynamodb_entry("REMOVE", sequence, key, None, None),
    };
    entry["dynamodb"]["ApproximateCreationDateTime"] = json!(second);
    entry
}

/// A backfilled item: its state at the export's second, sequence `0`, as
/// `tributary backfill` gives it.
fn backfilled(item: &str, v: u64, second: i64) -> Value {
    change("INSERT", item, Some(v), second, "0")
}

/// The pipeline of these tests: DynamoDB Streams (each change its own
/// record) into `index`, with versions.
fn versioned_pipeline(dir: &std::path::Path, index: &str) -> String {
    pipeline(
        dir,
        "type = \"dynamodb_streams\"\ncollapse = false",
        opensearch::url(),
        &format!("index = \"{index}\"\nversion = \"change_time\""),
    )
}

/// Delivers each event once, as its own invocation; every record of each
/// must be delivered (an older change refused with 409 counts delivered).
fn deliver_each(handler: &mut tributary::lambda::Handler, events: &[Vec<Value>]) {
    let runtime = runtime();
    for records in events {
        let event = json!({ "Records": records }).to_string();
        let totals = invoke(&runtime, handler, &event).totals;
        assert_eq!(totals.records_in, records.len() as u64, "{totals:?}");
        assert_eq!(totals.delivered, totals.records_in, "{totals:?}");
    }
}

fn stored(index: &str, id: &str) -> (u16, Value) {
    opensearch::call("GET", &format!("/{index}/_doc/{id}"), None)
}

#[test]
fn out_of_order_redelivered_and_backfilled_changes_end_at_each_items_newest_state() {
    let index = "versions-mirror";
    let dir = tempfile::tempdir().unwrap();
    let mut handler = handler(&versioned_pipeline(dir.path(), index));
    // Twenty items, each backfilled at SECOND (v0), changed twice in that
    // same second (v1, v2) and once a second later (v3); every fourth is
    // then removed. Five more items are only backfilled.
    let mut changes = Vec::new();
    for i in 0..20u64 {
        let item = format!("item-{i}");
        changes.push(backfilled(&item, 0, SECOND));
        changes.push(change(
            "INSERT",
            &item,
            Some(1),
            SECOND,
            &sequence(10 * i + 1),
        ));
        changes.push(change(
            "MODIFY",
            &item,
            Some(2),
            SECOND,
            &sequence(10 * i + 2),
        ));
        changes.push(change(
            "MODIFY",
            &item,
            Some(3),
            SECOND + 1,
            &sequence(1000 + 10 * i),
        ));
        if i % 4 == 0 {
            changes.push(change(
                "REMOVE",
                &item,
                None,
                SECOND + 2,
                &sequence(2000 + i),
            ));
        }
    }
    for i in 0..5 {
        changes.push(backfilled(&format!("only-backfilled-{i}"), 0, SECOND));
    }
    // In order; then redelivered interleaved; then redelivered newest
    // first, in batches of seven, so that without versions each item would
    // end at its backfilled state.
    let interleaved: Vec<Value> = (0..3)
        .flat_map(|start| changes.iter().skip(start).step_by(3).cloned())
        .collect();
    let mut newest_first = changes.clone();
    newest_first.reverse();
    let mut events = vec![changes.clone()];
    events.extend(interleaved.chunks(11).map(<[Value]>::to_vec));
    events.extend(newest_first.chunks(7).map(<[Value]>::to_vec));
    deliver_each(&mut handler, &events);

    let mut expected: Vec<String> = (0..20)
        .filter(|i| i % 4 != 0)
        .map(|i| format!("item-{i}"))
        .chain((0..5).map(|i| format!("only-backfilled-{i}")))
        .collect();
    expected.sort();
    let mut ids = opensearch::ids(index);
    ids.sort();
    assert_eq!(ids, expected, "deleted items absent, the others present");
    for i in (0..20).filter(|i| i % 4 != 0) {
        let (status, document) = stored(index, &format!("item-{i}"));
        assert_eq!(status, 200, "{document}");
        assert_eq!(document["_source"]["v"], 3, "item-{i}: {document}");
        // The sequence number's last nine digits, plus one.
        let low_digits = 400_000_000 + (1000 + 10 * i) as i64 + 1;
        assert_eq!(
            document["_version"],
            (SECOND + 1) * 1_000_000_000 + low_digits,
            "item-{i}: the stored version is the newest change's"
        );
    }
    let (_, only) = stored(index, "only-backfilled-3");
    assert_eq!(only["_version"], SECOND * 1_000_000_000, "{only}");
    assert_eq!(only["_source"]["v"], 0, "{only}");
}

/// A delete, then a late backfill of the same item with an older version,
/// `wait` later, into an index with `gc_deletes`: whether the item comes
/// back.
fn backfill_after_delete(index: &str, gc_deletes: &str, wait: std::time::Duration) -> bool {
    let settings = json!({"settings": {
        "number_of_shards": 1, "number_of_replicas": 0, "index.gc_deletes": gc_deletes,
    }});
    let (status, answer) = opensearch::call("PUT", &format!("/{index}"), Some(settings));
    assert_eq!(status, 200, "{answer}");
    let dir = tempfile::tempdir().unwrap();
    let mut handler = handler(&versioned_pipeline(dir.path(), index));
    let insert = change("INSERT", "k", Some(1), SECOND, &sequence(1));
    let remove = change("REMOVE", "k", None, SECOND + 10, &sequence(2));
    deliver_each(&mut handler, &[vec![insert], vec![remove]]);
    assert_eq!(stored(index, "k").0, 404);
    std::thread::sleep(wait);
    // A refresh prunes the tombstones older than `gc_deletes`.
    opensearch::call("POST", &format!("/{index}/_refresh"), None);
    deliver_each(&mut handler, &[vec![backfilled("k", 0, SECOND + 5)]]);
    stored(index, "k").0 == 200
}

#[test]
fn a_late_backfill_is_refused_within_gc_deletes_and_resurrects_the_item_after_it() {
    let wait = std::time::Duration::from_secs(3);
    assert!(
        !backfill_after_delete("versions-gc-long", "1h", wait),
        "within gc_deletes the delete's version refuses the older backfill"
    );
    assert!(
        backfill_after_delete("versions-gc-short", "1s", wait),
        "after gc_deletes the delete's version is forgotten and the older backfill is written"
    );
}

#[test]
fn versions_are_refused_where_changes_have_no_order_or_documents_no_id() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "type = \"eventbridge\"",
            "index = \"i\"\nversion = \"change_time\"",
            "EventBridge events have no order to take versions from",
        ),
        (
            "type = \"kinesis\"",
            "collection_type = \"timeseries\"\nindex = \"i\"\nversion = \"change_time\"",
            "versions need document ids, and time series and vector search collections assign their own",
        ),
        (
            "type = \"kinesis\"",
            "index = \"i\"\ndocument_id = \"none\"\nversion = \"change_time\"",
            "versions need document ids, and `document_id = \"none\"` gives none",
        ),
        (
            "type = \"kinesis\"",
            "index = \"i\"\ndocument_id = \"field:id\"\naction = \"create\"\nversion = \"change_time\"",
            "`action = \"create\"` takes no version",
        ),
    ];
    for (source, sink, message) in cases {
        let text = pipeline(dir.path(), source, "http://127.0.0.1:9", sink);
        let line = text.lines().position(|l| l.starts_with("version")).unwrap() + 1;
        let error = Plan::parse("os.toml", &text, &registry())
            .err()
            .unwrap_or_else(|| panic!("{sink} was accepted"))
            .to_string();
        assert!(error.contains(message), "{error}");
        assert!(error.contains(&format!("os.toml:{line}:11")), "{error}");
    }
    let aggregate = format!(
        "{}[[processors]]\ntype = \"aggregate\"\nwindow = \"batch\"\ngroup_by = [\"pk\"]\nmetrics.n = {{ op = \"count\" }}\n",
        pipeline(
            dir.path(),
            "type = \"kinesis\"",
            "http://127.0.0.1:9",
            "index = \"i\"\nversion = \"change_time\""
        )
    );
    let error = Plan::parse("os.toml", &aggregate, &registry())
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        error.contains("aggregate documents fold many changes"),
        "{error}"
    );
}
