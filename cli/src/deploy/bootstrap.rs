//! The function's `bootstrap` executable: built with `cargo lambda` for
//! Lambda's Linux, or taken as already built, and checked to start on
//! `provided.al2023`.

use std::path::{Path, PathBuf};
use std::process::Command;

use tributary_config::Architecture;

use super::DeployError;
use super::elf::{AL2023_GLIBC, GlibcVersion, elf_architecture, required_glibc};

/// Where the bootstrap comes from.
#[derive(Debug, Clone)]
pub enum BootstrapSource {
    /// Build binary `bin` of the Cargo project at `project` with `cargo
    /// lambda build --release`: tributary's own `bootstrap`, or a user's
    /// binary that calls `tributary::lambda::run` with their processors.
    Build {
        /// The project's directory.
        project: PathBuf,
        /// The binary's name.
        bin: String,
    },
    /// A binary already built for Lambda.
    Prebuilt(PathBuf),
}

impl BootstrapSource {
    /// The executable's bytes and the glibc it needs, checked to start on
    /// `provided.al2023`: built into `build_dir` if need be.
    ///
    /// `features` are tributary's cargo features the pipeline needs (such
    /// as `remap`); a bootstrap already built is taken as it is.
    pub fn load(
        &self,
        architecture: Architecture,
        features: &[&str],
        build_dir: &Path,
    ) -> Result<(Vec<u8>, Option<GlibcVersion>), DeployError> {
        let path = match self {
            BootstrapSource::Prebuilt(path) => path.clone(),
            BootstrapSource::Build { project, bin } => {
                build(project, bin, architecture, features, build_dir)?
            }
        };
        let binary = std::fs::read(&path).map_err(|error| {
            DeployError::failed(format!(
                "cannot read the bootstrap `{}`: {error}",
                path.display()
            ))
        })?;
        check_architecture(&path, &binary, architecture)?;
        let glibc = check_glibc(&path, &binary)?;
        Ok((binary, glibc))
    }
}

fn build(
    project: &Path,
    bin: &str,
    architecture: Architecture,
    features: &[&str],
    build_dir: &Path,
) -> Result<PathBuf, DeployError> {
    let target_flag = match architecture {
        Architecture::X86_64 => "--x86-64",
        Architecture::Arm64 => {
            require_rust_target(project, "aarch64-unknown-linux-gnu")?;
            "--arm64"
        }
    };
    let in_a_project = std::path::absolute(project)
        .map(|dir| dir.ancestors().any(|d| d.join("Cargo.toml").is_file()))
        .unwrap_or(false);
    if !in_a_project {
        return Err(DeployError::failed(format!(
            "`{}` is not in a Cargo project, so there is no bootstrap to build: run this in \
             tributary's repository or your own project (or pass `--project DIR`), or give an \
             executable already built with `--bootstrap FILE`",
            project.display()
        )));
    }
    let mut command = Command::new("cargo");
    // One codegen unit and whole-program LTO: the zip is a quarter smaller
    // than with the release profile's thin LTO, for a slower build. A value
    // already in the environment wins.
    for (variable, value) in [
        ("CARGO_PROFILE_RELEASE_LTO", "fat"),
        ("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "1"),
    ] {
        if std::env::var_os(variable).is_none() {
            command.env(variable, value);
        }
    }
    // Only the package that owns the binary is built (`-p`): building the
    // whole workspace would unify its features, and the bootstrap would link
    // what only the command line needs (the connectors' `aws-clients`).
    let package = package_of_bin(project, bin)?;
    let features = cargo_features(&package, features);
    command
        .args(["lambda", "build", "--release", "--output-format", "binary"])
        .args([target_flag, "--package", &package, "--bin", bin]);
    if !features.is_empty() {
        command.args(["--features", &features]);
    }
    let status = command
        .arg("--lambda-dir")
        .arg(build_dir)
        .current_dir(project)
        .status()
        .map_err(|error| {
            DeployError::failed(format!(
                "cannot run `cargo lambda build` ({error}); install cargo-lambda: `pip install cargo-lambda`"
            ))
        })?;
    if !status.success() {
        return Err(DeployError::failed(format!(
            "`cargo lambda build --release --package {package} --bin {bin}` failed in `{}` ({status}); its output above says why",
            project.display()
        )));
    }
    Ok(build_dir.join(bin).join("bootstrap"))
}

/// The `--features` value that turns tributary's `features` on for
/// `package`: its own when it is tributary, else through its dependency on
/// tributary (a user's bootstrap depends on it as `tributary`).
fn cargo_features(package: &str, features: &[&str]) -> String {
    features
        .iter()
        .map(|feature| match package {
            "tributary" => (*feature).to_owned(),
            _ => format!("tributary/{feature}"),
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// The package of the project's workspace that has the binary `bin`, as
/// `cargo metadata` tells it.
fn package_of_bin(project: &Path, bin: &str) -> Result<String, DeployError> {
    let output = Command::new("cargo")
        .args(["metadata", "--no-deps", "--format-version", "1"])
        .current_dir(project)
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|error| DeployError::failed(format!("cannot run `cargo metadata` ({error})")))?;
    if !output.status.success() {
        return Err(DeployError::failed(format!(
            "`cargo metadata` failed in `{}` ({}); its output above says why",
            project.display(),
            output.status
        )));
    }
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).map_err(|error| {
        DeployError::failed(format!("`cargo metadata` gave what is not JSON: {error}"))
    })?;
    let owns_bin = |target: &serde_json::Value| {
        target["name"] == bin
            && target["kind"]
                .as_array()
                .is_some_and(|kinds| kinds.iter().any(|k| k == "bin"))
    };
    metadata["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|package| {
            package["targets"]
                .as_array()
                .is_some_and(|targets| targets.iter().any(owns_bin))
        })
        .and_then(|package| package["name"].as_str())
        .map(str::to_owned)
        .ok_or_else(|| {
            DeployError::failed(format!(
                "no package of the Cargo project in `{}` has a binary named `{bin}`: name the \
                 function's binary with `--bin`, or give an executable already built with \
                 `--bootstrap FILE`",
                project.display()
            ))
        })
}

/// Fails unless the Rust standard library for `target` is installed in the
/// project's toolchain (rustup's or not: it is a folder of the sysroot).
fn require_rust_target(project: &Path, target: &str) -> Result<(), DeployError> {
    let installed = Command::new("rustc")
        .args(["--print", "sysroot"])
        .current_dir(project)
        .output()
        .ok()
        .filter(|output| output.status.success())
        .map(|output| {
            let sysroot = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
            sysroot
                .join("lib/rustlib")
                .join(target)
                .join("lib")
                .is_dir()
        });
    match installed {
        Some(true) | None => Ok(()),
        Some(false) => Err(DeployError::failed(format!(
            "`architecture = \"arm64\"` needs Rust's {target} standard library, which is not installed: \
             run `rustup target add {target}`, or deploy with `[deploy] architecture = \"x86_64\"`"
        ))),
    }
}

fn check_glibc(path: &Path, binary: &[u8]) -> Result<Option<GlibcVersion>, DeployError> {
    let needed = required_glibc(binary).map_err(|error| {
        DeployError::failed(format!(
            "`{}` is not a 64-bit Linux executable ({error}); build it with `cargo lambda build`",
            path.display()
        ))
    })?;
    match needed {
        Some(version) if version > AL2023_GLIBC => Err(DeployError::failed(format!(
            "`{}` needs glibc {version}, and Lambda's provided.al2023 has {AL2023_GLIBC}: it would not start; \
             build it with `cargo lambda build` (which links against an older glibc)",
            path.display()
        ))),
        needed => Ok(needed),
    }
}

fn check_architecture(path: &Path, binary: &[u8], wanted: Architecture) -> Result<(), DeployError> {
    let found = elf_architecture(binary).map_err(|error| {
        DeployError::failed(format!(
            "`{}` is not a 64-bit Linux executable ({error}); build it with `cargo lambda build`",
            path.display()
        ))
    })?;
    if found == Some(wanted) {
        return Ok(());
    }
    Err(DeployError::failed(format!(
        "`{}` is built for {}, and the function is `{}` (`[deploy] architecture`): it would not start",
        path.display(),
        found.map_or("another machine", Architecture::as_str),
        wanted.as_str()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn features_are_turned_on_through_the_package_that_owns_the_bootstrap() {
        assert_eq!(cargo_features("tributary", &["remap"]), "remap");
        assert_eq!(cargo_features("my-lambda", &["remap"]), "tributary/remap");
        assert_eq!(cargo_features("tributary", &[]), "");
    }

    #[test]
    fn a_binary_is_built_from_the_package_that_owns_it_alone() {
        // The repository's own workspace: `bootstrap` is the runtime's,
        // `tributary` the command line's.
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        assert_eq!(package_of_bin(&root, "bootstrap").unwrap(), "tributary");
        assert_eq!(package_of_bin(&root, "tributary").unwrap(), "tributary-cli");
        let missing = package_of_bin(&root, "no-such-binary")
            .unwrap_err()
            .to_string();
        assert!(missing.contains("no package"), "{missing}");
        assert!(missing.contains("`no-such-binary`"), "{missing}");
    }
}
