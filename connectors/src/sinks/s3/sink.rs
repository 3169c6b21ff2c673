//! `S3Sink`: records into objects, each object through the layers as one
//! request; an object that is not stored fails each of its records.

use std::sync::Arc;
use std::time::Instant;

use tributary_core::{
    BoxFuture, Delivery, DeliveryFailure, Record, SharedError, Sink, SinkError, SinkStats,
};

use super::S3SinkConfig;
use super::encoder::{EncodedObject, ObjectEncoder};
use super::error::S3Error;
use super::request::PutRequest;
use super::retry::S3RetryLogic;
use super::service::S3Service;
use crate::sinks::SinkContext;
use crate::sinks::layers::{self, ItemFailure, LazyStack, Service as _};

/// The PutObject service in every layer.
type Stack = layers::Stack<S3Service, S3RetryLogic>;

/// The S3 sink.
pub struct S3Sink {
    config: S3SinkConfig,
    encoder: ObjectEncoder,
    /// The client in its layers, made on first use (and again after a
    /// failed attempt to make it).
    stack: LazyStack<S3Service, S3RetryLogic>,
}

impl S3SinkConfig {
    /// The sink, in the pipeline `context` tells of; it makes its client on
    /// first use.
    pub fn build(&self, context: &SinkContext<'_>) -> Result<S3Sink, S3Error> {
        Ok(S3Sink {
            config: self.clone(),
            encoder: self.encoder(context)?,
            stack: LazyStack::new(self.request_config(), S3RetryLogic),
        })
    }
}

impl Sink for S3Sink {
    fn deliver<'a>(
        &'a mut self,
        records: &'a mut [Record],
        deadline: Option<Instant>,
    ) -> BoxFuture<'a, Delivery> {
        Box::pin(async move {
            let (objects, mut failures) = self.encoder.encode(records);
            if !objects.is_empty() {
                let config = &self.config;
                match self.stack.connected(|| S3Service::connect(config)).await {
                    Ok(stack) => failures.extend(put_all(stack, &objects, deadline).await),
                    Err(error) => {
                        tracing::warn!(%error, "cannot make the S3 client");
                        let error: SharedError = Arc::new(error);
                        failures.extend(for_each_record(&objects, &SinkError::Connect(error)));
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

/// Puts every object, `max_in_flight` at once (the concurrency layer sees
/// to it); gives a failure for each record of the objects not stored.
async fn put_all(
    stack: &Stack,
    objects: &[EncodedObject],
    deadline: Option<Instant>,
) -> Vec<DeliveryFailure> {
    let answers = futures_util::future::join_all(objects.iter().map(|object| async move {
        let request = PutRequest { object };
        stack.call(&request, deadline).await
    }))
    .await;
    let mut failures = Vec::new();
    for (object, failed) in objects.iter().zip(answers) {
        // One item a request: its failure is the whole object's.
        for ItemFailure { error, .. } in failed {
            failures.extend(for_each_record(std::slice::from_ref(object), &error));
        }
    }
    failures
}

/// A failure with `error` for each record of `objects`.
fn for_each_record(objects: &[EncodedObject], error: &SinkError) -> Vec<DeliveryFailure> {
    objects
        .iter()
        .flat_map(|object| object.records.iter().copied())
        .map(|index| DeliveryFailure {
            index,
            error: error.clone(),
        })
        .collect()
}
