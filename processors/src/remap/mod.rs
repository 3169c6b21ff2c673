//! `type = "remap"`: transforms each record with a program in VRL, Vector's
//! Remap Language.
//!
//! The program runs on the record's payload as `.`, and reads where the
//! record came from as `%` metadata ([`metadata`]), which it cannot change.
//! It is compiled once, when the pipeline loads: a program that does not
//! compile is an error at its own line in the pipeline file (or in its
//! `.vrl` file), and VRL's rule that every fallible call is handled holds.
//!
//! What becomes of each record ([`program::Remapped`]): the program's `.`
//! replaces the payload; an array gives one record per element, each from
//! the same input record; `abort` drops the record on purpose; a run-time
//! error fails it under the pipeline's `on_error`, with VRL's message.
//!
//! Payloads go to VRL values and back without a JSON tree between
//! ([`bridge`]). The standard library is built without the functions that
//! reach the network, the environment or the host (see the workspace's
//! `vrl` features); this module is only built with the crate's `remap`
//! feature.

pub mod bridge;
mod metadata;
mod program;

pub use program::{CompileError, Problem, RemapProgram, Remapped};
pub use vrl::compiler::runtime::Runtime;
pub use vrl::value::Value;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use schemars::JsonSchema;
use serde::Deserialize;
use tributary_config::SourceFile;
use tributary_core::{Batch, BoxError, Processor, Record};

use crate::{BuildContext, BuildError, ProcessorConfig};

/// Transforms each record with a VRL program: inline in `source`, or in a
/// `file` beside the pipeline.
///
/// ```toml
/// [[processors]]
/// type = "remap"
/// source = '''
/// . = parse_json!(.message)
/// if .path == "/health" { abort }
/// .shard = %shard
/// '''
/// ```
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RemapConfig {
    /// The program, in VRL. Give `source` or `file`, not both.
    #[serde(default)]
    pub source: Option<String>,
    /// A file holding the program, relative to the pipeline file's folder.
    /// `tributary package` puts it in the function's zip.
    #[serde(default)]
    pub file: Option<PathBuf>,
}

impl RemapConfig {
    /// The file the program is read from, if it is in one: `tributary
    /// package` ships it beside the pipeline.
    pub fn program_file(&self) -> Option<&Path> {
        self.file.as_deref()
    }
}

impl ProcessorConfig for RemapConfig {
    const TYPE: &'static str = "remap";

    fn build(self, context: &BuildContext) -> Result<Box<dyn Processor>, BuildError> {
        let program = match (self.source, self.file) {
            (Some(source), None) => RemapProgram::compile(&source).map_err(|error| {
                let (message, hint, offset) = describe(&error);
                BuildError::at("source", message).hint(hint).inside(offset)
            })?,
            (None, Some(file)) => compile_file(&context.directory.join(&file), &file)?,
            (Some(_), Some(_)) => {
                return Err(BuildError::at("file", "give `source` or `file`, not both")
                    .hint("keep the program in one place"));
            }
            (None, None) => {
                return Err(
                    BuildError::at("", "a remap needs a program: `source` or `file`")
                        .hint("such as source = '''\n. = parse_json!(.message)\n'''"),
                );
            }
        };
        Ok(Box::new(Remap::new(Arc::new(program))))
    }
}

/// Reads and compiles a program file; its errors are placed in it.
fn compile_file(path: &Path, written: &Path) -> Result<RemapProgram, BuildError> {
    let text = std::fs::read_to_string(path).map_err(|error| {
        BuildError::at(
            "file",
            format!("cannot read the program `{}`: {error}", path.display()),
        )
        .hint(format!(
            "`file` is read from the pipeline file's folder; `{}` should be there",
            written.display()
        ))
    })?;
    RemapProgram::compile(&text).map_err(|error| {
        let (message, hint, offset) = describe(&error);
        let file = SourceFile::plain(path.display().to_string(), text);
        let end = (offset + 1).min(file.text().len()).max(offset);
        BuildError::in_file(
            tributary_config::Diagnostic::new(message)
                .at(&file, offset..end)
                .hint(hint),
        )
    })
}

/// The message, hint and offset of a compile error's first problem.
fn describe(error: &CompileError) -> (String, String, usize) {
    let Some(first) = error.first() else {
        return (
            "the remap program does not compile".into(),
            error.report.clone(),
            0,
        );
    };
    let code = first
        .code
        .as_deref()
        .map(|c| format!(" ({c})"))
        .unwrap_or_default();
    let more = match error.problems.len() - 1 {
        0 => String::new(),
        n => format!(", and {n} more problem(s): `tributary remap` shows them all"),
    };
    let message = format!("remap program: {}{code}{more}", first.message);
    (message, first.detail.clone(), first.offset)
}

/// The remap processor: a compiled program and the runtime that holds its
/// variables while it runs.
pub struct Remap {
    program: Arc<RemapProgram>,
    runtime: Runtime,
}

impl Remap {
    /// A processor running `program`.
    pub fn new(program: Arc<RemapProgram>) -> Self {
        Remap {
            program,
            runtime: Runtime::default(),
        }
    }

    /// Runs the program on one record's payload.
    pub fn run(&mut self, record: &Record) -> Remapped {
        self.program
            .run(&mut self.runtime, &record.payload, &record.origin)
    }
}

impl Processor for Remap {
    fn process(&mut self, batch: &mut Batch) -> Result<(), BoxError> {
        for mut record in batch.take_records() {
            match self.run(&record) {
                Remapped::One(payload) => {
                    record.payload = payload;
                    batch.push(record);
                }
                Remapped::Many(payloads) => {
                    if payloads.is_empty() {
                        batch.count_dropped(1);
                    }
                    for output in outputs(&record, payloads) {
                        batch.push(output);
                    }
                }
                Remapped::Aborted => {
                    tracing::debug!(record = %record.origin, reason = "remap", "dropped: the program aborted");
                    batch.count_dropped(1);
                }
                Remapped::Failed(message) => batch.fail(record, message.into()),
            }
        }
        Ok(())
    }
}

/// The records an input gives when the program sets `.` to an array. Each
/// keeps the input's origin; a document id `ID` becomes `ID:0`, `ID:1`, ...
/// so that the outputs do not overwrite one another.
fn outputs(input: &Record, payloads: Vec<tributary_core::Payload>) -> Vec<Record> {
    let single = payloads.len() == 1;
    payloads
        .into_iter()
        .enumerate()
        .map(|(index, payload)| Record {
            origin: input.origin.clone(),
            payload,
            input: input.input,
            document_id: match &input.document_id {
                Some(id) if !single => Some(Arc::from(format!("{id}:{index}"))),
                id => id.clone(),
            },
        })
        .collect()
}

#[cfg(test)]
mod tests;
