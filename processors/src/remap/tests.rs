use std::sync::Arc;

use serde_json::json;
use tributary_core::SourceKind;

use super::*;
use crate::test_support::{batch, build, build_error, payloads, record};

fn remap(source: &str) -> Box<dyn Processor> {
    build(&format!("type = \"remap\"\nsource = '''\n{source}\n'''"))
}

#[test]
fn the_program_replaces_the_payload_and_reads_the_origin() {
    let mut processor =
        remap(". = parse_json!(.message)\n.shard = %shard\n.seq = %sequence\n.at = %arrival_time");
    let mut batch = batch(&[r#"{"message": "{\"level\": \"info\"}"}"#]);
    processor.process(&mut batch).unwrap();
    assert_eq!(
        payloads(&batch),
        [
            json!({"level": "info", "shard": "shardId-0", "seq": "1000", "at": "2026-11-28T10:00:00Z"})
        ]
    );
}

#[test]
fn every_record_is_kept_dropped_failed_or_multiplied_and_counted() {
    let mut processor = remap(
        "if .kind == \"noise\" { abort }\n\
         if .kind == \"many\" { . = [{\"n\": 1}, {\"n\": 2}, {\"n\": 3}] }\n\
         if .kind == \"none\" { . = [] }\n\
         if .kind == \"bad\" { .n = to_int!(.n) }",
    );
    let mut batch = batch(&[
        r#"{"kind": "keep"}"#,
        r#"{"kind": "noise"}"#,
        r#"{"kind": "many"}"#,
        r#"{"kind": "none"}"#,
        r#"{"kind": "bad", "n": "x"}"#,
        "not json",
    ]);
    processor.process(&mut batch).unwrap();

    let inputs: Vec<u32> = batch.records().iter().map(|r| r.input.0).collect();
    assert_eq!(inputs, [0, 2, 2, 2], "one record kept, three from input 2");
    assert_eq!(batch.dropped(), 2, "the abort and the empty array");
    let failed: Vec<(u32, String)> = batch
        .failed()
        .iter()
        .map(|f| (f.record.input.0, f.error.to_string()))
        .collect();
    assert_eq!(failed.len(), 2);
    assert_eq!(failed[0].0, 4);
    assert!(
        failed[0].1.contains("Invalid integer \"x\""),
        "{}",
        failed[0].1
    );
    assert_eq!(failed[1].0, 5);
    assert!(
        failed[1].1.starts_with("remap reads JSON payloads"),
        "{}",
        failed[1].1
    );
    // 6 inputs: 1 kept, 1 multiplied, 2 dropped, 2 failed.
    assert_eq!(
        payloads(&batch)[1..],
        [json!({"n": 1}), json!({"n": 2}), json!({"n": 3})]
    );
}

#[test]
fn outputs_of_one_input_get_distinct_document_ids() {
    let mut input = record(7, "{}");
    input.document_id = Some(Arc::from("order-1"));
    let ids = |n: usize| -> Vec<Option<String>> {
        let payloads = (0..n)
            .map(|_| tributary_core::Payload::from_bytes("{}"))
            .collect();
        outputs(&input, payloads)
            .into_iter()
            .map(|r| r.document_id.map(|id| id.to_string()))
            .collect()
    };
    assert_eq!(ids(1), [Some("order-1".to_owned())]);
    assert_eq!(
        ids(2),
        [Some("order-1:0".to_owned()), Some("order-1:1".to_owned())]
    );
}

#[test]
fn a_program_error_points_at_its_line_inside_a_multi_line_string() {
    // The table starts on line 6 of the generated file and `source` on
    // line 7, so the program's third line is line 10; `parse_json` is at
    // its column 6.
    let error = build_error(
        "type = \"remap\"\nsource = '''\n.a = 1\n.b = 2\n.c = parse_json(.message)\n'''",
    );
    assert!(
        error.starts_with("p.toml:10:6: remap program: unhandled fallible assignment (E103)"),
        "{error}"
    );
}

#[test]
fn an_error_on_the_first_line_of_a_one_line_string_keeps_its_column() {
    let error = build_error("type = \"remap\"\nsource = \".a = 1; .b = nope(1)\"");
    assert!(
        error.starts_with("p.toml:7:24: remap program: call to undefined function"),
        "{error}"
    );
}

#[test]
fn the_origin_cannot_be_changed_or_misnamed() {
    let error = build_error("type = \"remap\"\nsource = '%shard = \"x\"'");
    assert!(error.contains("read-only"), "{error}");
    let error = build_error("type = \"remap\"\nsource = '.a = %shrad'");
    assert!(
        error.starts_with("p.toml:7:16: remap program: unknown origin field `%shrad`"),
        "{error}"
    );
}

#[test]
fn functions_that_reach_the_network_or_the_host_are_not_built() {
    for call in [
        "get_env_var!(\"HOME\")",
        "get_hostname!()",
        "dns_lookup!(\"example.com\")",
        "http_request!(\"http://127.0.0.1\")",
    ] {
        let error = build_error(&format!("type = \"remap\"\nsource = '.a = {call}'"));
        assert!(
            error.contains("call to undefined function"),
            "{call}: {error}"
        );
    }
    // The hash functions compute from their arguments alone, and are in.
    let mut processor = remap(".h = sha2(string!(.a), variant: \"SHA-256\")");
    let mut batch = batch(&[r#"{"a": "abc"}"#]);
    processor.process(&mut batch).unwrap();
    assert_eq!(
        payloads(&batch)[0]["h"],
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}

#[test]
fn a_program_file_is_read_beside_the_pipeline_and_its_errors_placed_in_it() {
    let folder = std::env::temp_dir().join(format!("tributary-remap-{}", std::process::id()));
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("ok.vrl"), ".ok = true\n").unwrap();
    std::fs::write(folder.join("bad.vrl"), "# parse\n.a = 1\n.b = to_int(.c)\n").unwrap();
    let config = |file: &str| {
        let text = format!(
            "[pipeline]\nname = \"p\"\n[source]\ntype = \"kinesis\"\n[[processors]]\ntype = \"remap\"\nfile = \"{file}\"\n[sinks.out]\ntype = \"jsonl\"\n"
        );
        tributary_config::PipelineConfig::parse(
            tributary_config::SourceFile::new("p.toml", text, |_| None).unwrap(),
        )
        .unwrap()
    };
    let context = BuildContext {
        pipeline: "p".into(),
        label: "remap".into(),
        source: SourceKind::Kinesis,
        tumbling_window_secs: None,
        directory: folder.clone(),
    };
    let registry = crate::Registry::builtin();
    let mut processor = registry
        .build(&config("ok.vrl").processors[0], &context)
        .unwrap();
    let mut batch = batch(&["{}"]);
    processor.process(&mut batch).unwrap();
    assert_eq!(payloads(&batch), [json!({"ok": true})]);

    let error = registry
        .build(&config("bad.vrl").processors[0], &context)
        .err()
        .unwrap();
    let position = error.position().unwrap();
    assert!(
        position.ends_with("bad.vrl:3:6"),
        "{position}: {}",
        error.message
    );
    let error = registry
        .build(&config("gone.vrl").processors[0], &context)
        .err()
        .unwrap();
    assert_eq!(error.position().unwrap(), "p.toml:7:8");
    assert!(
        error.message.contains("cannot read the program"),
        "{}",
        error.message
    );
    std::fs::remove_dir_all(folder).unwrap();
}
