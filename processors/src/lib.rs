//! tributary's processors, and the [`Registry`] that maps a pipeline's
//! `type = "..."` to one.
//!
//! A processor is two types, in one file named after its TOML `type`: a
//! config struct (what the user writes, deserialized with
//! `deny_unknown_fields`, each field documented, since those comments become
//! the reference in `tributary schema`) and the runtime struct it builds,
//! which holds compiled state rather than config. The config implements
//! [`ProcessorConfig`]; the runtime struct implements
//! [`Processor`](tributary_core::Processor) when it needs the whole batch, or
//! [`RecordProcessor`](tributary_core::RecordProcessor) when it decides one
//! record at a time.
//!
//! Adding a processor is one file and one line in [`Registry::builtin`]. A
//! user's own processor registers through the same [`Registry::register`]
//! and gets the same checked config and precise errors, and the condition
//! every processor takes, `when` ([`when`]).
#![warn(missing_docs)]

pub mod aggregate;
pub mod dedupe;
pub mod filter;
mod key;
mod origin_field;
pub mod project;
#[cfg(feature = "remap")]
pub mod remap;
pub mod sample;
pub mod throttle;
pub mod when;
#[cfg(not(feature = "remap"))]
mod without_remap;

mod registry;
#[cfg(test)]
mod test_support;

pub use key::KeyFields;
pub use registry::{BuildContext, BuildError, ProcessorConfig, Registration, Registry};
pub use tributary_core as core;
