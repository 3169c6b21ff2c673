//! The function's zip: the `bootstrap` executable and the pipeline file
//! beside it, where the handler looks for it, and the files the pipeline
//! names (remap programs) at their places relative to it.
//!
//! Entries carry a fixed time, so the same binary and pipeline give the same
//! bytes: the zip's digest names its S3 object, and an unchanged function is
//! not updated again.

use std::io::{Cursor, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

/// Zips `bootstrap` (executable), `pipeline.toml`, and `files` (each its
/// name in the zip and its bytes).
pub fn function_zip(
    bootstrap: &[u8],
    pipeline_toml: &str,
    files: &[(String, Vec<u8>)],
) -> zip::result::ZipResult<Vec<u8>> {
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .last_modified_time(DateTime::default());
    zip.start_file("bootstrap", options.unix_permissions(0o755))?;
    zip.write_all(bootstrap)?;
    zip.start_file("pipeline.toml", options.unix_permissions(0o644))?;
    zip.write_all(pipeline_toml.as_bytes())?;
    for (name, bytes) in files {
        zip.start_file(name.as_str(), options.unix_permissions(0o644))?;
        zip.write_all(bytes)?;
    }
    Ok(zip.finish()?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn the_zip_holds_an_executable_bootstrap_and_the_pipeline() {
        let bytes = function_zip(b"\x7fELF binary", "[pipeline]\nname = \"p\"\n", &[]).unwrap();
        let mut archive = zip::ZipArchive::new(Cursor::new(&bytes)).unwrap();
        let mut bootstrap = archive.by_name("bootstrap").unwrap();
        assert_eq!(bootstrap.unix_mode().unwrap() & 0o777, 0o755);
        let mut content = Vec::new();
        bootstrap.read_to_end(&mut content).unwrap();
        assert_eq!(content, b"\x7fELF binary");
        drop(bootstrap);
        let mut pipeline = String::new();
        archive
            .by_name("pipeline.toml")
            .unwrap()
            .read_to_string(&mut pipeline)
            .unwrap();
        assert!(pipeline.contains("name = \"p\""));
    }

    #[test]
    fn the_same_inputs_give_the_same_bytes() {
        let a = function_zip(b"binary", "p", &[]).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(1100));
        assert_eq!(a, function_zip(b"binary", "p", &[]).unwrap());
    }
}
