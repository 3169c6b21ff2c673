//! A started pipeline, and one batch through it, stage by stage: decode,
//! process, deliver, settle. Each stage is its own module and knows nothing
//! of the ones after it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tributary_connectors::sources::{DecompressionBudget, SourceConfig, SourceRecord};
use tributary_core::{BoxError, ErrorPolicy, Origin, Processor, Sink, Window};

use super::BatchOutcome;
use super::clock::Clock;
use super::decode::decode;
use super::deliver::{Measure, deliver};
use super::failure_log::FailureLog;
use super::metrics::{BatchMetrics, Latencies};
use super::outcome::{Fate, Fates};
use super::process::process;
use super::route::Routes;
use super::settle::Settlement;

/// A started pipeline: processors built, sinks open.
pub struct Pipeline {
    pub(super) name: String,
    pub(super) policy: ErrorPolicy,
    pub(super) deadline_margin: Duration,
    pub(super) source: SourceConfig,
    pub(super) processors: Vec<(Arc<str>, Box<dyn Processor>)>,
    pub(super) sinks: Vec<(Arc<str>, Box<dyn Sink>)>,
    pub(super) routes: Routes,
    pub(super) dead_letter: Option<(Arc<str>, Box<dyn Sink>)>,
    pub(super) failure_log: FailureLog,
    pub(super) decompression_budget: DecompressionBudget,
    pub(super) clock: Clock,
}

/// What one invocation brings besides its records.
#[derive(Debug, Clone, Default)]
pub struct BatchContext {
    /// The tumbling window it belongs to, with the state so far.
    pub window: Option<Window>,
    /// When work must stop; what is not delivered by then fails for retry.
    pub deadline: Option<Instant>,
}

impl Pipeline {
    /// The pipeline's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The pipeline's source.
    pub fn source(&self) -> &SourceConfig {
        &self.source
    }

    /// Whether a processor works on Lambda's tumbling window, so that an
    /// invocation needs one.
    pub fn needs_window(&self) -> bool {
        self.processors
            .iter()
            .any(|(_, processor)| processor.needs_window())
    }

    /// Measures latency against `clock` from now on: the system's clock
    /// unless set.
    pub fn set_clock(&mut self, clock: Clock) {
        self.clock = clock;
    }

    /// How long before an invocation's deadline work stops.
    pub fn deadline_margin(&self) -> Duration {
        self.deadline_margin
    }

    /// Runs one batch of source records, as one Lambda invocation would:
    /// decode, processors in order, every sink, then the error policy. Each
    /// input record ends with exactly one [`Fate`].
    pub async fn run(&mut self, inputs: Vec<SourceRecord>) -> BatchOutcome {
        self.run_with(inputs, BatchContext::default()).await
    }

    /// Runs one batch like [`Pipeline::run`], in a tumbling window and
    /// against a deadline. Once a record of a shard is to be retried, the
    /// later records of that shard are not processed: Lambda redelivers them
    /// anyway, from the lowest failed sequence number.
    pub async fn run_with(
        &mut self,
        inputs: Vec<SourceRecord>,
        context: BatchContext,
    ) -> BatchOutcome {
        let mut measured = BatchMetrics {
            oldest_record_age: oldest_record_age(&inputs, self.clock.now_ms()),
            ..BatchMetrics::default()
        };
        let (mut batch, input_data) = decode(
            &self.source,
            &self.decompression_budget,
            self.policy,
            inputs,
        );
        batch.set_window(context.window);

        let mut parts = process(
            &mut self.processors,
            batch,
            context.deadline,
            &mut measured.processors,
        );
        let mut fates = Fates::new(parts.origins.len());
        fates.fail_after_stops(&parts.origins, &parts.stops);
        for input in &parts.absorbed {
            fates.upgrade(*input, Fate::Aggregated);
        }

        // The batch stopped shards for the failures before delivery; the
        // sinks' failures stop them here.
        let failed_before_delivery = parts.failed.len();
        let sinks_of = self
            .routes
            .any()
            .then(|| self.routes.route(&mut parts.records, &mut parts.failed));
        let sink_failed = deliver(
            &mut self.sinks,
            &mut parts.records,
            sinks_of.as_deref(),
            &mut parts.failed,
            context.deadline,
            Measure {
                clock: self.clock,
                sinks: &mut measured.sinks,
            },
        )
        .await;
        let delivered_ms = self.clock.now_ms();
        for (record, failed) in parts.records.iter().zip(sink_failed) {
            if !failed {
                fates.upgrade(record.input, Fate::Delivered);
            }
        }
        for failure in &parts.failed[failed_before_delivery..] {
            if self.policy.retries(failure.kind) {
                parts.stops.stop_at(&failure.record);
            }
        }

        let settlement = Settlement {
            pipeline: &self.name,
            policy: self.policy,
            failure_log: &mut self.failure_log,
            dead_letter: self.dead_letter.as_mut(),
            measured: &mut measured,
            clock: self.clock,
        };
        let emitted_failed = settlement
            .settle(
                parts.failed,
                &parts.stops,
                &input_data,
                &mut fates,
                context.deadline,
            )
            .await;
        let mut outcome = fates.into_outcome(&parts.origins, parts.window, emitted_failed);
        measured.latency = delivered_latency(&outcome.fates, &parts.origins, delivered_ms);
        outcome.metrics = measured;
        outcome
    }

    /// Makes everything the sinks took durable.
    pub async fn flush(&mut self) -> Result<(), BoxError> {
        for (_, sink) in self.sinks.iter_mut().chain(self.dead_letter.iter_mut()) {
            sink.flush().await?;
        }
        Ok(())
    }
}

/// How long before `now_ms` the oldest of `inputs` arrived; `None` when
/// there are none, or none has an arrival time.
fn oldest_record_age(inputs: &[SourceRecord], now_ms: i64) -> Option<Duration> {
    let oldest = inputs
        .iter()
        .map(|input| input.origin.arrival_ms)
        .filter(|arrival| *arrival > 0)
        .min()?;
    Some(Duration::from_millis(
        now_ms.saturating_sub(oldest).max(0) as u64
    ))
}

/// The latency of each delivered input record, delivered at `delivered_ms`.
fn delivered_latency(fates: &[Fate], origins: &[Arc<Origin>], delivered_ms: i64) -> Latencies {
    let mut latency = Latencies::default();
    for (fate, origin) in fates.iter().zip(origins) {
        if *fate == Fate::Delivered {
            latency.record(delivered_ms, origin.arrival_ms);
        }
    }
    latency
}
