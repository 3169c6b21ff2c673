//! What the runtime's integration tests share; `events`, `handler` and
//! `processors` are the command line's tests' too
//! (cli/tests/integration/support/).

use std::path::PathBuf;

/// The repository's root folder.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub mod events;
pub mod handler;
pub mod lambda;
pub mod processors;
