use std::collections::BTreeMap;

use serde_json::{Value, json};
use tributary_core::{
    Batch, Disposition, ErrorPolicy, InputIndex, Processor, Record, SourceKind, Window,
};

use crate::test_support::{build_with, payloads, record};

fn build(
    options: &str,
    source: SourceKind,
    tumbling: Option<u32>,
) -> Result<Box<dyn Processor>, String> {
    build_with(
        &format!("type = \"aggregate\"\n{options}"),
        source,
        tumbling,
    )
}

fn documents(batch: &Batch) -> Vec<Value> {
    let mut docs = payloads(batch);
    docs.sort_by_key(|d| d["page"].to_string());
    docs
}

const METRICS: &str = r#"group_by = ["page"]
metrics.n = { op = "count" }
metrics.revenue = { op = "sum", field = "price" }
metrics.avg_price = { op = "avg", field = "price" }
metrics.cheapest = { op = "min", field = "price" }
metrics.dearest = { op = "max", field = "price" }
metrics.first_user = { op = "first", field = "user" }
metrics.last_user = { op = "last", field = "user" }
metrics.users = { op = "count_distinct", field = "user" }
metrics.latency = { op = "percentiles", field = "ms", percentiles = [50, 100] }"#;

const PAYLOADS: [&str; 5] = [
    r#"{"page":"/a","price":10,"user":"u1","ms":5}"#,
    r#"{"page":"/b","price":2.5,"user":"u2","ms":7}"#,
    r#"{"page":"/a","price":20,"user":"u2","ms":100}"#,
    r#"{"page":"/a","user":"u1"}"#,
    r#"{"page":"/b","price":"n/a","user":"u3","ms":9}"#,
];

#[test]
fn batch_windows_compute_every_metric_per_group() {
    let mut aggregate = build(
        &format!("window = \"batch\"\n{METRICS}"),
        SourceKind::Kinesis,
        None,
    )
    .unwrap();
    let mut batch = Batch::new(
        PAYLOADS
            .iter()
            .enumerate()
            .map(|(i, p)| record(i as u32, p))
            .collect(),
    );
    aggregate.process(&mut batch).unwrap();
    let docs = documents(&batch);
    let mut first = docs[0].clone();
    let latency = first.as_object_mut().unwrap().remove("latency").unwrap();
    assert_eq!(
        first,
        json!({"window_start": "2026-11-28T10:00:00Z", "window_end": "2026-11-28T10:00:00.004Z",
               "shard": "shardId-0", "page": "/a", "records": 3, "n": 3, "revenue": 30, "avg_price": 15,
               "cheapest": 10, "dearest": 20, "first_user": "u1", "last_user": "u1", "users": 2})
    );
    assert!(
        (latency["p50"].as_f64().unwrap() - 5.0).abs() <= 0.05,
        "{latency}"
    );
    assert!(
        (latency["p100"].as_f64().unwrap() - 100.0).abs() <= 1.0,
        "{latency}"
    );
    assert_eq!(docs[1]["revenue"], 2.5);
    assert_eq!(docs[1]["avg_price"], 2.5);
    assert_eq!(docs[1]["users"], 2);
    let ids: Vec<&str> = batch
        .records()
        .iter()
        .map(|r| r.document_id.as_deref().unwrap())
        .collect();
    assert!(ids.contains(&"p|shardId-0|1000|/a"), "{ids:?}");
    assert!(
        batch
            .records()
            .iter()
            .all(|r| r.input == InputIndex::EMITTED)
    );
    let (records, failed, absorbed) = {
        let parts = batch.into_parts();
        (
            parts.records.len(),
            parts.failed.len(),
            parts.absorbed.len(),
        )
    };
    assert_eq!((records, failed, absorbed), (2, 0, 5));
}

fn window(state: BTreeMap<String, String>, is_final: bool) -> Window {
    Window {
        state,
        is_final,
        ..Window::new(
            "arn:s",
            "shardId-0",
            "2026-11-28T10:00:00Z",
            "2026-11-28T10:01:00Z",
        )
    }
}

#[test]
fn lambda_windows_carry_state_and_emit_on_the_final_invocation() {
    let mut aggregate = build(
        &format!("window = \"lambda\"\n{METRICS}"),
        SourceKind::Kinesis,
        Some(60),
    )
    .unwrap();
    let mut state = BTreeMap::new();
    for (i, payload) in PAYLOADS.iter().enumerate() {
        let mut batch = Batch::new(vec![record(i as u32, payload)]);
        batch.set_window(Some(window(state, false)));
        aggregate.process(&mut batch).unwrap();
        assert!(
            batch.records().is_empty(),
            "nothing is emitted before the final invocation"
        );
        state = batch.into_parts().window.unwrap().state;
        assert_eq!(state.keys().collect::<Vec<_>>(), ["tributary:agg"]);
    }
    let mut last = Batch::new(Vec::new());
    last.set_window(Some(window(state, true)));
    aggregate.process(&mut last).unwrap();
    let docs = documents(&last);
    assert_eq!(
        (
            docs[0]["records"].clone(),
            docs[0]["revenue"].clone(),
            docs[0]["last_user"].clone()
        ),
        (json!(3), json!(30), json!("u1"))
    );
    assert_eq!(docs[0]["window_end"], "2026-11-28T10:01:00Z");
    assert!(
        last.window().unwrap().state.is_empty(),
        "the final invocation clears the state"
    );
    let id = last.records()[0].document_id.clone().unwrap();
    assert!(id.starts_with("p|shardId-0|2026-11-28T10:00:00Z|"), "{id}");
}

#[test]
fn past_the_state_limit_groups_are_emitted_as_partials_that_combine() {
    let options = "window = \"lambda\"\ngroup_by = [\"g\"]\nmax_state_bytes = 2048\nmetrics.n = { op = \"count\" }\nmetrics.total = { op = \"sum\", field = \"v\" }\nmetrics.mean = { op = \"avg\", field = \"v\" }";
    let mut aggregate = build(options, SourceKind::Kinesis, Some(60)).unwrap();
    let mut state = BTreeMap::new();
    let mut emitted = Vec::new();
    let mut expected: BTreeMap<u32, (u64, i64)> = BTreeMap::new();
    for invocation in 0..20u32 {
        let records: Vec<Record> = (0..50u32)
            .map(|j| {
                let i = invocation * 50 + j;
                let (g, v) = (i * 7 % 300, i64::from(i % 13) - 3);
                let entry = expected.entry(g).or_default();
                entry.0 += 1;
                entry.1 += v;
                record(i, &format!("{{\"g\":{g},\"v\":{v}}}"))
            })
            .collect();
        let mut batch = Batch::new(records);
        batch.set_window(Some(window(state, false)));
        aggregate.process(&mut batch).unwrap();
        let parts = batch.into_parts();
        state = parts.window.unwrap().state;
        assert!(
            state.values().all(|v| v.len() <= 2048),
            "the state stays under its limit"
        );
        emitted.extend(parts.records);
    }
    let mut last = Batch::new(Vec::new());
    last.set_window(Some(window(state, true)));
    aggregate.process(&mut last).unwrap();
    emitted.extend(last.into_parts().records);
    let partial_sequences: std::collections::BTreeSet<u64> = emitted
        .iter_mut()
        .map(|r| {
            r.payload.json().unwrap()["partial"]["sequence"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert!(partial_sequences.len() > 2, "{partial_sequences:?}");
    // Combine the partial documents per group as the module documents.
    let mut combined: BTreeMap<u32, (u64, i64, f64, u64)> = BTreeMap::new();
    let mut ids = std::collections::HashSet::new();
    for record in &mut emitted {
        assert!(
            ids.insert(record.document_id.clone().unwrap()),
            "ids are unique"
        );
        let doc = record.payload.json().unwrap();
        let entry = combined
            .entry(doc["g"].as_u64().unwrap() as u32)
            .or_default();
        entry.0 += doc["n"].as_u64().unwrap();
        entry.1 += doc["total"].as_i64().unwrap();
        entry.2 += doc["combine"]["mean"]["sum"].as_f64().unwrap();
        entry.3 += doc["combine"]["mean"]["n"].as_u64().unwrap();
    }
    assert_eq!(combined.len(), expected.len());
    for (g, (n, total)) in &expected {
        let (cn, ctotal, csum, cmean_n) = combined[g];
        assert_eq!((cn, ctotal), (*n, *total), "group {g}");
        assert_eq!(csum / cmean_n as f64, *total as f64 / *n as f64);
    }
}

#[test]
fn a_record_that_is_not_json_fails_alone() {
    let mut aggregate = build(
        "window = \"batch\"\nmetrics.n = { op = \"count\" }",
        SourceKind::Kinesis,
        None,
    )
    .unwrap();
    let mut batch = Batch::new(vec![record(0, "{}"), record(1, "{oops"), record(2, "{}")]);
    aggregate.process(&mut batch).unwrap();
    assert_eq!(documents(&batch)[0]["n"], 2);
    let parts = batch.into_parts();
    assert_eq!(parts.failed.len(), 1);
    assert_eq!(parts.failed[0].record.input, InputIndex(1));
}

#[test]
fn settings_are_checked_where_they_are_written() {
    let error =
        |options: &str, source, tumbling| build(options, source, tumbling).map(|_| ()).unwrap_err();
    assert!(
        error(
            "window = \"lambda\"\nmetrics.n = { op = \"count\" }",
            SourceKind::Kinesis,
            None
        )
        .starts_with("p.toml:7:10: `window = \"lambda\"` needs a tumbling window")
    );
    assert!(
        error(
            "window = \"batch\"\nmetrics.n = { op = \"count\" }",
            SourceKind::Eventbridge,
            None
        )
        .contains("EventBridge delivers one event an invocation")
    );
    assert!(
        error(
            "window = \"batch\"\nmetrics.total = { op = \"sum\" }",
            SourceKind::Kinesis,
            None
        )
        .contains("metric `total` needs a `field`")
    );
    assert!(
        error(
            "window = \"batch\"\nmetrics.records = { op = \"count\" }",
            SourceKind::Kinesis,
            None
        )
        .contains("the metric name `records` is taken")
    );
    assert!(error("window = \"batch\"\nmetrics.p = { op = \"percentiles\", field = \"x\", percentiles = [101] }", SourceKind::Kinesis, None)
        .contains("percentile 101 is not between 0 and 100"));
    assert!(
        error(
            "window = \"batch\"\ngroup_by = [\"shard\"]\nmetrics.n = { op = \"count\" }",
            SourceKind::Kinesis,
            None
        )
        .contains("`shard` is a field of every aggregate document")
    );
}

#[test]
fn under_retry_nothing_after_a_failed_record_is_folded() {
    let build = || {
        build(
            "window = \"batch\"\nmetrics.n = { op = \"count\" }",
            SourceKind::Kinesis,
            None,
        )
        .unwrap()
    };
    let inputs = || vec![record(0, "{}"), record(1, "{oops"), record(2, "{}")];
    // on_error = "retry": Lambda redelivers from record 1, so 2 must not count now.
    let mut batch = Batch::new(inputs());
    batch.set_error_policy(ErrorPolicy {
        record_failures: Disposition::Retry,
        dead_letter_sink: false,
    });
    build().process(&mut batch).unwrap();
    assert_eq!(documents(&batch)[0]["n"], 1);
    let parts = batch.into_parts();
    assert_eq!(parts.absorbed, [InputIndex(0)]);
    let failed: Vec<u32> = parts.failed.iter().map(|f| f.record.input.0).collect();
    assert_eq!(failed, [1, 2]);
    // on_error = "skip" or "dead-letter": the shard goes on.
    let mut batch = Batch::new(inputs());
    build().process(&mut batch).unwrap();
    assert_eq!(documents(&batch)[0]["n"], 2);
}
