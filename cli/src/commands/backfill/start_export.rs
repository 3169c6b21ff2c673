//! `--start-export`: starting an `ExportTableToPointInTime` export of the
//! table (point-in-time recovery must be on) and waiting for it.

use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{ExportFormat, ExportStatus};
use indicatif::ProgressBar;

use super::export::{ExportFolder, ExportStore, Layout, locate};

/// How often the export's status is asked for.
const POLL_EVERY: Duration = Duration::from_secs(2);

/// A finished export.
pub(super) struct StartedExport {
    pub(super) folder: ExportFolder,
    /// The export's time: DescribeExport's `ExportTime`, or (moto gives
    /// none) when it was asked for.
    pub(super) export_time_ms: i64,
}

/// Starts an export of `table_arn` into `bucket` under `prefix`, waits for
/// it (showing its status on `spinner`), and finds its folder.
pub(super) async fn start_and_wait(
    client: &Client,
    store: &impl ExportStore,
    table_arn: &str,
    (bucket, prefix): (&str, &str),
    spinner: &ProgressBar,
    now_ms: i64,
) -> Result<StartedExport, String> {
    let exports_prefix = format!("{prefix}/AWSDynamoDB/");
    let before = store.list(&exports_prefix).await?;
    let started = client
        .export_table_to_point_in_time()
        .table_arn(table_arn)
        .s3_bucket(bucket)
        .s3_prefix(prefix)
        .export_format(ExportFormat::DynamodbJson)
        .send()
        .await
        .map_err(|error| {
            format!(
                "starting an export of {table_arn} (point-in-time recovery must be on; or backfill by scan, \
                 without --start-export): {}",
                tributary_connectors::aws_error::describe(&error)
            )
        })?;
    let arn = started
        .export_description()
        .and_then(|d| d.export_arn())
        .ok_or("DynamoDB started an export without an ARN")?
        .to_owned();
    spinner.set_message(format!("export {arn}: IN_PROGRESS"));
    let description = loop {
        let answer = client
            .describe_export()
            .export_arn(&arn)
            .send()
            .await
            .map_err(|error| {
                format!(
                    "describing export {arn}: {}",
                    tributary_connectors::aws_error::describe(&error)
                )
            })?;
        let Some(description) = answer.export_description else {
            return Err(format!("DynamoDB does not describe export {arn}"));
        };
        match description.export_status() {
            Some(ExportStatus::Completed) => break description,
            Some(ExportStatus::Failed) => {
                return Err(format!(
                    "export {arn} failed: {} {}",
                    description.failure_code().unwrap_or_default(),
                    description.failure_message().unwrap_or_default()
                ));
            }
            status => {
                let status = status.map_or("?", |s| s.as_str());
                spinner.set_message(format!("export {arn}: {status}"));
            }
        }
        tokio::time::sleep(POLL_EVERY).await;
    };
    spinner.finish_and_clear();
    let export_time_ms = description.export_time().map_or(now_ms, |t| {
        t.secs() * 1000 + i64::from(t.subsec_nanos() / 1_000_000)
    });
    let folder = match description.export_manifest() {
        // AWS names its manifest summary.
        Some(manifest) => ExportFolder {
            folder: manifest
                .strip_suffix("/manifest-summary.json")
                .unwrap_or(manifest)
                .to_owned(),
            layout: Layout::Manifests,
        },
        // moto 5.x names none and writes only data files: the folder is the
        // one that appeared during the export.
        None => {
            let after = store.list(&exports_prefix).await?;
            let new: Vec<String> = after
                .into_iter()
                .filter(|key| !before.contains(key))
                .collect();
            locate(&new, &store.url(&exports_prefix))?
        }
    };
    Ok(StartedExport {
        folder,
        export_time_ms,
    })
}
