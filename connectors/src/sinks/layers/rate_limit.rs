//! `RateLimit`: each request waits until it fits in a requests-a-second
//! and an items-a-second limit (governor's token buckets), per Lambda
//! instance.

use std::num::NonZeroU32;
use std::time::Instant;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use tributary_core::BoxFuture;

use super::{Items, Layer, Service};

/// Wraps a service in [`RateLimit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitLayer {
    requests_per_second: Option<u32>,
    items_per_second: Option<u32>,
    max_items_per_request: usize,
}

impl RateLimitLayer {
    /// At most `requests_per_second` requests and `items_per_second` items
    /// a second (`None` or 0: no limit); the items limit lets a request of
    /// `max_items_per_request` through at once.
    pub fn new(
        requests_per_second: Option<u32>,
        items_per_second: Option<u32>,
        max_items_per_request: usize,
    ) -> Self {
        RateLimitLayer {
            requests_per_second,
            items_per_second,
            max_items_per_request,
        }
    }
}

impl<S> Layer<S> for RateLimitLayer {
    type Service = RateLimit<S>;

    fn layer(&self, inner: S) -> RateLimit<S> {
        RateLimit {
            inner,
            requests: limiter(self.requests_per_second, 1),
            items: limiter(self.items_per_second, self.max_items_per_request),
        }
    }
}

/// A limiter of `rate` a second whose burst is at least `burst` (so the
/// largest request passes).
fn limiter(rate: Option<u32>, burst: usize) -> Option<DefaultDirectRateLimiter> {
    rate.and_then(NonZeroU32::new).map(|rate| {
        let burst = NonZeroU32::new(u32::try_from(burst).unwrap_or(u32::MAX).max(rate.get()))
            .unwrap_or(rate);
        RateLimiter::direct(Quota::per_second(rate).allow_burst(burst))
    })
}

/// Waits for the rate limits before each request.
#[derive(Debug)]
pub struct RateLimit<S> {
    inner: S,
    requests: Option<DefaultDirectRateLimiter>,
    items: Option<DefaultDirectRateLimiter>,
}

impl<S> RateLimit<S> {
    /// The wrapped service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }
}

impl<R: Items, S: Service<R>> Service<R> for RateLimit<S> {
    type Response = S::Response;

    fn call<'a>(&'a self, request: &'a R, deadline: Option<Instant>) -> BoxFuture<'a, S::Response> {
        Box::pin(async move {
            if let Some(limiter) = &self.requests {
                limiter.until_ready().await;
            }
            let items = u32::try_from(request.len()).unwrap_or(u32::MAX);
            if let (Some(limiter), Some(n)) = (&self.items, NonZeroU32::new(items)) {
                // The burst holds a whole request, so this always ends; a
                // request larger than the burst goes without waiting.
                let _ = limiter.until_n_ready(n).await;
            }
            self.inner.call(request, deadline).await
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::time::Duration;

    use super::super::testing::Names;
    use super::*;

    /// Notes when each request arrives.
    #[derive(Default)]
    struct Arrivals(Mutex<Vec<Instant>>);

    impl Service<Names> for Arrivals {
        type Response = ();

        fn call<'a>(&'a self, _: &'a Names, _: Option<Instant>) -> BoxFuture<'a, ()> {
            self.0.lock().unwrap().push(Instant::now());
            Box::pin(async {})
        }
    }

    fn names(n: usize) -> Names {
        Names(vec!["x"; n])
    }

    // governor waits on the real clock, so these tests do too; they assert
    // only that requests are held back (a lower bound), never how fast they
    // go.

    #[tokio::test]
    async fn holds_requests_to_their_rate() {
        let limited = RateLimitLayer::new(Some(20), None, 10).layer(Arrivals::default());
        let started = Instant::now();
        for _ in 0..23 {
            limited.call(&names(5), None).await;
        }
        // A second's worth goes at once, then one each 50 ms.
        assert!(started.elapsed() >= Duration::from_millis(140));
        assert_eq!(limited.get_ref().0.lock().unwrap().len(), 23);
    }

    #[tokio::test]
    async fn holds_items_to_their_rate_but_lets_a_whole_request_through() {
        let limited = RateLimitLayer::new(None, Some(100), 50).layer(Arrivals::default());
        let started = Instant::now();
        // A burst of 100 (the rate, more than a request), then 50 more items
        // take half a second.
        for _ in 0..3 {
            limited.call(&names(50), None).await;
        }
        assert!(started.elapsed() >= Duration::from_millis(450));
        // A request larger than any burst is not held forever.
        let small = RateLimitLayer::new(None, Some(1), 1).layer(Arrivals::default());
        small.call(&names(5), None).await;
    }

    #[tokio::test]
    async fn without_limits_nothing_waits() {
        let free = RateLimitLayer::new(None, Some(0), 10).layer(Arrivals::default());
        assert!(free.requests.is_none() && free.items.is_none());
        for _ in 0..100 {
            free.call(&names(10), None).await;
        }
        assert_eq!(free.get_ref().0.lock().unwrap().len(), 100);
    }
}
