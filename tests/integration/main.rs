//! The runtime's integration tests: the Lambda handler on real events, KPL
//! aggregates, tumbling windows, and the `bootstrap` binary against the Lambda
//! runtime API of `cargo lambda watch`. The command line's tests are in
//! cli/tests/integration/.

mod handler;
mod kpl;
mod lambda_runtime;
mod support;
mod windows;
