//! Processors that exist only in tests, to inject drops, failures and delays
//! at chosen records, registered the way a user registers their own.

use std::time::Duration;

use schemars::JsonSchema;
use serde::Deserialize;
use tributary::core::{Batch, BoxError, Processor, Record, RecordProcessor, Verdict};
use tributary::processors::{BuildContext, BuildError, ProcessorConfig, Registry};

/// The built-in processors, and `marked` and `sleep`.
pub fn registry() -> Registry {
    let mut registry = Registry::builtin();
    registry.register::<MarkedConfig>();
    registry.register::<SleepConfig>();
    registry
}

/// `type = "marked"`: drops records whose payload holds `DROP`, fails those
/// that hold `FAIL`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkedConfig {}

struct Marked;

impl ProcessorConfig for MarkedConfig {
    const TYPE: &'static str = "marked";

    fn build(self, _: &BuildContext) -> Result<Box<dyn Processor>, BuildError> {
        Ok(Box::new(Marked))
    }
}

impl RecordProcessor for Marked {
    fn process_record(&mut self, record: &mut Record) -> Verdict {
        let raw = record.payload.raw().unwrap_or_default();
        if raw.windows(4).any(|w| w == b"DROP") {
            Verdict::Drop
        } else if raw.windows(4).any(|w| w == b"FAIL") {
            Verdict::Fail("the record is marked FAIL".into())
        } else {
            Verdict::Keep
        }
    }
}

/// `type = "sleep"`: waits `millis` for each batch, like a slow processor.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SleepConfig {
    millis: u64,
}

struct Sleep(Duration);

impl ProcessorConfig for SleepConfig {
    const TYPE: &'static str = "sleep";

    fn build(self, _: &BuildContext) -> Result<Box<dyn Processor>, BuildError> {
        Ok(Box::new(Sleep(Duration::from_millis(self.millis))))
    }
}

impl Processor for Sleep {
    fn process(&mut self, _: &mut Batch) -> Result<(), BoxError> {
        std::thread::sleep(self.0);
        Ok(())
    }
}
