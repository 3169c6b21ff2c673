//! The documents an aggregate emits: one per group, with a stable id.
//!
//! ```json
//! {"window_start": "2026-11-28T10:00:00Z", "window_end": "2026-11-28T10:01:00Z",
//!  "shard": "shardId-000000000001", "page": "/cart", "records": 42,
//!  "views": 42, "revenue": 1234.5, "latency": {"p50": 12.1, "p99": 80.3}}
//! ```
//!
//! The group's values stand under their `group_by` paths. Lambda keeps
//! window state per shard, so a document covers one shard's records.
//!
//! **Ids.** `PIPELINE|SHARD|WINDOW_START|GROUP` (and `|SEQUENCE` for a
//! partial document), the group's values as text joined by `|` (`\` and `|`
//! escaped), through `tributary_core::document_id` (a digest past 512
//! bytes). A retried final invocation emits the same ids, so a sink that
//! writes by id overwrites instead of duplicating. With `window = "batch"`
//! the first record's sequence number stands for the window start.
//!
//! **Partial documents.** When the state would pass `max_state_bytes`, every
//! group is emitted early with `"partial": {"sequence": N, "final": false}`,
//! and the window goes on with fresh state; the window's last emission has
//! the next sequence and `"final": true`. Partial documents of one group
//! combine as: `records`, `count` and `sum` add up; `min` and `max` take the
//! smallest and largest; `first` is the lowest sequence's, `last` the
//! highest's; `avg` is `Σ combine.NAME.sum / Σ combine.NAME.n`;
//! `count_distinct` and `percentiles` merge the sketches under
//! `combine.NAME` (`hll`, `ddsketch`: base64 of the encodings in hll.rs and
//! ddsketch.rs) rather than their values.

use std::sync::Arc;

use serde::ser::{SerializeMap as _, Serializer as _};
use serde_json::{Map, json};
use tributary_core::time::rfc3339_millis;
use tributary_core::{
    Batch, InputIndex, Origin, Payload, Record, SourceKind, Window, document_id, join_id_values,
};

use super::groups::key_values;
use super::metric::Metric;
use super::state::WindowState;

/// Which window documents are for.
pub(super) struct Scope {
    start: String,
    end: String,
    origin: Arc<Origin>,
    /// What the id says for the window: its start, or the batch's first
    /// sequence number.
    id_part: String,
}

impl Scope {
    /// One invocation, from its first to its last record.
    pub(super) fn batch(first: &Record, last: &Record) -> Self {
        let mut origin = Origin::new(
            first.origin.source,
            first.origin.stream.clone(),
            first.origin.shard.clone(),
            "aggregate",
        );
        origin.arrival_ms = last.origin.arrival_ms;
        Scope {
            start: rfc3339_millis(first.origin.arrival_ms),
            end: rfc3339_millis(last.origin.arrival_ms),
            origin: Arc::new(origin),
            id_part: first.origin.sequence.clone(),
        }
    }
}

/// Makes documents for one aggregate.
pub(super) struct Documents {
    pipeline: String,
    source: SourceKind,
    group_by: Vec<String>,
}

impl Documents {
    pub(super) fn new(pipeline: &str, source: SourceKind, group_by: Vec<String>) -> Self {
        Documents {
            pipeline: pipeline.to_owned(),
            source,
            group_by,
        }
    }

    /// The scope of Lambda's tumbling window.
    pub(super) fn window_scope(&self, window: &Window) -> Scope {
        Scope {
            start: window.start.clone(),
            end: window.end.clone(),
            origin: Arc::new(Origin::new(
                self.source,
                window.stream.as_str(),
                window.shard.as_str(),
                "aggregate",
            )),
            id_part: window.start.clone(),
        }
    }

    /// Adds a document for each group to the batch. With `split`, the
    /// documents are partial: sequence `state.partials`, final unless the
    /// state is about to start afresh (`is_final` tells).
    pub(super) fn emit(
        &self,
        state: &WindowState,
        metrics: &[Metric],
        scope: &Scope,
        split: bool,
        batch: &mut Batch,
    ) {
        let is_final = batch.window().is_none_or(|w| w.is_final);
        for group in state.groups.iter() {
            let values = key_values(group.key);
            // Written straight to JSON text: no tree, no key copies.
            let mut text = Vec::with_capacity(256);
            let mut serializer = serde_json::Serializer::new(&mut text);
            let mut document = serializer
                .serialize_map(None)
                .expect("writing to a Vec cannot fail");
            let written = "serializing to a Vec cannot fail";
            document
                .serialize_entry("window_start", &scope.start)
                .expect(written);
            document
                .serialize_entry("window_end", &scope.end)
                .expect(written);
            document
                .serialize_entry("shard", &*scope.origin.shard)
                .expect(written);
            for (path, value) in self.group_by.iter().zip(&values) {
                document.serialize_entry(path, value).expect(written);
            }
            document
                .serialize_entry("records", &group.records)
                .expect(written);
            let mut combine = Map::new();
            for (metric, accumulator) in metrics.iter().zip(group.accumulators) {
                let value = accumulator.to_json(metric);
                document
                    .serialize_entry(&metric.name, &value)
                    .expect(written);
                if split && let Some(extra) = accumulator.combine_json(metric) {
                    combine.insert(metric.name.clone(), extra);
                }
            }
            let mut id = format!(
                "{}|{}|{}|{}",
                self.pipeline,
                scope.origin.shard,
                scope.id_part,
                join_id_values(&values)
            );
            if split {
                let partial = json!({"sequence": state.partials, "final": is_final});
                document
                    .serialize_entry("partial", &partial)
                    .expect(written);
                document
                    .serialize_entry("combine", &combine)
                    .expect(written);
                id.push_str(&format!("|{}", state.partials));
            }
            document.end().expect(written);
            let mut record = Record::new(
                scope.origin.clone(),
                Payload::from_json_text(text),
                InputIndex::EMITTED,
            );
            record.document_id = Some(document_id(id));
            batch.push(record);
        }
    }
}
