//! `tributary remap`: tries a remap program on events, without a pipeline,
//! as `vector vrl` does.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use tributary_core::{InputIndex, Origin, Payload, Record, SourceKind};
use tributary_processors::remap::{Remap, RemapProgram, Remapped};

use super::{EXIT_FAILED, EXIT_INVALID, now_ms};

/// Where the program comes from.
pub(super) enum ProgramText {
    /// A file.
    File(PathBuf),
    /// The text itself.
    Inline(String),
}

/// Compiles the program and runs it on each event: `event` is JSON text or
/// a file of JSON lines; standard input (JSON lines) when absent. Prints
/// each result as a JSON line; exit 1 when the program does not compile (or
/// the events cannot be opened), 2 when an event failed or could not be
/// read, else 0.
pub(super) fn run(program: ProgramText, event: Option<&str>) -> ExitCode {
    let source = match &program {
        ProgramText::Inline(text) => text.clone(),
        ProgramText::File(path) => match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(error) => {
                eprintln!(
                    "error: cannot read the program `{}`: {error}",
                    path.display()
                );
                return ExitCode::from(EXIT_INVALID);
            }
        },
    };
    let program = match RemapProgram::compile(&source) {
        Ok(program) => program,
        Err(error) => {
            eprint!("{error}");
            return ExitCode::from(EXIT_INVALID);
        }
    };
    let (name, events) = match events(event) {
        Ok(events) => events,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(EXIT_INVALID);
        }
    };
    let mut remap = Remap::new(Arc::new(program));
    let mut out = io::BufWriter::new(io::stdout().lock());
    let mut failed = 0u64;
    for (index, line) in events.lines().enumerate() {
        let number = index + 1;
        let line = match line {
            Ok(line) if line.trim().is_empty() => continue,
            Ok(line) => line,
            Err(error) => {
                eprintln!("error: {name}:{number}: {error}");
                return ExitCode::from(EXIT_FAILED);
            }
        };
        let record = Record::new(
            origin(number),
            Payload::from_bytes(line),
            InputIndex(index as u32),
        );
        let results = match remap.run(&record) {
            Remapped::One(payload) => vec![payload],
            Remapped::Many(payloads) => payloads,
            Remapped::Aborted => {
                eprintln!("{name}:{number}: aborted: the record would be dropped");
                continue;
            }
            Remapped::Failed(message) => {
                failed += 1;
                eprintln!("error: {name}:{number}: {message}");
                continue;
            }
        };
        for payload in results {
            if out.write_all(&payload.to_bytes()).is_err() || out.write_all(b"\n").is_err() {
                // The reader went away (`| head`): stop quietly.
                return ExitCode::SUCCESS;
            }
        }
    }
    let _ = out.flush();
    if failed > 0 {
        ExitCode::from(EXIT_FAILED)
    } else {
        ExitCode::SUCCESS
    }
}

/// The events to run on, and the name they are shown with.
fn events(event: Option<&str>) -> Result<(String, Box<dyn BufRead>), String> {
    match event {
        None => Ok(("standard input".to_owned(), Box::new(io::stdin().lock()))),
        Some(path) if Path::new(path).is_file() => File::open(path)
            .map(|file| {
                (
                    path.to_owned(),
                    Box::new(BufReader::new(file)) as Box<dyn BufRead>,
                )
            })
            .map_err(|error| format!("cannot read `{path}`: {error}")),
        Some(text) => {
            // One event, perhaps written over several lines: on one line.
            let event: serde_json::Value = serde_json::from_str(text)
                .map_err(|error| format!("--event is neither a file nor JSON text: {error}"))?;
            Ok((
                "--event".to_owned(),
                Box::new(io::Cursor::new(event.to_string())),
            ))
        }
    }
}

/// The origin events are given: shard `shardId-000000000000` of a Kinesis
/// stream named `remap`, the event's line as its sequence number, and now
/// as its arrival.
fn origin(number: usize) -> Arc<Origin> {
    let mut origin = Origin::new(
        SourceKind::Kinesis,
        "arn:aws:kinesis:us-east-1:000000000000:stream/remap",
        "shardId-000000000000",
        number.to_string(),
    );
    origin.arrival_ms = now_ms();
    Arc::new(origin)
}
