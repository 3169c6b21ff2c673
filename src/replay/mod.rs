//! Replaying a recording through a pipeline the way Lambda delivers a stream.
//!
//! Records are grouped per shard, in recording order, into batches no larger
//! than the source's `batch_size` and Lambda's 6 MB invocation payload. A
//! shard's batches run in order; batches of different shards interleave in
//! the order their records appear in the recording, as concurrent shards do.
//! Memory stays bounded: one pending batch a shard.

mod batcher;
mod report;

pub use report::ReplayReport;

use std::io::IsTerminal as _;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use tributary_connectors::recording::{RecordingError, RecordingReader};

use crate::{Pipeline, Totals};
use batcher::Batcher;

/// How to replay.
#[derive(Debug, Clone, Default)]
pub struct ReplayOptions {
    /// Overrides the source's `batch_size`.
    pub batch_size: Option<u32>,
    /// Show a progress bar, when standard error is a terminal.
    pub progress: bool,
}

/// Replays every record of `recording` through `pipeline`.
pub async fn replay(
    pipeline: &mut Pipeline,
    mut recording: RecordingReader,
    total_bytes: Option<u64>,
    options: &ReplayOptions,
) -> Result<ReplayReport, RecordingError> {
    let started = Instant::now();
    let batch_size = options
        .batch_size
        .unwrap_or(pipeline.source().batching().batch_size);
    let mut batcher = Batcher::new(batch_size as usize);
    let progress = progress_bar(options.progress, total_bytes);
    let mut report = ReplayReport::new(pipeline.name(), recording.header().source);

    while let Some(record) = recording.next_record() {
        let Some(batch) = batcher.push(record?) else {
            continue;
        };
        run_batch(pipeline, batch, &mut report.totals, &mut report.batches).await;
        progress.set_position(recording.bytes_read());
        progress.set_message(message(&report.totals));
    }
    for batch in batcher.finish() {
        run_batch(pipeline, batch, &mut report.totals, &mut report.batches).await;
    }
    if let Err(error) = pipeline.flush().await {
        tracing::error!(%error, "a sink could not flush");
    }
    progress.finish_and_clear();
    report.shards = batcher.shards();
    report.elapsed = started.elapsed();
    Ok(report)
}

async fn run_batch(
    pipeline: &mut Pipeline,
    batch: Vec<tributary_connectors::sources::SourceRecord>,
    totals: &mut Totals,
    batches: &mut u64,
) {
    let outcome = pipeline.run(batch).await;
    *totals += outcome.totals();
    *batches += 1;
}

fn progress_bar(wanted: bool, total_bytes: Option<u64>) -> ProgressBar {
    if !wanted || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total_bytes.unwrap_or(0));
    let style = ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {msg} ({eta})")
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar
}

fn message(totals: &Totals) -> String {
    format!("{} records", totals.records_in)
}
