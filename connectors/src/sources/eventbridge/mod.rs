//! `type = "eventbridge"`: events from an EventBridge bus.
//!
//! - `config.rs`: [`EventbridgeSourceConfig`], the `[source]` table.
//! - `event.rs`: the event a rule invokes the function with, as one record.

mod config;
mod event;

pub use config::EventbridgeSourceConfig;
pub(super) use event::decode;
