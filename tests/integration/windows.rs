//! The tumbling-window protocol through the handler, with hand-written
//! window events: state in, state out, failures within a window, the final
//! invocation, a window terminated early, and aggregates that cannot be
//! delivered.

use serde_json::{Value, json};

use crate::support::events::{STREAM, kinesis_entry, sequence};
use crate::support::handler::Harness;

const SOURCE: &str = "type = \"kinesis\"\ntumbling_window_secs = 60";
const AGGREGATE: &str = "type = \"aggregate\"\nwindow = \"lambda\"\ngroup_by = [\"page\"]\nmetrics.views = { op = \"count\" }\nmetrics.spent = { op = \"sum\", field = \"price\" }";

/// A window event of `payloads` (numbered from `first`), with `state`.
fn window_event(
    first: usize,
    payloads: &[&str],
    state: &Value,
    is_final: bool,
    early: bool,
) -> String {
    let records: Vec<Value> = payloads
        .iter()
        .enumerate()
        .map(|(i, p)| kinesis_entry("shardId-000000000006", &sequence(first + i), p.as_bytes()))
        .collect();
    json!({
        "Records": records,
        "window": {"start": "2026-11-28T10:00:00Z", "end": "2026-11-28T10:01:00Z"},
        "state": state,
        "shardId": "shardId-000000000006",
        "eventSourceARN": STREAM,
        "isFinalInvokeForWindow": is_final,
        "isWindowTerminatedEarly": early,
    })
    .to_string()
}

fn response(harness: &mut Harness, event: &str) -> Value {
    let invocation = harness.invoke(event).unwrap();
    serde_json::to_value(&invocation.response).unwrap()
}

#[test]
fn state_travels_between_invocations_and_the_final_one_emits() {
    let mut harness = Harness::new("", SOURCE, &["type = \"marked\"", AGGREGATE]);
    let first = response(
        &mut harness,
        &window_event(
            0,
            &[r#"{"page":"/a","price":1}"#, r#"{"page":"/b","price":2}"#],
            &json!({}),
            false,
            false,
        ),
    );
    assert_eq!(first["batchItemFailures"], json!([]));
    let state = first["state"].clone();
    assert!(state["tributary:aggregate#1"].is_string(), "{first}");
    assert!(
        harness.out().is_empty(),
        "nothing is emitted before the window ends"
    );

    // A failure mid-window: the records before it are in the state, the
    // one that failed and those after it are left for Lambda to redeliver.
    let second = response(
        &mut harness,
        &window_event(
            2,
            &[
                r#"{"page":"/a","price":4}"#,
                r#"{"page":"/a","m":"FAIL"}"#,
                r#"{"page":"/b","price":8}"#,
            ],
            &state,
            false,
            false,
        ),
    );
    assert_eq!(
        second["batchItemFailures"],
        json!([{"itemIdentifier": sequence(3)}])
    );
    let state = second["state"].clone();
    // Lambda redelivers from the failed record, with the state it was given.
    let third = response(
        &mut harness,
        &window_event(
            3,
            &[r#"{"page":"/a","price":16}"#, r#"{"page":"/b","price":8}"#],
            &state,
            false,
            false,
        ),
    );
    assert_eq!(third["batchItemFailures"], json!([]));

    let last = response(
        &mut harness,
        &window_event(5, &[], &third["state"], true, false),
    );
    assert_eq!(last, json!({"state": {}, "batchItemFailures": []}));
    let mut documents: Vec<Value> = harness
        .out()
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    documents.sort_by_key(|d| d["page"].to_string());
    let summary: Vec<(Value, Value, Value)> = documents
        .iter()
        .map(|d| (d["page"].clone(), d["views"].clone(), d["spent"].clone()))
        .collect();
    assert_eq!(
        summary,
        [
            (json!("/a"), json!(3), json!(21)),
            (json!("/b"), json!(2), json!(10))
        ]
    );
    assert_eq!(documents[0]["window_start"], "2026-11-28T10:00:00Z");
    assert_eq!(documents[0]["shard"], "shardId-000000000006");
}

#[test]
fn a_window_terminated_early_emits_what_it_has() {
    let mut harness = Harness::new("", SOURCE, &[AGGREGATE]);
    let first = response(
        &mut harness,
        &window_event(0, &[r#"{"page":"/a","price":1}"#], &json!({}), false, false),
    );
    let last = response(
        &mut harness,
        &window_event(
            1,
            &[r#"{"page":"/a","price":2}"#],
            &first["state"],
            true,
            true,
        ),
    );
    assert_eq!(last["state"], json!({}));
    let documents: Vec<Value> = harness
        .out()
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        (documents.len(), documents[0]["views"].clone()),
        (1, json!(2))
    );
}

#[test]
fn aggregates_that_cannot_be_delivered_fail_the_invocation_and_keep_the_state() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "[pipeline]\nname = \"full\"\n[source]\n{SOURCE}\n[[processors]]\n{AGGREGATE}\n[sinks.out]\ntype = \"jsonl\"\npath = \"/dev/full\"\n"
    );
    std::fs::write(dir.path().join("p.toml"), &text).unwrap();
    let plan = tributary::Plan::load(
        &dir.path().join("p.toml"),
        &tributary::processors::Registry::builtin(),
    )
    .unwrap();
    let mut handler = tributary::lambda::Handler::new(plan.start().unwrap());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let event = window_event(0, &[r#"{"page":"/a","price":1}"#], &json!({}), true, false);
    let error = runtime.block_on(handler.handle(&event, None)).unwrap_err();
    assert_eq!(
        error.diagnostic().error_type,
        "tributary.AggregatesNotDelivered"
    );
}
