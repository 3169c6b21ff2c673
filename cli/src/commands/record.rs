//! `tributary record --stream NAME_OR_ARN --out FILE` and
//! `tributary record --table NAME --out FILE`

use std::cell::RefCell;
use std::fs::File;
use std::io::{self, BufWriter, IsTerminal as _, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use tributary_connectors::recording::{Header, RecordingWriter};
use tributary_connectors::sources::dynamodb_streams::record_table;
use tributary_connectors::sources::kinesis::record_stream;
use tributary_connectors::sources::{Endpoint, Recorded, RecordingOutput, StartAt, StopWhen};
use tributary_core::SourceKind;

use super::{EXIT_FAILED, EXIT_INVALID, now_ms};

/// What to record, and how.
pub(super) struct RecordArgs<'a> {
    pub(super) stream: Option<&'a str>,
    pub(super) table: Option<&'a str>,
    pub(super) out: &'a Path,
    pub(super) endpoint: Endpoint,
    pub(super) start: StartAt,
    pub(super) stop: StopWhen,
}

pub(super) fn run(args: RecordArgs<'_>) -> ExitCode {
    let (source, name) = match (args.stream, args.table) {
        (Some(stream), None) => (SourceKind::Kinesis, stream),
        (None, Some(table)) => (SourceKind::DynamodbStreams, table),
        _ => {
            eprintln!(
                "error: give `--stream NAME_OR_ARN` for a Kinesis stream or `--table NAME` for a DynamoDB table's stream"
            );
            return ExitCode::from(EXIT_INVALID);
        }
    };
    let runtime = match super::async_runtime() {
        Ok(runtime) => runtime,
        Err(status) => return status,
    };
    if let Err(status) = super::check_aws(&runtime, &args.endpoint) {
        return status;
    }
    let out: Box<dyn Write> = match File::create(args.out) {
        Ok(file) if args.out.extension().is_some_and(|e| e == "gz") => Box::new(
            flate2::write::GzEncoder::new(BufWriter::new(file), flate2::Compression::default()),
        ),
        Ok(file) => Box::new(BufWriter::new(file)),
        Err(error) => {
            eprintln!("error: cannot create `{}`: {error}", args.out.display());
            return ExitCode::from(EXIT_INVALID);
        }
    };
    let progress = progress_bar();
    let writer: RefCell<Option<RecordingWriter<Box<dyn Write>>>> = RefCell::new(None);
    let mut out = Some(out);
    let made_by = std::env::args().collect::<Vec<_>>().join(" ");
    let mut write_header = |stream: &str| -> io::Result<()> {
        let mut header = Header::new(source, stream);
        header.made_by = Some(made_by.clone());
        header.recorded_at_ms = Some(now_ms());
        let out = out.take().expect("the header is written once");
        *writer.borrow_mut() = Some(RecordingWriter::new(out, &header)?);
        Ok(())
    };
    let mut write = |origin: &tributary_core::Origin, data: &[u8]| -> io::Result<()> {
        match writer.borrow_mut().as_mut() {
            Some(writer) => writer.write(origin, data),
            None => Err(io::Error::other("a record came before the header")),
        }
    };
    let mut show = |recorded: Recorded| {
        progress.set_position(recorded.records);
        progress.set_message(format!("{} bytes", recorded.bytes));
    };
    let output = RecordingOutput {
        header: &mut write_header,
        write: &mut write,
        progress: &mut show,
    };
    let result = runtime.block_on(async {
        match source {
            SourceKind::DynamodbStreams => {
                record_table(&args.endpoint, name, args.start, args.stop, output).await
            }
            _ => record_stream(&args.endpoint, name, args.start, args.stop, output).await,
        }
    });
    progress.finish_and_clear();
    let writer = writer.into_inner();
    let recorded = match result {
        Ok(recorded) => recorded,
        Err(error) => {
            eprintln!("error: {error}");
            match writer {
                // What was read is a recording of its own: keep it.
                Some(writer) => keep_partial(writer, args.out),
                None => remove_unwritten(args.out),
            }
            return ExitCode::from(EXIT_FAILED);
        }
    };
    let Some(writer) = writer else {
        eprintln!("error: nothing was recorded");
        remove_unwritten(args.out);
        return ExitCode::from(EXIT_FAILED);
    };
    match writer.finish().and_then(|mut out| out.flush()) {
        Ok(()) => {
            eprintln!(
                "recorded {} records ({} bytes) from {name} into {}",
                recorded.records,
                recorded.bytes,
                args.out.display()
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: cannot write `{}`: {error}", args.out.display());
            ExitCode::from(EXIT_FAILED)
        }
    }
}

/// Finishes the recording of a run that stopped on an error, and says what
/// it holds.
fn keep_partial(writer: RecordingWriter<Box<dyn Write>>, out: &Path) {
    match writer.finish().and_then(|mut out| out.flush()) {
        Ok(()) => eprintln!(
            "note: `{}` holds the records read before the error",
            out.display()
        ),
        Err(error) => eprintln!("error: cannot write `{}`: {error}", out.display()),
    }
}

/// Removes the output file of a run that wrote nothing into it, so no empty
/// recording is left to replay.
fn remove_unwritten(out: &Path) {
    if let Err(error) = std::fs::remove_file(out) {
        eprintln!(
            "warning: cannot remove the empty `{}`: {error}",
            out.display()
        );
    }
}

/// Reads `--from`: `trim-horizon`, `latest`, or an RFC 3339 time.
pub(super) fn start_at(from: &str) -> Result<StartAt, String> {
    match from {
        "trim-horizon" => Ok(StartAt::TrimHorizon),
        "latest" => Ok(StartAt::Latest),
        time => chrono::DateTime::parse_from_rfc3339(time)
            .map(|t| StartAt::Timestamp(t.timestamp_millis()))
            .map_err(|e| {
                format!("--from `{time}` is not `trim-horizon`, `latest` or an RFC 3339 time ({e})")
            }),
    }
}

fn progress_bar() -> ProgressBar {
    if !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {pos} records, {msg} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}
