//! `tributary package PIPELINE --out DIR` and `tributary deploy PIPELINE`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use tributary_connectors::sources::Endpoint;
use tributary_processors::Registry;

use super::{EXIT_FAILED, EXIT_INVALID};
use crate::deploy::stack::{self, DeployOptions, StackAction};
use crate::deploy::{self, BootstrapSource, DeployError, Package, PackageOptions, PushDown};

/// Where the bootstrap comes from, as the command line says it.
#[derive(Debug, clap::Args)]
pub(super) struct BuildArgs {
    /// Use this bootstrap executable, already built for Lambda, instead of
    /// building one.
    #[arg(long, conflicts_with_all = ["project", "bin"])]
    bootstrap: Option<PathBuf>,
    /// The Cargo project whose binary is the bootstrap (your own, when it
    /// registers processors of yours); default: the current directory.
    #[arg(long)]
    project: Option<PathBuf>,
    /// The binary to build.
    #[arg(long, default_value = "bootstrap")]
    bin: String,
}

impl BuildArgs {
    fn options(self, out: PathBuf) -> PackageOptions {
        let bootstrap = match self.bootstrap {
            Some(path) => BootstrapSource::Prebuilt(path),
            None => BootstrapSource::Build {
                project: self.project.unwrap_or_else(|| PathBuf::from(".")),
                bin: self.bin,
            },
        };
        PackageOptions { out, bootstrap }
    }
}

/// The default output folder: `target/package/NAME` for `PIPELINE.toml`'s name.
fn default_out(pipeline: &Path) -> PathBuf {
    let stem = pipeline
        .parent()
        .and_then(Path::file_name)
        .filter(|_| pipeline.file_stem().is_some_and(|s| s == "pipeline"))
        .or_else(|| pipeline.file_stem())
        .map_or_else(|| "pipeline".into(), |s| s.to_string_lossy().into_owned());
    PathBuf::from("target/package").join(stem)
}

pub(super) fn package(
    pipeline: &Path,
    out: Option<PathBuf>,
    build: BuildArgs,
    registry: &Registry,
) -> ExitCode {
    let out = out.unwrap_or_else(|| default_out(pipeline));
    match deploy::package(pipeline, registry, &build.options(out)) {
        Ok(package) => {
            print_package(&package);
            ExitCode::SUCCESS
        }
        Err(error) => exit_for(&error),
    }
}

/// What `deploy` takes besides the build.
#[derive(Debug)]
pub(super) struct DeployArgs {
    pub(super) stack_name: Option<String>,
    pub(super) bucket: String,
    pub(super) out: Option<PathBuf>,
    pub(super) dry_run: bool,
    pub(super) wait_secs: u64,
    pub(super) endpoint: Endpoint,
}

pub(super) fn deploy(
    pipeline: &Path,
    args: DeployArgs,
    build: BuildArgs,
    registry: &Registry,
) -> ExitCode {
    let runtime = match super::async_runtime() {
        Ok(runtime) => runtime,
        Err(status) => return status,
    };
    // Checked before the build, which takes minutes.
    if !args.dry_run
        && let Err(status) = super::check_aws(&runtime, &args.endpoint)
    {
        return status;
    }
    let out = args.out.unwrap_or_else(|| default_out(pipeline));
    let package = match deploy::package(pipeline, registry, &build.options(out)) {
        Ok(package) => package,
        Err(error) => return exit_for(&error),
    };
    print_package(&package);
    let stack_name = args.stack_name.unwrap_or_else(|| {
        format!(
            "tributary-{}",
            package.template.function_name.replace('_', "-")
        )
    });
    let key = stack::code_key(&package);
    if args.dry_run {
        println!(
            "dry run: would upload the zip to s3://{}/{key}",
            args.bucket
        );
        println!(
            "dry run: would create or update stack `{stack_name}` from {}",
            package.template_file.display()
        );
        return ExitCode::SUCCESS;
    }
    let options = DeployOptions {
        stack_name: stack_name.clone(),
        bucket: args.bucket,
        endpoint: args.endpoint,
        wait: Duration::from_secs(args.wait_secs),
        poll: Duration::from_secs(2),
    };
    let mut progress = |step: &str| eprintln!("{step}");
    match runtime.block_on(stack::deploy(&package, &options, &mut progress)) {
        Ok(deployed) => {
            let done = match deployed.action {
                StackAction::Created => "created",
                StackAction::Updated => "updated",
                StackAction::Unchanged => "unchanged",
            };
            println!(
                "stack `{stack_name}` {done} ({}); code at {}",
                deployed.status, deployed.code
            );
            for (key, value) in &deployed.outputs {
                println!("  {key:<22} {value}");
            }
            write_access_policy(&package, &deployed.outputs);
            ExitCode::SUCCESS
        }
        Err(error) => exit_for(&error),
    }
}

/// Puts the deployed role's ARN in the data access policy, and says how to
/// apply it.
fn write_access_policy(package: &Package, outputs: &[(String, String)]) {
    let Some((_, role_arn)) = outputs.iter().find(|(key, _)| key == "RoleArn") else {
        return;
    };
    match package.fill_in_role(role_arn) {
        Ok(Some(file)) => println!(
            "apply the collection's data access policy once: aws opensearchserverless create-access-policy \
             --type data --name {} --policy file://{}",
            deploy::access_policy_name(&package.template.function_name),
            file.display()
        ),
        Ok(None) => {}
        Err(error) => eprintln!("warning: {error}"),
    }
}

fn print_package(package: &Package) {
    let template = &package.template;
    println!(
        "packaged pipeline `{}` as function `{}`",
        package.pipeline, template.function_name
    );
    let glibc = package
        .glibc
        .as_ref()
        .map_or_else(|| "no glibc".to_owned(), |v| format!("glibc {v}"));
    println!(
        "  {:<32} {:.2} MB; the bootstrap needs {glibc} (provided.al2023 has {})",
        package.zip.display(),
        package.zip_bytes as f64 / 1e6,
        deploy::AL2023_GLIBC
    );
    println!("  {}", package.template_file.display());
    if let Some(file) = &package.access_policy_file {
        println!(
            "  {} (the OpenSearch Serverless data access policy; `deploy` fills in the role)",
            file.display()
        );
    }
    match &template.push_down {
        PushDown::Filters(patterns) => println!(
            "filter push-down: yes, {} filter(s) in the event source mapping; records they reject never invoke the function",
            patterns.len()
        ),
        PushDown::RulePattern(_) => println!(
            "filter push-down: yes, the EventBridge rule's pattern; events it rejects never invoke the function"
        ),
        PushDown::NotPushed(reason) => println!("filter push-down: no: {reason}"),
    }
    for note in &template.notes {
        println!("note: {note}");
    }
}

fn exit_for(error: &DeployError) -> ExitCode {
    match error {
        DeployError::Invalid(error) => {
            eprint!("{error}");
            eprintln!();
            ExitCode::from(EXIT_INVALID)
        }
        DeployError::Failed(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(EXIT_FAILED)
        }
    }
}
