//! The README says what the binary does: its pipeline is the example it
//! names, and its error sample is what `validate` prints for it.

use crate::support::{root, run, tributary};

/// The README's text from the first fenced block of `language` after
/// `heading`.
fn block_after(readme: &str, heading: &str, language: &str) -> String {
    let from = readme.find(heading).expect("the heading is in the README");
    let fence = format!("```{language}\n");
    let start = readme[from..].find(&fence).expect("a fenced block follows") + from + fence.len();
    let end = readme[start..].find("```\n").unwrap() + start;
    readme[start..end].to_owned()
}

#[test]
fn the_readmes_pipeline_is_the_example_it_names() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let shown = block_after(&readme, "## A pipeline", "toml");
    let example = std::fs::read_to_string(root().join("examples/purchases/pipeline.toml")).unwrap();
    let shown: toml::Table = toml::from_str(&shown).unwrap();
    let mut example: toml::Table = toml::from_str(&example).unwrap();
    // Shown without its tests.
    example.remove("tests");
    assert_eq!(shown, example);
}

#[test]
fn the_readmes_error_sample_is_what_validate_prints() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let pipeline = block_after(&readme, "## A pipeline", "toml");
    assert!(pipeline.contains("batch_size = 100"));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("pipeline.toml"),
        pipeline.replace("batch_size = 100", "batchsize = 100"),
    )
    .unwrap();
    let (output, _, stderr) = run(tributary()
        .current_dir(dir.path())
        .args(["validate", "pipeline.toml"]));
    assert_eq!(output.status.code(), Some(1));
    let sample = block_after(&readme, "Every mistake is reported", "text");
    assert_eq!(stderr, sample);
}
