//! The Lambda function: the `bootstrap` that Lambda runs.
//!
//! [`run`] is the whole of a bootstrap's `main`: it reads the pipeline file
//! beside the executable (or at `TRIBUTARY_PIPELINE`), checks it once at
//! init, and answers invocations through `lambda_runtime` with a
//! [`Handler`]. A pipeline that is wrong fails init, with the file, line and
//! column in the log, so a bad deployment never processes a record. The
//! handler decodes each event from the bytes the runtime API delivered,
//! which the runtime does not read first (`raw_event.rs`).
//!
//! Each invocation logs as JSON (for CloudWatch Logs) and writes one
//! CloudWatch Embedded Metric Format line with its counts ([`metrics`]).
//! [`Handler`] is also what `tributary invoke` runs locally.

mod handler;
pub mod metrics;
mod raw_event;
mod response;

pub use handler::{Handler, Invocation, InvocationError, Span};
pub use response::{BatchItemFailure, Response, StreamResponse};

use std::path::PathBuf;
use std::process::ExitCode;
use std::rc::Rc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use lambda_runtime::layers::TracingLayer;
use lambda_runtime::{LambdaEvent, Runtime, service_fn};
use tokio::sync::Mutex;
use tributary_processors::Registry;

use self::raw_event::{RawEventLayer, RawEvents};
use crate::Plan;

/// The environment variable that names the pipeline file.
pub const PIPELINE_ENV: &str = "TRIBUTARY_PIPELINE";

/// Runs the Lambda function for the pipeline file beside the executable
/// (`pipeline.toml`) or at `$TRIBUTARY_PIPELINE`, with processors from
/// `registry`. Returns only when init fails or the runtime stops.
pub fn run(registry: Registry) -> ExitCode {
    init_json_logging();
    let path = pipeline_path();
    let plan = match Plan::load(&path, &registry) {
        Ok(plan) => plan,
        Err(error) => {
            // Plain text on standard error keeps the caret diagram readable
            // in CloudWatch; the JSON line makes it searchable.
            eprint!("{error}");
            tracing::error!(pipeline = %path.display(), errors = error.count(), "the pipeline file is invalid; fix it and deploy again");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            tracing::error!(%error, "cannot start the async runtime");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        let pipeline = plan.start()?;
        let handler = Rc::new(Mutex::new(Handler::new(pipeline)));
        let events = RawEvents::default();
        let taken = events.clone();
        let service = service_fn(move |event: LambdaEvent<()>| {
            let handler = handler.clone();
            let body = taken.take(&event.context.request_id);
            async move { invoke(&handler, body, event.context).await }
        });
        // As `lambda_runtime::run`, with the event's bytes taken for the
        // handler before the runtime would read them.
        Runtime::new(service)
            .layer(RawEventLayer::new(events))
            .layer(TracingLayer::new())
            .run()
            .await
            .map_err(|error| anyhow::anyhow!(error))
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "the function stopped");
            ExitCode::FAILURE
        }
    }
}

/// One invocation, its event's bytes as Lambda sent them; Lambda sends one
/// at a time.
async fn invoke(
    handler: &Mutex<Handler>,
    body: Option<Bytes>,
    context: lambda_runtime::Context,
) -> Result<Response, lambda_runtime::Diagnostic> {
    let request_id = &context.request_id;
    let Some(body) = body else {
        tracing::error!(%request_id, "the invocation's event was not taken from the runtime");
        return Err(lambda_runtime::Diagnostic {
            error_type: "tributary.NoEvent".to_owned(),
            error_message: "the invocation's event was not taken from the runtime".to_owned(),
        });
    };
    let mut handler = handler.lock().await;
    let deadline = deadline_of(context.deadline, SystemTime::now());
    let result = handler.handle(&body, Some(deadline)).await;
    drop(body);
    let pipeline = handler.pipeline_name().to_owned();
    drop(handler);
    let invocation = result.map_err(|error| {
        tracing::error!(%request_id, %error, "invocation failed; Lambda retries it");
        error.diagnostic()
    })?;
    let lines = metrics::emf_lines(
        &pipeline,
        &invocation.totals,
        &invocation.metrics,
        invocation.duration,
        SystemTime::now(),
    );
    write_lines(&lines);
    log_summary(request_id, &invocation);
    Ok(invocation.response)
}

/// Writes the metric lines to standard output, where CloudWatch Logs reads
/// them; a closed output loses the metrics, not the invocation.
fn write_lines(lines: &[String]) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    for line in lines {
        let _ = writeln!(out, "{line}");
    }
    let _ = out.flush();
}

/// The invocation's one line at `info`: which records, what became of them,
/// how long it took. Never a payload.
fn log_summary(request_id: &str, invocation: &Invocation) {
    let totals = &invocation.totals;
    let span = &invocation.span;
    tracing::info!(
        request_id,
        shard = span.shard.as_deref().unwrap_or(""),
        first_sequence = span.first_sequence.as_deref().unwrap_or(""),
        last_sequence = span.last_sequence.as_deref().unwrap_or(""),
        records_in = totals.records_in,
        delivered = totals.delivered,
        dropped = totals.dropped,
        skipped = totals.skipped,
        aggregated = totals.aggregated,
        dead_lettered = totals.dead_lettered,
        failed = totals.failed,
        duration_ms = invocation.duration.as_secs_f64() * 1000.0,
        "invocation"
    );
}

/// The invocation's deadline. Lambda sends it as milliseconds since the
/// epoch; local emulators (`cargo lambda watch` 1.9) send the function's
/// timeout instead, so a value under a day is read as time from now.
fn deadline_of(deadline_ms: u64, now: SystemTime) -> SystemTime {
    const DAY_MS: u64 = 24 * 60 * 60 * 1000;
    if deadline_ms < DAY_MS {
        now + Duration::from_millis(deadline_ms)
    } else {
        SystemTime::UNIX_EPOCH + Duration::from_millis(deadline_ms)
    }
}

/// `$TRIBUTARY_PIPELINE`, else `pipeline.toml` beside the executable.
fn pipeline_path() -> PathBuf {
    if let Some(path) = std::env::var_os(PIPELINE_ENV) {
        return PathBuf::from(path);
    }
    let dir = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(PathBuf::from))
        .unwrap_or_default();
    dir.join("pipeline.toml")
}

/// The environment variable that sets what is logged, as `RUST_LOG` does
/// (`debug`, `tributary=debug,aws_config=warn`, ...); it wins over it.
pub const LOG_ENV: &str = "TRIBUTARY_LOG";

/// JSON logs on standard output, as CloudWatch Logs reads them;
/// `TRIBUTARY_LOG`, else `RUST_LOG`, else Lambda's `AWS_LAMBDA_LOG_LEVEL`
/// (its advanced logging controls) sets the level, default `info`.
fn init_json_logging() {
    let level = std::env::var(LOG_ENV)
        .or_else(|_| std::env::var("RUST_LOG"))
        .or_else(|_| std::env::var("AWS_LAMBDA_LOG_LEVEL").map(|l| l.to_lowercase()))
        .unwrap_or_else(|_| "info".to_owned());
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(tracing_subscriber::EnvFilter::new(level))
        .with_ansi(false)
        .with_current_span(false)
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_are_epoch_milliseconds_or_for_emulators_a_timeout() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_millis(1_795_000_000_000);
        let lambda = deadline_of(1_795_000_003_000, now);
        assert_eq!(lambda.duration_since(now).unwrap(), Duration::from_secs(3));
        let emulator = deadline_of(600_000, now);
        assert_eq!(
            emulator.duration_since(now).unwrap(),
            Duration::from_secs(600)
        );
    }
}
