//! A Lambda handler in process, on a pipeline written in a temporary folder:
//! what the handler tests, and the replay and OpenSearch tests that compare
//! with it, drive.

use std::path::PathBuf;
use std::time::SystemTime;

use serde_json::Value;
use tributary::Plan;
use tributary::lambda::{Handler, Invocation, InvocationError, Response};

use super::processors::registry;

/// A handler for a pipeline written in a temporary folder, with a jsonl sink
/// `out` and, with `dead-letter`, a jsonl dead-letter sink `dlq`.
pub struct Harness {
    dir: tempfile::TempDir,
    handler: Handler,
    runtime: tokio::runtime::Runtime,
}

impl Harness {
    pub fn new(pipeline: &str, source: &str, processors: &[&str]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let text = pipeline_toml(dir.path(), pipeline, source, processors);
        let plan = Plan::parse("test.toml", &text, &registry()).unwrap_or_else(|e| panic!("{e}"));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let handler = Handler::new(plan.start().unwrap());
        Harness {
            dir,
            handler,
            runtime,
        }
    }

    pub fn invoke(&mut self, event: &str) -> Result<Invocation, InvocationError> {
        self.invoke_by(event, None)
    }

    pub fn invoke_by(
        &mut self,
        event: &str,
        deadline: Option<SystemTime>,
    ) -> Result<Invocation, InvocationError> {
        let invocation = self
            .runtime
            .block_on(self.handler.handle(event, deadline))?;
        assert!(invocation.totals.balanced(), "{:?}", invocation.totals);
        Ok(invocation)
    }

    /// The lines the `out` sink wrote.
    pub fn out(&self) -> Vec<String> {
        lines(self.dir.path().join("out.jsonl"))
    }

    /// The dead letters, parsed.
    pub fn dead_letters(&self) -> Vec<Value> {
        lines(self.dir.path().join("dlq.jsonl"))
            .iter()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    }
}

/// A pipeline file: `[pipeline]` extra lines, the `[source]` lines, the
/// processors (each the body of a `[[processors]]` table), a jsonl sink
/// `out`, and a jsonl sink `dlq` when the pipeline dead-letters.
pub fn pipeline_toml(
    dir: &std::path::Path,
    pipeline: &str,
    source: &str,
    processors: &[&str],
) -> String {
    let mut text = format!("[pipeline]\nname = \"test\"\n{pipeline}\n[source]\n{source}\n");
    for processor in processors {
        text.push_str(&format!("[[processors]]\n{processor}\n"));
    }
    text.push_str(&format!(
        "[sinks.out]\ntype = \"jsonl\"\npath = \"{}\"\n",
        dir.join("out.jsonl").display()
    ));
    if pipeline.contains("dead_letter") {
        text.push_str(&format!(
            "[sinks.dlq]\ntype = \"jsonl\"\npath = \"{}\"\n",
            dir.join("dlq.jsonl").display()
        ));
    }
    text
}

fn lines(path: PathBuf) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// The `itemIdentifier`s of the response.
pub fn identifiers(invocation: &Invocation) -> Vec<String> {
    match &invocation.response {
        Response::Stream(response) => response
            .batch_item_failures
            .iter()
            .map(|failure| failure.item_identifier.clone())
            .collect(),
        Response::Event(()) => panic!("not a stream response"),
    }
}
