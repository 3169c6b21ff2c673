//! What `replay`, `backfill` and `invoke` say at the end of a run: where everything
//! went. Each sink, what it received and where it wrote (a jsonl file it
//! replaced says how many lines the file held), and the first dead letters
//! with why. As text on standard error, or with `--json` as one JSON
//! document on standard output (its shape: docs/replay.md#summaries).

use std::fmt::Write as _;

use serde_json::{Value, json};
use tributary::replay::ReplayReport;
use tributary::{DeliveryTotals, Plan, Totals};
use tributary_connectors::sinks::SinkConfig;

/// Where each sink of a pipeline writes, taken before it starts (starting
/// a jsonl sink replaces its file).
pub(super) struct Destinations(Vec<Destination>);

struct Destination {
    name: String,
    place: String,
    /// The lines of the file the sink replaces, when it replaces one.
    replaced_lines: Option<u64>,
}

impl Destinations {
    pub(super) fn of(plan: &Plan) -> Self {
        let sinks = plan.sinks().map(|(name, config)| Destination {
            name: name.to_owned(),
            place: config.destination(),
            replaced_lines: match config {
                SinkConfig::Jsonl(jsonl) => jsonl.lines_replaced(),
                _ => None,
            },
        });
        Destinations(sinks.collect())
    }

    /// The per-sink and dead-letter lines of a summary.
    pub(super) fn text(&self, deliveries: &DeliveryTotals) -> String {
        let mut text = String::from("  sinks\n");
        for destination in &self.0 {
            let sink = deliveries
                .sinks
                .iter()
                .find(|s| *s.name == *destination.name);
            let (records, emitted, delivered, refused) = sink.map_or((0, 0, 0, 0), |s| {
                (s.records, s.emitted, s.delivered, s.rejected + s.failed)
            });
            let documents = match emitted {
                0 => String::new(),
                n => format!(" ({n} aggregate documents)"),
            };
            let refused = match refused {
                0 => String::new(),
                n => format!(", {n} not stored"),
            };
            let replaced = match destination.replaced_lines {
                Some(lines) => format!(" (replaced: it held {lines} lines before)"),
                None => String::new(),
            };
            let _ = writeln!(
                text,
                "    {:<12} {records:>10}   records{documents}, {delivered} stored{refused} -> {}{replaced}",
                destination.name, destination.place
            );
        }
        text.push_str(&dead_letters_text(deliveries));
        text
    }

    /// The `sinks` and `dead_letters` of a JSON summary.
    pub(super) fn json(&self, deliveries: &DeliveryTotals) -> (Value, Value) {
        let sinks = self
            .0
            .iter()
            .map(|destination| {
                let sink = deliveries
                    .sinks
                    .iter()
                    .find(|s| *s.name == *destination.name);
                json!({
                    "name": destination.name,
                    "destination": destination.place,
                    "replaced_lines": destination.replaced_lines,
                    "records": sink.map_or(0, |s| s.records),
                    "aggregate_documents": sink.map_or(0, |s| s.emitted),
                    "delivered": sink.map_or(0, |s| s.delivered),
                    "rejected": sink.map_or(0, |s| s.rejected),
                    "failed": sink.map_or(0, |s| s.failed),
                })
            })
            .collect();
        (Value::Array(sinks), dead_letters_json(deliveries))
    }
}

/// The dead-letter lines of a summary: how many, by stage, then the first
/// few with why, and how many more; nothing when there are none.
pub(super) fn dead_letters_text(deliveries: &DeliveryTotals) -> String {
    let mut text = String::new();
    let lettered = deliveries.dead_lettered();
    if lettered > 0 {
        let stages: Vec<String> = deliveries
            .dead_letters
            .iter()
            .map(|(stage, count)| format!("{count} at `{stage}`"))
            .collect();
        let _ = writeln!(
            text,
            "  dead letters   {lettered:>10}   {}",
            stages.join(", ")
        );
        for letter in &deliveries.dead_letter_samples {
            let _ = writeln!(
                text,
                "    {} {} at `{}`: {}",
                letter.shard, letter.sequence, letter.stage, letter.message
            );
        }
        let more = lettered.saturating_sub(deliveries.dead_letter_samples.len() as u64);
        if more > 0 {
            let _ = writeln!(text, "    ... and {more} more");
        }
    }
    text
}

/// What each sink received, as JSON, for a run that wrote nowhere (`test`
/// captures what sinks get).
pub(super) fn captured_sinks_json(deliveries: &DeliveryTotals) -> Value {
    deliveries
        .sinks
        .iter()
        .map(|sink| {
            json!({
                "name": &*sink.name,
                "records": sink.records,
                "aggregate_documents": sink.emitted,
                "delivered": sink.delivered,
                "rejected": sink.rejected,
                "failed": sink.failed,
            })
        })
        .collect()
}

/// The dead letters of a summary, as JSON: how many, by stage, and the
/// first few with why.
pub(super) fn dead_letters_json(deliveries: &DeliveryTotals) -> Value {
    let by_stage: serde_json::Map<String, Value> = deliveries
        .dead_letters
        .iter()
        .map(|(stage, count)| (stage.to_string(), json!(count)))
        .collect();
    let first: Vec<Value> = deliveries
        .dead_letter_samples
        .iter()
        .map(|letter| {
            json!({
                "stage": &*letter.stage,
                "shard": &*letter.shard,
                "sequence": letter.sequence,
                "message": letter.message,
            })
        })
        .collect();
    json!({
        "count": deliveries.dead_lettered(),
        "by_stage": by_stage,
        "first": first,
    })
}

/// The counts of input records by fate, as JSON.
pub(super) fn totals_json(totals: &Totals) -> Value {
    json!({
        "records_in": totals.records_in,
        "delivered": totals.delivered,
        "dropped": totals.dropped,
        "skipped": totals.skipped,
        "aggregated": totals.aggregated,
        "dead_lettered": totals.dead_lettered,
        "failed": totals.failed,
    })
}

/// What a summary of a run of the replay engine (`replay`, `backfill`)
/// holds, as JSON: the fates, the batches, each sink and the dead letters.
/// Each command adds what it read from.
pub(super) fn report_json(
    command: &str,
    report: &ReplayReport,
    destinations: &Destinations,
) -> serde_json::Map<String, Value> {
    let (sinks, dead_letters) = destinations.json(&report.deliveries);
    [
        ("command", json!(command)),
        ("pipeline", json!(report.pipeline)),
        ("source", json!(report.source.as_str())),
        ("totals", totals_json(&report.totals)),
        ("redelivered", json!(report.redelivered)),
        ("redeliveries", json!(report.redeliveries)),
        ("discarded", json!(report.discarded)),
        ("batches", json!(report.batches)),
        ("shards", json!(report.shards)),
        ("sinks", sinks),
        ("dead_letters", dead_letters),
        ("stopped", json!(report.stopped)),
        ("elapsed_secs", json!(report.elapsed.as_secs_f64())),
    ]
    .into_iter()
    .map(|(key, value)| (key.to_owned(), value))
    .collect()
}
