//! The Lambda runtime API of `cargo lambda watch` (pip package
//! `cargo-lambda`), and the `bootstrap` function running against it.
//!
//! The emulator runs with `--only-lambda-apis`: it serves the runtime API and
//! the invoke API, and the test starts the bootstrap that `cargo test` built,
//! with the environment Lambda gives a function. Nothing here is a mock: the
//! bootstrap polls, receives and answers invocations over HTTP exactly as it
//! does in Lambda.

use std::io::Read as _;
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `cargo lambda watch --only-lambda-apis` process on a free local port.
pub struct Emulator {
    child: Child,
    port: u16,
}

impl Emulator {
    /// Starts the emulator and waits until it accepts connections. Fails
    /// the test, with what to do, when `cargo lambda` is not installed.
    pub fn start() -> Self {
        let port = free_port();
        let log = tempfile::NamedTempFile::new().unwrap();
        let child = Command::new("cargo")
            .args([
                "lambda",
                "watch",
                "--only-lambda-apis",
                "--invoke-address",
                "127.0.0.1",
            ])
            .args(["--invoke-port", &port.to_string()])
            .current_dir(super::root())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log.reopen().unwrap())
            .spawn()
            .expect("cannot run `cargo lambda`: install it with `pip install cargo-lambda`");
        let mut emulator = Emulator { child, port };
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = emulator.child.try_wait() {
                let mut text = String::new();
                log.reopen().unwrap().read_to_string(&mut text).unwrap();
                panic!(
                    "`cargo lambda watch` exited with {status} (install it with `pip install cargo-lambda`):\n{text}"
                );
            }
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "`cargo lambda watch` did not start listening in 120 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        emulator
    }

    /// Starts the bootstrap against this emulator, running `pipeline`.
    pub fn function(&self, pipeline: &Path) -> Function {
        let log = tempfile::NamedTempFile::new().unwrap();
        let child = bootstrap(pipeline)
            .env(
                "AWS_LAMBDA_RUNTIME_API",
                format!("http://127.0.0.1:{}/.rt", self.port),
            )
            .stdout(log.reopen().unwrap())
            .stderr(log.reopen().unwrap())
            .spawn()
            .expect("the bootstrap starts");
        Function { child, log }
    }

    /// Invokes the function as Lambda's invoke API does; gives the HTTP
    /// status and the body the function answered.
    pub fn invoke(&self, event: &str) -> (u16, String) {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .new_agent();
        let mut response = agent
            .post(&format!(
                "http://127.0.0.1:{}/2015-03-31/functions/_/invocations",
                self.port
            ))
            .send(event)
            .expect("the emulator answers");
        let status = response.status().as_u16();
        (status, response.body_mut().read_to_string().unwrap())
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The bootstrap command with the environment Lambda gives a function.
pub fn bootstrap(pipeline: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bootstrap"));
    command
        .env("TRIBUTARY_PIPELINE", pipeline)
        .env("AWS_LAMBDA_FUNCTION_NAME", "_")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env_remove("AWS_LAMBDA_MAX_CONCURRENCY")
        .stdin(Stdio::null());
    command
}

/// A running bootstrap.
pub struct Function {
    child: Child,
    log: tempfile::NamedTempFile,
}

impl Function {
    /// Stops the function and gives what it wrote (its JSON logs and metric
    /// lines).
    pub fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let mut text = String::new();
        self.log
            .reopen()
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        text
    }
}

impl Drop for Function {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
