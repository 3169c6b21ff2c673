//! What a pipeline that uses `remap` needs in its function: a bootstrap
//! built with VRL (the `remap` feature, most of a bootstrap's size, so a
//! pipeline without `remap` is built without it), and the program files its
//! remaps name, in the zip beside the pipeline file.

use std::path::{Component, Path};

use tributary_config::{Diagnostic, PipelineConfig};
use tributary_processors::ProcessorConfig;
use tributary_processors::remap::RemapConfig;

use super::DeployError;

/// The cargo feature of tributary's runtime that builds `remap` in.
pub const FEATURE: &str = "remap";

/// Whether any processor of the pipeline is a `remap`.
pub fn uses_remap(config: &PipelineConfig) -> bool {
    config
        .processors
        .iter()
        .any(|p| p.kind() == RemapConfig::TYPE)
}

/// The program files the pipeline's remaps read, each as the zip names it
/// (its path relative to the pipeline file, with `/`) and its bytes.
pub fn program_files(config: &PipelineConfig) -> Result<Vec<(String, Vec<u8>)>, DeployError> {
    let folder = Path::new(config.file.name())
        .parent()
        .unwrap_or(Path::new(""));
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    for component in config
        .processors
        .iter()
        .filter(|p| p.kind() == RemapConfig::TYPE)
    {
        let remap: RemapConfig = component
            .options()
            .deserialize()
            .map_err(|d| DeployError::Invalid(d.into()))?;
        let Some(file) = remap.program_file() else {
            continue;
        };
        let place = |message: String| {
            let span = component
                .options()
                .span_of("file")
                .unwrap_or(component.span());
            DeployError::Invalid(
                Diagnostic::new(message)
                    .at(&config.file, span)
                    .hint("keep the program in the pipeline file's folder or below it, named by a relative path")
                    .into(),
            )
        };
        let name = zip_name(file).ok_or_else(|| {
            place(format!(
                "`{}` is outside the pipeline file's folder, and the function's zip holds only that folder",
                file.display()
            ))
        })?;
        if files.iter().any(|(known, _)| *known == name) {
            continue;
        }
        let bytes = std::fs::read(folder.join(file)).map_err(|error| {
            place(format!(
                "cannot read the program `{}`: {error}",
                file.display()
            ))
        })?;
        files.push((name, bytes));
    }
    Ok(files)
}

/// The name a program file has in the zip: its relative path with `/`, if
/// it stays inside the pipeline's folder.
fn zip_name(file: &Path) -> Option<String> {
    let mut parts = Vec::new();
    for component in file.components() {
        match component {
            Component::Normal(part) => parts.push(part.to_str()?.to_owned()),
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_inside_the_folder_have_a_zip_name() {
        assert_eq!(
            zip_name(Path::new("parse.vrl")).as_deref(),
            Some("parse.vrl")
        );
        assert_eq!(
            zip_name(Path::new("./vrl/parse.vrl")).as_deref(),
            Some("vrl/parse.vrl")
        );
        assert_eq!(zip_name(Path::new("../parse.vrl")), None);
        assert_eq!(zip_name(Path::new("/etc/parse.vrl")), None);
    }
}
