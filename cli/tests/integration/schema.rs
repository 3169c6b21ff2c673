//! `tributary schema` and the schema file editors use.

use crate::support::{root, run, tributary};

#[test]
fn the_checked_in_schema_is_what_tributary_prints() {
    let (output, stdout, stderr) = run(tributary().arg("schema"));
    assert!(output.status.success(), "{stderr}");
    let printed: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let path = root().join("schema/pipeline.schema.json");
    let checked_in: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert!(
        printed == checked_in,
        "schema/pipeline.schema.json is out of date: run `cargo run -- schema > schema/pipeline.schema.json`"
    );
    assert_eq!(
        printed["required"],
        serde_json::json!(["pipeline", "source", "sinks"])
    );
}
