//! The layers a network sink wraps its one-request step in: retry with
//! backoff, rate limits, in-flight concurrency and a timeout, in the spirit
//! of tower's `Layer`.
//!
//! A sink writes one [`Service`]: it sends one request and gives the answer,
//! knowing nothing of retries, limits or time. [`stack`] wraps it in every
//! layer from one [`RequestConfig`], so each network sink gets the same
//! behaviour from the same settings; [`LazyStack`] does so when the service
//! first connects. The sink then hands its requests to the
//! stack and reads, for each, which of its items failed.
//!
//! Requests are made of items ([`Items`]: the operations of a bulk request,
//! or the one object of a put) that the destination may answer one by one.
//! The retry layer sends again only the items its [`RetryLogic`] says were
//! refused for now, so a request that was mostly stored is not stored twice.
//!
//! The order, from the sink inwards:
//!
//! 1. [`Concurrency`]: at most `max_in_flight` requests between here and
//!    their final answer, retries and their waits included.
//! 2. [`Retry`]: sends again what was refused for now, after a backoff, until
//!    the attempts or the deadline run out.
//! 3. [`RateLimit`]: each attempt waits for the requests-a-second and
//!    items-a-second limits. It sits inside the retry layer (tower and vector
//!    put it outside) because the limits promise a bound on what is sent,
//!    and an attempt sent again is sent.
//! 4. [`Timeout`]: each attempt gets its own time.
//!
//! The crate has no tower dependency: these four traits and layers are a
//! few dozen lines, while tower's `Service` (readiness, `&mut self`) adds
//! nothing a sink needs.

mod concurrency;
mod lazy;
mod rate_limit;
mod retry;
mod timeout;

use std::time::{Duration, Instant};

use tributary_core::BoxFuture;

pub use concurrency::{Concurrency, ConcurrencyLayer};
pub use lazy::LazyStack;
pub use rate_limit::{RateLimit, RateLimitLayer};
pub use retry::{Backoff, ItemFailure, Outcome, Retry, RetryLayer, RetryLogic};
pub use timeout::{Elapsed, Timeout, TimeoutLayer};

/// One step that sends a request and gives its answer: `async fn(&Request,
/// deadline) -> Response`.
///
/// `deadline` is when the whole delivery must be over; a layer that waits
/// (the retry layer's backoff) stops in time for it. The request is lent,
/// not given, so the retry layer can read it again to send part of it.
pub trait Service<R: Sync>: Send + Sync {
    /// What a call gives back.
    type Response: Send;

    /// Sends `request`.
    fn call<'a>(
        &'a self,
        request: &'a R,
        deadline: Option<Instant>,
    ) -> BoxFuture<'a, Self::Response>;
}

/// Wraps a service in another that adds one behaviour.
pub trait Layer<S> {
    /// The wrapped service.
    type Service;

    /// Wraps `inner`.
    fn layer(&self, inner: S) -> Self::Service;
}

/// A request made of items the destination answers one by one.
pub trait Items: Send + Sync + Sized {
    /// How many items it holds.
    fn len(&self) -> usize;

    /// Whether it holds none.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The same request with only the items at `keep`, ascending positions
    /// among this request's items.
    fn only(&self, keep: &[usize]) -> Self;

    /// How many bytes sending it takes (its body), for the sink's metrics.
    fn bytes(&self) -> u64;
}

/// How a network sink sends requests: the settings every layer reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestConfig {
    /// How many times an item is sent at most (at least 1).
    pub max_attempts: u32,
    /// The first backoff ceiling; it doubles each attempt.
    pub initial_backoff: Duration,
    /// The largest backoff ceiling.
    pub max_backoff: Duration,
    /// How long one attempt may take.
    pub timeout: Duration,
    /// At most this many requests (attempts) a second; `None` is no limit.
    pub requests_per_second: Option<u32>,
    /// At most this many items a second; `None` is no limit.
    pub items_per_second: Option<u32>,
    /// The most items one request holds: the items limit lets a whole
    /// request through at once.
    pub max_items_per_request: usize,
    /// How many requests may be in flight at once (at least 1).
    pub max_in_flight: usize,
}

/// The whole stack around a sink's service `S`, whose answers `L` reads.
pub type Stack<S, L> = Concurrency<Retry<RateLimit<Timeout<S>>, L>>;

/// Wraps `service` in every layer, configured by `config`, with `logic`
/// deciding what is sent again. Its calls give the items that failed.
pub fn stack<S, L: Clone>(config: &RequestConfig, logic: L, service: S) -> Stack<S, L> {
    let service = TimeoutLayer::new(config.timeout).layer(service);
    let service = RateLimitLayer::new(
        config.requests_per_second,
        config.items_per_second,
        config.max_items_per_request,
    )
    .layer(service);
    let service = RetryLayer::new(
        Backoff::new(
            config.max_attempts,
            config.initial_backoff,
            config.max_backoff,
        ),
        logic,
    )
    .layer(service);
    ConcurrencyLayer::new(config.max_in_flight).layer(service)
}

#[cfg(test)]
pub(crate) mod testing {
    //! A request of numbered items, for the layers' tests.

    use super::Items;

    /// Items by name; `only` keeps those asked for.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub(crate) struct Names(pub(crate) Vec<&'static str>);

    impl Items for Names {
        fn len(&self) -> usize {
            self.0.len()
        }

        fn only(&self, keep: &[usize]) -> Self {
            Names(keep.iter().map(|k| self.0[*k]).collect())
        }

        fn bytes(&self) -> u64 {
            self.0.iter().map(|name| name.len() as u64).sum()
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use tributary_core::SinkError;

    use super::testing::Names;
    use super::*;

    /// Refuses `b` for now the first time, rejects `c`, stores the rest.
    struct Flaky {
        seen: Mutex<Vec<Names>>,
    }

    impl Service<Names> for Flaky {
        type Response = Result<Vec<Outcome>, Elapsed>;

        fn call<'a>(
            &'a self,
            request: &'a Names,
            _: Option<Instant>,
        ) -> BoxFuture<'a, Self::Response> {
            let first = self.seen.lock().unwrap().is_empty();
            self.seen.lock().unwrap().push(request.clone());
            let outcomes = request
                .0
                .iter()
                .map(|name| match *name {
                    "b" if first => Outcome::Retry(SinkError::RefusedForNow("busy".into())),
                    "c" => Outcome::Failed(SinkError::Rejected("bad".into())),
                    _ => Outcome::Delivered,
                })
                .collect();
            Box::pin(async move { Ok(outcomes) })
        }
    }

    #[derive(Clone)]
    struct Answers;

    impl RetryLogic<Names, Result<Vec<Outcome>, Elapsed>> for Answers {
        fn outcomes(&self, request: &Names, answer: Result<Vec<Outcome>, Elapsed>) -> Vec<Outcome> {
            match answer {
                Ok(outcomes) => outcomes,
                Err(elapsed) => {
                    let error = SinkError::NoAnswer(std::sync::Arc::new(elapsed));
                    vec![Outcome::Retry(error); request.len()]
                }
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_stack_sends_again_only_what_was_refused_for_now() {
        let config = RequestConfig {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(1),
            timeout: Duration::from_secs(1),
            requests_per_second: None,
            items_per_second: None,
            max_items_per_request: 10,
            max_in_flight: 2,
        };
        let stack = stack(
            &config,
            Answers,
            Flaky {
                seen: Mutex::new(Vec::new()),
            },
        );
        let failures = stack.call(&Names(vec!["a", "b", "c"]), None).await;
        assert_eq!(failures.len(), 1);
        assert_eq!(failures[0].item, 2);
        assert_eq!(failures[0].error.to_string(), "bad");
        let service = stack.get_ref().get_ref().get_ref().get_ref();
        assert_eq!(
            *service.seen.lock().unwrap(),
            [Names(vec!["a", "b", "c"]), Names(vec!["b"])]
        );
    }
}
