//! `tributary invoke PIPELINE --event EVENT.json`

use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use tributary_processors::Registry;

use super::summary::{self, Destinations};
use super::{EXIT_FAILED, EXIT_INVALID};
use tributary::DeliveryTotals;
use tributary::lambda::metrics::emf_lines;
use tributary::lambda::{Handler, InvocationError};

/// Runs the handler once on a Lambda event, as Lambda would, and prints the
/// response Lambda would receive (or, when the invocation fails, the error
/// document it would receive) on standard output; with `metrics`, the
/// metric lines the function would write, on standard error.
/// With `json`, the response and the summary are one JSON document on
/// standard output (docs/replay.md#summaries).
pub(super) fn run(
    pipeline: &Path,
    event: &Path,
    timeout: Duration,
    metrics: bool,
    json: bool,
    registry: &Registry,
) -> ExitCode {
    let plan = match super::load_plan(pipeline, registry) {
        Ok(plan) => plan,
        Err(status) => return status,
    };
    let destinations = Destinations::of(&plan);
    let event = match std::fs::read_to_string(event) {
        Ok(text) => text,
        Err(error) => {
            eprintln!("error: cannot read event `{}`: {error}", event.display());
            return ExitCode::from(EXIT_INVALID);
        }
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime starts");
    runtime.block_on(async {
        let pipeline = match plan.start() {
            Ok(pipeline) => pipeline,
            Err(error) => {
                // Nothing ran: a sink's file or client could not be made.
                eprintln!("error: {error:#}");
                return ExitCode::from(EXIT_INVALID);
            }
        };
        let mut handler = Handler::new(pipeline);
        match handler.handle(&event, Some(SystemTime::now() + timeout)).await {
            Ok(invocation) => {
                if metrics {
                    let lines = emf_lines(
                        handler.pipeline_name(),
                        &invocation.totals,
                        &invocation.metrics,
                        invocation.duration,
                        SystemTime::now(),
                    );
                    for line in lines {
                        eprintln!("{line}");
                    }
                }
                let t = invocation.totals;
                let mut deliveries = DeliveryTotals::default();
                deliveries.add(&invocation.metrics);
                if json {
                    let (sinks, dead_letters) = destinations.json(&deliveries);
                    let summary = serde_json::json!({
                        "command": "invoke",
                        "pipeline": handler.pipeline_name(),
                        "response": invocation.response,
                        "totals": summary::totals_json(&t),
                        "sinks": sinks,
                        "dead_letters": dead_letters,
                        "elapsed_secs": invocation.duration.as_secs_f64(),
                    });
                    println!("{summary}");
                    return ExitCode::SUCCESS;
                }
                println!("{}", serde_json::to_string(&invocation.response).expect("a response serializes"));
                eprintln!(
                    "invoke: {} records in: {} delivered, {} dropped, {} skipped, {} aggregated, {} dead-lettered, {} failed in {:.1} ms",
                    t.records_in, t.delivered, t.dropped, t.skipped, t.aggregated, t.dead_lettered, t.failed,
                    invocation.duration.as_secs_f64() * 1000.0
                );
                eprint!("{}", destinations.text(&deliveries));
                ExitCode::SUCCESS
            }
            Err(error) if json => {
                let summary = serde_json::json!({
                    "command": "invoke",
                    "pipeline": handler.pipeline_name(),
                    "error": error.diagnostic(),
                });
                println!("{summary}");
                exit_for(&error)
            }
            Err(error) => {
                println!("{}", serde_json::to_string(&error.diagnostic()).expect("a diagnostic serializes"));
                eprintln!("invoke: the invocation failed: {error}");
                exit_for(&error)
            }
        }
    })
}

/// The exit status of a failed invocation: 1 when the event file is not one
/// the pipeline can take (fix the file), 2 when the pipeline failed on it.
fn exit_for(error: &InvocationError) -> ExitCode {
    match error {
        InvocationError::Event(_) | InvocationError::NoWindow { .. } => {
            ExitCode::from(EXIT_INVALID)
        }
        _ => ExitCode::from(EXIT_FAILED),
    }
}
