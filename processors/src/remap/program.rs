//! A VRL program, compiled once, and what running it on one payload gives.

use std::fmt;

use tributary_core::{Origin, Payload, PayloadError};
use vrl::compiler::runtime::{Runtime, Terminate};
use vrl::compiler::{CompileConfig, Program, TargetValue, TimeZone};
use vrl::diagnostic::{DiagnosticList, Formatter};
use vrl::path::OwnedTargetPath;
use vrl::value::{Secrets, Value};

use super::bridge;
use super::metadata::{Metadata, UnknownMetadata};

/// A compiled remap program: what it reads of the record's origin, and the
/// program itself. Compiled once, run on every record.
pub struct RemapProgram {
    program: Program,
    metadata: Metadata,
    /// UTC, the time zone programs run in, found once rather than by name
    /// on every record.
    timezone: TimeZone,
}

/// A program that does not compile: VRL's diagnostics, each at its byte
/// offset in the program text.
#[derive(Debug, Clone)]
pub struct CompileError {
    /// The problems, errors first.
    pub problems: Vec<Problem>,
    /// VRL's own report of every problem, with the program's lines, as
    /// `vector vrl` shows it (no colours).
    pub report: String,
}

/// One problem in a program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// VRL's message, such as `unhandled fallible assignment`.
    pub message: String,
    /// VRL's error code (`E103`), when it has one.
    pub code: Option<String>,
    /// The byte offset in the program where the problem is.
    pub offset: usize,
    /// What VRL says at that place, then its hints, in one line.
    pub detail: String,
}

impl fmt::Display for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.report)
    }
}

impl std::error::Error for CompileError {}

/// What became of one record.
#[derive(Debug)]
pub enum Remapped {
    /// The program set `.` to this payload.
    One(Payload),
    /// The program set `.` to an array: one payload each (none for an
    /// empty array).
    Many(Vec<Payload>),
    /// The program called `abort`; the record is dropped on purpose.
    Aborted,
    /// The program failed at run time (an error it did not handle, or a
    /// payload that is not JSON); the record fails with this message.
    Failed(String),
}

impl RemapProgram {
    /// Compiles `source` with VRL's standard library, as built (see the
    /// crate's `remap` feature): the origin (`%` metadata) is read-only.
    pub fn compile(source: &str) -> Result<Self, CompileError> {
        let functions = vrl::stdlib::all();
        let mut config = CompileConfig::default();
        config.set_read_only_path(OwnedTargetPath::metadata_root(), true);
        let state = vrl::compiler::TypeState::default();
        let compiled = vrl::compiler::compile_with_state(source, &functions, &state, config)
            .map_err(|diagnostics| CompileError::new(source, diagnostics))?;
        let program = compiled.program;
        let metadata = Metadata::read_by(program.info())
            .map_err(|unknown| CompileError::unknown_metadata(source, &unknown))?;
        Ok(RemapProgram {
            program,
            metadata,
            timezone: utc(),
        })
    }

    /// Runs the program on one payload from `origin`. `runtime` holds the
    /// program's variables; it is cleared after each run.
    pub fn run(&self, runtime: &mut Runtime, payload: &Payload, origin: &Origin) -> Remapped {
        let value = match bridge::to_vrl(payload) {
            Ok(value) => value,
            Err(error) => return Remapped::Failed(not_json(&error)),
        };
        let mut target = TargetValue {
            value,
            metadata: self.metadata.of(origin),
            secrets: Secrets::default(),
        };
        let resolved = runtime.resolve(&mut target, &self.program, &self.timezone);
        runtime.clear();
        match resolved {
            Ok(_) => match target.value {
                Value::Array(items) => {
                    Remapped::Many(items.iter().map(bridge::to_payload).collect())
                }
                value => Remapped::One(bridge::to_payload(&value)),
            },
            Err(Terminate::Abort(_)) => Remapped::Aborted,
            Err(Terminate::Error(error)) => Remapped::Failed(error.to_string()),
            Err(Terminate::Interrupted) => Remapped::Failed("the program was interrupted".into()),
        }
    }
}

/// Programs run in UTC, in Lambda and in replay alike, whatever the
/// machine's own time zone.
fn utc() -> TimeZone {
    TimeZone::parse("UTC").expect("VRL knows the UTC time zone")
}

fn not_json(error: &PayloadError) -> String {
    format!("remap reads JSON payloads: {error}")
}

impl CompileError {
    fn new(source: &str, diagnostics: DiagnosticList) -> Self {
        let report = Formatter::new(source, diagnostics.clone()).to_string();
        let mut problems: Vec<(bool, Problem)> = diagnostics
            .iter()
            .filter(|d| d.is_problem())
            .map(|d| {
                let primary = d.labels.iter().find(|l| l.primary).or(d.labels.first());
                // What VRL says at the place, then its other labels (they
                // hold the fix: "add a `!`"), then its notes.
                let labels = d.labels.iter().filter(|l| l.primary);
                let labels = labels.chain(d.labels.iter().filter(|l| !l.primary));
                let detail = labels
                    .map(|l| l.message.clone())
                    .chain(d.notes.iter().map(ToString::to_string))
                    .filter(|m| !m.is_empty())
                    .fold(String::new(), |mut detail, part| {
                        // "change this to ...:" runs on into its example.
                        if !detail.is_empty() {
                            detail.push_str(if detail.ends_with(':') { " " } else { "; " });
                        }
                        detail.push_str(&part);
                        detail
                    });
                let problem = Problem {
                    message: d.message.clone(),
                    code: (d.code > 0).then(|| format!("E{:03}", d.code)),
                    offset: primary.map_or(0, |l| l.span.start()),
                    detail,
                };
                (!d.is_error(), problem)
            })
            .collect();
        problems.sort_by_key(|(later, _)| *later);
        CompileError {
            problems: problems.into_iter().map(|(_, p)| p).collect(),
            report,
        }
    }

    fn unknown_metadata(source: &str, unknown: &UnknownMetadata) -> Self {
        let written = format!("%{}", unknown.name);
        let offset = source.find(&written).unwrap_or(0);
        let problem = Problem {
            message: format!("unknown origin field `{written}`"),
            code: None,
            offset,
            detail: format!("the origin fields are {}", unknown.known),
        };
        let report = format!(
            "error: {}\n  at byte {offset} of the program\n  = {}\n",
            problem.message, problem.detail
        );
        CompileError {
            problems: vec![problem],
            report,
        }
    }

    /// The first problem: the one to place in the pipeline file.
    pub fn first(&self) -> Option<&Problem> {
        self.problems.first()
    }
}
