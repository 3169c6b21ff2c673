//! From a pipeline file to a deployed Lambda function: `tributary package`
//! and `tributary deploy`.
//!
//! [`package`] builds the function's zip (the `bootstrap` executable and the
//! pipeline file), the CloudFormation template of the function, its role and
//! what invokes it, and the OpenSearch Serverless data access policy of that
//! role. [`stack::deploy`] uploads the zip and creates or updates the stack.
//!
//! - `lambda_view`: the pipeline file as the function reads it, with its own
//!   environment;
//! - `template`: the stack, from the pipeline's `[source]` and `[deploy]`
//!   tables: the function and its role;
//! - `trigger`: what invokes the function, one file per source (event source
//!   mapping or rule, the role's right to read the source, whether the first
//!   filter is pushed down), behind one `match` over the source types;
//! - `access`: the role's least-privilege statements and the data access
//!   policy, from the sinks;
//! - `dashboard` and `alarms`: the CloudWatch dashboard and alarms of the
//!   function and the pipeline, on the metrics `metrics` names (Lambda's,
//!   and the pipeline's from `tributary::lambda::metrics::names`);
//! - `push_down`: the first filter, as it could be given to Lambda as well;
//! - `bootstrap` and `elf`: building the executable and checking it starts
//!   on `provided.al2023`; `features`: the runtime's cargo features it is
//!   built with (`remap`, `s3`), for what the pipeline uses;
//! - `archive`: the zip;
//! - `remap`: a bootstrap with VRL, and the program files, for pipelines
//!   that use `remap`;
//! - `stack`: talking to S3 and CloudFormation.

mod access;
mod alarms;
mod archive;
mod bootstrap;
mod dashboard;
mod elf;
mod features;
mod lambda_view;
mod metrics;
mod push_down;
mod remap;
pub mod stack;
mod template;
mod trigger;

pub use access::{ROLE_ARN_PLACEHOLDER, access_policy_name};
pub use alarms::Alarms;
pub use bootstrap::BootstrapSource;
pub use dashboard::Dashboard;
pub use elf::{AL2023_GLIBC, GlibcVersion, required_glibc};
pub use metrics::MetricReference;
pub use push_down::{MAX_FILTERS, MAX_PATTERN_CHARS, PushDown};
pub use template::{CODE_BUCKET, CODE_KEY, StackTemplate};
pub use trigger::SOURCE_STREAM_ARN;

use std::path::{Path, PathBuf};

use tributary_config::{ConfigError, PipelineConfig};
use tributary_processors::Registry;

use tributary::Plan;

/// What `package` decides about giving Lambda the first filter (or the
/// sinks' routes) of a pipeline that is valid, without packaging it: for
/// `tributary explain`.
pub fn push_down(config: &PipelineConfig, plan: &Plan) -> PushDown {
    trigger::push_down(config, plan.source(), plan.on_error())
}

/// Why a pipeline could not be packaged or deployed.
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    /// The pipeline file cannot be deployed as written.
    #[error("{0}")]
    Invalid(ConfigError),
    /// Building, writing, or talking to AWS failed.
    #[error("{0:#}")]
    Failed(anyhow::Error),
}

impl DeployError {
    /// A problem with the `[source]` table, placed at it.
    fn source(config: &PipelineConfig, message: &str, hint: &str) -> Self {
        let diagnostic = tributary_config::Diagnostic::new(message)
            .at(&config.file, config.source.span())
            .hint(hint);
        DeployError::Invalid(diagnostic.into())
    }

    fn invalid(message: impl Into<String>) -> Self {
        DeployError::Invalid(tributary_config::Diagnostic::new(message).into())
    }

    fn failed(message: impl std::fmt::Display) -> Self {
        DeployError::Failed(anyhow::anyhow!("{message}"))
    }
}

/// What `package` needs besides the pipeline file.
#[derive(Debug, Clone)]
pub struct PackageOptions {
    /// The folder to write into; created if missing.
    pub out: PathBuf,
    /// Where the `bootstrap` executable comes from.
    pub bootstrap: BootstrapSource,
}

/// A packaged pipeline: what `package` wrote.
#[derive(Debug)]
pub struct Package {
    /// The pipeline's name.
    pub pipeline: String,
    /// The function's zip.
    pub zip: PathBuf,
    /// The zip's size in bytes.
    pub zip_bytes: u64,
    /// A digest of the zip, hex: it names the zip's S3 object.
    pub zip_digest: String,
    /// The highest glibc the bootstrap needs.
    pub glibc: Option<GlibcVersion>,
    /// The CloudFormation template's file.
    pub template_file: PathBuf,
    /// The template and what was decided writing it.
    pub template: StackTemplate,
    /// The OpenSearch Serverless data access policy's file, if any sink
    /// names its collection.
    pub access_policy_file: Option<PathBuf>,
}

/// The zip's file name in `package`'s folder.
pub const ZIP_FILE: &str = "bootstrap.zip";
/// The template's file name.
pub const TEMPLATE_FILE: &str = "template.json";
/// The data access policy's file name.
pub const ACCESS_POLICY_FILE: &str = "aoss-data-access-policy.json";

/// Packages the pipeline file at `path`: checks it, builds or takes the
/// bootstrap, and writes the zip, the template and the access policy.
pub fn package(
    path: &Path,
    registry: &Registry,
    options: &PackageOptions,
) -> Result<Package, DeployError> {
    let local = PipelineConfig::load(path).map_err(DeployError::Invalid)?;
    Plan::from_config(&local, registry).map_err(DeployError::Invalid)?;
    let (config, reading_note) = lambda_view::read(&local, |var| std::env::var(var).ok())?;
    let plan = Plan::from_config(&config, registry).map_err(DeployError::Invalid)?;
    let mut template = StackTemplate::new(&config, &plan)?;
    template.notes.extend(reading_note);
    std::fs::create_dir_all(&options.out).map_err(|e| {
        DeployError::failed(format!("cannot create `{}`: {e}", options.out.display()))
    })?;
    let features = features::bootstrap_features(&config, &plan);
    let programs = remap::program_files(&local)?;
    let (bootstrap, glibc) = options.bootstrap.load(
        config.deploy.architecture,
        &features,
        &options.out.join("build"),
    )?;
    // The file as written: the function interpolates it with its own environment.
    let zip_bytes = archive::function_zip(&bootstrap, local.file.original(), &programs)
        .map_err(|e| DeployError::failed(format!("cannot zip the function: {e}")))?;
    let zip = options.out.join(ZIP_FILE);
    write(&zip, &zip_bytes)?;
    let template_file = options.out.join(TEMPLATE_FILE);
    write(&template_file, pretty(&template.body).as_bytes())?;
    let access_policy_file = match template
        .search_access
        .data_access_policy(&config.pipeline.name, ROLE_ARN_PLACEHOLDER)
    {
        Some(policy) => {
            let file = options.out.join(ACCESS_POLICY_FILE);
            write(&file, pretty(&policy).as_bytes())?;
            Some(file)
        }
        None => None,
    };
    Ok(Package {
        pipeline: config.pipeline.name.clone(),
        zip,
        zip_bytes: zip_bytes.len() as u64,
        zip_digest: format!("{:032x}", xxhash_rust::xxh3::xxh3_128(&zip_bytes)),
        glibc,
        template_file,
        template,
        access_policy_file,
    })
}

impl Package {
    /// Writes the deployed role's ARN into the data access policy, as its
    /// principal; gives the policy's file, if there is one.
    pub fn fill_in_role(&self, role_arn: &str) -> Result<Option<&Path>, DeployError> {
        let Some(file) = &self.access_policy_file else {
            return Ok(None);
        };
        if let Some(policy) = self
            .template
            .search_access
            .data_access_policy(&self.pipeline, role_arn)
        {
            write(file, pretty(&policy).as_bytes())?;
        }
        Ok(Some(file))
    }
}

fn pretty(value: &serde_json::Value) -> String {
    let mut text = serde_json::to_string_pretty(value).expect("a JSON value serializes");
    text.push('\n');
    text
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), DeployError> {
    std::fs::write(path, bytes)
        .map_err(|e| DeployError::failed(format!("cannot write `{}`: {e}", path.display())))
}

/// The pipeline file `text` (named `p.toml`), read and planned with the
/// built-in processors: for the tests of the template's parts.
#[cfg(test)]
fn planned(text: &str) -> (PipelineConfig, Plan) {
    let file = tributary_config::SourceFile::new("p.toml", text, |_| None).unwrap();
    let config = PipelineConfig::parse(file).unwrap();
    let plan = Plan::from_config(&config, &Registry::builtin()).unwrap();
    (config, plan)
}
