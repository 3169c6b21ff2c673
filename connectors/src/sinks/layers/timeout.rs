//! `Timeout`: each request gets so long to be answered; past that, it is
//! dropped (its connection with it) and answers [`Elapsed`].

use std::time::{Duration, Instant};

use tributary_core::BoxFuture;

use super::{Layer, Service};

/// A request got no answer in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("no answer within {} ms", .after.as_millis())]
pub struct Elapsed {
    /// How long it was given.
    pub after: Duration,
}

/// Wraps a service in [`Timeout`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeoutLayer {
    timeout: Duration,
}

impl TimeoutLayer {
    /// Gives each request `timeout`.
    pub fn new(timeout: Duration) -> Self {
        TimeoutLayer { timeout }
    }
}

impl<S> Layer<S> for TimeoutLayer {
    type Service = Timeout<S>;

    fn layer(&self, inner: S) -> Timeout<S> {
        Timeout {
            inner,
            timeout: self.timeout,
        }
    }
}

/// Gives each request of a service that answers `Result<T, E>` a time,
/// past which it answers `E::from(Elapsed)`.
#[derive(Debug)]
pub struct Timeout<S> {
    inner: S,
    timeout: Duration,
}

impl<S> Timeout<S> {
    /// The wrapped service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }
}

impl<R, S, T, E> Service<R> for Timeout<S>
where
    R: Sync,
    S: Service<R, Response = Result<T, E>>,
    T: Send,
    E: From<Elapsed> + Send,
{
    type Response = Result<T, E>;

    fn call<'a>(
        &'a self,
        request: &'a R,
        deadline: Option<Instant>,
    ) -> BoxFuture<'a, Result<T, E>> {
        Box::pin(async move {
            match tokio::time::timeout(self.timeout, self.inner.call(request, deadline)).await {
                Ok(answer) => answer,
                Err(_) => Err(E::from(Elapsed {
                    after: self.timeout,
                })),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Answers after the request's number of seconds.
    struct Sleepy;

    impl Service<u64> for Sleepy {
        type Response = Result<u64, Elapsed>;

        fn call<'a>(
            &'a self,
            request: &'a u64,
            _: Option<Instant>,
        ) -> BoxFuture<'a, Self::Response> {
            Box::pin(async move {
                tokio::time::sleep(Duration::from_secs(*request)).await;
                Ok(*request)
            })
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_answered_in_time_keeps_its_answer_and_a_late_one_is_cut() {
        let limited = TimeoutLayer::new(Duration::from_secs(5)).layer(Sleepy);
        assert_eq!(limited.call(&1, None).await, Ok(1));
        let started = tokio::time::Instant::now();
        let late = limited.call(&60, None).await.unwrap_err();
        let waited = started.elapsed();
        assert!(
            waited >= Duration::from_secs(5) && waited < Duration::from_secs(6),
            "cut at its time: {waited:?}"
        );
        assert_eq!(late.to_string(), "no answer within 5000 ms");
    }
}
