//! `tributary redrive SOURCE... --output FILE`: failed records back into a
//! recording, for `replay` (or `replay --to-kinesis`) to send through again
//! once the cause is fixed.
//!
//! It reads two kinds of failures, from three kinds of places:
//! - dead letters a pipeline wrote (an `s3` sink's objects, a copied
//!   dead-letter file): recordings whose lines carry `error` objects
//!   (`dead_letters.rs`);
//! - Lambda's own on-failure records for Kinesis and DynamoDB Streams
//!   mappings (`on_failure.rs`): an S3 destination's objects hold the
//!   invocation event, whose records are taken as they are; SQS and SNS
//!   messages name only the batch's range, which is read again from the
//!   stream (`stream_reread.rs`).
//!
//! from `s3://BUCKET/PREFIX` (`s3_objects.rs`), `sqs://QUEUE`
//! (`sqs_messages.rs`) or local files (`local_files.rs`), each object or
//! file read by its contents, not its name (`contents.rs`). `collect.rs`
//! gathers the records and the problems, input by input; `filters.rs`
//! keeps those `--since`, `--until` and `--stage` ask for; `output.rs`
//! checks they are of one stream, orders them per shard, drops duplicates
//! and writes the recording; `summary.rs` says what was done.
//!
//! The design decision to know: nothing one input gets wrong stops the
//! others. A problem is printed where it is met, naming the object, file,
//! line or message, and counted; the output holds everything else, and the
//! exit status says some input was not redriven whole. SQS messages are
//! deleted (with `--delete-messages`) only once the output is written, and
//! only those redriven whole.

mod collect;
mod contents;
mod dead_letters;
mod filters;
mod local_files;
mod locations;
mod on_failure;
mod output;
pub(super) mod s3_objects;
mod sqs_messages;
mod stream_reread;
mod summary;

use std::path::PathBuf;
use std::process::ExitCode;

use tributary_connectors::recording::Header;
use tributary_connectors::sources::Endpoint;

use super::{EXIT_FAILED, EXIT_INVALID, now_ms};
use collect::{Collector, InputKind};
use filters::Filters;
use locations::Location;
use output::Destination;
use sqs_messages::{Queue, Received};
use summary::{Summary, exit_status, inputs_read};

/// What the command line asked of `redrive`.
pub(super) struct RedriveArgs {
    pub(super) sources: Vec<String>,
    pub(super) from_files: Vec<PathBuf>,
    pub(super) output: String,
    pub(super) since: Option<String>,
    pub(super) until: Option<String>,
    pub(super) stages: Vec<String>,
    pub(super) delete_messages: bool,
    pub(super) endpoint: Endpoint,
}

pub(super) fn run(args: RedriveArgs) -> ExitCode {
    let invalid = |message: String| {
        eprintln!("error: {message}");
        ExitCode::from(EXIT_INVALID)
    };
    let filters = match Filters::new(
        args.since.as_deref(),
        args.until.as_deref(),
        args.stages.clone(),
    ) {
        Ok(filters) => filters,
        Err(message) => return invalid(message),
    };
    let mut locations = Vec::new();
    for source in &args.sources {
        match Location::parse(source) {
            Ok(location) => locations.push(location),
            Err(message) => return invalid(message),
        }
    }
    locations.extend(args.from_files.iter().cloned().map(Location::Local));
    if locations.is_empty() {
        return invalid(
            "name where the failures are: s3://BUCKET/PREFIX, sqs://QUEUE, or a file or folder"
                .to_owned(),
        );
    }
    if args.delete_messages && !locations.iter().any(|l| matches!(l, Location::Sqs(_))) {
        return invalid(
            "--delete-messages deletes SQS messages: name a queue (sqs://QUEUE)".to_owned(),
        );
    }
    let runtime = match super::async_runtime() {
        Ok(runtime) => runtime,
        Err(status) => return status,
    };
    let calls_aws = locations.iter().any(|l| !matches!(l, Location::Local(_)));
    if calls_aws && let Err(status) = super::check_aws(&runtime, &args.endpoint) {
        return status;
    }
    runtime.block_on(redrive(&args, &locations, &filters))
}

async fn redrive(args: &RedriveArgs, locations: &[Location], filters: &Filters) -> ExitCode {
    let mut collector = Collector::new(args.endpoint.clone());
    let mut received = Vec::new();
    for location in locations {
        match location {
            Location::S3 { bucket, prefix } => {
                read_bucket(&args.endpoint, bucket, prefix, &mut collector).await;
            }
            Location::Sqs(queue) => {
                if let Some(queue) = read_queue(&args.endpoint, queue, &mut collector).await {
                    received.push(queue);
                }
            }
            Location::Local(path) => read_local(path, &mut collector).await,
        }
    }

    let agreed = output::agreed_stream(&collector.found, &collector.inputs);
    let found = std::mem::take(&mut collector.found);
    let filtered = filters.apply(found, collector.inputs.len());
    let (source, stream) = match agreed {
        Ok(Some(agreed)) => agreed,
        Ok(None) => {
            release_all(&received).await;
            eprintln!(
                "redrive: nothing to redrive: no records in {}; nothing was written",
                inputs_read(&collector.inputs)
            );
            return exit_status(collector.problems);
        }
        Err(message) => {
            release_all(&received).await;
            eprintln!("error: {message}; nothing was written");
            return ExitCode::from(EXIT_INVALID);
        }
    };
    let (kept, duplicates) = output::in_stream_order(filtered.kept, &collector.inputs, &mut |w| {
        eprintln!("warning: {w}")
    });

    let destination = Destination::new(&args.output);
    let mut header = Header::new(source, &*stream);
    header.made_by = Some(std::env::args().collect::<Vec<_>>().join(" "));
    header.recorded_at_ms = Some(now_ms());
    if let Err(error) = output::write(&destination, &header, &kept) {
        release_all(&received).await;
        eprintln!(
            "error: cannot write {}: {error}; no message was deleted",
            destination.name()
        );
        return ExitCode::from(EXIT_FAILED);
    }
    let mut summary = Summary {
        records: kept.len(),
        destination: destination.name(),
        read_from: inputs_read(&collector.inputs),
        skipped_by_stage: filtered.by_stage,
        skipped_by_times: filtered.by_times,
        duplicates,
        ..Summary::default()
    };
    for stage in kept.iter().filter_map(|found| found.stage.as_deref()) {
        *summary.stages.entry(stage.to_owned()).or_default() += 1;
    }
    eprintln!("{summary}");

    for queue in &received {
        let redriven_whole = |input: usize| {
            collector.inputs[input].problems == 0 && filtered.skipped_by_input[input] == 0
        };
        let problems = queue.settle(args.delete_messages, redriven_whole).await;
        for problem in &problems {
            collector.problem(None, problem);
        }
    }
    exit_status(collector.problems)
}

/// Makes every message received visible again: nothing was written.
async fn release_all(received: &[Received]) {
    for queue in received {
        queue.release_all().await;
    }
}

/// Reads every object under `s3://bucket/prefix`.
async fn read_bucket(endpoint: &Endpoint, bucket: &str, prefix: &str, collector: &mut Collector) {
    let client = s3_objects::client(endpoint).await;
    let keys = match s3_objects::list(&client, bucket, prefix).await {
        Ok(keys) => keys,
        Err(message) => return collector.problem(None, &message),
    };
    if keys.is_empty() {
        eprintln!("warning: s3://{bucket}/{prefix}: no objects");
    }
    s3_objects::download_each(&client, bucket, keys, async |key, bytes| {
        let name = format!("s3://{bucket}/{key}");
        match bytes {
            Ok(bytes) => {
                collector
                    .take_contents(InputKind::S3Object, &name, bytes)
                    .await;
            }
            Err(message) => collector.problem(None, &message),
        }
    })
    .await;
}

/// Receives every message of a queue and reads each.
async fn read_queue(
    endpoint: &Endpoint,
    queue: &str,
    collector: &mut Collector,
) -> Option<Received> {
    let queue = match Queue::open(endpoint, queue).await {
        Ok(queue) => queue,
        Err(message) => {
            collector.problem(None, &message);
            return None;
        }
    };
    let (messages, error) = queue.receive_all().await;
    if let Some(message) = error {
        collector.problem(None, &message);
    }
    if messages.is_empty() {
        eprintln!("warning: {}: no messages", queue.url);
    }
    let mut read = Vec::with_capacity(messages.len());
    for message in messages {
        let name = format!("sqs message {}", message.id);
        let input = collector.take_message(&name, &message.body).await;
        read.push((message, input));
    }
    Some(Received {
        queue,
        messages: read,
    })
}

/// Reads a local file, or every file of a folder.
async fn read_local(path: &std::path::Path, collector: &mut Collector) {
    let files = match local_files::files(path) {
        Ok(files) => files,
        Err(message) => return collector.problem(None, &message),
    };
    for file in files {
        let name = file.display().to_string();
        match std::fs::read(&file) {
            Ok(bytes) => {
                collector.take_contents(InputKind::File, &name, bytes).await;
            }
            Err(error) => collector.problem(None, &format!("{name}: cannot read it: {error}")),
        }
    }
}
