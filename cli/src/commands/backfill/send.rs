//! Sending backfilled records through the pipeline, a page or a chunk at a
//! time, with `replay`'s machinery: the same batches, fates, retries and
//! counts as `tributary replay`. Each part is settled (its batches run, the
//! sinks flushed) before it returns, so the caller can checkpoint after it.

use indicatif::ProgressBar;
use tributary::Pipeline;
use tributary::replay::{ReplayOptions, ReplayReport, replay_records};
use tributary_connectors::sources::SourceRecord;
use tributary_core::SourceKind;

/// The pipeline, and what the backfill did with it so far.
pub(super) struct PipelineFeed<'a> {
    pipeline: &'a mut Pipeline,
    options: ReplayOptions,
    /// Every part's report, added up.
    pub(super) report: ReplayReport,
    /// The items sent in this run.
    pub(super) sent: u64,
    bar: ProgressBar,
    started: std::time::Instant,
}

impl<'a> PipelineFeed<'a> {
    pub(super) fn new(
        pipeline: &'a mut Pipeline,
        options: ReplayOptions,
        bar: ProgressBar,
    ) -> Self {
        let report = ReplayReport::new(pipeline.name(), SourceKind::DynamodbStreams, false);
        PipelineFeed {
            pipeline,
            options,
            report,
            sent: 0,
            bar,
            started: std::time::Instant::now(),
        }
    }

    /// Runs `records` through the pipeline to their fates.
    pub(super) async fn send(&mut self, records: Vec<SourceRecord>) {
        let count = records.len() as u64;
        if count == 0 {
            return;
        }
        let part = replay_records(
            self.pipeline,
            SourceKind::DynamodbStreams,
            records,
            &self.options,
        )
        .await;
        self.report.absorb(part);
        self.sent += count;
        self.bar.inc(count);
    }

    /// The progress bar, to say what is being read.
    pub(super) fn bar(&self) -> &ProgressBar {
        &self.bar
    }

    /// Ends the bar and gives the report, its time (and so its
    /// throughput) the whole run's, reading the items included.
    pub(super) fn finish(mut self) -> ReplayReport {
        self.bar.finish_and_clear();
        self.report.elapsed = self.started.elapsed();
        self.report
    }
}
