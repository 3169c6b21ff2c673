//! Reading a finished `ExportTableToPointInTime` export (DynamoDB JSON).
//!
//! AWS's layout (docs: "DynamoDB table export output format",
//! S3DataExport.Output.html): under `PREFIX/AWSDynamoDB/EXPORT_ID/`,
//! `manifest-summary.json` (one object: `exportTime`, `itemCount`,
//! `outputFormat`, `manifestFilesS3Key`, ...), `manifest-files.json` (JSON
//! Lines, one object per data file: `dataFileS3Key`, `itemCount`,
//! `md5Checksum` in base64) and `data/*.json.gz`: gzip JSON Lines of
//! `{"Item": {...}}`. Each data file's MD5 and item count are checked
//! against its manifest line; a mismatch is an error naming the file.
//!
//! moto 5.x writes only `PREFIX/AWSDynamoDB/UUID/data/UUID.gz`, with no
//! manifests: [`Layout::DataFilesOnly`] reads those when no manifest is
//! found, and the export's time must then come from elsewhere.
//!
//! A data file is held compressed in memory while it is read; its lines are
//! decompressed and sent a chunk at a time.

use std::io::{BufRead as _, BufReader, Cursor};

use base64::Engine as _;
use md5::{Digest as _, Md5};
use serde::Deserialize;
use tributary_connectors::sources::SourceRecord;
use tributary_connectors::sources::dynamodb_streams::BackfillTable;

use super::checkpoint::FileProgress;
use crate::commands::redrive::s3_objects;

/// Lines of a data file sent through the pipeline at a time (then
/// checkpointed).
pub(super) const LINES_PER_CHUNK: usize = 1000;

/// Where an export's objects are read from: S3, or a folder in tests.
pub(super) trait ExportStore {
    /// The keys under `prefix`.
    async fn list(&self, prefix: &str) -> Result<Vec<String>, String>;
    /// The object at `key`.
    async fn get(&self, key: &str) -> Result<Vec<u8>, String>;
    /// `s3://BUCKET/KEY`, for messages.
    fn url(&self, key: &str) -> String;
}

/// An export in S3.
pub(super) struct S3Store {
    pub(super) client: aws_sdk_s3::Client,
    pub(super) bucket: String,
}

impl ExportStore for S3Store {
    async fn list(&self, prefix: &str) -> Result<Vec<String>, String> {
        s3_objects::list(&self.client, &self.bucket, prefix).await
    }

    async fn get(&self, key: &str) -> Result<Vec<u8>, String> {
        s3_objects::download(&self.client, &self.bucket, key).await
    }

    fn url(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.bucket)
    }
}

/// `s3://BUCKET/PREFIX` as the bucket and the prefix (without a trailing
/// `/`).
pub(super) fn parse_s3_url(url: &str) -> Result<(String, String), String> {
    let rest = url
        .strip_prefix("s3://")
        .ok_or_else(|| format!("--export `{url}` is not an s3://BUCKET/PREFIX address"))?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        return Err(format!("--export `{url}` names no bucket"));
    }
    Ok((bucket.to_owned(), prefix.trim_end_matches('/').to_owned()))
}

/// How an export's files are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Layout {
    /// AWS's: manifest-summary.json, manifest-files.json, data/*.json.gz.
    Manifests,
    /// moto 5.x's: data/*.gz only, no manifests (a fallback).
    DataFilesOnly,
}

/// An export's folder (`PREFIX/AWSDynamoDB/ID`, a key prefix) and layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ExportFolder {
    pub(super) folder: String,
    pub(super) layout: Layout,
}

/// Finds the one export among `keys` (a listing of `prefix`): the folder of
/// its manifest-summary.json, or, with none, of its data files.
pub(super) fn locate(keys: &[String], prefix_url: &str) -> Result<ExportFolder, String> {
    let summaries = distinct(keys.iter().filter_map(|key| {
        key.strip_suffix("/manifest-summary.json")
            .filter(|folder| folder.contains("AWSDynamoDB/"))
    }));
    let data_folders = distinct(keys.iter().filter_map(|key| {
        let (folder, file) = key.rsplit_once("/data/")?;
        (folder.contains("AWSDynamoDB/") && file.ends_with(".gz") && !file.contains('/'))
            .then_some(folder)
    }));
    let (folders, layout) = if summaries.is_empty() {
        (data_folders, Layout::DataFilesOnly)
    } else {
        (summaries, Layout::Manifests)
    };
    match folders.as_slice() {
        [folder] => Ok(ExportFolder {
            folder: folder.clone(),
            layout,
        }),
        [] => Err(format!(
            "there is no DynamoDB export under {prefix_url}: give --export the S3 prefix the export was written to \
             (it holds AWSDynamoDB/EXPORT_ID/manifest-summary.json), or the export's own folder"
        )),
        several => Err(format!(
            "there are {} exports under {prefix_url} ({}): give --export the folder of one, s3://BUCKET/.../AWSDynamoDB/EXPORT_ID",
            several.len(),
            several.join(", ")
        )),
    }
}

fn distinct<'a>(folders: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut folders: Vec<String> = folders.map(str::to_owned).collect();
    folders.sort();
    folders.dedup();
    folders
}

/// What is known of an export before reading its data.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct ExportContents {
    /// The export's time (milliseconds since the epoch), when its summary
    /// gives it.
    pub(super) export_time_ms: Option<i64>,
    /// Items in the whole export, when its summary gives it.
    pub(super) item_count: Option<u64>,
    /// Its data files, in manifest order.
    pub(super) files: Vec<DataFile>,
}

/// One data file, and what its manifest line says of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct DataFile {
    pub(super) key: String,
    pub(super) item_count: Option<u64>,
    /// The MD5 of the object, base64.
    pub(super) md5: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ManifestSummary {
    #[serde(default)]
    export_time: Option<String>,
    #[serde(default)]
    item_count: Option<u64>,
    #[serde(default)]
    manifest_files_s3_key: Option<String>,
    #[serde(default)]
    output_format: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ManifestLine {
    data_file_s3_key: String,
    #[serde(default)]
    item_count: Option<u64>,
    #[serde(default)]
    md5_checksum: Option<String>,
}

/// Reads what the export holds: from its manifests, or (moto's layout) from
/// the listing of its data files.
pub(super) async fn contents(
    store: &impl ExportStore,
    export: &ExportFolder,
) -> Result<ExportContents, String> {
    let listing = store.list(&format!("{}/", export.folder)).await?;
    if export.layout == Layout::DataFilesOnly {
        let mut files: Vec<DataFile> = listing
            .iter()
            .filter(|key| key.contains("/data/") && key.ends_with(".gz"))
            .map(|key| DataFile {
                key: key.clone(),
                item_count: None,
                md5: None,
            })
            .collect();
        files.sort_by(|a, b| a.key.cmp(&b.key));
        return Ok(ExportContents {
            export_time_ms: None,
            item_count: None,
            files,
        });
    }
    let summary_key = format!("{}/manifest-summary.json", export.folder);
    let summary: ManifestSummary = serde_json::from_slice(&store.get(&summary_key).await?)
        .map_err(|e| {
            format!(
                "{} is not an export's manifest summary: {e}",
                store.url(&summary_key)
            )
        })?;
    if let Some(format) = summary
        .output_format
        .as_deref()
        .filter(|f| *f != "DYNAMODB_JSON")
    {
        return Err(format!(
            "the export at {} is in {format}; backfill reads DYNAMODB_JSON exports: export the table again with --export-format DYNAMODB_JSON",
            store.url(&export.folder)
        ));
    }
    let export_time_ms = match &summary.export_time {
        None => None,
        Some(time) => Some(
            chrono::DateTime::parse_from_rfc3339(time)
                .map_err(|e| {
                    format!(
                        "{}: exportTime `{time}` is not a time: {e}",
                        store.url(&summary_key)
                    )
                })?
                .timestamp_millis(),
        ),
    };
    let files_key = resolve(
        summary
            .manifest_files_s3_key
            .as_deref()
            .unwrap_or("manifest-files.json"),
        &listing,
        &format!("{}/manifest-files.json", export.folder),
    );
    let manifest = store.get(&files_key).await?;
    let mut files = Vec::new();
    for (index, line) in manifest.split(|b| *b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let line: ManifestLine = serde_json::from_slice(line).map_err(|e| {
            format!(
                "line {} of {} is not a data file's entry: {e}",
                index + 1,
                store.url(&files_key)
            )
        })?;
        let fallback = format!(
            "{}/data/{}",
            export.folder,
            file_name(&line.data_file_s3_key)
        );
        files.push(DataFile {
            key: resolve(&line.data_file_s3_key, &listing, &fallback),
            item_count: line.item_count,
            md5: line.md5_checksum,
        });
    }
    Ok(ExportContents {
        export_time_ms,
        item_count: summary.item_count,
        files,
    })
}

/// A key a manifest names, as listed: as it is, or (AWS's examples leave
/// the export's prefix out) the listed key that ends with it, or `fallback`.
fn resolve(key: &str, listing: &[String], fallback: &str) -> String {
    if listing.iter().any(|listed| listed == key) {
        return key.to_owned();
    }
    let suffix = format!("/{}", key.trim_start_matches('/'));
    listing
        .iter()
        .find(|listed| listed.ends_with(&suffix))
        .cloned()
        .unwrap_or_else(|| fallback.to_owned())
}

fn file_name(key: &str) -> &str {
    key.rsplit('/').next().unwrap_or(key)
}

/// Checks an object against its manifest line's MD5.
pub(super) fn verify_md5(bytes: &[u8], file: &DataFile, url: &str) -> Result<(), String> {
    let Some(expected) = &file.md5 else {
        return Ok(());
    };
    let actual = base64::engine::general_purpose::STANDARD.encode(Md5::digest(bytes));
    if &actual == expected {
        Ok(())
    } else {
        Err(format!(
            "data file {url} has MD5 {actual}, and manifest-files.json says {expected}: the export is damaged or was \
             changed; export the table again"
        ))
    }
}

/// A piece of an export read: records, and how far into its file they go.
pub(super) struct Chunk {
    pub(super) records: Vec<SourceRecord>,
    pub(super) position: FileProgress,
    /// The file was read to its end (and its item count checked).
    pub(super) file_done: bool,
}

/// Reads an export's data files a chunk of lines at a time.
pub(super) struct ExportReader<'a, S> {
    store: &'a S,
    items: &'a BackfillTable,
    /// Files still to open, next last.
    files: Vec<DataFile>,
    /// A file to start past this many lines (a resumed one).
    resume: Option<FileProgress>,
    open: Option<OpenFile>,
}

struct OpenFile {
    file: DataFile,
    url: String,
    reader: Option<BufReader<flate2::read::MultiGzDecoder<Cursor<Vec<u8>>>>>,
    lines: u64,
    items: u64,
}

impl<'a, S: ExportStore> ExportReader<'a, S> {
    /// Reads the files of `contents` not in `files_done`, the one of
    /// `current` from its line on.
    pub(super) fn new(
        store: &'a S,
        items: &'a BackfillTable,
        contents: &ExportContents,
        files_done: &[String],
        current: Option<FileProgress>,
    ) -> Self {
        let mut files: Vec<DataFile> = contents
            .files
            .iter()
            .filter(|file| !files_done.contains(&file.key))
            .cloned()
            .collect();
        files.reverse();
        ExportReader {
            store,
            items,
            files,
            resume: current,
            open: None,
        }
    }

    /// The next chunk; `None` when every file was read.
    pub(super) async fn next_chunk(&mut self) -> Result<Option<Chunk>, String> {
        if self.open.is_none() {
            let Some(file) = self.files.pop() else {
                return Ok(None);
            };
            self.open = Some(self.open_file(file).await?);
        }
        let Some(open) = self.open.as_mut() else {
            return Ok(None);
        };
        let mut records = Vec::new();
        let mut line = Vec::new();
        let mut ended = false;
        while records.len() < LINES_PER_CHUNK {
            if !open.next_item_line(&mut line)? {
                ended = true;
                break;
            }
            let place = format!("line {} of {}", open.lines, open.url);
            records.push(self.items.export_line_record(line.trim_ascii_end(), &place));
        }
        let position = FileProgress {
            file: open.file.key.clone(),
            lines: open.lines,
        };
        if ended {
            if let Some(expected) = open.file.item_count.filter(|n| *n != open.items) {
                return Err(format!(
                    "data file {} holds {} items, and manifest-files.json says {expected}: the export is damaged \
                     or incomplete; export the table again",
                    open.url, open.items
                ));
            }
            self.open = None;
        }
        Ok(Some(Chunk {
            records,
            position,
            file_done: ended,
        }))
    }

    async fn open_file(&mut self, file: DataFile) -> Result<OpenFile, String> {
        let url = self.store.url(&file.key);
        let bytes = self.store.get(&file.key).await?;
        verify_md5(&bytes, &file, &url)?;
        let mut open = OpenFile {
            url,
            reader: (!bytes.is_empty())
                .then(|| BufReader::new(flate2::read::MultiGzDecoder::new(Cursor::new(bytes)))),
            file,
            lines: 0,
            items: 0,
        };
        let skip = match self.resume.take() {
            Some(resume) if resume.file == open.file.key => resume.lines,
            Some(other) => {
                self.resume = Some(other);
                0
            }
            None => 0,
        };
        let mut line = Vec::new();
        while open.lines < skip && open.next_item_line(&mut line)? {}
        Ok(open)
    }
}

impl OpenFile {
    /// Reads the next line holding an item into `line` (blank lines are
    /// counted and passed over); `false` at the end of the file.
    fn next_item_line(&mut self, line: &mut Vec<u8>) -> Result<bool, String> {
        let Some(reader) = self.reader.as_mut() else {
            return Ok(false);
        };
        loop {
            line.clear();
            match reader.read_until(b'\n', line) {
                Ok(0) => return Ok(false),
                Ok(_) => {
                    self.lines += 1;
                    if !line.iter().all(u8::is_ascii_whitespace) {
                        self.items += 1;
                        return Ok(true);
                    }
                }
                Err(error) => {
                    return Err(format!(
                        "data file {} cannot be read past line {}: {error}",
                        self.url, self.lines
                    ));
                }
            }
        }
    }
}

/// Reads every byte of `reader`; for tests.
#[cfg(test)]
fn gunzip(bytes: &[u8]) -> String {
    use std::io::Read as _;
    let mut text = String::new();
    flate2::read::MultiGzDecoder::new(bytes)
        .read_to_string(&mut text)
        .unwrap();
    text
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use serde_json::{Value, json};
    use tributary_connectors::sources::DynamodbPayload;

    use super::*;

    /// An export store over a local folder, keys being paths under it.
    struct FolderStore(PathBuf);

    impl ExportStore for FolderStore {
        async fn list(&self, prefix: &str) -> Result<Vec<String>, String> {
            let mut keys = Vec::new();
            let mut folders = vec![self.0.clone()];
            while let Some(folder) = folders.pop() {
                for entry in std::fs::read_dir(&folder).map_err(|e| e.to_string())? {
                    let path = entry.map_err(|e| e.to_string())?.path();
                    if path.is_dir() {
                        folders.push(path);
                    } else {
                        let key = path
                            .strip_prefix(&self.0)
                            .unwrap()
                            .to_string_lossy()
                            .into_owned();
                        if key.starts_with(prefix) && !key.ends_with("README.md") {
                            keys.push(key);
                        }
                    }
                }
            }
            keys.sort();
            Ok(keys)
        }

        async fn get(&self, key: &str) -> Result<Vec<u8>, String> {
            std::fs::read(self.0.join(key)).map_err(|e| format!("{key}: {e}"))
        }

        fn url(&self, key: &str) -> String {
            format!("s3://fixtures/{key}")
        }
    }

    fn fixtures() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dynamodb-export")
    }

    fn items() -> BackfillTable {
        BackfillTable::new(
            "orders",
            "arn:aws:dynamodb:us-east-1:123456789012:table/orders/stream/2020-10-15T00:00:00.000",
            vec!["pk".to_owned(), "sk".to_owned()],
            0,
            DynamodbPayload::Item,
        )
    }

    fn block_on<T>(future: impl Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(future)
    }

    /// Every chunk of an export from the given point, as plain JSON data.
    fn read_all(
        store: &FolderStore,
        contents: &ExportContents,
        done: &[String],
        current: Option<FileProgress>,
    ) -> Result<Vec<(Value, FileProgress)>, String> {
        let items = items();
        block_on(async {
            let mut reader = ExportReader::new(store, &items, contents, done, current);
            let mut out = Vec::new();
            while let Some(chunk) = reader.next_chunk().await? {
                for record in chunk.records {
                    assert!(record.error.is_none(), "{:?}", record.error);
                    out.push((
                        serde_json::from_slice(&record.data).unwrap(),
                        chunk.position.clone(),
                    ));
                }
            }
            Ok(out)
        })
    }

    const AWS_FOLDER: &str = "aws/exports/AWSDynamoDB/01700000000000-a1b2c3d4";

    /// The AWS-shaped fixture export, and what its manifests say.
    fn aws_export() -> (FolderStore, ExportContents) {
        let store = FolderStore(fixtures());
        let export = ExportFolder {
            folder: AWS_FOLDER.to_owned(),
            layout: Layout::Manifests,
        };
        let contents = block_on(contents(&store, &export)).unwrap();
        (store, contents)
    }

    #[test]
    fn an_aws_export_is_found_by_its_manifest_and_read_whole() {
        let store = FolderStore(fixtures());
        let keys = block_on(store.list("aws/exports")).unwrap();
        let export = locate(&keys, "s3://fixtures/aws/exports").unwrap();
        assert_eq!(
            export,
            ExportFolder {
                folder: AWS_FOLDER.to_owned(),
                layout: Layout::Manifests
            }
        );
        let contents = block_on(contents(&store, &export)).unwrap();
        assert_eq!(contents.export_time_ms, Some(1_602_789_010_234));
        assert_eq!(contents.item_count, Some(3));
        assert_eq!(
            contents.files.len(),
            2,
            "a data file and an empty partition's"
        );
        let items = read_all(&store, &contents, &[], None).unwrap();
        let data: Vec<&Value> = items.iter().map(|(data, _)| data).collect();
        assert_eq!(data.len(), 3);
        assert_eq!(
            data[0],
            &json!({"b": "AAEqQQ==", "bs": ["AAEqQQ=="], "l": ["x", 1], "m": {"x": -3}, "n": 1.5,
                    "ns": [1, 2.25], "nothing": null, "pk": "order#1", "s": "a", "sk": 1,
                    "ss": ["a", "b"], "t": true})
        );
    }

    #[test]
    fn a_resumed_export_skips_the_files_and_lines_already_sent() {
        let (store, contents) = aws_export();
        let first = contents.files[0].key.clone();
        let resumed = read_all(
            &store,
            &contents,
            &[],
            Some(FileProgress {
                file: first.clone(),
                lines: 2,
            }),
        )
        .unwrap();
        assert_eq!(resumed.len(), 1);
        assert_eq!(resumed[0].0["pk"], "order#3");
        assert_eq!(
            resumed[0].1,
            FileProgress {
                file: first.clone(),
                lines: 3
            }
        );
        assert!(
            read_all(&store, &contents, &[first], None)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn a_data_file_whose_md5_or_item_count_differs_from_its_manifest_is_an_error_naming_it() {
        let (store, mut contents) = aws_export();
        let mut damaged = contents.clone();
        damaged.files[0].md5 = Some("AAAAAAAAAAAAAAAAAAAAAA==".to_owned());
        let error = read_all(&store, &damaged, &[], None)
            .map(|_| ())
            .unwrap_err();
        assert!(
            error.contains("MD5") && error.contains(&damaged.files[0].key),
            "{error}"
        );
        contents.files[0].item_count = Some(4);
        let error = read_all(&store, &contents, &[], None)
            .map(|_| ())
            .unwrap_err();
        assert!(
            error.contains("holds 3 items") && error.contains(&contents.files[0].key),
            "{error}"
        );
    }

    #[test]
    fn motos_export_without_manifests_is_read_from_its_data_files() {
        let store = FolderStore(fixtures());
        let keys = block_on(store.list("moto/")).unwrap();
        let export = locate(&keys, "s3://fixtures/moto").unwrap();
        assert_eq!(export.layout, Layout::DataFilesOnly);
        let contents = block_on(contents(&store, &export)).unwrap();
        assert_eq!(contents.export_time_ms, None, "moto writes no summary");
        let items = read_all(&store, &contents, &[], None).unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(items[1].0, json!({"pk": "p2", "sk": 2, "v": ["x"]}));
    }

    #[test]
    fn a_prefix_without_an_export_or_with_several_is_a_clear_error() {
        let error = locate(&["a/b.txt".to_owned()], "s3://b/a").unwrap_err();
        assert!(
            error.contains("no DynamoDB export under s3://b/a"),
            "{error}"
        );
        let keys = [
            "p/AWSDynamoDB/1/manifest-summary.json".to_owned(),
            "p/AWSDynamoDB/2/manifest-summary.json".to_owned(),
        ];
        let error = locate(&keys, "s3://b/p").unwrap_err();
        assert!(
            error.contains("2 exports") && error.contains("p/AWSDynamoDB/2"),
            "{error}"
        );
    }

    #[test]
    fn manifest_keys_without_the_prefix_resolve_against_the_listing() {
        let listing = ["pre/AWSDynamoDB/1/manifest-files.json".to_owned()];
        assert_eq!(
            resolve("AWSDynamoDB/1/manifest-files.json", &listing, "x"),
            "pre/AWSDynamoDB/1/manifest-files.json"
        );
        assert_eq!(resolve("missing.json", &listing, "fallback"), "fallback");
    }

    #[test]
    fn s3_addresses_are_read_or_refused() {
        assert_eq!(
            parse_s3_url("s3://b/p/q/").unwrap(),
            ("b".to_owned(), "p/q".to_owned())
        );
        assert_eq!(
            parse_s3_url("s3://b").unwrap(),
            ("b".to_owned(), String::new())
        );
        assert!(parse_s3_url("b/p").is_err());
        assert!(parse_s3_url("s3:///p").is_err());
    }

    #[test]
    fn the_fixture_data_file_is_gzip_json_lines_of_items() {
        let (_, contents) = aws_export();
        let text = gunzip(&std::fs::read(fixtures().join(&contents.files[0].key)).unwrap());
        assert_eq!(text.lines().count(), 3);
        assert!(text.lines().all(|l| l.starts_with("{\"Item\":")));
    }
}
