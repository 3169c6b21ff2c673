//! The command line's integration tests: the `tributary` binary run as a
//! user runs it, against real services where a command needs one. One test
//! binary, with a module per command. The runtime's own (the handler, and the
//! `bootstrap` under the Lambda runtime API) are the `tributary` package's,
//! in tests/integration/ at the repository's root.

mod aggregate;
mod backfill;
mod cloudwatch_logs;
mod declared;
mod deploy;
mod examples;
mod exit_status;
mod explain;
mod help;
mod hostile;
mod init;
mod invoke;
mod mirror;
mod opensearch;
mod pattern;
mod pipes;
mod readme;
mod record;
mod redrive;
mod remap;
mod replay;
mod s3;
mod schema;
mod source_checks;
mod summaries;
mod support;
mod validate;
