//! `tributary replay PIPELINE --recording FILE`

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use tributary_connectors::recording::RecordingReader;
use tributary_processors::Registry;

use super::{EXIT_FAILED, EXIT_INVALID};
use tributary::Plan;
use tributary::replay::{ReplayOptions, replay};

pub(super) fn run(
    pipeline: &Path,
    recording: &Path,
    options: &ReplayOptions,
    registry: &Registry,
) -> ExitCode {
    let plan = match super::load_plan(pipeline, registry) {
        Ok(plan) => plan,
        Err(status) => return status,
    };
    let reader = match RecordingReader::open(recording) {
        Ok(reader) => reader,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(EXIT_INVALID);
        }
    };
    match run_replay(plan, reader, recording, options) {
        // The summary comes first, whatever happened: it accounts for every
        // line read.
        Ok(report) => {
            eprintln!("{report}");
            match &report.stopped {
                Some(stopped) => {
                    eprintln!("error: {stopped}");
                    ExitCode::from(EXIT_FAILED)
                }
                None => ExitCode::SUCCESS,
            }
        }
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(EXIT_FAILED)
        }
    }
}

fn run_replay(
    plan: Plan,
    reader: RecordingReader,
    recording: &Path,
    options: &ReplayOptions,
) -> anyhow::Result<tributary::replay::ReplayReport> {
    let total_bytes = std::fs::metadata(recording).ok().map(|m| m.len());
    let mut pipeline = plan.start()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    Ok(runtime.block_on(replay(&mut pipeline, reader, total_bytes, options)))
}

/// `tributary replay --recording FILE --to-kinesis STREAM`: puts the
/// recording's records into a Kinesis stream.
pub(super) fn to_kinesis(
    recording: &Path,
    stream: &str,
    rate: u32,
    endpoint: tributary_connectors::sources::Endpoint,
) -> ExitCode {
    // A stream cannot take back what was put: every line is checked first,
    // and a recording with a bad line puts nothing.
    if let Err(status) = check_every_line(recording, stream) {
        return status;
    }
    let reader = match RecordingReader::open(recording) {
        Ok(reader) => reader,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(EXIT_INVALID);
        }
    };
    let mut bad = None;
    let records = reader.map_while(|record| record.map_err(|e| bad = Some(e)).ok());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime starts");
    let put = runtime.block_on(tributary_connectors::sources::kinesis::put_records(
        &endpoint,
        stream,
        records,
        rate,
        &mut |_| {},
    ));
    if let Some(error) = bad {
        eprintln!("error: {error}");
        return ExitCode::from(EXIT_INVALID);
    }
    match put {
        Ok(count) => {
            eprintln!("put {count} records into {stream}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(EXIT_FAILED)
        }
    }
}

/// Reads the whole recording; prints each line that is not a record (the
/// first 20, then how many) and fails when there is one.
fn check_every_line(recording: &Path, stream: &str) -> Result<(), ExitCode> {
    let reader = match RecordingReader::open(recording) {
        Ok(reader) => reader,
        Err(error) => {
            eprintln!("error: {error}");
            return Err(ExitCode::from(EXIT_INVALID));
        }
    };
    let mut bad = 0;
    for error in reader.filter_map(Result::err) {
        bad += 1;
        if bad <= 20 {
            eprintln!("error: {error}");
        }
    }
    if bad == 0 {
        return Ok(());
    }
    eprintln!(
        "error: {bad} line(s) of `{}` are not records; nothing was put into {stream}: fix or remove them and put again",
        recording.display()
    );
    Err(ExitCode::from(EXIT_INVALID))
}
