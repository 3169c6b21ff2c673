//! What the user writes for an S3 sink: [`S3SinkConfig`], its checks at
//! their place in the file, and what `tributary package` reads of it.

use schemars::JsonSchema;
use serde::Deserialize;
use tributary_config::{Diagnostic, Options};

use super::key_template::{KeyTemplate, fixed_prefix};
use crate::sinks::request_settings::network_sink_config;

network_sink_config! {
    /// Writes records to Amazon S3, one object for each shard and key a
    /// batch fills: an archive in the recording format (which `tributary
    /// replay` reads back), JSON Lines of payloads (for Athena and similar),
    /// or, as the dead-letter sink, the records that failed with the reason.
    ///
    /// ```toml
    /// [sinks.archive]
    /// type = "s3"
    /// bucket = "my-archive"
    /// key = "raw/{pipeline}/%Y/%m/%d/%H/{shard}-{first_sequence}.jsonl.gz"
    /// ```
    #[derive(Debug, Clone, Deserialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct S3SinkConfig {
        /// The bucket's name. No default.
        pub bucket: String,
        /// The object key: a template with `{pipeline}` (the pipeline's
        /// name), `{shard}` (the records' shard), `{first_sequence}` (the
        /// sequence number of the object's first record, with `.N` for a
        /// sub-sequence) and strftime directives (`%Y`, `%m`, `%d`, `%H`,
        /// ...) for the arrival time of the object's records, in UTC. It must
        /// hold `{shard}` and `{first_sequence}`, so that no two batches write
        /// the same key. No default.
        pub key: String,
        /// `recording` (the default: the recording format, a header line and
        /// one line for each record with its origin, which `tributary replay`
        /// reads back) or `payloads` (one payload a line, JSON Lines).
        #[serde(default)]
        pub format: ObjectFormat,
        /// `gzip` (the default) or `none`.
        #[serde(default)]
        pub compression: Compression,
        /// The gzip level, from 1 (the fastest, the default) to 9 (the
        /// smallest objects).
        #[serde(default = "default_compression_level")]
        pub compression_level: u32,
        /// The most bytes of lines an object holds, before compression: a
        /// batch's records of one key go in as many objects as they need,
        /// cut between records (a record larger than this goes alone).
        /// Default 64 MiB.
        #[serde(default = "default_max_object_bytes")]
        pub max_object_bytes: usize,
        /// Another endpoint than AWS's, such as a local S3 emulator
        /// (`http://127.0.0.1:5000`); requests then name the bucket in the
        /// path. Default: AWS's.
        #[serde(default)]
        pub endpoint_url: Option<String>,
        /// The bucket's region. Default: the AWS default chain's
        /// (`AWS_REGION`).
        #[serde(default)]
        pub region: Option<String>,
        ..request_settings {
            max_in_flight {
                /// How many objects may be in flight at once (PutObject requests).
                /// Default 4.
            }
            requests_per_second {
                /// At most this many PutObject requests a second, per Lambda
                /// instance. Default: no limit.
            }
        }
    }
}

/// What an object holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ObjectFormat {
    /// The recording format: a header line with the source and the stream,
    /// then one line for each record with its origin and its bytes.
    #[default]
    Recording,
    /// One payload a line (JSON Lines).
    Payloads,
}

/// How an object is compressed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Compression {
    /// gzip.
    #[default]
    Gzip,
    /// None.
    None,
}

fn default_compression_level() -> u32 {
    1
}
fn default_max_object_bytes() -> usize {
    64 * 1024 * 1024
}

/// The largest object one PutObject writes: 5 GiB.
const MAX_PUT_OBJECT_BYTES: usize = 5 * 1024 * 1024 * 1024;

impl S3SinkConfig {
    /// Checks the settings at their place in the file.
    pub fn check(&self, options: &Options) -> Result<(), Diagnostic> {
        if let Err(reason) = check_bucket_name(&self.bucket) {
            return Err(options
                .error_at("bucket", reason)
                .hint("a bucket name is 3 to 63 lowercase letters, digits, `.` and `-`"));
        }
        if let Err(error) = KeyTemplate::parse(&self.key) {
            return Err(options
                .error_in_string("key", error.offset, error.message)
                .hint(error.hint));
        }
        if !(1..=9).contains(&self.compression_level) {
            return Err(options.error_at(
                "compression_level",
                "`compression_level` is from 1 (fastest) to 9 (smallest)",
            ));
        }
        if !(1..=MAX_PUT_OBJECT_BYTES).contains(&self.max_object_bytes) {
            return Err(options.error_at(
                "max_object_bytes",
                "`max_object_bytes` is from 1 to 5 GiB (5368709120), the most one PutObject writes",
            ));
        }
        if let Some(url) = &self.endpoint_url {
            let host = url
                .strip_prefix("https://")
                .or_else(|| url.strip_prefix("http://"));
            if host.is_none_or(str::is_empty) {
                return Err(options
                    .error_at(
                        "endpoint_url",
                        format!("`{url}` is not an http or https URL"),
                    )
                    .hint("such as http://127.0.0.1:5000, or leave it out for AWS's"));
            }
        }
        self.request_settings().check(options)
    }

    /// The bucket the sink writes to.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The key template's text before its first placeholder (`{`) or time
    /// directive (`%`): every key the sink writes starts with it, so a grant
    /// of `s3:PutObject` on `bucket/PREFIX*` covers them all.
    pub fn key_prefix(&self) -> &str {
        fixed_prefix(&self.key)
    }

    /// How the sink's requests are sent: each holds one object.
    #[cfg(feature = "s3")]
    pub(super) fn request_config(&self) -> crate::sinks::layers::RequestConfig {
        self.request_settings().request_config(None, 1)
    }
}

/// Checks S3's rules for bucket names (general purpose buckets).
fn check_bucket_name(bucket: &str) -> Result<(), String> {
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-';
    let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if !(3..=63).contains(&bucket.len()) {
        return Err(format!(
            "`{bucket}` is not a bucket name: it has {} characters",
            bucket.len()
        ));
    }
    if let Some(c) = bucket.chars().find(|c| !allowed(*c)) {
        return Err(format!("`{bucket}` is not a bucket name: it has `{c}`"));
    }
    if !edge(bucket.chars().next()) || !edge(bucket.chars().last()) {
        return Err(format!(
            "`{bucket}` is not a bucket name: it must start and end with a letter or digit"
        ));
    }
    if bucket.contains("..") {
        return Err(format!("`{bucket}` is not a bucket name: it has `..`"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(text: &str) -> Options {
        Options::from_toml("p.toml", text).unwrap()
    }

    /// The first problem with the sink's options: `file:line:column: `,
    /// then the diagnostic as the user reads it.
    fn problem(text: &str) -> String {
        let options = options(text);
        let diagnostic = match options.deserialize::<S3SinkConfig>() {
            Ok(config) => match config.check(&options) {
                Ok(()) => return "ok".to_owned(),
                Err(diagnostic) => diagnostic,
            },
            Err(diagnostic) => diagnostic,
        };
        let shown = diagnostic.to_string();
        let message = shown
            .lines()
            .next()
            .unwrap_or_default()
            .trim_start_matches("error: ");
        format!(
            "{}: {message}\n{shown}",
            diagnostic.position().unwrap_or_default()
        )
    }

    const MINIMAL: &str = "bucket = \"my-archive\"\nkey = \"raw/{pipeline}/%Y/%m/%d/%H/{shard}-{first_sequence}.jsonl.gz\"\n";

    #[test]
    fn the_minimal_example_parses_with_its_defaults() {
        let options = options(MINIMAL);
        let config: S3SinkConfig = options.deserialize().unwrap();
        config.check(&options).unwrap();
        assert_eq!(config.bucket(), "my-archive");
        assert_eq!(config.key_prefix(), "raw/");
        assert_eq!(config.format, ObjectFormat::Recording);
        assert_eq!(config.compression, Compression::Gzip);
        assert_eq!(config.compression_level, 1);
        assert_eq!(config.max_object_bytes, 64 * 1024 * 1024);
        let requests = config.request_settings().request_config(None, 1);
        assert_eq!((requests.max_attempts, requests.max_in_flight), (6, 4));
    }

    #[test]
    fn a_bad_key_template_is_reported_at_its_byte_in_the_file() {
        let unknown = problem("bucket = \"b-1\"\nkey = \"raw/{shrd}/{first_sequence}\"\n");
        assert!(
            unknown.starts_with("p.toml:2:12: unknown placeholder `{shrd}`"),
            "{unknown}"
        );
        assert!(unknown.contains("did you mean `{shard}`"), "{unknown}");
        let directive = problem("bucket = \"b-1\"\nkey = \"raw/%Y/%Q/{shard}-{first_sequence}\"\n");
        assert!(
            directive.starts_with("p.toml:2:15: `%Q` is not a time directive"),
            "{directive}"
        );
        let missing = problem("bucket = \"b-1\"\nkey = \"raw/%Y/{shard}.jsonl\"\n");
        assert!(
            missing.starts_with("p.toml:2:8: the key template has no `{first_sequence}`"),
            "{missing}"
        );
        assert!(missing.contains("overwrite"), "{missing}");
    }

    #[test]
    fn other_settings_are_checked_at_their_key() {
        let cases = [
            (
                "bucket = \"My_Bucket\"",
                "p.toml:1:10: `My_Bucket` is not a bucket name: it has `M`",
            ),
            (
                "bucket = \"ab\"",
                "p.toml:1:10: `ab` is not a bucket name: it has 2 characters",
            ),
            (
                "compression_level = 0",
                "p.toml:3:21: `compression_level` is from 1",
            ),
            (
                "max_object_bytes = 0",
                "p.toml:3:20: `max_object_bytes` is from 1",
            ),
            (
                "endpoint_url = \"ftp://x\"",
                "p.toml:3:16: `ftp://x` is not an http or https URL",
            ),
            (
                "max_attempts = 0",
                "p.toml:3:16: `max_attempts` must be at least 1",
            ),
            (
                "format = \"parquet\"",
                "p.toml:3:10: unknown value `parquet`",
            ),
        ];
        for (setting, expected) in cases {
            let text = if setting.starts_with("bucket") {
                format!("{setting}\nkey = \"{{shard}}/{{first_sequence}}\"\n")
            } else {
                format!("{MINIMAL}{setting}\n")
            };
            let problem = problem(&text);
            assert!(problem.starts_with(expected), "{setting}: {problem}");
        }
    }
}
