//! `Retry`: sends again the items of a request that were refused for now,
//! after exponential backoff with full jitter, bounded by the number of
//! attempts and by the delivery's deadline.
//!
//! What counts as refused for now is not this layer's business: a sink's
//! [`RetryLogic`] reads each answer into one [`Outcome`] per item.
//!
//! The layer also counts what it sends, for the sink's metrics
//! ([`Retry::take_stats`]): every attempt, its bytes, the items sent again
//! and the items refused as throttled.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tributary_core::{BoxFuture, SinkError, SinkStats};

use super::{Items, Layer, Service};

/// What became of one item of a request, as a sink's [`RetryLogic`] reads
/// the answer.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Stored.
    Delivered,
    /// Refused for now: send it again, if attempts and time are left.
    Retry(SinkError),
    /// Refused for now because the destination is throttling or out of
    /// capacity (429, 402, 503 `SlowDown`): sent again as [`Outcome::Retry`],
    /// and counted as throttled.
    Throttled(SinkError),
    /// Failed for good: never sent again.
    Failed(SinkError),
}

/// Reads a service's answers: what became of each item.
pub trait RetryLogic<R, A>: Send + Sync {
    /// One outcome per item of `request`, in order, from `answer`.
    fn outcomes(&self, request: &R, answer: A) -> Vec<Outcome>;
}

/// An item of a request that was not delivered.
#[derive(Debug)]
pub struct ItemFailure {
    /// The item's position in the request given to the stack.
    pub item: usize,
    /// Why: its rejection, or its last refusal once the layer gave up.
    pub error: SinkError,
}

/// The retry policy: exponential backoff with full jitter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backoff {
    max_attempts: u32,
    initial: Duration,
    max: Duration,
}

impl Backoff {
    /// At most `max_attempts` attempts; the wait before the next is random
    /// between zero and `initial * 2^(attempt-1)`, capped at `max`.
    pub fn new(max_attempts: u32, initial: Duration, max: Duration) -> Self {
        Backoff {
            max_attempts,
            initial,
            max,
        }
    }

    /// The waits of one request, whose jitter starts from `seed`.
    fn waits(&self, seed: u64) -> Waits<'_> {
        Waits {
            policy: self,
            seed: seed | 1,
        }
    }
}

/// The waits between the attempts of one request.
struct Waits<'a> {
    policy: &'a Backoff,
    /// A small generator for the jitter (xorshift): no need for a crate.
    seed: u64,
}

impl Waits<'_> {
    /// How long to wait before attempt `attempt + 1` (after `attempt`
    /// failed), or `None` when the attempts are used up or the wait would
    /// end past `deadline`.
    fn next(&mut self, attempt: u32, deadline: Option<Instant>) -> Option<Duration> {
        let policy = self.policy;
        if attempt >= policy.max_attempts {
            return None;
        }
        let ceiling = policy
            .initial
            .saturating_mul(1u32 << (attempt - 1).min(20))
            .min(policy.max);
        let wait = ceiling.mul_f64(self.random());
        match deadline {
            Some(deadline) if Instant::now() + wait >= deadline => None,
            _ => Some(wait),
        }
    }

    /// A number in [0, 1).
    fn random(&mut self) -> f64 {
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 7;
        self.seed ^= self.seed << 17;
        (self.seed >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Wraps a service in [`Retry`].
#[derive(Debug, Clone)]
pub struct RetryLayer<L> {
    backoff: Backoff,
    logic: L,
}

impl<L> RetryLayer<L> {
    /// Retries by `backoff` what `logic` says was refused for now.
    pub fn new(backoff: Backoff, logic: L) -> Self {
        RetryLayer { backoff, logic }
    }
}

impl<S, L: Clone> Layer<S> for RetryLayer<L> {
    type Service = Retry<S, L>;

    fn layer(&self, inner: S) -> Retry<S, L> {
        Retry {
            inner,
            backoff: self.backoff.clone(),
            logic: self.logic.clone(),
            requests: AtomicU64::new(0),
            counts: Counts::default(),
        }
    }
}

/// Sends a request until each item is delivered, failed for good, or out of
/// attempts or time; gives the items not delivered.
#[derive(Debug)]
pub struct Retry<S, L> {
    inner: S,
    backoff: Backoff,
    logic: L,
    /// Numbers requests, so concurrent ones draw different jitter.
    requests: AtomicU64,
    /// What was sent since the sink last asked.
    counts: Counts,
}

/// What a [`Retry`] sent, counted as concurrent requests go.
#[derive(Debug, Default)]
struct Counts {
    bytes: AtomicU64,
    attempts: AtomicU64,
    retries: AtomicU64,
    throttled: AtomicU64,
}

impl Counts {
    fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    fn take(counter: &AtomicU64) -> u64 {
        counter.swap(0, Ordering::Relaxed)
    }
}

impl<S, L> Retry<S, L> {
    /// The wrapped service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// What was sent since the last call: attempts, their bytes, the items
    /// sent again and those refused as throttled.
    pub fn take_stats(&self) -> SinkStats {
        let counts = &self.counts;
        SinkStats {
            bytes: Counts::take(&counts.bytes),
            requests: Counts::take(&counts.attempts),
            retries: Counts::take(&counts.retries),
            throttled: Counts::take(&counts.throttled),
        }
    }

    fn seed(&self) -> u64 {
        let n = self.requests.fetch_add(1, Ordering::Relaxed);
        n.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ std::process::id() as u64 ^ clock_seed()
    }
}

impl<R, S, L> Service<R> for Retry<S, L>
where
    R: Items,
    S: Service<R>,
    L: RetryLogic<R, S::Response>,
{
    type Response = Vec<ItemFailure>;

    fn call<'a>(
        &'a self,
        request: &'a R,
        deadline: Option<Instant>,
    ) -> BoxFuture<'a, Vec<ItemFailure>> {
        Box::pin(async move {
            let mut waits = self.backoff.waits(self.seed());
            let mut failures = Vec::new();
            // The request as sent again, and its items' positions in `request`.
            let mut narrowed: Option<R> = None;
            let mut items: Vec<usize> = (0..request.len()).collect();
            let mut attempt = 1;
            loop {
                let sent = narrowed.as_ref().unwrap_or(request);
                Counts::add(&self.counts.attempts, 1);
                Counts::add(&self.counts.bytes, sent.bytes());
                let answer = self.inner.call(sent, deadline).await;
                let outcomes = self.logic.outcomes(sent, answer);
                debug_assert_eq!(outcomes.len(), items.len(), "one outcome an item");
                let mut outcomes = outcomes.into_iter();
                let mut again = Vec::new();
                let mut refusals = Vec::new();
                for (position, item) in items.iter().enumerate() {
                    // An item the logic forgot is not taken for delivered.
                    let outcome = outcomes.next().unwrap_or_else(no_outcome);
                    match outcome {
                        Outcome::Delivered => {}
                        Outcome::Failed(error) => failures.push(ItemFailure { item: *item, error }),
                        Outcome::Retry(error) => {
                            again.push(position);
                            refusals.push(error);
                        }
                        Outcome::Throttled(error) => {
                            Counts::add(&self.counts.throttled, 1);
                            again.push(position);
                            refusals.push(error);
                        }
                    }
                }
                if again.is_empty() {
                    return failures;
                }
                match waits.next(attempt, deadline) {
                    Some(wait) => {
                        Counts::add(&self.counts.retries, again.len() as u64);
                        let reason = refusals.last().expect("an item is sent again");
                        tracing::debug!(attempt, items = again.len(), ?wait, %reason, "retrying items");
                        let next = sent.only(&again);
                        items = again.iter().map(|position| items[*position]).collect();
                        narrowed = Some(next);
                        tokio::time::sleep(wait).await;
                        attempt += 1;
                    }
                    None => {
                        failures.extend(again.iter().zip(refusals).map(|(position, last)| {
                            ItemFailure {
                                item: items[*position],
                                error: SinkError::GaveUp {
                                    last: Box::new(last),
                                    attempts: attempt,
                                },
                            }
                        }));
                        return failures;
                    }
                }
            }
        })
    }
}

/// The outcome of an item its request's answer said nothing of: a
/// [`RetryLogic`] gives one outcome an item, so this is a bug in it.
fn no_outcome() -> Outcome {
    let error: tributary_core::BoxError = "the sink did not read what became of this item".into();
    Outcome::Retry(SinkError::NoAnswer(error.into()))
}

fn clock_seed() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::super::testing::Names;
    use super::*;

    #[test]
    fn waits_grow_to_the_cap_and_stop_at_the_attempts_or_the_deadline() {
        let backoff = Backoff::new(6, Duration::from_millis(100), Duration::from_millis(1000));
        let mut waits = backoff.waits(42);
        for attempt in 1..6 {
            let ceiling = Duration::from_millis((100u64 << (attempt - 1)).min(1000));
            let wait = waits.next(attempt, None).unwrap();
            assert!(wait <= ceiling, "attempt {attempt}: {wait:?}");
        }
        assert_eq!(waits.next(6, None), None);
        let soon = Instant::now() + Duration::from_millis(1);
        let slow = Backoff::new(6, Duration::from_secs(10), Duration::from_secs(10));
        let mut slow = slow.waits(7);
        // Jitter can pick almost nothing; with a 10 s ceiling it very rarely does.
        let stopped = (0..20)
            .filter(|_| slow.next(1, Some(soon)).is_none())
            .count();
        assert!(stopped >= 19, "{stopped}");
    }

    /// Answers each request with the outcomes its script gives each name at
    /// each attempt, and keeps what it was sent.
    struct Scripted {
        script: fn(&str, usize) -> Outcome,
        sent: Mutex<Vec<Names>>,
    }

    impl Service<Names> for Scripted {
        type Response = Vec<Outcome>;

        fn call<'a>(
            &'a self,
            request: &'a Names,
            _: Option<Instant>,
        ) -> BoxFuture<'a, Vec<Outcome>> {
            let mut sent = self.sent.lock().unwrap();
            let attempt = sent.len();
            sent.push(request.clone());
            let outcomes = request
                .0
                .iter()
                .map(|n| (self.script)(n, attempt))
                .collect();
            Box::pin(async move { outcomes })
        }
    }

    #[derive(Clone)]
    struct AsAnswered;

    impl RetryLogic<Names, Vec<Outcome>> for AsAnswered {
        fn outcomes(&self, _: &Names, answer: Vec<Outcome>) -> Vec<Outcome> {
            answer
        }
    }

    fn retry(max_attempts: u32, script: fn(&str, usize) -> Outcome) -> Retry<Scripted, AsAnswered> {
        let backoff = Backoff::new(
            max_attempts,
            Duration::from_millis(100),
            Duration::from_secs(5),
        );
        RetryLayer::new(backoff, AsAnswered).layer(Scripted {
            script,
            sent: Mutex::new(Vec::new()),
        })
    }

    fn busy() -> Outcome {
        Outcome::Retry(SinkError::RefusedForNow(
            "OpenSearch answered 429 (busy: x)".into(),
        ))
    }

    #[tokio::test(start_paused = true)]
    async fn sends_again_only_the_items_refused_for_now_until_they_go_through() {
        let retry = retry(6, |name, attempt| match (name, attempt) {
            ("b" | "d", 0) | ("d", 1) => busy(),
            ("c", _) => Outcome::Failed(SinkError::Rejected("mapping".into())),
            _ => Outcome::Delivered,
        });
        let failures = retry.call(&Names(vec!["a", "b", "c", "d"]), None).await;
        let failed: Vec<(usize, String)> = failures
            .iter()
            .map(|f| (f.item, f.error.to_string()))
            .collect();
        assert_eq!(failed, [(2, "mapping".to_owned())]);
        assert!(!failures[0].error.is_transient());
        assert_eq!(
            *retry.get_ref().sent.lock().unwrap(),
            [
                Names(vec!["a", "b", "c", "d"]),
                Names(vec!["b", "d"]),
                Names(vec!["d"])
            ]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn counts_attempts_their_bytes_items_sent_again_and_throttled_items() {
        let retry = retry(3, |name, attempt| match (name, attempt) {
            ("bb", 0) => Outcome::Throttled(SinkError::RefusedForNow("429".into())),
            ("ccc", 0 | 1) => busy(),
            _ => Outcome::Delivered,
        });
        let failures = retry.call(&Names(vec!["a", "bb", "ccc"]), None).await;
        assert!(failures.is_empty(), "{failures:?}");
        // Sent: a bb ccc (6 bytes), then bb ccc (5), then ccc (3).
        let expected = SinkStats {
            bytes: 14,
            requests: 3,
            retries: 3,
            throttled: 1,
        };
        assert_eq!(retry.take_stats(), expected);
        assert_eq!(retry.take_stats(), SinkStats::default(), "taken");
    }

    #[tokio::test(start_paused = true)]
    async fn gives_up_after_the_attempts_with_each_items_last_refusal() {
        let retry = retry(3, |name, _| match name {
            "a" => Outcome::Delivered,
            _ => busy(),
        });
        let started = tokio::time::Instant::now();
        let failures = retry.call(&Names(vec!["a", "b", "c"]), None).await;
        let failed: Vec<(usize, String)> = failures
            .iter()
            .map(|f| (f.item, f.error.to_string()))
            .collect();
        let gave_up = "OpenSearch answered 429 (busy: x) (gave up after 3 attempt(s))";
        assert_eq!(failed, [(1, gave_up.to_owned()), (2, gave_up.to_owned())]);
        assert!(failures.iter().all(|f| f.error.is_transient()));
        assert_eq!(retry.get_ref().sent.lock().unwrap().len(), 3);
        // Two waits, of at most 100 ms and 200 ms.
        assert!(started.elapsed() <= Duration::from_millis(300));
    }

    #[tokio::test(start_paused = true)]
    async fn stops_before_a_wait_would_end_past_the_deadline() {
        let retry = retry(100, |_, _| busy());
        let deadline = Instant::now() + Duration::from_millis(1);
        let retry = Retry {
            backoff: Backoff::new(100, Duration::from_secs(10), Duration::from_secs(10)),
            ..retry
        };
        let failures = retry.call(&Names(vec!["a"]), Some(deadline)).await;
        let sent = retry.get_ref().sent.lock().unwrap().len();
        assert!(sent <= 2, "{sent} attempts");
        assert_eq!(
            failures[0].error.to_string(),
            format!("OpenSearch answered 429 (busy: x) (gave up after {sent} attempt(s))")
        );
    }
}
