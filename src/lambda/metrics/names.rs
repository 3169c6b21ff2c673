//! The names of every metric the function emits, with their units and
//! dimensions: the contract between the EMF lines ([`super`]) and what
//! `tributary package` puts on the dashboard and in the alarms.
//!
//! Each metric belongs to one [`Family`], and each family's metrics are
//! written on their own EMF line with the family's dimensions: one line for
//! the pipeline, one for each sink, each processor, and each stage whose
//! failures were dead-lettered in the invocation.

/// The namespace, unless `$TRIBUTARY_METRICS_NAMESPACE` names another.
pub const DEFAULT_NAMESPACE: &str = "tributary";

/// The environment variable that names the namespace.
pub const NAMESPACE_ENV: &str = "TRIBUTARY_METRICS_NAMESPACE";

/// The dimension with the pipeline's name, on every metric.
pub const PIPELINE: &str = "Pipeline";
/// The dimension with a sink's name (the key under `[sinks]`).
pub const SINK: &str = "Sink";
/// The dimension with a processor's label (its `id`, else `KIND#INDEX`).
pub const PROCESSOR: &str = "Processor";
/// The dimension with the stage a dead-lettered record failed in: a sink's
/// name, a processor's label, or `source`.
pub const STAGE: &str = "Stage";

/// A metric's CloudWatch unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A number of things.
    Count,
    /// Bytes.
    Bytes,
    /// Milliseconds.
    Milliseconds,
}

impl Unit {
    /// The unit's name in EMF.
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Count => "Count",
            Unit::Bytes => "Bytes",
            Unit::Milliseconds => "Milliseconds",
        }
    }
}

/// A group of metrics written on one EMF line, with the same dimensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// The invocation as a whole: dimension `Pipeline`.
    Pipeline,
    /// One sink: dimensions `Pipeline`, `Sink`.
    Sink,
    /// One processor: dimensions `Pipeline`, `Processor`.
    Processor,
    /// The dead letters of one stage: dimensions `Pipeline`, `Stage`.
    DeadLetters,
}

impl Family {
    /// The dimension names, in order.
    pub fn dimensions(self) -> &'static [&'static str] {
        match self {
            Family::Pipeline => &[PIPELINE],
            Family::Sink => &[PIPELINE, SINK],
            Family::Processor => &[PIPELINE, PROCESSOR],
            Family::DeadLetters => &[PIPELINE, STAGE],
        }
    }

    /// The family's metrics.
    pub fn metrics(self) -> impl Iterator<Item = &'static Metric> {
        METRICS.iter().filter(move |metric| metric.family == self)
    }
}

/// One metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Metric {
    /// Its name.
    pub name: &'static str,
    /// Its unit.
    pub unit: Unit,
    /// The line it is written on, and so its dimensions.
    pub family: Family,
    /// Whether its value is a distribution (`Values` and `Counts`) rather
    /// than one number.
    pub distribution: bool,
}

const fn metric(name: &'static str, unit: Unit, family: Family) -> Metric {
    Metric {
        name,
        unit,
        family,
        distribution: false,
    }
}

const fn distribution(name: &'static str, family: Family) -> Metric {
    Metric {
        name,
        unit: Unit::Milliseconds,
        family,
        distribution: true,
    }
}

/// Input records in the invocation.
pub const RECORDS_IN: Metric = metric("RecordsIn", Unit::Count, Family::Pipeline);
/// Input records a processor dropped on purpose.
pub const DROPPED: Metric = metric("Dropped", Unit::Count, Family::Pipeline);
/// Input records that failed and were skipped (`on_error = "skip"`).
pub const SKIPPED: Metric = metric("Skipped", Unit::Count, Family::Pipeline);
/// Input records folded into an aggregate.
pub const AGGREGATED: Metric = metric("Aggregated", Unit::Count, Family::Pipeline);
/// Input records delivered to every sink that takes them.
pub const DELIVERED: Metric = metric("Delivered", Unit::Count, Family::Pipeline);
/// Input records sent to the dead-letter sink.
pub const DEAD_LETTERED: Metric = metric("DeadLettered", Unit::Count, Family::Pipeline);
/// Input records reported as failed, for Lambda to retry.
pub const FAILED: Metric = metric("Failed", Unit::Count, Family::Pipeline);
/// How long the invocation took, from the event to the answer.
pub const DURATION: Metric = metric("Duration", Unit::Milliseconds, Family::Pipeline);
/// From each delivered input record's arrival in the stream to the end of
/// its delivery: a distribution.
pub const LATENCY: Metric = distribution("Latency", Family::Pipeline);
/// How long before the invocation started its oldest record arrived in the
/// stream.
pub const OLDEST_RECORD_AGE: Metric =
    metric("OldestRecordAge", Unit::Milliseconds, Family::Pipeline);

/// Records handed to the sink.
pub const SINK_RECORDS: Metric = metric("SinkRecords", Unit::Count, Family::Sink);
/// Records the sink stored.
pub const SINK_DELIVERED: Metric = metric("SinkDelivered", Unit::Count, Family::Sink);
/// Bytes the sink sent or wrote, every attempt counted.
pub const SINK_BYTES: Metric = metric("SinkBytes", Unit::Bytes, Family::Sink);
/// Requests the sink sent, every attempt counted.
pub const SINK_REQUESTS: Metric = metric("SinkRequests", Unit::Count, Family::Sink);
/// Items the sink sent again after they were refused for now.
pub const SINK_RETRIES: Metric = metric("SinkRetries", Unit::Count, Family::Sink);
/// Items the destination refused as throttled or out of capacity (HTTP
/// 429, 402, 503), every attempt counted.
pub const SINK_THROTTLED: Metric = metric("SinkThrottled", Unit::Count, Family::Sink);
/// Records the destination (or the sink itself) refused for good.
pub const SINK_REJECTED: Metric = metric("SinkRejected", Unit::Count, Family::Sink);
/// Records not delivered for now, once the sink gave up retrying.
pub const SINK_FAILED: Metric = metric("SinkFailed", Unit::Count, Family::Sink);
/// How long the sink's delivery took.
pub const SINK_DELIVERY_TIME: Metric = metric("SinkDeliveryTime", Unit::Milliseconds, Family::Sink);
/// From each record's arrival in the stream to the sink's storing it: a
/// distribution.
pub const SINK_LATENCY: Metric = distribution("SinkLatency", Family::Sink);

/// Records the processor was given.
pub const PROCESSOR_RECORDS_IN: Metric =
    metric("ProcessorRecordsIn", Unit::Count, Family::Processor);
/// Records the processor left in the batch.
pub const PROCESSOR_RECORDS_OUT: Metric =
    metric("ProcessorRecordsOut", Unit::Count, Family::Processor);
/// How long the processor took.
pub const PROCESSOR_TIME: Metric = metric("ProcessorTime", Unit::Milliseconds, Family::Processor);

/// Records dead-lettered for a failure in the stage.
pub const DEAD_LETTERS: Metric = metric("DeadLetters", Unit::Count, Family::DeadLetters);

/// Every metric, family by family.
pub const METRICS: &[Metric] = &[
    RECORDS_IN,
    DROPPED,
    SKIPPED,
    AGGREGATED,
    DELIVERED,
    DEAD_LETTERED,
    FAILED,
    DURATION,
    LATENCY,
    OLDEST_RECORD_AGE,
    SINK_RECORDS,
    SINK_DELIVERED,
    SINK_BYTES,
    SINK_REQUESTS,
    SINK_RETRIES,
    SINK_THROTTLED,
    SINK_REJECTED,
    SINK_FAILED,
    SINK_DELIVERY_TIME,
    SINK_LATENCY,
    PROCESSOR_RECORDS_IN,
    PROCESSOR_RECORDS_OUT,
    PROCESSOR_TIME,
    DEAD_LETTERS,
];
