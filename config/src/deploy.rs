//! The optional `[deploy]` table: how `tributary package` and `tributary
//! deploy` shape the Lambda function that runs the pipeline.
//!
//! The event source mapping's settings (batch size, retries, starting
//! position, ...) belong to the `[source]` table, because replays follow them
//! too; this table holds what only the deployed function has.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

use crate::{Diagnostic, Options};

/// The `[deploy]` table.
///
/// ```toml
/// [deploy]
/// memory_mb = 512
/// timeout_secs = 120
/// environment = { RUST_LOG = "info" }
/// ```
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeploySection {
    /// The Lambda function's name, 1 to 64 letters, digits, `-` and `_`.
    /// Default: the pipeline's name.
    #[serde(default)]
    pub function_name: Option<String>,
    /// The function's memory in MB, from 128 to 10240; Lambda gives CPU in
    /// proportion. Default 256.
    #[serde(default = "default_memory_mb")]
    pub memory_mb: u32,
    /// The function's timeout in seconds, from 1 to 900. Default 60.
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u32,
    /// The processor architecture: `x86_64` (the default) or `arm64`.
    #[serde(default)]
    pub architecture: Architecture,
    /// Environment variables of the function. The pipeline file is read in
    /// Lambda with these, so `${VAR}` in it takes their values there.
    #[serde(default)]
    pub environment: BTreeMap<String, String>,
    /// Whether a first `filter` processor is also given to Lambda as the
    /// event source mapping's filter criteria, when Lambda would decide every
    /// record the same way; records it drops then never invoke the function.
    /// Default true. `tributary package` says what it decided, and why.
    #[serde(default = "default_true")]
    pub filter_push_down: bool,
}

/// The Lambda function's instruction set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum Architecture {
    /// 64-bit x86.
    #[default]
    #[serde(rename = "x86_64")]
    X86_64,
    /// 64-bit ARM (Graviton).
    #[serde(rename = "arm64")]
    Arm64,
}

impl Architecture {
    /// The name Lambda uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Architecture::X86_64 => "x86_64",
            Architecture::Arm64 => "arm64",
        }
    }
}

impl Default for DeploySection {
    fn default() -> Self {
        DeploySection {
            function_name: None,
            memory_mb: default_memory_mb(),
            timeout_secs: default_timeout_secs(),
            architecture: Architecture::default(),
            environment: BTreeMap::new(),
            filter_push_down: true,
        }
    }
}

impl DeploySection {
    /// Reads and checks the `[deploy]` table.
    pub(crate) fn read(options: &Options) -> Result<Self, Diagnostic> {
        let section: DeploySection = options.deserialize()?;
        if let Some(name) = &section.function_name {
            let valid = (1..=64).contains(&name.len())
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !valid {
                return Err(options
                    .error_at(
                        "function_name",
                        format!("`{name}` is not a Lambda function name"),
                    )
                    .hint("use 1 to 64 letters, digits, `-` and `_`"));
            }
        }
        if !(128..=10_240).contains(&section.memory_mb) {
            return Err(options
                .error_at("memory_mb", "`memory_mb` must be between 128 and 10240")
                .hint("Lambda functions have 128 MB to 10,240 MB of memory"));
        }
        if !(1..=900).contains(&section.timeout_secs) {
            return Err(options
                .error_at("timeout_secs", "`timeout_secs` must be between 1 and 900")
                .hint("Lambda functions run for at most 15 minutes"));
        }
        if let Some(key) = section
            .environment
            .keys()
            .find(|key| !is_variable_name(key))
        {
            return Err(options
                .error_at(
                    "environment",
                    format!("`{key}` is not an environment variable name"),
                )
                .hint("Lambda takes names of letters, digits and `_`, starting with a letter"));
        }
        Ok(section)
    }
}

fn is_variable_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

fn default_memory_mb() -> u32 {
    256
}

fn default_timeout_secs() -> u32 {
    60
}

fn default_true() -> bool {
    true
}
