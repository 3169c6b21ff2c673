//! What the processors' tests share: building a processor from its TOML as
//! a pipeline file would, and making records.

use serde_json::Value;
use tributary_config::{PipelineConfig, SourceFile};
use tributary_core::{Batch, InputIndex, Origin, Payload, Processor, Record, SourceKind};

use crate::{BuildContext, Registry};

/// Builds the processor whose `[[processors]]` table is `table` (with its
/// `type`); the error, when it fails, is `file:line:column: message`.
pub(crate) fn build_with(
    table: &str,
    source: SourceKind,
    tumbling: Option<u32>,
) -> Result<Box<dyn Processor>, String> {
    let text = format!(
        "[pipeline]\nname = \"p\"\n[source]\ntype = \"kinesis\"\n[[processors]]\n{table}\n[sinks.out]\ntype = \"jsonl\"\n"
    );
    let config = PipelineConfig::parse(SourceFile::new("p.toml", text, |_| None).unwrap()).unwrap();
    let context = BuildContext {
        pipeline: "p".into(),
        label: "agg".into(),
        source,
        tumbling_window_secs: tumbling,
        directory: std::path::PathBuf::new(),
    };
    Registry::builtin()
        .build(&config.processors[0], &context)
        .map_err(|d| format!("{}: {}", d.position().unwrap_or_default(), d.message))
}

/// Builds a processor for a Kinesis source without a window.
pub(crate) fn build(table: &str) -> Box<dyn Processor> {
    build_with(table, SourceKind::Kinesis, None).unwrap_or_else(|e| panic!("{e}"))
}

/// The error of building a processor for a Kinesis source without a
/// window: `file:line:column: message`.
pub(crate) fn build_error(table: &str) -> String {
    match build_with(table, SourceKind::Kinesis, None) {
        Ok(_) => panic!("`{table}` built"),
        Err(error) => error,
    }
}

/// Record `i` of shard `shardId-0`, arriving `i` ms after 2026-11-28T10:00Z.
pub(crate) fn record(i: u32, payload: &str) -> Record {
    let mut origin = Origin::new(
        SourceKind::Kinesis,
        "arn:s",
        "shardId-0",
        format!("{}", 1000 + i),
    );
    origin.arrival_ms = 1_795_860_000_000 + i64::from(i);
    Record::new(
        origin,
        Payload::from_bytes(payload.to_owned()),
        InputIndex(i),
    )
}

/// A batch of records numbered from 0.
pub(crate) fn batch(payloads: &[&str]) -> Batch {
    Batch::new(
        payloads
            .iter()
            .enumerate()
            .map(|(i, p)| record(i as u32, p))
            .collect(),
    )
}

/// The payloads left in a batch, parsed.
pub(crate) fn payloads(batch: &Batch) -> Vec<Value> {
    batch
        .records()
        .iter()
        .map(|r| {
            let mut r = r.clone();
            r.payload.json().unwrap().clone()
        })
        .collect()
}
