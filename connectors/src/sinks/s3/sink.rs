//! `S3Sink`: records into objects, each object through the layers as one
//! request; an object that is not stored fails each of its records.

use std::sync::Arc;
use std::time::Instant;

use tokio::sync::OnceCell;
use tributary_core::{BoxFuture, Delivery, DeliveryFailure, Record, SharedError, Sink, SinkError};

use super::S3SinkConfig;
use super::encoder::{EncodedObject, ObjectEncoder};
use super::error::S3Error;
use super::request::PutRequest;
use super::retry::S3RetryLogic;
use super::service::S3Service;
use crate::sinks::SinkContext;
use crate::sinks::layers::{self, ItemFailure, Service as _};

/// The PutObject service in every layer.
type Stack = layers::Stack<S3Service, S3RetryLogic>;

/// The S3 sink.
pub struct S3Sink {
    config: S3SinkConfig,
    encoder: ObjectEncoder,
    /// The client in its layers, made on first use (and again after a
    /// failed attempt to make it).
    stack: OnceCell<Stack>,
}

impl S3SinkConfig {
    /// The sink, in the pipeline `context` tells of; it makes its client on
    /// first use.
    pub fn build(&self, context: &SinkContext<'_>) -> Result<S3Sink, S3Error> {
        Ok(S3Sink {
            config: self.clone(),
            encoder: self.encoder(context)?,
            stack: OnceCell::new(),
        })
    }
}

/// The client in its layers, made now if it is not yet.
async fn connected<'s>(
    stack: &'s OnceCell<Stack>,
    config: &S3SinkConfig,
) -> Result<&'s Stack, S3Error> {
    stack
        .get_or_try_init(|| async {
            let service = S3Service::connect(config).await?;
            Ok(layers::stack(
                &config.request_config(),
                S3RetryLogic,
                service,
            ))
        })
        .await
}

impl Sink for S3Sink {
    fn deliver<'a>(
        &'a mut self,
        records: &'a mut [Record],
        deadline: Option<Instant>,
    ) -> BoxFuture<'a, Delivery> {
        Box::pin(async move {
            let (objects, mut failures) = self.encoder.encode(records);
            if objects.is_empty() {
                return Delivery { failures };
            }
            let stack = match connected(&self.stack, &self.config).await {
                Ok(stack) => stack,
                Err(error) => {
                    tracing::warn!(%error, "cannot make the S3 client");
                    let error: SharedError = Arc::new(error);
                    failures.extend(all_records(&objects, || SinkError::Connect(error.clone())));
                    return Delivery { failures };
                }
            };
            // The concurrency layer lets `max_in_flight` of them go at once.
            let answers = futures_util::future::join_all(objects.iter().map(|object| async move {
                let request = PutRequest { object };
                stack.call(&request, deadline).await
            }))
            .await;
            for (object, failed) in objects.iter().zip(answers) {
                // One item a request: a failure is the whole object's.
                for ItemFailure { error, .. } in failed {
                    failures.extend(object.records.iter().map(|index| DeliveryFailure {
                        index: *index,
                        error: error.clone(),
                    }));
                }
            }
            Delivery { failures }
        })
    }
}

/// A failure for each record of `objects`, with the error `error` makes.
fn all_records(
    objects: &[EncodedObject],
    mut error: impl FnMut() -> SinkError,
) -> Vec<DeliveryFailure> {
    objects
        .iter()
        .flat_map(|object| object.records.iter().copied())
        .map(|index| DeliveryFailure {
            index,
            error: error(),
        })
        .collect()
}
