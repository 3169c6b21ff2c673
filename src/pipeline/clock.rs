//! The time of day a pipeline measures latency against: the system's clock
//! in Lambda and replays, a fixed instant in tests.

use std::time::{SystemTime, UNIX_EPOCH};

/// Where a pipeline reads the time of day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Clock {
    /// The system's clock.
    #[default]
    System,
    /// Always this instant, in milliseconds since the Unix epoch.
    Fixed(i64),
}

impl Clock {
    /// Now, in milliseconds since the Unix epoch.
    pub fn now_ms(self) -> i64 {
        match self {
            Clock::System => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |since| since.as_millis() as i64),
            Clock::Fixed(ms) => ms,
        }
    }
}
