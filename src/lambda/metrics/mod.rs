//! One CloudWatch Embedded Metric Format line per invocation.
//!
//! CloudWatch Logs turns the line into metrics in namespace `tributary`
//! (or `$TRIBUTARY_METRICS_NAMESPACE`), with the pipeline's name as the
//! `Pipeline` dimension: `RecordsIn`, `Dropped`, `Skipped`, `Aggregated`, `Delivered`,
//! `DeadLettered`, `Failed` (counts of input records by their fate) and
//! `Duration` (milliseconds).

pub mod names;

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::json;

use super::Invocation;

/// The EMF line for one invocation, at `now`.
pub fn emf_line(pipeline: &str, invocation: &Invocation, now: SystemTime) -> String {
    let namespace =
        std::env::var("TRIBUTARY_METRICS_NAMESPACE").unwrap_or_else(|_| "tributary".to_owned());
    let timestamp = now
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    let totals = invocation.totals;
    let count = |name: &str| json!({"Name": name, "Unit": "Count"});
    json!({
        "_aws": {
            "Timestamp": timestamp,
            "CloudWatchMetrics": [{
                "Namespace": namespace,
                "Dimensions": [["Pipeline"]],
                "Metrics": [
                    count("RecordsIn"), count("Dropped"), count("Skipped"), count("Aggregated"), count("Delivered"),
                    count("DeadLettered"), count("Failed"),
                    {"Name": "Duration", "Unit": "Milliseconds"},
                ],
            }],
        },
        "Pipeline": pipeline,
        "RecordsIn": totals.records_in,
        "Dropped": totals.dropped,
        "Skipped": totals.skipped,
        "Aggregated": totals.aggregated,
        "Delivered": totals.delivered,
        "DeadLettered": totals.dead_lettered,
        "Failed": totals.failed,
        "Duration": invocation.duration.as_secs_f64() * 1000.0,
    })
    .to_string()
}
