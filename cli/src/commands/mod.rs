//! Defines tributary's command line: `init`, `validate`, `schema`, `explain`,
//! `replay`, `invoke`, `record`, `backfill`, `redrive`, `test`,
//! `test-pattern`, `grep`, `remap`, `package`, `deploy` and `completions`.
//! Every command's `--help` ends with examples that work from the
//! repository's root.
//!
//! [`run`] takes the processor [`Registry`], so a user who adds processors
//! gets the whole command line with them by calling it from their own `main`.

mod backfill;
mod completions;
mod explain;
mod init;
mod invoke;
mod package;
mod pattern;
mod record;
mod redrive;
mod remap;
mod replay;
mod summary;
mod test;
mod validate;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory as _, Parser, Subcommand};
use tributary_processors::Registry;

/// Declare a stream pipeline in TOML; run it on AWS Lambda; replay it locally.
#[derive(Debug, Parser)]
#[command(
    name = "tributary",
    version,
    about,
    after_help = "Examples:
  tributary init --source kinesis clicks
  tributary validate examples/*/pipeline.toml
  tributary explain examples/search/pipeline.toml
  tributary test examples/purchases/pipeline.toml"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Start a pipeline: write DIR/pipeline.toml (a filter, a jsonl sink and
    /// [[tests]] that pass), the JSON Schema its `#:schema` line points at,
    /// and a Lambda event for `invoke`; never over a file that is there.
    #[command(after_help = "Examples:
  tributary init clicks
  tributary init --source dynamodb_streams orders
  tributary init --source eventbridge --name order-alerts .")]
    Init {
        /// The folder to write into; made if missing.
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// The source the pipeline reads.
        #[arg(long, value_enum, default_value = "kinesis")]
        source: init::InitSource,
        /// The pipeline's name (its function's): 1 to 64 letters, digits,
        /// `-` and `_`; default: the folder's name.
        #[arg(long)]
        name: Option<String>,
    },
    /// Check pipeline files; exit 0 when all are valid, 1 otherwise.
    #[command(after_help = "Examples:
  tributary validate examples/purchases/pipeline.toml
  tributary validate examples/*/pipeline.toml")]
    Validate {
        /// The pipeline files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Print the JSON Schema of the pipeline file, for editors.
    #[command(after_help = "Examples:
  tributary schema > schema/pipeline.schema.json")]
    Schema,
    /// Say what a pipeline does, in plain words: its source and event source
    /// mapping, each processor, which sink takes which records, and whether
    /// Lambda filters records before they invoke the function (and if not,
    /// why not).
    #[command(after_help = "Examples:
  tributary explain examples/search/pipeline.toml
  tributary explain examples/orders/pipeline.toml")]
    Explain {
        /// The pipeline file.
        pipeline: PathBuf,
    },
    /// Run the `[[tests]]` of pipeline files: exit 0 when all pass, 1 otherwise.
    #[command(after_help = "Examples:
  tributary test examples/purchases/pipeline.toml
  tributary test --json examples/alerts/pipeline.toml")]
    Test {
        /// The pipeline files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Print the results as one JSON document on standard output
        /// (docs/replay.md#summaries).
        #[arg(long)]
        json: bool,
    },
    /// Replay a recorded stream through a pipeline, in Lambda-sized batches;
    /// or, with --to-kinesis, put it into a Kinesis stream.
    #[command(after_help = "Examples:
  tributary replay examples/clickstream/pipeline.toml --recording examples/clickstream/recording.jsonl
  tributary replay examples/purchases/pipeline.toml --recording examples/clickstream/recording.jsonl --batch-size 50 --json
  tributary replay --to-kinesis clickstream --recording examples/clickstream/recording.jsonl --rate 500")]
    Replay {
        /// The pipeline file.
        #[arg(required_unless_present = "to_kinesis")]
        pipeline: Option<PathBuf>,
        /// The recording to replay (see docs/recording-format.md).
        #[arg(long)]
        recording: PathBuf,
        /// Records per batch; default: the source's `batch_size`.
        #[arg(long)]
        batch_size: Option<u32>,
        /// Never show a progress bar.
        #[arg(long)]
        no_progress: bool,
        /// Print the summary as one JSON document on standard output
        /// (docs/replay.md#summaries) instead of text on standard error.
        #[arg(long)]
        json: bool,
        /// Replay at this multiple of the recorded pace (1 as recorded, 10
        /// ten times faster); default as fast as possible.
        #[arg(long)]
        speed: Option<f64>,
        /// Put the recording's records into this Kinesis stream (name or
        /// ARN) with PutRecords, partition keys kept, instead of running a
        /// pipeline.
        #[arg(long)]
        to_kinesis: Option<String>,
        /// With --to-kinesis: at most this many records a second.
        #[arg(long, default_value_t = 1000)]
        rate: u32,
        #[command(flatten)]
        aws: AwsArgs,
    },
    /// Record a Kinesis stream (--stream) or a DynamoDB table's stream
    /// (--table) into a recording; a name ending in .gz is gzip-compressed.
    #[command(after_help = "Examples:
  tributary record --stream clickstream --out clicks.jsonl.gz --until-caught-up
  tributary record --table orders --out orders.jsonl --max-records 10000
  tributary replay examples/orders/pipeline.toml --recording orders.jsonl")]
    Record {
        /// The Kinesis stream, by name or ARN.
        #[arg(long, conflicts_with = "table")]
        stream: Option<String>,
        /// The DynamoDB table whose stream to record.
        #[arg(long)]
        table: Option<String>,
        /// The recording to write.
        #[arg(long)]
        out: PathBuf,
        /// Where to start: `trim-horizon` (the oldest record), `latest`, or
        /// an RFC 3339 time.
        #[arg(long, default_value = "trim-horizon")]
        from: String,
        /// Stop after this many records.
        #[arg(long)]
        max_records: Option<u64>,
        /// Stop after this many seconds.
        #[arg(long)]
        duration: Option<u64>,
        /// Stop once every shard is read to its end for now.
        #[arg(long)]
        until_caught_up: bool,
        #[command(flatten)]
        aws: AwsArgs,
    },
    /// Send every item of a DynamoDB table through a `dynamodb_streams`
    /// pipeline, as the INSERTs that made them (same plain JSON and document
    /// ids as the stream's changes): by a parallel Scan (the default), from
    /// an export in S3 (--export), or from one it starts (--start-export).
    /// A checkpoint file lets a rerun resume. Exit 0 when every item was
    /// sent (the summary counts their fates), 1 for what must be fixed
    /// (pipeline, table, export, checkpoint), 2 when reading failed.
    #[command(after_help = "Examples:
  tributary backfill examples/orders/pipeline.toml --table orders --segments 4
  tributary backfill examples/orders/pipeline.toml --table orders --start-export --bucket MY-EXPORT-BUCKET")]
    Backfill {
        /// The pipeline file (its source: `type = "dynamodb_streams"`).
        pipeline: PathBuf,
        /// The DynamoDB table.
        #[arg(long)]
        table: String,
        /// Read a finished ExportTableToPointInTime export (DynamoDB JSON):
        /// s3://BUCKET/PREFIX, the prefix it was written to or its
        /// AWSDynamoDB/EXPORT_ID folder.
        #[arg(long, conflicts_with = "start_export")]
        export: Option<String>,
        /// Start an export (point-in-time recovery must be on), wait for it,
        /// then read it.
        #[arg(long, requires = "bucket")]
        start_export: bool,
        /// With --start-export: the bucket to export into.
        #[arg(long)]
        bucket: Option<String>,
        /// With --start-export: the key prefix to export under.
        #[arg(long, default_value = "tributary-backfill")]
        prefix: String,
        /// The time (RFC 3339) an export without a manifest summary (moto's)
        /// was made at; AWS's exports say it themselves.
        #[arg(long)]
        export_time: Option<String>,
        /// Scan in this many parallel segments.
        #[arg(long, default_value_t = 4)]
        segments: u32,
        /// Scan with strongly consistent reads.
        #[arg(long)]
        consistent_read: bool,
        /// The checkpoint file; default .tributary/backfill-TABLE.json.
        #[arg(long)]
        checkpoint: Option<PathBuf>,
        /// Ignore (and replace) the checkpoint: start over.
        #[arg(long)]
        restart: bool,
        /// Pause after the page or chunk that reaches this many items in
        /// this run (the checkpoint saved); the same command goes on.
        #[arg(long)]
        max_items: Option<u64>,
        /// Records per batch; default: the source's `batch_size`.
        #[arg(long)]
        batch_size: Option<u32>,
        /// Never show a progress bar.
        #[arg(long)]
        no_progress: bool,
        /// Print the summary as one JSON document on standard output
        /// (docs/mirror.md#progress-summary-exit-status) instead of text on
        /// standard error.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        aws: AwsArgs,
    },
    /// Turn failed records back into a recording, for `replay` (or `replay
    /// --to-kinesis`) to send through again: dead letters an `s3` sink wrote,
    /// or Lambda's on-failure records for Kinesis and DynamoDB Streams (an S3
    /// destination's objects, or SQS/SNS messages, whose ranges are read
    /// again from the stream). Exit 0 when every input was redriven whole, 1
    /// for invalid arguments or records of two streams (nothing written), 2
    /// when some input could not be read (the output holds the rest).
    #[command(after_help = "Examples:
  tributary redrive sqs://clickstream-failed --output failed.jsonl --delete-messages
  tributary redrive s3://my-dlq/dead/search/ --stage search --since 2026-11-28 --output failed.jsonl
  tributary replay examples/search/pipeline.toml --recording failed.jsonl")]
    Redrive {
        /// Where the failures are: s3://BUCKET/PREFIX (dead-letter objects or
        /// Lambda's on-failure objects, gzip or not, whatever their keys),
        /// sqs://QUEUE (a name or URL) or a queue's https:// URL, or a local
        /// file or folder of on-failure messages (one JSON document a file,
        /// or JSON Lines; SNS notifications are unwrapped) or dead-letter
        /// recordings.
        #[arg(required_unless_present = "from_file")]
        sources: Vec<String>,
        /// A local file or folder of on-failure messages or dead-letter
        /// recordings (as a SOURCE that is a path).
        #[arg(long)]
        from_file: Vec<PathBuf>,
        /// The recording to write; `-` for standard output; a name ending
        /// in .gz is gzip-compressed.
        #[arg(long)]
        output: String,
        /// Only records that arrived in their stream at this time or later
        /// (`arrival_ms`, the event time an `s3` sink's key formats): an RFC
        /// 3339 time, or a date (UTC) for its first millisecond.
        #[arg(long)]
        since: Option<String>,
        /// Only records that arrived before this time: an RFC 3339 time, or
        /// a date (UTC), which includes that whole day.
        #[arg(long)]
        until: Option<String>,
        /// Only dead letters that failed at this stage (a processor id, a
        /// sink name, `source`, `route`; the `error.stage` of each line);
        /// repeat for several. On-failure records have no stage.
        #[arg(long = "stage", value_name = "NAME")]
        stages: Vec<String>,
        /// Once the output is written, delete the SQS messages redriven
        /// whole; the others stay in the queue (default: none is deleted).
        #[arg(long)]
        delete_messages: bool,
        #[command(flatten)]
        aws: AwsArgs,
    },
    /// Run the Lambda handler once on a Lambda event and print the response
    /// Lambda would receive: how to debug a pipeline on a captured event.
    #[command(after_help = "Examples:
  tributary invoke examples/orders/pipeline.toml --event examples/orders/event.json
  tributary invoke examples/clickstream/pipeline.toml --event examples/clickstream/event.json --json")]
    Invoke {
        /// The pipeline file.
        pipeline: PathBuf,
        /// The Lambda event, as JSON (Kinesis, DynamoDB Streams or EventBridge).
        #[arg(long)]
        event: PathBuf,
        /// The function's timeout in seconds: the deadline the handler sees.
        #[arg(long, default_value_t = 60)]
        timeout: u64,
        /// Also print the metric lines (CloudWatch Embedded Metric Format)
        /// the function would write, on standard error.
        #[arg(long)]
        metrics: bool,
        /// Print the response and the summary as one JSON document on
        /// standard output (docs/replay.md#summaries).
        #[arg(long)]
        json: bool,
    },
    /// Test an event against an EventBridge event pattern, like `aws events
    /// test-event-pattern`: print `true` or `false`; exit 2 if either is invalid.
    #[command(after_help = r#"Examples:
  tributary test-pattern --event-pattern '{"source": ["shop.payments"]}' --event "$(cat examples/alerts/event.json)""#)]
    TestPattern {
        /// The event pattern, as JSON.
        #[arg(long)]
        event_pattern: String,
        /// The event, as JSON.
        #[arg(long)]
        event: String,
    },
    /// Print the JSON lines of FILE (or standard input) that match an event
    /// pattern: exit 0 if any matched, 1 if none, 2 on an error. On a
    /// recording, a line is a record: match its payload under `data`.
    #[command(after_help = r#"Examples:
  tributary grep --event-pattern '{"data": {"type": ["purchase"]}}' examples/clickstream/recording.jsonl
  tributary grep -v --event-pattern '{"data": {"type": ["page_view"]}}' examples/clickstream/recording.jsonl"#)]
    Grep {
        /// The event pattern, as JSON.
        #[arg(long)]
        event_pattern: String,
        /// The file; standard input when absent.
        file: Option<PathBuf>,
        /// Print the lines that do not match instead.
        #[arg(short = 'v', long)]
        invert_match: bool,
    },
    /// Try a remap (VRL) program on events, without a pipeline: print each
    /// result as a JSON line; exit 1 when the program does not compile, 2
    /// when an event failed.
    #[command(after_help = r#"Examples:
  tributary remap --source '.total = to_float!(.price) * to_float!(.quantity)' --event '{"price": 2.5, "quantity": 4}'
  tributary remap --program examples/cloudwatch-logs/parse.vrl --event events.jsonl"#)]
    Remap {
        /// The program file.
        #[arg(long, required_unless_present = "source", conflicts_with = "source")]
        program: Option<PathBuf>,
        /// The program's text.
        #[arg(long)]
        source: Option<String>,
        /// An event as JSON text, or a file of JSON lines; default: JSON
        /// lines on standard input.
        #[arg(long)]
        event: Option<String>,
    },
    /// Build the Lambda function of a pipeline: its zip, its CloudFormation
    /// template and its OpenSearch Serverless data access policy.
    #[command(after_help = "Examples:
  tributary package examples/search/pipeline.toml
  tributary package examples/orders/pipeline.toml --out target/package/orders")]
    Package {
        /// The pipeline file.
        pipeline: PathBuf,
        /// The folder to write; default `target/package/NAME`.
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        build: package::BuildArgs,
    },
    /// Package a pipeline, upload its zip to S3, and create or update its
    /// CloudFormation stack; print the stack's outputs.
    #[command(after_help = "Examples:
  tributary deploy examples/search/pipeline.toml --bucket my-artifact-bucket --dry-run
  tributary deploy examples/orders/pipeline.toml --bucket my-artifact-bucket")]
    Deploy {
        /// The pipeline file.
        pipeline: PathBuf,
        /// The stack's name; default `tributary-FUNCTION`.
        #[arg(long)]
        stack_name: Option<String>,
        /// The S3 bucket for the function's zip; created if missing.
        #[arg(long)]
        bucket: String,
        /// The folder to package into; default `target/package/NAME`.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Package and say what would be deployed, without calling AWS.
        #[arg(long)]
        dry_run: bool,
        /// How long to wait for the stack, in seconds.
        #[arg(long, default_value_t = 1800)]
        wait: u64,
        #[command(flatten)]
        build: package::BuildArgs,
        #[command(flatten)]
        aws: AwsArgs,
    },
    /// Print the completion script of a shell for tributary's commands and
    /// flags.
    #[command(after_help = "Examples:
  tributary completions bash > ~/.local/share/bash-completion/completions/tributary
  tributary completions zsh > ~/.zfunc/_tributary
  tributary completions fish > ~/.config/fish/completions/tributary.fish")]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

/// Where to reach AWS, as the AWS CLI takes it.
#[derive(Debug, clap::Args)]
struct AwsArgs {
    /// Send AWS requests to this URL instead (a local emulator).
    #[arg(long)]
    endpoint_url: Option<String>,
    /// The AWS region; default: the AWS default chain's.
    #[arg(long)]
    region: Option<String>,
}

impl AwsArgs {
    fn endpoint(self) -> tributary_connectors::sources::Endpoint {
        tributary_connectors::sources::Endpoint {
            url: self.endpoint_url,
            region: self.region,
        }
    }
}

/// The log filter when `TRIBUTARY_LOG` is not set: tributary's warnings,
/// and only the errors of the AWS SDK and its HTTP stack, whose warnings (an
/// instance metadata lookup for each credential search off EC2, a retry)
/// say nothing a summary does not; `TRIBUTARY_LOG=warn` shows them. A
/// target matches by prefix: `aws_smithy` is every `aws_smithy_*` crate.
const DEFAULT_LOG: &str = "warn,aws_config=error,aws_runtime=error,aws_sdk=error,aws_smithy=error,hyper=error,h2=error,rustls=error";

/// Exit status for something the user gave that must be fixed (a file, an
/// argument, an event or recording, the AWS setup), found before anything
/// was sent or written. README.md#exit-status is the table of all three.
const EXIT_INVALID: u8 = 1;
/// Exit status for a failure while working (an AWS call, a build, an input
/// read part of the way).
const EXIT_FAILED: u8 = 2;

/// Lets a write to a closed pipe end the process, as it does any Unix tool
/// (`tributary replay ... | head -1`), instead of failing the write: Rust
/// ignores SIGPIPE, and `println!` panics on the error. Call it first in
/// `main`.
pub fn end_quietly_on_a_closed_pipe() {
    sigpipe::reset();
}

/// The clap command that [`run`] parses: every subcommand, its flags and
/// its help.
pub fn command() -> clap::Command {
    Cli::command()
}

/// Parses the command line and runs the command, with processors from `registry`.
pub fn run(registry: Registry) -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    match cli.command {
        Command::Init { dir, source, name } => init::run(&dir, source, name, &registry),
        Command::Explain { pipeline } => explain::run(&pipeline, &registry),
        Command::Completions { shell } => completions::run(shell, Cli::command()),
        Command::Validate { files } => validate::run(&files, &registry),
        Command::Test { files, json } => test::run(&files, json, &registry),
        Command::Schema => {
            let schema = crate::schema::pipeline_schema(&registry);
            println!(
                "{}",
                serde_json::to_string_pretty(&schema).expect("a JSON value serializes")
            );
            ExitCode::SUCCESS
        }
        Command::Invoke {
            pipeline,
            event,
            timeout,
            metrics,
            json,
        } => invoke::run(
            &pipeline,
            &event,
            std::time::Duration::from_secs(timeout),
            metrics,
            json,
            &registry,
        ),
        Command::TestPattern {
            event_pattern,
            event,
        } => pattern::test_pattern(&event_pattern, &event),
        Command::Grep {
            event_pattern,
            file,
            invert_match,
        } => pattern::grep(&event_pattern, file.as_ref(), invert_match),
        Command::Remap {
            program,
            source,
            event,
        } => {
            let program = match (program, source) {
                (Some(file), _) => remap::ProgramText::File(file),
                (None, text) => remap::ProgramText::Inline(text.unwrap_or_default()),
            };
            remap::run(program, event.as_deref())
        }
        Command::Package {
            pipeline,
            out,
            build,
        } => package::package(&pipeline, out, build, &registry),
        Command::Deploy {
            pipeline,
            stack_name,
            bucket,
            out,
            dry_run,
            wait,
            build,
            aws,
        } => package::deploy(
            &pipeline,
            package::DeployArgs {
                stack_name,
                bucket,
                out,
                dry_run,
                wait_secs: wait,
                endpoint: aws.endpoint(),
            },
            build,
            &registry,
        ),
        Command::Replay {
            to_kinesis: Some(stream),
            recording,
            rate,
            aws,
            ..
        } => replay::to_kinesis(&recording, &stream, rate, aws.endpoint()),
        Command::Replay {
            pipeline,
            recording,
            batch_size,
            no_progress,
            speed,
            json,
            ..
        } => {
            let pipeline = pipeline.expect("clap requires a pipeline without --to-kinesis");
            let options = tributary::replay::ReplayOptions {
                batch_size,
                progress: !no_progress,
                log_invocations: false,
                speed,
            };
            replay::run(&pipeline, &recording, &options, json, &registry)
        }
        Command::Backfill {
            pipeline,
            table,
            export,
            start_export,
            bucket,
            prefix,
            export_time,
            segments,
            consistent_read,
            checkpoint,
            restart,
            max_items,
            batch_size,
            no_progress,
            json,
            aws,
        } => {
            let export_time_ms = match export_time
                .as_deref()
                .map(chrono::DateTime::parse_from_rfc3339)
            {
                None => None,
                Some(Ok(time)) => Some(time.timestamp_millis()),
                Some(Err(error)) => {
                    eprintln!("error: --export-time is not an RFC 3339 time: {error}");
                    return ExitCode::from(EXIT_INVALID);
                }
            };
            backfill::run(
                backfill::BackfillArgs {
                    pipeline,
                    table,
                    export,
                    start_export: bucket
                        .filter(|_| start_export)
                        .map(|bucket| (bucket, prefix)),
                    export_time_ms,
                    segments,
                    consistent_read,
                    checkpoint,
                    restart,
                    max_items,
                    progress: !no_progress,
                    batch_size,
                    endpoint: aws.endpoint(),
                    json,
                },
                &registry,
            )
        }
        Command::Redrive {
            sources,
            from_file,
            output,
            since,
            until,
            stages,
            delete_messages,
            aws,
        } => redrive::run(redrive::RedriveArgs {
            sources,
            from_files: from_file,
            output,
            since,
            until,
            stages,
            delete_messages,
            endpoint: aws.endpoint(),
        }),
        Command::Record {
            stream,
            table,
            out,
            from,
            max_records,
            duration,
            until_caught_up,
            aws,
        } => {
            let start = match record::start_at(&from) {
                Ok(start) => start,
                Err(message) => {
                    eprintln!("error: {message}");
                    return ExitCode::from(EXIT_INVALID);
                }
            };
            record::run(record::RecordArgs {
                stream: stream.as_deref(),
                table: table.as_deref(),
                out: &out,
                endpoint: aws.endpoint(),
                start,
                stop: tributary_connectors::sources::StopWhen {
                    max_records,
                    duration: duration.map(std::time::Duration::from_secs),
                    caught_up: until_caught_up,
                },
            })
        }
    }
}

/// Loads a pipeline file; when it is invalid, prints every problem and
/// gives the exit status to return.
fn load_plan(path: &std::path::Path, registry: &Registry) -> Result<tributary::Plan, ExitCode> {
    tributary::Plan::load(path, registry).map_err(|error| {
        eprint!("{error}");
        ExitCode::from(EXIT_INVALID)
    })
}

/// The single-threaded async runtime a command runs its AWS calls and
/// pipeline on; when it cannot start, says so and gives the exit status.
fn async_runtime() -> Result<tokio::runtime::Runtime, ExitCode> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| {
            eprintln!("error: cannot start the async runtime: {error}");
            ExitCode::from(EXIT_FAILED)
        })
}

/// Checks, before a command makes or sends anything, that AWS can be called
/// from here: the default chain gives a region and credentials. When not,
/// says what to set and gives the exit status.
fn check_aws(
    runtime: &tokio::runtime::Runtime,
    endpoint: &tributary_connectors::sources::Endpoint,
) -> Result<(), ExitCode> {
    runtime
        .block_on(endpoint.checked_sdk_config())
        .map(drop)
        .map_err(|error| {
            eprintln!("error: {error}");
            ExitCode::from(EXIT_INVALID)
        })
}

/// Now, in milliseconds since the Unix epoch (0 on a clock before it).
fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Human-readable logs on standard error; `TRIBUTARY_LOG` sets the filter
/// (default [`DEFAULT_LOG`]).
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("TRIBUTARY_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(DEFAULT_LOG));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(colour_on_stderr())
        .try_init();
}

/// Whether to colour what goes to standard error: only on a terminal, and
/// never with `NO_COLOR` set to anything but the empty string (no-color.org).
fn colour_on_stderr() -> bool {
    use std::io::IsTerminal as _;
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty());
    std::io::stderr().is_terminal() && !no_color
}
