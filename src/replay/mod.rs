//! Replaying a recording through a pipeline the way Lambda delivers a stream.
//!
//! Records are grouped per shard, in recording order, into batches no larger
//! than the source's `batch_size` and Lambda's 6 MB invocation payload. A
//! shard's batches run in order; batches of different shards interleave in
//! the order their records appear in the recording, as concurrent shards do.
//! Memory stays bounded: one pending batch a shard. With a tumbling window
//! on the source, windows run as Lambda runs them (see [`windows`]).

mod batcher;
mod report;
mod windows;

pub use report::ReplayReport;

use std::io::IsTerminal as _;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use tributary_connectors::recording::{RecordingError, RecordingReader};

use tributary_connectors::sources::SourceRecord;

use crate::pipeline::BatchContext;
use crate::{Pipeline, Totals};
use batcher::Batcher;
use windows::{Arrival, Windows};

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
    let progress = progress_bar(options.progress, total_bytes);
    let mut driver = Driver {
        report: ReplayReport::new(pipeline.name(), recording.header().source),
        windows: pipeline.source().tumbling_window_secs().map(Windows::new),
        batcher: Batcher::new(batch_size as usize),
        pipeline,
    };
    while let Some(record) = recording.next_record() {
        driver.push(record?).await;
        progress.set_position(recording.bytes_read());
        progress.set_message(message(&driver.report.totals));
    }
    driver.finish().await;
    if let Err(error) = driver.pipeline.flush().await {
        tracing::error!(%error, "a sink could not flush");
    }
    progress.finish_and_clear();
    let mut report = driver.report;
    report.shards = driver.batcher.shards();
    report.elapsed = started.elapsed();
    Ok(report)
}

/// Drives a pipeline as Lambda's event source mapping would: batches per
/// shard, and tumbling windows when the source has them.
struct Driver<'a> {
    pipeline: &'a mut Pipeline,
    batcher: Batcher,
    windows: Option<Windows>,
    report: ReplayReport,
}

impl Driver<'_> {
    async fn push(&mut self, record: SourceRecord) {
        if let Some(windows) = &mut self.windows {
            let (shard, stream) = (record.origin.shard.clone(), record.origin.stream.clone());
            if let Arrival::Closes = windows.arrive(&shard, &stream, record.origin.arrival_ms) {
                self.close_window(&shard).await;
                if let Some(windows) = &mut self.windows {
                    windows.arrive(&shard, &stream, record.origin.arrival_ms);
                }
            }
        }
        if let Some(batch) = self.batcher.push(record) {
            self.run(batch).await;
        }
    }

    async fn finish(&mut self) {
        for batch in self.batcher.finish() {
            self.run(batch).await;
        }
        let shards = self
            .windows
            .as_ref()
            .map(Windows::open_shards)
            .unwrap_or_default();
        for shard in shards {
            self.close_window(&shard).await;
        }
    }

    /// Runs a batch of one shard, in its open window if there are windows.
    async fn run(&mut self, batch: Vec<SourceRecord>) {
        let Some(shard) = batch.first().map(|r| r.origin.shard.clone()) else {
            return;
        };
        if self.invoke(&shard, batch, false, false).await {
            // Past Lambda's limit: the window ends early and starts afresh.
            self.invoke(&shard, Vec::new(), true, true).await;
            if let Some(windows) = &mut self.windows {
                windows.restart(&shard);
            }
        }
    }

    /// Runs the shard's waiting records in its window, then the window's
    /// final invocation.
    async fn close_window(&mut self, shard: &str) {
        let mut early = false;
        if let Some(batch) = self.batcher.take_shard(shard) {
            early = self.invoke(shard, batch, false, false).await;
        }
        self.invoke(shard, Vec::new(), true, early).await;
        if let Some(windows) = &mut self.windows {
            windows.close(shard);
        }
    }

    /// One invocation; gives whether the window state it left is past
    /// Lambda's limit.
    async fn invoke(
        &mut self,
        shard: &str,
        records: Vec<SourceRecord>,
        is_final: bool,
        early: bool,
    ) -> bool {
        let window = self
            .windows
            .as_ref()
            .and_then(|windows| windows.invocation(shard, is_final, early));
        let context = BatchContext {
            window,
            deadline: None,
        };
        let outcome = self.pipeline.run_with(records, context).await;
        self.report.totals += outcome.totals();
        self.report.batches += 1;
        if outcome.emitted_failed > 0 {
            self.report.undelivered_aggregates += outcome.emitted_failed;
            tracing::warn!(
                shard,
                count = outcome.emitted_failed,
                "aggregate documents not delivered; Lambda would retry the invocation"
            );
        }
        match (&mut self.windows, outcome.window) {
            (Some(windows), Some(window)) => windows.keep(shard, window),
            _ => false,
        }
    }
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
