//! One invocation: decode the event, run the pipeline, answer Lambda.

use std::time::{Duration, Instant, SystemTime};

use tributary_connectors::sources::SourceConfig;
use tributary_connectors::sources::{EventDecoder, EventError};

use super::response::{BatchItemFailure, Response, StreamResponse};
use crate::pipeline::{BatchContext, WholeFailure};
use crate::{BatchMetrics, Pipeline, Totals};

/// Runs a pipeline on Lambda events, one at a time.
pub struct Handler {
    pipeline: Pipeline,
    decoder: EventDecoder,
}

/// What one invocation did.
#[derive(Debug)]
pub struct Invocation {
    /// The answer for Lambda.
    pub response: Response,
    /// The input records by fate.
    pub totals: Totals,
    /// How long the invocation took.
    pub duration: Duration,
    /// What the batch measured, stage by stage.
    pub metrics: BatchMetrics,
    /// Which records the event held.
    pub span: Span,
}

/// Which records an event held: its shard and first and last sequence
/// numbers (for EventBridge, the event bus and the event's id).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Span {
    /// The shard of its first record.
    pub shard: Option<String>,
    /// The sequence number of its first record.
    pub first_sequence: Option<String>,
    /// The sequence number of its last record.
    pub last_sequence: Option<String>,
}

/// Why an invocation fails as a whole, so that Lambda retries all of it.
#[derive(Debug, thiserror::Error)]
pub enum InvocationError {
    /// The event could not be decoded.
    #[error(transparent)]
    Event(#[from] EventError),
    /// An EventBridge event could not be delivered. Lambda's asynchronous
    /// retries and the function's failure destination take it from here.
    #[error("event {event_id} was not delivered (the log says why); Lambda retries it")]
    NotDelivered {
        /// The event's id.
        event_id: String,
    },
    /// Aggregate documents could not be delivered. They belong to no one
    /// input record, so the whole invocation is retried, with the window
    /// state it started with.
    #[error(
        "{count} aggregate document(s) were not delivered (the log says why); Lambda retries the invocation"
    )]
    AggregatesNotDelivered {
        /// How many.
        count: u64,
    },
    /// The pipeline aggregates over Lambda's tumbling window, and the event
    /// has none. `configured` is the pipeline's `tumbling_window_secs`.
    #[error(
        "the pipeline aggregates over Lambda's tumbling window (`window = \"lambda\"`), and this \
         event has none: Lambda puts `window` and `state` beside `Records` when the event source \
         mapping has TumblingWindowInSeconds, {}; an event captured or written without them \
         cannot be aggregated (`tributary replay` makes the windows itself). Nothing was \
         processed, and Lambda retries the batch",
        match configured {
            Some(secs) => format!(
                "which `tributary deploy` sets from the [source]'s `tumbling_window_secs = {secs}`: \
                 a mapping made by hand may lack it"
            ),
            None => "which `tributary deploy` sets from `tumbling_window_secs` in [source], unset here".to_owned(),
        }
    )]
    NoWindow {
        /// The pipeline's `tumbling_window_secs`, if set.
        configured: Option<u32>,
    },
    /// The sinks could not make what they took durable.
    #[error("the sinks could not flush what they took: {0}")]
    Flush(String),
}

impl InvocationError {
    /// The error as Lambda reports it: `{"errorType": ..., "errorMessage": ...}`.
    pub fn diagnostic(&self) -> lambda_runtime::Diagnostic {
        let error_type = match self {
            InvocationError::Event(_) => "tributary.EventError",
            InvocationError::NotDelivered { .. } => "tributary.NotDelivered",
            InvocationError::AggregatesNotDelivered { .. } => "tributary.AggregatesNotDelivered",
            InvocationError::NoWindow { .. } => "tributary.NoWindow",
            InvocationError::Flush(_) => "tributary.FlushError",
        };
        lambda_runtime::Diagnostic {
            error_type: error_type.to_owned(),
            error_message: self.to_string(),
        }
    }
}

impl Handler {
    /// A handler for a started pipeline.
    pub fn new(pipeline: Pipeline) -> Self {
        Handler {
            pipeline,
            decoder: EventDecoder::new(),
        }
    }

    /// The pipeline's name.
    pub fn pipeline_name(&self) -> &str {
        self.pipeline.name()
    }

    /// Handles one event (its JSON text, as the runtime API delivers it).
    /// With a `deadline`, work stops the pipeline's margin before it, and
    /// what is left is reported as failed.
    pub async fn handle(
        &mut self,
        event: impl AsRef<[u8]>,
        deadline: Option<SystemTime>,
    ) -> Result<Invocation, InvocationError> {
        let started = Instant::now();
        let event = event.as_ref();
        // std's check, which says where the text goes wrong, only once
        // simdutf8's found it does.
        let event = simdutf8::basic::from_utf8(event)
            .or_else(|_| std::str::from_utf8(event))
            .map_err(|error| EventError::WrongShape {
                expected: self.pipeline.source().kind(),
                reason: format!("it is not UTF-8 text ({error})"),
            })?;
        let left = deadline.map(|deadline| {
            let left = deadline
                .duration_since(SystemTime::now())
                .unwrap_or_default();
            tracing::debug!(
                left_ms = left.as_millis() as u64,
                "time left before the deadline"
            );
            left
        });
        let stop_at =
            left.map(|left| started + left.saturating_sub(self.pipeline.deadline_margin()));
        let hard_deadline = left.map(|left| started + left);
        let decoded = self.decoder.decode(self.pipeline.source(), event)?;
        if decoded.window.is_none() && self.pipeline.needs_window() {
            return Err(InvocationError::NoWindow {
                configured: self.pipeline.source().tumbling_window_secs(),
            });
        }
        let span = Span {
            shard: decoded.records.first().map(|r| r.origin.shard.to_string()),
            first_sequence: decoded.records.first().map(|r| r.origin.sequence.clone()),
            last_sequence: decoded.records.last().map(|r| r.origin.sequence.clone()),
        };
        let context = BatchContext {
            window: decoded.window,
            deadline: stop_at,
        };
        let mut outcome = self.pipeline.run_with(decoded.records, context).await;
        let flushed = match hard_deadline {
            Some(at) => tokio::time::timeout_at(at.into(), self.pipeline.flush())
                .await
                .unwrap_or_else(|_| Err("the sinks did not flush before the deadline".into())),
            None => self.pipeline.flush().await,
        };
        flushed.map_err(|error| InvocationError::Flush(error.to_string()))?;
        match outcome.whole_failure(self.pipeline.source().kind()) {
            Some(WholeFailure::AggregatesNotDelivered { count }) => {
                return Err(InvocationError::AggregatesNotDelivered { count });
            }
            Some(WholeFailure::EventNotDelivered) => {
                return Err(InvocationError::NotDelivered {
                    event_id: span.first_sequence.unwrap_or_default(),
                });
            }
            None => {}
        }
        let totals = outcome.totals();
        let response = match self.pipeline.source() {
            SourceConfig::Eventbridge(_) => Response::Event(()),
            SourceConfig::Kinesis(_) | SourceConfig::DynamodbStreams(_) => {
                Response::Stream(StreamResponse {
                    state: outcome.window.map(|window| window.state),
                    batch_item_failures: outcome
                        .failed
                        .iter()
                        .map(|origin| BatchItemFailure {
                            item_identifier: origin.sequence.clone(),
                        })
                        .collect(),
                })
            }
        };
        Ok(Invocation {
            response,
            totals,
            duration: started.elapsed(),
            metrics: std::mem::take(&mut outcome.metrics),
            span,
        })
    }
}
