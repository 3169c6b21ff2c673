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
//! and writes the recording.
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
mod s3_objects;
mod sqs_messages;
mod stream_reread;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use tributary_connectors::recording::Header;
use tributary_connectors::sources::Endpoint;

use super::{EXIT_FAILED, EXIT_INVALID, now_ms};
use collect::{Collector, InputKind};
use filters::{Filters, Verdict};
use locations::Location;
use output::Destination;
use sqs_messages::{Message, Queue};

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

/// The messages received from one queue, each with its input's index.
struct Received {
    queue: Queue,
    messages: Vec<(Message, usize)>,
}

/// How many records each filter skipped, and how many duplicates were dropped.
#[derive(Debug, Default)]
struct Skipped {
    by_times: usize,
    by_stage: usize,
    duplicates: usize,
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
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::from(EXIT_FAILED);
        }
    };
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

    let mut skipped = Skipped::default();
    let mut kept = Vec::with_capacity(collector.found.len());
    let mut skipped_by_input = vec![0_usize; collector.inputs.len()];
    let agreed = output::agreed_stream(&collector.found, &collector.inputs);
    for found in std::mem::take(&mut collector.found) {
        match filters.verdict(found.origin.arrival_ms, found.stage.as_deref()) {
            Verdict::Keep => kept.push(found),
            Verdict::OutsideTimes => {
                skipped.by_times += 1;
                skipped_by_input[found.input] += 1;
            }
            Verdict::OtherStage => {
                skipped.by_stage += 1;
                skipped_by_input[found.input] += 1;
            }
        }
    }
    let (source, stream) = match agreed {
        Ok(Some(agreed)) => agreed,
        Ok(None) => {
            release_all(&received).await;
            eprintln!(
                "redrive: nothing to redrive: no records in {}; nothing was written",
                read_from(&collector)
            );
            return exit_status(&collector);
        }
        Err(message) => {
            release_all(&received).await;
            eprintln!("error: {message}; nothing was written");
            return ExitCode::from(EXIT_INVALID);
        }
    };
    let (kept, duplicates) =
        output::in_stream_order(kept, &collector.inputs, &mut |w| eprintln!("warning: {w}"));
    skipped.duplicates = duplicates;
    let mut stages: BTreeMap<&str, usize> = BTreeMap::new();
    for stage in kept.iter().filter_map(|found| found.stage.as_deref()) {
        *stages.entry(stage).or_default() += 1;
    }

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
    eprintln!(
        "{}",
        summary(&collector, &kept, &stages, &skipped, &destination)
    );
    settle_messages(
        args.delete_messages,
        &received,
        &skipped_by_input,
        &mut collector,
    )
    .await;
    exit_status(&collector)
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

/// Once the output is written: with `--delete-messages`, deletes the
/// messages redriven whole (no problem, no record skipped by a filter);
/// every other message is made visible again.
async fn settle_messages(
    delete: bool,
    received: &[Received],
    skipped_by_input: &[usize],
    collector: &mut Collector,
) {
    for queue in received {
        let mut whole: Vec<&Message> = Vec::new();
        let mut rest: Vec<&Message> = Vec::new();
        for (message, input) in &queue.messages {
            let redriven_whole =
                collector.inputs[*input].problems == 0 && skipped_by_input[*input] == 0;
            if delete && redriven_whole {
                whole.push(message);
            } else {
                rest.push(message);
            }
        }
        if delete {
            let (deleted, problems) = queue.queue.delete(&whole).await;
            for problem in &problems {
                collector.problem(None, problem);
            }
            eprintln!(
                "redrive: deleted {deleted} message(s) from {}; {} left in it (not redriven whole)",
                queue.queue.url,
                queue.messages.len() - deleted,
            );
        }
        for warning in queue.queue.release(&rest).await {
            eprintln!("warning: {warning}");
        }
    }
}

/// Makes every message received visible again: nothing was written.
async fn release_all(received: &[Received]) {
    for queue in received {
        let messages: Vec<&Message> = queue.messages.iter().map(|(message, _)| message).collect();
        for warning in queue.queue.release(&messages).await {
            eprintln!("warning: {warning}");
        }
    }
}

/// `3 objects, 1 file and 2 messages`.
fn read_from(collector: &Collector) -> String {
    let count = |kind: InputKind| collector.inputs.iter().filter(|i| i.kind == kind).count();
    let parts: Vec<String> = [
        (InputKind::S3Object, "object"),
        (InputKind::File, "file"),
        (InputKind::Message, "message"),
    ]
    .into_iter()
    .map(|(kind, name)| (count(kind), name))
    .filter(|(n, _)| *n > 0)
    .map(|(n, name)| format!("{n} {name}{}", if n == 1 { "" } else { "s" }))
    .collect();
    match parts.as_slice() {
        [] => "no object, file or message".to_owned(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// `redrive: 42 records into out.jsonl from 3 objects and 2 messages
/// (dead letters by stage: search 40, source 2); skipped 5 by --stage ...`
fn summary(
    collector: &Collector,
    kept: &[collect::Found],
    stages: &BTreeMap<&str, usize>,
    skipped: &Skipped,
    destination: &Destination,
) -> String {
    let mut text = format!(
        "redrive: {} record(s) into {} from {}",
        kept.len(),
        destination.name(),
        read_from(collector)
    );
    if !stages.is_empty() {
        let stages: Vec<String> = stages
            .iter()
            .map(|(stage, n)| format!("{stage} {n}"))
            .collect();
        text.push_str(&format!(" (dead letters by stage: {})", stages.join(", ")));
    }
    let mut dropped = Vec::new();
    if skipped.by_stage > 0 {
        dropped.push(format!("{} skipped by --stage", skipped.by_stage));
    }
    if skipped.by_times > 0 {
        dropped.push(format!("{} skipped by --since/--until", skipped.by_times));
    }
    if skipped.duplicates > 0 {
        dropped.push(format!("{} duplicate(s) dropped", skipped.duplicates));
    }
    if !dropped.is_empty() {
        text.push_str("; ");
        text.push_str(&dropped.join(", "));
    }
    text
}

/// 0 when every input was read whole; 2, with the count, when some were not.
fn exit_status(collector: &Collector) -> ExitCode {
    if collector.problems == 0 {
        return ExitCode::SUCCESS;
    }
    eprintln!(
        "error: {} problem(s), printed above: what they name was not redriven (whole); \
         everything else was. Fix them, and redrive what they name again",
        collector.problems
    );
    ExitCode::from(EXIT_FAILED)
}
