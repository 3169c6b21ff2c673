//! Running the `tributary` binary from tests.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository's root folder: the commands run there, and the examples,
/// fixtures and the test OpenSearch node are there.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("cli/ is in the repository")
        .to_path_buf()
}

/// A `tributary` command, run from the repository's root.
pub fn tributary() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tributary"));
    command
        .current_dir(root())
        .env_remove("TRIBUTARY_OUT")
        .env("NO_COLOR", "1");
    command
}

/// Whether a command whose reader went away ended as a Unix tool does: done,
/// or ended by SIGPIPE (never a panic on the closed pipe).
pub fn stopped_quietly(status: std::process::ExitStatus) -> bool {
    const SIGPIPE: i32 = 13;
    status.success() || std::os::unix::process::ExitStatusExt::signal(&status) == Some(SIGPIPE)
}

/// Runs a command and returns its output, with stdout and stderr as text.
pub fn run(command: &mut Command) -> (Output, String, String) {
    let output = command.output().expect("the tributary binary runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output, stdout, stderr)
}

/// The `name   N` lines of a replay's summary (`delivered      2974`), by
/// name.
pub fn summary_counts(summary: &str) -> HashMap<String, u64> {
    summary
        .lines()
        .filter_map(|line| {
            let line = line.trim();
            let split = line.find(|c: char| c.is_ascii_digit())?;
            let name = line[..split].trim().to_owned();
            let number = line[split..].split_whitespace().next()?.parse().ok()?;
            Some((name, number))
        })
        .collect()
}

/// Every file with the given extension in a folder, sorted.
pub fn files_in(dir: &Path, extension: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == extension))
        .collect();
    files.sort();
    files
}

/// Generates a clickstream recording with examples/clickstream/generate.py
/// (`extra` are more of its flags) into `dir`; gives its path.
pub fn generate_recording(
    dir: &Path,
    records: u32,
    shards: u32,
    seed: u32,
    extra: &[&str],
) -> PathBuf {
    let recording = dir.join(format!("clickstream-{records}.jsonl"));
    let status = Command::new("python3")
        .arg(root().join("examples/clickstream/generate.py"))
        .args([
            "--records",
            &records.to_string(),
            "--shards",
            &shards.to_string(),
            "--seed",
            &seed.to_string(),
        ])
        .args(extra)
        .arg("--out")
        .arg(&recording)
        .status()
        .expect("python3 runs");
    assert!(status.success(), "generate.py failed");
    recording
}

// Shared with the runtime's integration tests (tests/integration/).
#[path = "../../../../tests/integration/support/events.rs"]
pub mod events;
pub mod fault_proxy;
#[path = "../../../../tests/integration/support/handler.rs"]
pub mod handler;
pub mod moto;
pub mod opensearch;
#[path = "../../../../tests/integration/support/processors.rs"]
pub mod processors;
