//! A local file or folder: on-failure messages captured elsewhere (an SNS
//! subscription's deliveries, messages saved from a queue), one JSON
//! document a file or JSON Lines, or dead-letter recordings copied from S3.
//! A folder is read whole, its files (hidden ones left out) in name order.

use std::path::{Path, PathBuf};

/// The files of `path`: itself, or every file under it, sorted; an error
/// when it cannot be read.
pub(super) fn files(path: &Path) -> Result<Vec<PathBuf>, String> {
    let cannot = |error: std::io::Error| format!("{}: cannot read it: {error}", path.display());
    let metadata = std::fs::metadata(path).map_err(cannot)?;
    if !metadata.is_dir() {
        return Ok(vec![path.to_owned()]);
    }
    let mut files = Vec::new();
    let mut folders = vec![path.to_owned()];
    while let Some(folder) = folders.pop() {
        let entries = std::fs::read_dir(&folder)
            .map_err(|error| format!("{}: cannot read it: {error}", folder.display()))?;
        for entry in entries {
            let entry =
                entry.map_err(|error| format!("{}: cannot read it: {error}", folder.display()))?;
            if entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            let path = entry.path();
            if path.is_dir() {
                folders.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_gives_its_files_sorted_hidden_ones_left_out() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("2026")).unwrap();
        for name in ["b.json", "a.jsonl", ".seen", "2026/c.json"] {
            std::fs::write(dir.path().join(name), "{}").unwrap();
        }
        let names: Vec<String> = files(dir.path())
            .unwrap()
            .iter()
            .map(|p| p.strip_prefix(dir.path()).unwrap().display().to_string())
            .collect();
        assert_eq!(names, ["2026/c.json", "a.jsonl", "b.json"]);
        let file = dir.path().join("b.json");
        assert_eq!(files(&file).unwrap(), [file]);
        let error = files(&dir.path().join("missing")).unwrap_err();
        assert!(error.contains("missing: cannot read it"), "{error}");
    }
}
