//! `Concurrency`: at most so many requests in flight at once; the others
//! wait their turn, first come first served.

use std::time::Instant;

use tokio::sync::Semaphore;
use tributary_core::BoxFuture;

use super::{Layer, Service};

/// Wraps a service in [`Concurrency`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConcurrencyLayer {
    max_in_flight: usize,
}

impl ConcurrencyLayer {
    /// At most `max_in_flight` requests at once (at least one).
    pub fn new(max_in_flight: usize) -> Self {
        ConcurrencyLayer {
            max_in_flight: max_in_flight.max(1),
        }
    }
}

impl<S> Layer<S> for ConcurrencyLayer {
    type Service = Concurrency<S>;

    fn layer(&self, inner: S) -> Concurrency<S> {
        Concurrency {
            inner,
            slots: Semaphore::new(self.max_in_flight),
        }
    }
}

/// Holds each request until one of its slots is free, and keeps the slot
/// until the request's answer (retries and their waits included, when it
/// wraps the retry layer).
#[derive(Debug)]
pub struct Concurrency<S> {
    inner: S,
    slots: Semaphore,
}

impl<S> Concurrency<S> {
    /// The wrapped service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }
}

impl<R: Sync, S: Service<R>> Service<R> for Concurrency<S> {
    type Response = S::Response;

    fn call<'a>(&'a self, request: &'a R, deadline: Option<Instant>) -> BoxFuture<'a, S::Response> {
        Box::pin(async move {
            let _slot = self
                .slots
                .acquire()
                .await
                .expect("the semaphore is never closed");
            self.inner.call(request, deadline).await
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    /// Takes a while to answer, and counts the requests in flight.
    #[derive(Default)]
    struct Slow {
        in_flight: AtomicUsize,
        most: AtomicUsize,
        order: std::sync::Mutex<Vec<u32>>,
    }

    impl Service<u32> for Slow {
        type Response = u32;

        fn call<'a>(&'a self, request: &'a u32, _: Option<Instant>) -> BoxFuture<'a, u32> {
            Box::pin(async move {
                self.order.lock().unwrap().push(*request);
                let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                self.most.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(100)).await;
                self.in_flight.fetch_sub(1, Ordering::SeqCst);
                *request * 10
            })
        }
    }

    #[tokio::test(start_paused = true)]
    async fn at_most_so_many_requests_are_in_flight_taken_in_order() {
        let limited = ConcurrencyLayer::new(3).layer(Slow::default());
        let requests: Vec<u32> = (0..10).collect();
        let answers =
            futures_util::future::join_all(requests.iter().map(|r| limited.call(r, None))).await;
        assert_eq!(answers, (0..10).map(|r| r * 10).collect::<Vec<_>>());
        let slow = limited.get_ref();
        assert_eq!(slow.most.load(Ordering::SeqCst), 3);
        assert_eq!(*slow.order.lock().unwrap(), requests);
    }

    #[tokio::test(start_paused = true)]
    async fn zero_means_one() {
        let limited = ConcurrencyLayer::new(0).layer(Slow::default());
        let requests = [1, 2];
        futures_util::future::join_all(requests.iter().map(|r| limited.call(r, None))).await;
        assert_eq!(limited.get_ref().most.load(Ordering::SeqCst), 1);
    }
}
