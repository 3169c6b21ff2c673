//! The summary a replay prints.

use std::fmt;
use std::time::Duration;

use tributary_core::SourceKind;

use crate::{BatchMetrics, DeliveryTotals, Totals};

/// One invocation of a replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvocationLog {
    /// The shard.
    pub shard: String,
    /// The sequence numbers of its records, in order.
    pub sequences: Vec<String>,
    /// The `batchItemFailures` identifiers it answered.
    pub failures: Vec<String>,
    /// Whether it failed as a whole.
    pub function_error: bool,
    /// Whether it was a window's final invocation.
    pub window_final: bool,
    /// What it measured: the numbers behind its metrics.
    pub metrics: BatchMetrics,
}

/// What a replay did.
#[derive(Debug, Clone)]
pub struct ReplayReport {
    /// The pipeline's name.
    pub pipeline: String,
    /// The recording's source kind.
    pub source: SourceKind,
    /// Counts of input records by fate. `records_in` counts each record of
    /// the recording once; the fates count each delivery, so a record sent
    /// again after a failure (see `redelivered`) has a fate for each time:
    /// the fates add up to `records_in + redelivered`.
    pub totals: Totals,
    /// What each sink received and stored, and the first dead letters.
    pub deliveries: DeliveryTotals,
    /// How many batches (invocations) ran.
    pub batches: u64,
    /// How many shards the records came from.
    pub shards: usize,
    /// Aggregate documents that were not delivered (Lambda would retry
    /// their invocations).
    pub undelivered_aggregates: u64,
    /// Invocations that redelivered records after a failure.
    pub redeliveries: u64,
    /// Records sent again after a failure (a retry, or a half of a bisected
    /// batch), each time: not counted again in `totals.records_in`.
    pub redelivered: u64,
    /// Records given up after the retries: Lambda sends them to the
    /// on-failure destination.
    pub discarded: u64,
    /// How many lines of the recording were read, its header and blank
    /// lines included; `None` when the records did not come from a file.
    pub lines: Option<u64>,
    /// Lines that were not valid records: each became a record that failed
    /// at stage `source`, so each is counted in `totals` under its fate.
    pub unreadable_lines: u64,
    /// Why the recording could not be read to its end, and from which line:
    /// the records after that line were not replayed. Not part of the
    /// summary's text: `tributary replay` prints it after the summary, as
    /// its error.
    pub stopped: Option<String>,
    /// Every invocation, when the replay was asked to keep them.
    pub invocations: Option<Vec<InvocationLog>>,
    /// How long the replay took.
    pub elapsed: Duration,
}

impl ReplayReport {
    /// An empty report, for a replay of records of `source` through the
    /// pipeline named `pipeline`.
    pub fn new(pipeline: &str, source: SourceKind, log_invocations: bool) -> Self {
        ReplayReport {
            pipeline: pipeline.to_owned(),
            source,
            totals: Totals::default(),
            deliveries: DeliveryTotals::default(),
            batches: 0,
            shards: 0,
            undelivered_aggregates: 0,
            redeliveries: 0,
            redelivered: 0,
            discarded: 0,
            lines: None,
            unreadable_lines: 0,
            stopped: None,
            invocations: log_invocations.then(Vec::new),
            elapsed: Duration::ZERO,
        }
    }

    /// Adds what a replay of more records of the same run did: a run fed
    /// in parts (`tributary backfill` replays each page or file chunk it
    /// reads, then checkpoints) reports as one. Counts add up; the shard
    /// count is the largest seen; `stopped` keeps the first reason.
    pub fn absorb(&mut self, part: ReplayReport) {
        self.totals += part.totals;
        self.deliveries.absorb(&part.deliveries);
        self.batches += part.batches;
        self.shards = self.shards.max(part.shards);
        self.undelivered_aggregates += part.undelivered_aggregates;
        self.redeliveries += part.redeliveries;
        self.redelivered += part.redelivered;
        self.discarded += part.discarded;
        self.lines = match (self.lines, part.lines) {
            (Some(a), Some(b)) => Some(a + b),
            (a, b) => a.or(b),
        };
        self.unreadable_lines += part.unreadable_lines;
        if self.stopped.is_none() {
            self.stopped = part.stopped;
        }
        if let (Some(log), Some(part)) = (&mut self.invocations, part.invocations) {
            log.extend(part);
        }
        self.elapsed += part.elapsed;
    }

    /// Input records per second.
    pub fn records_per_sec(&self) -> f64 {
        self.totals.records_in as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

impl fmt::Display for ReplayReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = &self.totals;
        writeln!(
            f,
            "replayed {} {} records through `{}`",
            t.records_in, self.source, self.pipeline
        )?;
        if let Some(lines) = self.lines {
            writeln!(
                f,
                "  lines read     {lines:>10}   of the recording, its header included"
            )?;
        }
        if self.unreadable_lines > 0 {
            writeln!(
                f,
                "  unreadable     {:>10}   lines that are not records: each failed as a record, under `on_error`",
                self.unreadable_lines
            )?;
        }
        writeln!(
            f,
            "  records in     {:>10}   each once, however often it was sent",
            t.records_in
        )?;
        writeln!(f, "  delivered      {:>10}", t.delivered)?;
        writeln!(
            f,
            "  dropped        {:>10}   by processors, on purpose",
            t.dropped
        )?;
        if t.skipped > 0 {
            writeln!(
                f,
                "  skipped        {:>10}   could not be processed (on_error = \"skip\")",
                t.skipped
            )?;
        }
        if t.aggregated > 0 {
            writeln!(
                f,
                "  aggregated     {:>10}   folded into aggregate documents",
                t.aggregated
            )?;
        }
        writeln!(f, "  dead-lettered  {:>10}", t.dead_lettered)?;
        writeln!(
            f,
            "  failed         {:>10}   reported to Lambda (each delivery that failed)",
            t.failed
        )?;
        if self.redelivered > 0 {
            writeln!(
                f,
                "  redelivered    {:>10}   records sent again after a failure, in {} invocation(s); each delivery has a fate above",
                self.redelivered, self.redeliveries
            )?;
        }
        if self.discarded > 0 {
            writeln!(
                f,
                "  discarded      {:>10}   records given up after the retries (Lambda's on-failure destination)",
                self.discarded
            )?;
        }
        writeln!(
            f,
            "  batches        {:>10}   from {} shard(s)",
            self.batches, self.shards
        )?;
        write!(
            f,
            "  throughput     {:>10.0}   records/s ({:.3} s)",
            self.records_per_sec(),
            self.elapsed.as_secs_f64()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(delivered: u64, failed: u64, shards: usize, stopped: Option<&str>) -> ReplayReport {
        let mut report = ReplayReport::new("p", SourceKind::DynamodbStreams, false);
        report.totals.records_in = delivered + failed;
        report.totals.delivered = delivered;
        report.totals.failed = failed;
        report.batches = 1;
        report.shards = shards;
        report.redeliveries = failed;
        report.redelivered = 2 * failed;
        report.stopped = stopped.map(str::to_owned);
        report.elapsed = Duration::from_millis(10);
        report
    }

    #[test]
    fn parts_of_a_run_add_up_to_one_report() {
        let mut run = part(3, 0, 1, None);
        run.absorb(part(2, 1, 2, Some("first")));
        run.absorb(part(5, 0, 1, Some("second")));
        assert_eq!(run.totals.records_in, 11);
        assert_eq!(run.totals.delivered, 10);
        assert_eq!(run.totals.failed, 1);
        assert_eq!((run.batches, run.shards, run.redeliveries), (3, 2, 1));
        assert_eq!(run.redelivered, 2);
        assert_eq!(run.stopped.as_deref(), Some("first"));
        assert_eq!(run.lines, None);
        assert_eq!(run.elapsed, Duration::from_millis(30));
    }
}
