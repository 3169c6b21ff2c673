//! The checkpoint file: how far a backfill got, so that running the same
//! command again resumes where it stopped.
//!
//! It is written after every settled page (scan) or chunk of lines (export),
//! atomically: to `FILE.tmp`, then renamed over `FILE`. A checkpoint names
//! its table (ARN) and where the items come from; one of another table,
//! another export or another number of scan segments is refused rather than
//! resumed.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The checkpoint's file format version.
const VERSION: u32 = 1;

/// How far a backfill got.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Checkpoint {
    pub(super) version: u32,
    /// The table's ARN.
    pub(super) table_arn: String,
    /// Where the items come from, and how far reading them got.
    pub(super) progress: Progress,
    /// Every item was sent through the pipeline.
    pub(super) finished: bool,
}

/// How far reading the items got.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub(super) enum Progress {
    /// A parallel scan.
    Scan {
        /// When the scan first started, in milliseconds since the epoch: the
        /// backfilled records' arrival time, kept across resumptions.
        started_ms: i64,
        /// Each segment's progress; their count is the scan's
        /// `TotalSegments`.
        segments: Vec<SegmentProgress>,
    },
    /// An export in S3.
    Export {
        /// The export's folder, `s3://BUCKET/PREFIX/AWSDynamoDB/ID`.
        folder: String,
        /// The export's time, in milliseconds since the epoch.
        export_time_ms: i64,
        /// The data files (S3 keys) read to their end.
        files_done: Vec<String>,
        /// The data file being read, and how many of its lines were sent.
        current: Option<FileProgress>,
    },
}

/// How far one scan segment got.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SegmentProgress {
    /// The `LastEvaluatedKey` of its last settled page (DynamoDB JSON): the
    /// next page starts after it.
    pub(super) last_evaluated_key: Option<serde_dynamo::Item>,
    /// The segment was read to its end.
    pub(super) done: bool,
}

/// How far one export data file got.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileProgress {
    /// Its S3 key.
    pub(super) file: String,
    /// How many of its lines were sent.
    pub(super) lines: u64,
}

impl Checkpoint {
    /// A fresh checkpoint of a scan of `table_arn` in `segments` segments,
    /// started at `started_ms`.
    pub(super) fn scan(table_arn: &str, segments: u32, started_ms: i64) -> Self {
        Checkpoint {
            version: VERSION,
            table_arn: table_arn.to_owned(),
            progress: Progress::Scan {
                started_ms,
                segments: vec![SegmentProgress::default(); segments as usize],
            },
            finished: false,
        }
    }

    /// A fresh checkpoint of reading the export in `folder`.
    pub(super) fn export(table_arn: &str, folder: &str, export_time_ms: i64) -> Self {
        Checkpoint {
            version: VERSION,
            table_arn: table_arn.to_owned(),
            progress: Progress::Export {
                folder: folder.to_owned(),
                export_time_ms,
                files_done: Vec::new(),
                current: None,
            },
            finished: false,
        }
    }

    /// Reads the checkpoint at `path`; `None` when there is none.
    pub(super) fn load(path: &Path) -> Result<Option<Self>, String> {
        let text = match std::fs::read(path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(format!("cannot read `{}`: {error}", path.display())),
        };
        let checkpoint: Checkpoint = serde_json::from_slice(&text).map_err(|error| {
            format!(
                "`{}` is not a backfill checkpoint ({error}): give another --checkpoint, or --restart to replace it",
                path.display()
            )
        })?;
        if checkpoint.version != VERSION {
            return Err(format!(
                "`{}` is a version {} checkpoint; this tributary reads version {VERSION}: rerun with --restart",
                checkpoint.version,
                path.display()
            ));
        }
        Ok(Some(checkpoint))
    }

    /// Writes the checkpoint to `path` atomically (a temporary file renamed
    /// over it), creating its folder.
    pub(super) fn save(&self, path: &Path) -> Result<(), String> {
        let fail = |error: std::io::Error| format!("cannot write `{}`: {error}", path.display());
        if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(folder).map_err(fail)?;
        }
        let temporary = temporary_path(path);
        let text = serde_json::to_vec_pretty(self).expect("a checkpoint serializes");
        std::fs::write(&temporary, text).map_err(fail)?;
        std::fs::rename(&temporary, path).map_err(fail)
    }

    /// Refuses to resume from a checkpoint of another table, another kind
    /// of read, another export or another number of segments than `wanted`
    /// (a fresh checkpoint of what the command asks for), saying what to do.
    pub(super) fn check_resumes(&self, wanted: &Checkpoint, path: &Path) -> Result<(), String> {
        let refuse = |what: String| {
            Err(format!(
                "the checkpoint `{}` {what}: give another --checkpoint, or --restart to start over",
                path.display()
            ))
        };
        if self.table_arn != wanted.table_arn {
            return refuse(format!(
                "is of table {}, not {}",
                self.table_arn, wanted.table_arn
            ));
        }
        match (&self.progress, &wanted.progress) {
            (Progress::Scan { segments: had, .. }, Progress::Scan { segments, .. })
                if had.len() != segments.len() =>
            {
                refuse(format!(
                    "is of a scan in {} segments, not {} (rerun with --segments {})",
                    had.len(),
                    segments.len(),
                    had.len()
                ))
            }
            (Progress::Export { folder: had, .. }, Progress::Export { folder, .. })
                if had != folder =>
            {
                refuse(format!("is of the export {had}, not {folder}"))
            }
            (Progress::Scan { .. }, Progress::Export { .. }) => {
                refuse("is of a scan, and this command reads an export".to_owned())
            }
            (Progress::Export { .. }, Progress::Scan { .. }) => {
                refuse("is of an export, and this command scans the table".to_owned())
            }
            _ => Ok(()),
        }
    }
}

fn temporary_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    path.with_file_name(name)
}

/// The default checkpoint file of a backfill of `table`.
pub(super) fn default_path(table: &str) -> PathBuf {
    let name: String = table
        .chars()
        .map(|c| match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '-' | '_' | '.' => c,
            _ => '_',
        })
        .collect();
    PathBuf::from(".tributary").join(format!("backfill-{name}.json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &str = "arn:aws:dynamodb:us-east-1:123456789012:table/orders";

    #[test]
    fn a_checkpoint_round_trips_through_its_file_and_leaves_no_temporary() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("nested/backfill-orders.json");
        assert_eq!(Checkpoint::load(&path).unwrap(), None);
        let mut checkpoint = Checkpoint::scan(TABLE, 2, 1_700_000_000_000);
        if let Progress::Scan { segments, .. } = &mut checkpoint.progress {
            segments[0].last_evaluated_key = Some(
                serde_json::from_str(r#"{"pk":{"S":"a"},"sk":{"N":"1"},"b":{"B":"AAE="}}"#)
                    .unwrap(),
            );
            segments[1].done = true;
        }
        checkpoint.save(&path).unwrap();
        assert_eq!(Checkpoint::load(&path).unwrap(), Some(checkpoint.clone()));
        checkpoint.finished = true;
        checkpoint.save(&path).unwrap();
        assert!(Checkpoint::load(&path).unwrap().unwrap().finished);
        assert!(!temporary_path(&path).exists());
    }

    #[test]
    fn a_checkpoint_of_another_table_export_or_segment_count_is_refused() {
        let path = Path::new("cp.json");
        let scan = Checkpoint::scan(TABLE, 4, 0);
        assert!(
            scan.check_resumes(&Checkpoint::scan(TABLE, 4, 99), path)
                .is_ok()
        );
        let other_table = Checkpoint::scan("arn:aws:dynamodb:us-east-1:1:table/other", 4, 0);
        let error = scan.check_resumes(&other_table, path).unwrap_err();
        assert!(
            error.contains("is of table") && error.contains("--restart"),
            "{error}"
        );
        let error = scan
            .check_resumes(&Checkpoint::scan(TABLE, 8, 0), path)
            .unwrap_err();
        assert!(error.contains("--segments 4"), "{error}");
        let export = Checkpoint::export(TABLE, "s3://b/p/AWSDynamoDB/1", 0);
        assert!(scan.check_resumes(&export, path).is_err());
        assert!(export.check_resumes(&scan, path).is_err());
        let other_export = Checkpoint::export(TABLE, "s3://b/p/AWSDynamoDB/2", 0);
        let error = export.check_resumes(&other_export, path).unwrap_err();
        assert!(error.contains("AWSDynamoDB/1"), "{error}");
    }

    #[test]
    fn a_file_that_is_not_a_checkpoint_is_refused_not_overwritten() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("cp.json");
        std::fs::write(&path, "{\"something\": 1}").unwrap();
        let error = Checkpoint::load(&path).unwrap_err();
        assert!(error.contains("not a backfill checkpoint"), "{error}");
    }

    #[test]
    fn the_default_path_names_the_table_safely() {
        assert_eq!(
            default_path("orders"),
            PathBuf::from(".tributary/backfill-orders.json")
        );
        assert_eq!(
            default_path("a/b:c"),
            PathBuf::from(".tributary/backfill-a_b_c.json")
        );
    }
}
