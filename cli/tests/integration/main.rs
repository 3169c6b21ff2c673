//! tributary's integration tests: the `tributary` binary run as a user runs
//! it. One test binary, with a module per command.

mod aggregate;
mod declared;
mod deploy;
mod handler;
mod hostile;
mod invoke;
mod kpl;
mod lambda_runtime;
mod opensearch;
mod pattern;
mod record;
mod replay;
mod schema;
mod support;
mod validate;
mod windows;
