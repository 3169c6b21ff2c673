//! When to try again: exponential backoff with full jitter, bounded by the
//! number of attempts and by the invocation's deadline.

use std::time::{Duration, Instant};

/// The retry policy of one sink.
#[derive(Debug, Clone)]
pub(super) struct Backoff {
    pub(super) max_attempts: u32,
    pub(super) initial: Duration,
    pub(super) max: Duration,
    /// A small generator for the jitter (xorshift): no need for a crate.
    seed: u64,
}

impl Backoff {
    pub(super) fn new(max_attempts: u32, initial: Duration, max: Duration, seed: u64) -> Self {
        Backoff {
            max_attempts,
            initial,
            max,
            seed: seed | 1,
        }
    }

    /// How long to wait before attempt `attempt + 1` (after `attempt`
    /// failed), or `None` when the attempts are used up or the wait would
    /// end past `deadline`: full jitter, a random wait between zero and
    /// `initial * 2^(attempt-1)`, capped at `max`.
    pub(super) fn next_wait(
        &mut self,
        attempt: u32,
        deadline: Option<Instant>,
    ) -> Option<Duration> {
        if attempt >= self.max_attempts {
            return None;
        }
        let ceiling = self
            .initial
            .saturating_mul(1u32 << (attempt - 1).min(20))
            .min(self.max);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_grow_to_the_cap_and_stop_at_the_attempts_or_the_deadline() {
        let mut backoff = Backoff::new(
            6,
            Duration::from_millis(100),
            Duration::from_millis(1000),
            42,
        );
        for attempt in 1..6 {
            let ceiling = Duration::from_millis((100u64 << (attempt - 1)).min(1000));
            let wait = backoff.next_wait(attempt, None).unwrap();
            assert!(wait <= ceiling, "attempt {attempt}: {wait:?}");
        }
        assert_eq!(backoff.next_wait(6, None), None);
        let soon = Instant::now() + Duration::from_millis(1);
        let mut slow = Backoff::new(6, Duration::from_secs(10), Duration::from_secs(10), 7);
        // Jitter can pick almost nothing; with a 10 s ceiling it very rarely does.
        let stopped = (0..20)
            .filter(|_| slow.next_wait(1, Some(soon)).is_none())
            .count();
        assert!(stopped >= 19, "{stopped}");
    }
}
