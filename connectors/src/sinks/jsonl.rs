//! `type = "jsonl"`: each output record as one line of JSON, to a file or stdout.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead as _, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use schemars::JsonSchema;
use serde::Deserialize;
use tributary_core::{
    BoxFuture, Delivery, DeliveryFailure, Record, SharedError, Sink, SinkError, SinkStats,
};

/// Writes each record's payload as one line of JSON (JSON Lines), to a file
/// or to standard output. For local runs, replays and tests.
///
/// ```toml
/// [sinks.out]
/// type = "jsonl"
/// path = "out/clicks.jsonl"
/// ```
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JsonlSinkConfig {
    /// The file to write, relative to the working directory; its folder is
    /// created if missing. `-` or no path writes to standard output.
    #[serde(default)]
    pub path: Option<PathBuf>,
    /// Append to the file instead of replacing it. Default false.
    #[serde(default)]
    pub append: bool,
}

impl JsonlSinkConfig {
    /// The file it writes; `None` for standard output.
    pub fn file(&self) -> Option<&Path> {
        self.path.as_deref().filter(|path| path.as_os_str() != "-")
    }

    /// How many lines the file holds now that [`Self::build`] would replace:
    /// `None` when it appends, writes to standard output, or the file does
    /// not exist (or cannot be read). A summary says so: a file is never
    /// replaced without a word.
    pub fn lines_replaced(&self) -> Option<u64> {
        if self.append {
            return None;
        }
        let file = File::open(self.file()?).ok()?;
        let mut lines = 0;
        let mut reader = io::BufReader::new(file);
        loop {
            let buffer = reader.fill_buf().ok()?;
            if buffer.is_empty() {
                return Some(lines);
            }
            lines += memchr::memchr_iter(b'\n', buffer).count() as u64;
            let read = buffer.len();
            reader.consume(read);
        }
    }

    /// Opens the file (or standard output). An error names the folder or
    /// file it could not make.
    pub fn build(&self) -> io::Result<JsonlSink> {
        let Some(path) = self.file() else {
            return Ok(JsonlSink::new(Box::new(io::stdout())));
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs::create_dir_all(parent)
                .map_err(|error| naming_path("cannot create the folder", parent, error))?;
        }
        let file = if self.append {
            OpenOptions::new().create(true).append(true).open(path)
        } else {
            File::create(path)
        };
        let file = file.map_err(|error| naming_path("cannot open", path, error))?;
        Ok(JsonlSink::new(Box::new(file)).writing_to(path))
    }
}

/// `error`, with what could not be done to which path.
fn naming_path(doing: &str, path: &Path, error: io::Error) -> io::Error {
    io::Error::new(
        error.kind(),
        format!("{doing} `{}`: {error}", path.display()),
    )
}

/// The JSON Lines sink: one compact JSON document a line.
pub struct JsonlSink {
    out: Box<dyn Write + Send>,
    buffer: Vec<u8>,
    /// Bytes written since the metrics last asked.
    written: u64,
    /// The file written, for errors; `None` for any other writer.
    path: Option<PathBuf>,
}

impl JsonlSink {
    /// A sink writing to `out`.
    pub fn new(out: Box<dyn Write + Send>) -> Self {
        JsonlSink {
            out,
            buffer: Vec::with_capacity(64 * 1024),
            written: 0,
            path: None,
        }
    }

    /// Names the file `out` writes, so a failed write says which.
    pub fn writing_to(mut self, path: &Path) -> Self {
        self.path = Some(path.to_path_buf());
        self
    }

    fn write_batch(&mut self, records: &mut [Record]) -> Delivery {
        let mut delivery = Delivery::default();
        self.buffer.clear();
        for (index, record) in records.iter_mut().enumerate() {
            let start = self.buffer.len();
            match record.payload.write_json_line(&mut self.buffer) {
                Ok(()) => self.buffer.push(b'\n'),
                Err(error) => {
                    self.buffer.truncate(start);
                    delivery.failures.push(DeliveryFailure {
                        index,
                        error: SinkError::Unsendable(error.to_string()),
                    });
                }
            }
        }
        let written = self
            .out
            .write_all(&self.buffer)
            .and_then(|()| self.out.flush());
        if written.is_ok() {
            self.written += self.buffer.len() as u64;
        }
        if let Err(error) = written {
            // Nothing of this batch is known to be written: all of it failed.
            let error = match &self.path {
                Some(path) => naming_path("cannot write", path, error),
                None => error,
            };
            let error: SharedError = Arc::new(error);
            delivery.failures = (0..records.len())
                .map(|index| DeliveryFailure {
                    index,
                    error: SinkError::Write(error.clone()),
                })
                .collect();
        }
        delivery
    }
}

impl Sink for JsonlSink {
    fn deliver<'a>(
        &'a mut self,
        records: &'a mut [Record],
        _deadline: Option<Instant>,
    ) -> BoxFuture<'a, Delivery> {
        let delivery = self.write_batch(records);
        Box::pin(async move { delivery })
    }

    fn take_stats(&mut self) -> SinkStats {
        SinkStats {
            bytes: std::mem::take(&mut self.written),
            ..SinkStats::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use tributary_core::{InputIndex, Origin, Payload, SourceKind};

    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().write(buf)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn record(i: u32, data: &'static [u8]) -> Record {
        let origin = Origin::new(SourceKind::Kinesis, "s", "shard-0", i.to_string());
        Record::new(origin, Payload::from_bytes(data), InputIndex(i))
    }

    #[test]
    fn writes_one_line_a_record_and_fails_only_the_invalid_ones() {
        let out = Shared::default();
        let mut sink = JsonlSink::new(Box::new(out.clone()));
        let mut records = vec![
            record(0, b"{\"a\":1}"),
            record(1, b"not json"),
            record(2, b"[1,\n2]"),
        ];
        let delivery = sink.write_batch(&mut records);
        assert_eq!(
            String::from_utf8(out.0.lock().unwrap().clone()).unwrap(),
            "{\"a\":1}\n[1,2]\n"
        );
        assert_eq!(delivery.failures.len(), 1);
        assert_eq!(delivery.failures[0].index, 1);
        assert!(!delivery.failures[0].transient());
    }

    #[test]
    fn says_how_many_lines_it_replaces_and_none_when_it_appends() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.jsonl");
        let mut config = JsonlSinkConfig {
            path: Some(path.clone()),
            append: false,
        };
        assert_eq!(config.lines_replaced(), None, "no file yet");
        fs::write(&path, "{}\n{}\n{}\n").unwrap();
        assert_eq!(config.lines_replaced(), Some(3));
        config.append = true;
        assert_eq!(config.lines_replaced(), None);
        config.path = Some(PathBuf::from("-"));
        config.append = false;
        assert_eq!((config.lines_replaced(), config.file()), (None, None));
    }

    #[test]
    fn creates_the_folder_of_its_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/out.jsonl");
        let config = JsonlSinkConfig {
            path: Some(path.clone()),
            append: false,
        };
        let mut sink = config.build().unwrap();
        sink.write_batch(&mut [record(0, b"{}")]);
        assert_eq!(fs::read_to_string(path).unwrap(), "{}\n");
    }
}
