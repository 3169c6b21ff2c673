//! `type = "throttle"`: at most so many records a second.

use std::num::NonZeroU32;

use governor::clock::{Clock, DefaultClock};
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::HashMapStateStore;
use governor::{Quota, RateLimiter};
use schemars::JsonSchema;
use serde::Deserialize;
use tributary_core::{Batch, BoxError, Processor};

use crate::key::{KeyFields, KeyReader};
use crate::{BuildContext, BuildError, ProcessorConfig};

/// Lets at most `records_per_second` records through (with bursts up to
/// `burst`), overall or per key, and drops the rest (counted as dropped).
/// The limit holds per Lambda instance: with several concurrent instances
/// (one per shard, or more with a parallelization factor), each has its own.
///
/// ```toml
/// [[processors]]
/// type = "throttle"
/// records_per_second = 100
/// key = "user_id"
/// ```
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ThrottleConfig {
    /// The sustained rate, per key when there is a key. No default.
    pub records_per_second: u32,
    /// How many records may pass at once after a quiet spell. Default: the
    /// rate.
    #[serde(default)]
    pub burst: Option<u32>,
    /// The field or fields whose values get a limit each. Records with none
    /// of them share one limit. Default: one limit for all.
    #[serde(default)]
    pub key: Option<KeyFields>,
}

/// A limit per key (the key's encoded values; empty for the shared limit).
type KeyedLimiter<C> =
    RateLimiter<Vec<u8>, HashMapStateStore<Vec<u8>>, C, NoOpMiddleware<<C as Clock>::Instant>>;

/// A throttle on a clock of its choice (tests use a fake one).
pub(crate) struct Throttle<C: Clock> {
    limiter: KeyedLimiter<C>,
    key: Option<KeyReader>,
}

impl ProcessorConfig for ThrottleConfig {
    const TYPE: &'static str = "throttle";

    fn build(self, _: &BuildContext) -> Result<Box<dyn Processor>, BuildError> {
        Ok(Box::new(self.throttle(DefaultClock::default())?))
    }
}

impl ThrottleConfig {
    pub(crate) fn throttle<C: Clock>(self, clock: C) -> Result<Throttle<C>, BuildError> {
        let rate = NonZeroU32::new(self.records_per_second).ok_or_else(|| {
            BuildError::at(
                "records_per_second",
                "`records_per_second` must be at least 1",
            )
        })?;
        let burst = match self.burst {
            None => rate,
            Some(burst) => NonZeroU32::new(burst)
                .ok_or_else(|| BuildError::at("burst", "`burst` must be at least 1"))?,
        };
        Ok(Throttle {
            limiter: RateLimiter::hashmap_with_clock(
                Quota::per_second(rate).allow_burst(burst),
                clock,
            ),
            key: self.key.as_ref().map(KeyReader::new),
        })
    }
}

impl<C: Clock + Send> Processor for Throttle<C> {
    fn process(&mut self, batch: &mut Batch) -> Result<(), BoxError> {
        let mut dropped = 0;
        for mut record in batch.take_records() {
            let key = match self.key.as_mut().map(|key| key.read(&mut record)) {
                Some(Err(error)) => {
                    batch.fail(record, error);
                    continue;
                }
                Some(Ok(Some(key))) => key.to_vec(),
                Some(Ok(None)) | None => Vec::new(),
            };
            if self.limiter.check_key(&key).is_ok() {
                batch.push(record);
            } else {
                dropped += 1;
            }
        }
        batch.count_dropped(dropped);
        // Forget keys whose limit has fully recovered, so memory stays bounded.
        self.limiter.retain_recent();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use governor::clock::FakeRelativeClock;

    use super::*;
    use crate::test_support::{batch, payloads};

    fn throttle(options: &str, clock: &FakeRelativeClock) -> Throttle<FakeRelativeClock> {
        let config: ThrottleConfig = toml::from_str(options).unwrap();
        config.throttle(clock.clone()).unwrap()
    }

    #[test]
    fn lets_through_the_rate_and_drops_the_rest() {
        let clock = FakeRelativeClock::default();
        let mut throttle = throttle("records_per_second = 10", &clock);
        let inputs = vec![r#"{"u":"a"}"#; 25];
        let mut first = batch(&inputs);
        throttle.process(&mut first).unwrap();
        assert_eq!((first.len(), first.dropped()), (10, 15));
        clock.advance(Duration::from_millis(500));
        let mut second = batch(&inputs);
        throttle.process(&mut second).unwrap();
        assert_eq!(second.len(), 5, "half a second refills half the burst");
    }

    #[test]
    fn each_key_has_its_own_limit() {
        let clock = FakeRelativeClock::default();
        let mut throttle = throttle("records_per_second = 2\nkey = \"u\"", &clock);
        let mut records = batch(&[
            r#"{"u":"a"}"#,
            r#"{"u":"a"}"#,
            r#"{"u":"a"}"#,
            r#"{"u":"b"}"#,
            r#"{"u":"b"}"#,
            r#"{"x":1}"#,
        ]);
        throttle.process(&mut records).unwrap();
        let users: Vec<_> = payloads(&records).iter().map(|p| p["u"].clone()).collect();
        assert_eq!(users.len(), 5);
        assert_eq!(records.dropped(), 1);
    }
}
