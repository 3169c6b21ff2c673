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

pub use report::{InvocationLog, ReplayReport};

use std::collections::VecDeque;
use std::io::IsTerminal as _;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use tributary_connectors::recording::RecordingReader;

use tributary_connectors::sources::SourceRecord;
use tributary_core::SourceKind;

use crate::Pipeline;
use crate::pipeline::BatchContext;
use batcher::Batcher;
use windows::{Arrival, Windows};

/// How to replay.
#[derive(Debug, Clone, Default)]
pub struct ReplayOptions {
    /// Overrides the source's `batch_size`.
    pub batch_size: Option<u32>,
    /// Show a progress bar, when standard error is a terminal.
    pub progress: bool,
    /// Keep a log of every invocation in the report, for tests.
    pub log_invocations: bool,
    /// Replay at this multiple of the recorded pace (1.0: as recorded; 2.0:
    /// twice as fast), by the records' arrival times. `None`: as fast as
    /// possible.
    pub speed: Option<f64>,
}

/// Replays every record of `recording` through `pipeline`, each made what
/// the source's Lambda decoding makes of it (see `SourceConfig::recorded`).
/// A line that is not a valid record is not skipped silently nor does it stop the replay: it
/// becomes a record that fails at stage `source` and follows the pipeline's
/// `on_error`, like a record Lambda could not read (a warning names its
/// file:line). When the file cannot be read past some line (a gzip stream cut
/// short), the records before it are replayed and the report says where
/// reading stopped. Every line is accounted for in the report.
pub async fn replay(
    pipeline: &mut Pipeline,
    mut recording: RecordingReader,
    total_bytes: Option<u64>,
    options: &ReplayOptions,
) -> ReplayReport {
    let progress = progress_bar(options.progress, total_bytes);
    let kind = recording.header().source;
    let source = pipeline.source().clone();
    let mut unreadable_lines = 0;
    let mut stopped = None;
    let records = std::iter::from_fn(|| match recording.next_record()? {
        Ok(record) => {
            progress.set_position(recording.bytes_read());
            Some(source.recorded(record))
        }
        Err(error) if error.is_bad_line() => {
            unreadable_lines += 1;
            if unreadable_lines <= MAX_BAD_LINE_WARNINGS {
                tracing::warn!(
                    %error,
                    "a recording line is not a record: it fails as a record the source could not read, under `on_error`"
                );
            }
            Some(recording.bad_line_record(&error))
        }
        Err(error) => {
            stopped = Some(error.to_string());
            None
        }
    });
    let mut report = replay_records(pipeline, kind, records, options).await;
    progress.finish_and_clear();
    report.lines = Some(recording.lines_read() as u64);
    report.unreadable_lines = unreadable_lines;
    report.stopped = stopped;
    report
}

/// Bad lines past this many are counted in the report but not each logged.
const MAX_BAD_LINE_WARNINGS: u64 = 20;

/// Replays `records` (of a `source` kind, in stream order) through
/// `pipeline`, as [`replay`] replays a recording.
pub async fn replay_records(
    pipeline: &mut Pipeline,
    source: SourceKind,
    records: impl IntoIterator<Item = SourceRecord>,
    options: &ReplayOptions,
) -> ReplayReport {
    let started = Instant::now();
    let batch_size = options
        .batch_size
        .unwrap_or(pipeline.source().batching().batch_size);
    let mut driver = Driver {
        report: ReplayReport::new(pipeline.name(), source, options.log_invocations),
        windows: pipeline.source().tumbling_window_secs().map(Windows::new),
        batcher: Batcher::new(
            batch_size as usize,
            pipeline.source().batching_window_secs(),
        ),
        pipeline,
    };
    let mut pace = options.speed.filter(|s| *s > 0.0).map(Pace::new);
    for record in records {
        if let Some(pace) = &mut pace {
            pace.wait_for(record.origin.arrival_ms).await;
        }
        driver.push(record).await;
    }
    driver.finish().await;
    if let Err(error) = driver.pipeline.flush().await {
        tracing::error!(%error, "a sink could not flush");
    }
    let mut report = driver.report;
    report.shards = driver.batcher.shards();
    report.elapsed = started.elapsed();
    report
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
        let policy = self.pipeline.source().retry_policy();
        // Halves of a bisected batch wait here, in stream order.
        let mut queue = VecDeque::from([batch]);
        // Every invocation after the first sends records sent before: a
        // retry, or a half of a bisected batch.
        let mut sent_before = false;
        while let Some(mut pending) = queue.pop_front() {
            let mut retries = 0;
            loop {
                let again = if sent_before { pending.len() as u64 } else { 0 };
                let invocation = self.invoke(&shard, pending.clone(), false, false).await;
                sent_before = true;
                // A record sent again is still one record in; each of its
                // deliveries has a fate.
                self.report.totals.records_in -= again;
                self.report.redelivered += again;
                if invocation.state_too_big {
                    // Past Lambda's limit: the window ends early and starts afresh.
                    self.invoke(&shard, Vec::new(), true, true).await;
                    if let Some(windows) = &mut self.windows {
                        windows.restart(&shard);
                    }
                }
                let from = match (invocation.function_error, invocation.first_failed) {
                    (true, _) => 0,
                    (false, Some(from)) => from,
                    (false, None) => break,
                };
                if invocation.function_error && policy.bisect_on_function_error && pending.len() > 1
                {
                    // Splitting is not a retry: each half starts afresh.
                    let second = pending.split_off(pending.len() / 2);
                    queue.push_front(second);
                    queue.push_front(pending);
                    break;
                }
                let limit = policy
                    .maximum_retry_attempts
                    .unwrap_or(UNLIMITED_RETRIES_CAP);
                if retries >= limit {
                    let left = (pending.len() - from) as u64;
                    self.report.discarded += left;
                    tracing::warn!(
                        %shard,
                        records = left,
                        retries,
                        "retries used up: Lambda would send these records to the on-failure destination and go on"
                    );
                    break;
                }
                retries += 1;
                self.report.redeliveries += 1;
                // Lambda redelivers from the lowest failed sequence number.
                pending = pending.split_off(from);
            }
        }
    }

    /// Runs the shard's waiting records in its window, then the window's
    /// final invocation.
    async fn close_window(&mut self, shard: &str) {
        if let Some(batch) = self.batcher.take_shard(shard) {
            self.run(batch).await;
        }
        // A final invocation that fails (its aggregates not delivered) is
        // retried with the same state, as Lambda does.
        let limit = self
            .pipeline
            .source()
            .retry_policy()
            .maximum_retry_attempts
            .unwrap_or(UNLIMITED_RETRIES_CAP);
        let mut retries = 0;
        while self
            .invoke(shard, Vec::new(), true, false)
            .await
            .function_error
            && retries < limit
        {
            retries += 1;
            self.report.redeliveries += 1;
        }
        if let Some(windows) = &mut self.windows {
            windows.close(shard);
        }
    }

    /// One invocation.
    async fn invoke(
        &mut self,
        shard: &str,
        records: Vec<SourceRecord>,
        is_final: bool,
        early: bool,
    ) -> Invoked {
        let window = self
            .windows
            .as_ref()
            .and_then(|windows| windows.invocation(shard, is_final, early));
        let context = BatchContext {
            window,
            deadline: None,
        };
        let sequences: Vec<String> = records.iter().map(|r| r.origin.sequence.clone()).collect();
        let mut outcome = self.pipeline.run_with(records, context).await;
        self.report.totals += outcome.totals();
        self.report.deliveries.add(&outcome.metrics);
        self.report.batches += 1;
        if outcome.emitted_failed > 0 {
            self.report.undelivered_aggregates += outcome.emitted_failed;
            tracing::warn!(
                shard,
                count = outcome.emitted_failed,
                "aggregate documents not delivered; Lambda would retry the invocation"
            );
        }
        let failures: Vec<String> = outcome.failed.iter().map(|o| o.sequence.clone()).collect();
        let first_failed = failures
            .first()
            .and_then(|failed| sequences.iter().position(|s| s == failed));
        let function_error = outcome
            .whole_failure(self.pipeline.source().kind())
            .is_some();
        if let Some(log) = &mut self.report.invocations {
            log.push(InvocationLog {
                shard: shard.to_owned(),
                sequences,
                failures,
                function_error,
                window_final: is_final,
                metrics: std::mem::take(&mut outcome.metrics),
            });
        }
        // A failed invocation leaves the state as it was: Lambda retries it
        // with the state it was given.
        let state_too_big = match (&mut self.windows, outcome.window) {
            (Some(windows), Some(window)) if !function_error => windows.keep(shard, window),
            _ => false,
        };
        Invoked {
            state_too_big,
            first_failed,
            function_error,
        }
    }
}

/// Holds records back to their recorded pace, scaled.
struct Pace {
    speed: f64,
    started: tokio::time::Instant,
    first_arrival_ms: Option<i64>,
}

impl Pace {
    fn new(speed: f64) -> Self {
        Pace {
            speed,
            started: tokio::time::Instant::now(),
            first_arrival_ms: None,
        }
    }

    async fn wait_for(&mut self, arrival_ms: i64) {
        let first = *self.first_arrival_ms.get_or_insert(arrival_ms);
        let offset = (arrival_ms - first).max(0) as f64 / 1000.0 / self.speed;
        let due = self.started + std::time::Duration::from_secs_f64(offset);
        tokio::time::sleep_until(due).await;
    }
}

/// What one invocation means for the next.
struct Invoked {
    /// The window state is past Lambda's limit.
    state_too_big: bool,
    /// Where in the batch the first failed record is.
    first_failed: Option<usize>,
    /// The invocation failed as a whole.
    function_error: bool,
}

/// When the source retries until records expire (`maximum_retry_attempts =
/// -1`), a replay stops retrying a batch after this many attempts and
/// counts its records as discarded, where Lambda would keep the shard
/// waiting.
const UNLIMITED_RETRIES_CAP: u32 = 20;

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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::Pace;

    #[test]
    fn records_are_held_to_the_recorded_pace_scaled() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap();
        runtime.block_on(async {
            let start = tokio::time::Instant::now();
            let mut pace = Pace::new(2.0);
            pace.wait_for(10_000).await;
            assert_eq!(
                start.elapsed(),
                Duration::ZERO,
                "the first record goes at once"
            );
            pace.wait_for(14_000).await;
            assert_eq!(
                start.elapsed(),
                Duration::from_secs(2),
                "4 s of stream at twice the pace"
            );
            pace.wait_for(13_000).await;
            assert_eq!(
                start.elapsed(),
                Duration::from_secs(2),
                "a record already due goes at once"
            );
        });
    }
}
