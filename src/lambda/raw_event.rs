//! The invocation's bytes for the handler, so the event is read once.
//!
//! `lambda_runtime` deserializes each invocation's body into the handler's
//! payload type before the handler runs. For tributary that is a scan of up
//! to 6 MB that finds nothing the handler uses, since the handler decodes
//! the event itself. [`RawEventLayer`] sits outside the runtime's own
//! services: it moves each invocation's body into [`RawEvents`], under its
//! request id, and hands on `null`, which the handler's `LambdaEvent<()>`
//! reads at no cost. Everything else is `lambda_runtime::run`'s: the
//! context, the tracing span, errors as diagnostics, panics caught.

use std::cell::RefCell;
use std::rc::Rc;
use std::task::{Context, Poll};

use bytes::Bytes;
use lambda_runtime::LambdaInvocation;
use lambda_runtime::tower::{Layer, Service};

/// The body of the invocation in progress, taken by [`RawEventLayer`].
/// Lambda sends one invocation at a time, so there is one.
#[derive(Debug, Clone, Default)]
pub(super) struct RawEvents(Rc<RefCell<Option<(String, Bytes)>>>);

impl RawEvents {
    /// The body of the invocation `request_id`, once.
    pub(super) fn take(&self, request_id: &str) -> Option<Bytes> {
        let mut slot = self.0.borrow_mut();
        match slot.take() {
            Some((id, body)) if id == request_id => Some(body),
            other => {
                *slot = other;
                None
            }
        }
    }

    fn put(&self, request_id: String, body: Bytes) {
        *self.0.borrow_mut() = Some((request_id, body));
    }
}

/// Takes each invocation's body into [`RawEvents`] before the runtime
/// deserializes it.
#[derive(Debug, Clone)]
pub(super) struct RawEventLayer {
    events: RawEvents,
}

impl RawEventLayer {
    /// A layer that leaves the bodies in `events`.
    pub(super) fn new(events: RawEvents) -> Self {
        RawEventLayer { events }
    }
}

impl<S> Layer<S> for RawEventLayer {
    type Service = RawEvent<S>;

    fn layer(&self, inner: S) -> RawEvent<S> {
        RawEvent {
            inner,
            events: self.events.clone(),
        }
    }
}

/// The service [`RawEventLayer`] makes.
#[derive(Debug, Clone)]
pub(super) struct RawEvent<S> {
    inner: S,
    events: RawEvents,
}

/// What the runtime deserializes in place of the event: `()` reads it.
const PLACEHOLDER: &[u8] = b"null";

impl<S: Service<LambdaInvocation>> Service<LambdaInvocation> for RawEvent<S> {
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut invocation: LambdaInvocation) -> S::Future {
        let body = std::mem::replace(&mut invocation.body, Bytes::from_static(PLACEHOLDER));
        // What the runtime would log at this level, had it the event.
        tracing::trace!(
            body = %String::from_utf8_lossy(&body),
            "raw JSON event received from Lambda"
        );
        self.events.put(invocation.context.request_id.clone(), body);
        self.inner.call(invocation)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_is_taken_once_and_only_by_its_request() {
        let events = RawEvents::default();
        events.put("a".to_owned(), Bytes::from_static(b"{}"));
        assert_eq!(events.take("b"), None);
        assert_eq!(events.take("a").as_deref(), Some(&b"{}"[..]));
        assert_eq!(events.take("a"), None);
    }
}
