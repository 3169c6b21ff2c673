//! `OpensearchSink`: records into operations, operations into rounds and
//! requests, requests through the layers; each failed operation back to its
//! record.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

use tributary_core::{
    BoxFuture, Delivery, DeliveryFailure, Record, SharedError, Sink, SinkError, SinkStats,
};

use super::OpensearchSinkConfig;
use super::bulk::{self, BulkRequest};
use super::encoder::BulkEncoder;
use super::error::OpensearchError;
use super::retry::OpensearchRetryLogic;
use super::service::OpensearchService;
use crate::sinks::layers::{ItemFailure, LazyStack, Service as _};

/// The OpenSearch sink.
pub struct OpensearchSink {
    config: OpensearchSinkConfig,
    encoder: BulkEncoder,
    /// The connection in its layers, made on first use (and again after a
    /// failed attempt to connect).
    stack: LazyStack<OpensearchService, OpensearchRetryLogic>,
}

impl OpensearchSinkConfig {
    /// The sink; it connects on first use.
    pub fn build(&self) -> Result<OpensearchSink, OpensearchError> {
        Ok(OpensearchSink {
            config: self.clone(),
            encoder: self.encoder()?,
            stack: LazyStack::new(self.request_config(), OpensearchRetryLogic),
        })
    }
}

impl Sink for OpensearchSink {
    fn deliver<'a>(
        &'a mut self,
        records: &'a mut [Record],
        deadline: Option<Instant>,
    ) -> BoxFuture<'a, Delivery> {
        Box::pin(async move {
            let (operations, mut failures) = self.encoder.operations(records);
            if operations.is_empty() {
                return Delivery { failures };
            }
            let config = &self.config;
            let stack = match self
                .stack
                .connected(|| OpensearchService::connect(config))
                .await
            {
                Ok(stack) => stack,
                Err(error) => {
                    tracing::warn!(%error, "cannot connect to OpenSearch");
                    let error: SharedError = Arc::new(error);
                    failures.extend(operations.iter().map(|op| DeliveryFailure {
                        index: op.record,
                        error: SinkError::Connect(error.clone()),
                    }));
                    return Delivery { failures };
                }
            };
            // Documents with a change that failed for now: their later
            // changes are not sent, but fail with it and are retried after it.
            let mut behind: HashSet<&str> = HashSet::new();
            for round in bulk::rounds(&operations) {
                let (waiting, ready): (Vec<usize>, Vec<usize>) =
                    round.into_iter().partition(|position| {
                        operations[*position]
                            .id
                            .as_deref()
                            .is_some_and(|id| behind.contains(id))
                    });
                failures.extend(waiting.iter().map(|position| DeliveryFailure {
                    index: operations[*position].record,
                    error: SinkError::EarlierChangeFailed,
                }));
                let requests: Vec<BulkRequest<'_>> = bulk::requests(
                    &operations,
                    &ready,
                    self.config.max_documents,
                    self.config.max_bytes,
                )
                .into_iter()
                .map(|positions| BulkRequest {
                    operations: &operations,
                    positions,
                })
                .collect();
                // The concurrency layer lets `max_in_flight` of them go at once.
                let answers = futures_util::future::join_all(
                    requests.iter().map(|request| stack.call(request, deadline)),
                )
                .await;
                for (request, failed) in requests.iter().zip(answers) {
                    for ItemFailure { item, error } in failed {
                        let operation = &operations[request.positions[item]];
                        if error.is_transient()
                            && let Some(id) = operation.id.as_deref()
                        {
                            behind.insert(id);
                        }
                        failures.push(DeliveryFailure {
                            index: operation.record,
                            error,
                        });
                    }
                }
            }
            Delivery { failures }
        })
    }

    fn take_stats(&mut self) -> SinkStats {
        self.stack.take_stats()
    }
}
