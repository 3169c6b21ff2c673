//! `tributary replay PIPELINE --recording FILE`

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use serde_json::{Value, json};
use tributary::replay::{ReplayOptions, ReplayReport, replay};
use tributary_connectors::recording::{RecordingReader, check_source};
use tributary_processors::Registry;

use super::summary::{self, Destinations};
use super::{EXIT_FAILED, EXIT_INVALID};

/// Replays a recording through a pipeline; prints the summary on standard
/// error, or with `json` as one JSON document on standard output.
pub(super) fn run(
    pipeline: &Path,
    recording: &Path,
    options: &ReplayOptions,
    json: bool,
    registry: &Registry,
) -> ExitCode {
    let plan = match super::load_plan(pipeline, registry) {
        Ok(plan) => plan,
        Err(status) => return status,
    };
    let open = || {
        RecordingReader::open(recording).map_err(|error| {
            eprintln!("error: {error}");
            ExitCode::from(EXIT_INVALID)
        })
    };
    // Nothing is sent until the whole recording is known to be of the
    // pipeline's source.
    let checked = open().and_then(|reader| {
        check_source(reader, plan.source().kind()).map_err(|mismatch| {
            eprintln!(
                "error: cannot replay through `{}`: {mismatch}",
                pipeline.display()
            );
            ExitCode::from(EXIT_INVALID)
        })
    });
    let reader = match checked.and_then(|()| open()) {
        Ok(reader) => reader,
        Err(status) => return status,
    };
    let destinations = Destinations::of(&plan);
    let pipeline = match plan.start() {
        Ok(pipeline) => pipeline,
        Err(error) => {
            // Nothing ran: a sink's file or client could not be made.
            eprintln!("error: {error:#}");
            return ExitCode::from(EXIT_INVALID);
        }
    };
    match run_replay(pipeline, reader, recording, options) {
        // The summary comes first, whatever happened: it accounts for every
        // line read.
        Ok(report) => {
            if json {
                println!("{}", summary_json(&report, recording, &destinations));
            } else {
                eprintln!("{report}");
                eprint!("{}", destinations.text(&report.deliveries));
            }
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

/// The summary of a replay as JSON (docs/replay.md#summaries).
fn summary_json(report: &ReplayReport, recording: &Path, destinations: &Destinations) -> Value {
    let mut summary = summary::report_json("replay", report, destinations);
    summary.insert(
        "recording".to_owned(),
        json!(recording.display().to_string()),
    );
    summary.insert("lines".to_owned(), json!(report.lines));
    summary.insert(
        "unreadable_lines".to_owned(),
        json!(report.unreadable_lines),
    );
    Value::Object(summary)
}

fn run_replay(
    mut pipeline: tributary::Pipeline,
    reader: RecordingReader,
    recording: &Path,
    options: &ReplayOptions,
) -> anyhow::Result<tributary::replay::ReplayReport> {
    let total_bytes = std::fs::metadata(recording).ok().map(|m| m.len());
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
    let runtime = match super::async_runtime() {
        Ok(runtime) => runtime,
        Err(status) => return status,
    };
    if let Err(status) = super::check_aws(&runtime, &endpoint) {
        return status;
    }
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
