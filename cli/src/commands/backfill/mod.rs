//! `tributary backfill PIPELINE --table NAME`: sends every item the table
//! holds through a `dynamodb_streams` pipeline, as the INSERT changes that
//! would have created them (same plain JSON, same document ids as the
//! stream's changes; the origin contract is in
//! `tributary_connectors::sources::dynamodb_streams::BackfillTable`).
//!
//! - `table.rs`: describing the table (ARN, stream, key schema).
//! - `scan.rs`: reading it with a parallel Scan (the default).
//! - `export.rs`: reading an ExportTableToPointInTime export in S3
//!   (`--export s3://BUCKET/PREFIX`); `start_export.rs`: starting one and
//!   waiting for it (`--start-export --bucket B`).
//! - `send.rs`: running the items through the pipeline with `replay`'s
//!   machinery, a page or a chunk at a time.
//! - `checkpoint.rs`: the checkpoint file a rerun resumes from.
//! - `progress.rs`: the progress bar and the summary.
//!
//! Exit status as `replay`'s: 0 when every item was sent (whatever their
//! fates; the summary counts them) or `--max-items` paused the run, 1 for
//! what the user must fix (pipeline, arguments, table, export prefix,
//! checkpoint), 2 when reading or checkpointing failed while running.

mod checkpoint;
mod export;
mod progress;
mod scan;
mod send;
mod start_export;
mod table;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use tributary::replay::ReplayOptions;
use tributary_connectors::sources::dynamodb_streams::BackfillTable;
use tributary_connectors::sources::{Endpoint, SourceConfig};
use tributary_processors::Registry;

use super::{EXIT_FAILED, EXIT_INVALID, now_ms};
use checkpoint::{Checkpoint, Progress};
use export::{ExportReader, ExportStore as _, S3Store};
use progress::{Ending, Summary};
use send::PipelineFeed;

use super::summary::Destinations;

/// What to backfill, from where, and how.
pub(super) struct BackfillArgs {
    pub(super) pipeline: PathBuf,
    pub(super) table: String,
    /// `s3://BUCKET/PREFIX` of a finished export.
    pub(super) export: Option<String>,
    /// Start an export into this bucket, under `prefix`.
    pub(super) start_export: Option<(String, String)>,
    /// The export's time, for an export without a manifest summary.
    pub(super) export_time_ms: Option<i64>,
    pub(super) segments: u32,
    pub(super) consistent_read: bool,
    pub(super) checkpoint: Option<PathBuf>,
    pub(super) restart: bool,
    pub(super) max_items: Option<u64>,
    pub(super) progress: bool,
    pub(super) batch_size: Option<u32>,
    pub(super) endpoint: Endpoint,
    /// Print the summary as one JSON document on standard output.
    pub(super) json: bool,
}

/// A failure, and the exit status it gives.
struct Failure {
    status: u8,
    message: String,
}

fn invalid(message: String) -> Failure {
    Failure {
        status: EXIT_INVALID,
        message,
    }
}

fn failed(message: String) -> Failure {
    Failure {
        status: EXIT_FAILED,
        message,
    }
}

pub(super) fn run(args: BackfillArgs, registry: &Registry) -> ExitCode {
    let plan = match super::load_plan(&args.pipeline, registry) {
        Ok(plan) => plan,
        Err(status) => return status,
    };
    let SourceConfig::DynamodbStreams(source) = plan.source() else {
        eprintln!(
            "error: `{}` reads a {} source; backfill sends a DynamoDB table's items through a pipeline whose \
             [source] has type = \"dynamodb_streams\"",
            args.pipeline.display(),
            plan.source().kind()
        );
        return ExitCode::from(EXIT_INVALID);
    };
    if let Err(message) = table::check_same_table(source.table.as_deref(), &args.table) {
        eprintln!("error: {message}");
        return ExitCode::from(EXIT_INVALID);
    }
    let payload = source.payload;
    if args.segments == 0 {
        eprintln!("error: --segments must be at least 1");
        return ExitCode::from(EXIT_INVALID);
    }
    let runtime = match super::async_runtime() {
        Ok(runtime) => runtime,
        Err(status) => return status,
    };
    if let Err(status) = super::check_aws(&runtime, &args.endpoint) {
        return status;
    }
    match runtime.block_on(backfill(&args, plan, payload)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("error: {}", failure.message);
            ExitCode::from(failure.status)
        }
    }
}

async fn backfill(
    args: &BackfillArgs,
    plan: tributary::Plan,
    payload: tributary_connectors::sources::DynamodbPayload,
) -> Result<(), Failure> {
    let config = args.endpoint.sdk_config().await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&config);
    let s3 = super::redrive::s3_objects::client(&args.endpoint).await;
    let table = table::describe(&dynamodb, &args.table).await?;
    let path = args
        .checkpoint
        .clone()
        .unwrap_or_else(|| checkpoint::default_path(&args.table));
    let saved = if args.restart {
        None
    } else {
        Checkpoint::load(&path).map_err(invalid)?
    };
    let summary = Summary {
        table: &args.table,
        checkpoint: &path,
        destinations: Destinations::of(&plan),
        json: args.json,
    };
    if saved.as_ref().is_some_and(|saved| saved.finished) {
        summary.print_already_finished();
        return Ok(());
    }
    // Started only now: starting it opens its sinks (a jsonl file is
    // truncated unless `append = true`), which a finished backfill must not.
    // A sink that cannot open its file is something to fix: nothing was sent.
    let mut pipeline = plan
        .start()
        .map_err(|error| invalid(format!("{error:#}")))?;
    let pipeline = &mut pipeline;
    let options = ReplayOptions {
        batch_size: args.batch_size,
        progress: false,
        log_invocations: false,
        speed: None,
    };
    let wants_export = args.export.is_some() || args.start_export.is_some();
    if !wants_export {
        let wanted = Checkpoint::scan(&table.arn, args.segments, now_ms());
        let mut checkpoint = resume_or(saved, wanted, &path)?;
        let Progress::Scan { started_ms, .. } = checkpoint.progress else {
            return Err(invalid("the checkpoint is not of a scan".to_owned()));
        };
        let items = BackfillTable::new(
            &table.name,
            table.stream(),
            table.key_names.clone(),
            started_ms,
            payload,
        );
        let bar = progress::items_bar(args.progress, table.approximate_items);
        let mut feed = PipelineFeed::new(pipeline, options, bar);
        let from = format!(
            "of table `{}` by a scan in {} segments",
            table.name, args.segments
        );
        let ended = scan::backfill_by_scan(
            &dynamodb,
            &table,
            &items,
            args.consistent_read,
            args.max_items,
            (&mut checkpoint, &path),
            &mut feed,
        )
        .await;
        return settle(ended, checkpoint, &from, feed, &summary);
    }
    // From an export: one being resumed, one given, or one to start.
    let (bucket, folder, export_time_ms) = match (&saved, &args.export, &args.start_export) {
        (
            Some(Checkpoint {
                progress:
                    Progress::Export {
                        folder,
                        export_time_ms,
                        ..
                    },
                ..
            }),
            None,
            Some(_),
        ) => {
            let (bucket, folder) = export::parse_s3_url(folder).map_err(invalid)?;
            let layout = export_layout(&s3, &bucket, &folder).await?;
            (
                bucket,
                export::ExportFolder { folder, layout },
                Some(*export_time_ms),
            )
        }
        (_, Some(url), _) => {
            let (bucket, prefix) = export::parse_s3_url(url).map_err(invalid)?;
            let store = S3Store {
                client: s3.clone(),
                bucket: bucket.clone(),
            };
            let keys = store.list(&prefix).await.map_err(failed)?;
            let folder = export::locate(&keys, url).map_err(invalid)?;
            (bucket, folder, args.export_time_ms)
        }
        (_, None, Some((bucket, prefix))) => {
            let store = S3Store {
                client: s3.clone(),
                bucket: bucket.clone(),
            };
            let spinner = progress::export_spinner(args.progress);
            let started = start_export::start_and_wait(
                &dynamodb,
                &store,
                &table.arn,
                (bucket, prefix),
                &spinner,
                now_ms(),
            )
            .await
            .map_err(failed)?;
            (bucket.clone(), started.folder, Some(started.export_time_ms))
        }
        (_, None, None) => return Err(invalid("give --export or --start-export".to_owned())),
    };
    let store = S3Store {
        client: s3,
        bucket: bucket.clone(),
    };
    let contents = export::contents(&store, &folder).await.map_err(failed)?;
    let export_time_ms = contents.export_time_ms.or(export_time_ms).ok_or_else(|| {
        invalid(format!(
            "the export at {} has no manifest-summary.json (moto 5.x writes only data files), so its export time \
             is unknown: give --export-time (RFC 3339) with the time the export was made at",
            store.url(&folder.folder)
        ))
    })?;
    let folder_url = store.url(&folder.folder);
    let wanted = Checkpoint::export(&table.arn, &folder_url, export_time_ms);
    let mut checkpoint = resume_or(saved, wanted, &path)?;
    let Progress::Export {
        files_done,
        current,
        export_time_ms,
        ..
    } = &checkpoint.progress
    else {
        return Err(invalid("the checkpoint is not of an export".to_owned()));
    };
    let items = BackfillTable::new(
        &table.name,
        table.stream(),
        table.key_names.clone(),
        *export_time_ms,
        payload,
    );
    let mut reader = ExportReader::new(&store, &items, &contents, files_done, current.clone());
    let bar = progress::items_bar(
        args.progress,
        contents.item_count.or(table.approximate_items),
    );
    let mut feed = PipelineFeed::new(pipeline, options, bar);
    let from = format!("of table `{}` from the export {folder_url}", table.name);
    let ended = read_export(
        &mut reader,
        args.max_items,
        (&mut checkpoint, &path),
        &mut feed,
    )
    .await;
    settle(ended, checkpoint, &from, feed, &summary)
}

/// The layout of the export in `folder` of `bucket`.
async fn export_layout(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    folder: &str,
) -> Result<export::Layout, Failure> {
    let store = S3Store {
        client: s3.clone(),
        bucket: bucket.to_owned(),
    };
    let keys = store.list(&format!("{folder}/")).await.map_err(failed)?;
    Ok(export::locate(&keys, &store.url(folder))
        .map_err(invalid)?
        .layout)
}

/// Sends every chunk of the export, checkpointing after each.
async fn read_export(
    reader: &mut ExportReader<'_, S3Store>,
    max_items: Option<u64>,
    (checkpoint, path): (&mut Checkpoint, &Path),
    feed: &mut PipelineFeed<'_>,
) -> Result<Ending, String> {
    while let Some(chunk) = reader.next_chunk().await? {
        feed.bar().set_message(
            chunk
                .position
                .file
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_owned(),
        );
        feed.send(chunk.records).await;
        if let Progress::Export {
            files_done,
            current,
            ..
        } = &mut checkpoint.progress
        {
            if chunk.file_done {
                files_done.push(chunk.position.file);
                *current = None;
            } else {
                *current = Some(chunk.position);
            }
        }
        checkpoint.save(path)?;
        if max_items.is_some_and(|max| feed.sent >= max) {
            return Ok(Ending::Paused);
        }
    }
    Ok(Ending::Finished)
}

/// The saved checkpoint when it resumes what the command asks for, or a
/// fresh one.
fn resume_or(
    saved: Option<Checkpoint>,
    wanted: Checkpoint,
    path: &Path,
) -> Result<Checkpoint, Failure> {
    match saved {
        Some(saved) => {
            saved.check_resumes(&wanted, path).map_err(invalid)?;
            eprintln!("resuming the backfill recorded in `{}`", path.display());
            Ok(saved)
        }
        None => Ok(wanted),
    }
}

/// Marks a finished backfill in its checkpoint, prints the summary and
/// gives the result.
fn settle(
    ended: Result<Ending, String>,
    mut checkpoint: Checkpoint,
    from: &str,
    feed: PipelineFeed<'_>,
    summary: &Summary<'_>,
) -> Result<(), Failure> {
    let report = feed.finish();
    match ended {
        Ok(Ending::Finished) => {
            checkpoint.finished = true;
            let saved = checkpoint.save(summary.checkpoint);
            summary.print(from, Ending::Finished, &report);
            saved.map_err(failed)
        }
        Ok(ending) => {
            summary.print(from, ending, &report);
            Ok(())
        }
        Err(message) => {
            summary.print(from, Ending::Failed, &report);
            Err(failed(message))
        }
    }
}
