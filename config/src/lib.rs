//! tributary's pipeline TOML: reading it, interpolating the environment into
//! it, and reporting what is wrong with it at `file:line:column`.
//!
//! A pipeline file has a `[pipeline]` table, one `[source]`, an optional
//! `[[processors]]` list, one or more `[sinks.NAME]` tables, and an optional
//! `[deploy]` table for `tributary package` and `tributary deploy`. This crate
//! knows the shape of the file but not the components: each source, processor
//! and sink is a [`Component`] with a `type` and its [`Options`], which the
//! crate that owns the component deserializes into its own config struct. That
//! keeps this crate free of the runtime, and lets a user's own processor get the
//! same precise errors as the built-in ones: [`Options::deserialize`] reports a
//! bad key or value at its line and column, with a hint.
//!
//! Errors are [`Diagnostic`]s: a message, the place, the offending text and a
//! hint, rendered like the Rust compiler's. A file keeps at most
//! [`ConfigError::MAX_DIAGNOSTICS`] of them and counts the rest, and a value
//! that came from a `${VAR}` is shown as `${VAR}`, so that an error never
//! prints a secret from the environment.
//!
//! The file is parsed once, and its lines found once: checking it costs time
//! in proportion to its size, however many tables or errors it has.
#![warn(missing_docs)]

mod component;
mod deploy;
mod diagnostic;
mod interpolate;
mod pipeline;
mod source_file;
mod string_place;

pub use component::{Component, Options};
pub use deploy::{AlarmSettings, Architecture, DeploySection, LAMBDA_VARIABLES, is_function_name};
pub use diagnostic::{ConfigError, Diagnostic, Location, did_you_mean};
pub use pipeline::{OnError, PipelineConfig, PipelineSection, Unrouted};
pub use source_file::SourceFile;
