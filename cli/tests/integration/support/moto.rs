//! A moto server (pip `moto[server]`) on 127.0.0.1, started once per test
//! binary, standing in for Kinesis, DynamoDB Streams, S3 and SQS; and the
//! boto3 scripts that set up and read its streams, buckets and queues.

use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde_json::Value;

struct Server {
    url: String,
    _child: Mutex<Child>,
}

static SERVER: OnceLock<Server> = OnceLock::new();

/// The URL of the moto server, starting it on first use. Fails the test,
/// with what to install, when it cannot start.
pub fn url() -> &'static str {
    &SERVER.get_or_init(start).url
}

fn start() -> Server {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new("python3")
        .args([
            "-m",
            "moto.server",
            "-H",
            "127.0.0.1",
            "-p",
            &port.to_string(),
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3 runs");
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("moto did not start ({status}): pip install \"moto[server]\"");
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "moto did not listen in 60 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    Server {
        url: format!("http://127.0.0.1:{port}"),
        _child: Mutex::new(child),
    }
}

/// Runs tests/fixtures/moto/streams.py against the server; gives its JSON.
pub fn streams(args: &[&str]) -> Value {
    script("streams.py", args)
}

/// Runs tests/fixtures/moto/failures.py (buckets and queues of failures)
/// against the server; gives its JSON.
pub fn failures(args: &[&str]) -> Value {
    script("failures.py", args)
}

/// Runs tests/fixtures/moto/s3.py against the server; gives its JSON.
pub fn s3(args: &[&str]) -> Value {
    script("s3.py", args)
}

/// Runs tests/fixtures/moto/tables.py (DynamoDB tables for backfills)
/// against the server; gives its JSON.
pub fn tables(args: &[&str]) -> Value {
    script("tables.py", args)
}

fn script(name: &str, args: &[&str]) -> Value {
    let output = Command::new("python3")
        .arg(super::root().join("tests/fixtures/moto").join(name))
        .arg(url())
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{name} {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// Records a moto stream into `out` with `tributary record FLAG NAME
/// --until-caught-up` (`FLAG` is `--stream` or `--table`); fails the test
/// when the command fails.
pub fn record(flag: &str, name: &str, out: &Path) {
    let (output, stdout, stderr) = super::run(
        tributary()
            .args([
                "record",
                flag,
                name,
                "--until-caught-up",
                "--endpoint-url",
                url(),
                "--out",
            ])
            .arg(out),
    );
    assert!(output.status.success(), "{stdout}{stderr}");
}

/// The `tributary` command with moto's credentials and region, and nothing
/// of the machine's AWS configuration.
pub fn tributary() -> Command {
    let mut command = super::tributary();
    command
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env_remove("AWS_PROFILE");
    command
}
