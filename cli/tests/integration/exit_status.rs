//! The exit status of README.md#exit-status where a test elsewhere does not
//! already show it: a sink that cannot open its file is something to fix
//! before anything runs (1), and says which path.

use crate::support::{run, tributary};

#[test]
fn a_sink_that_cannot_make_its_folder_names_the_path_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    // The sinks write under TRIBUTARY_OUT, here a folder inside a file,
    // which cannot be made.
    std::fs::write(dir.path().join("a-file"), "").unwrap();
    let folder = dir.path().join("a-file/out");
    let replay = [
        "replay",
        "examples/clickstream/pipeline.toml",
        "--recording",
    ];
    let invoke = ["invoke", "examples/clickstream/pipeline.toml", "--event"];
    for (args, input) in [
        (replay, "examples/clickstream/recording.jsonl"),
        (invoke, "examples/clickstream/event.json"),
    ] {
        let (output, stdout, stderr) = run(tributary()
            .args(args)
            .arg(input)
            .env("TRIBUTARY_OUT", &folder));
        assert_eq!(output.status.code(), Some(1), "{}: {stderr}", args[0]);
        assert!(
            stderr.contains(&format!("cannot create the folder `{}`", folder.display())),
            "{}: the path is named: {stderr}",
            args[0]
        );
        assert!(stderr.contains("Not a directory"), "{stderr}");
        assert_eq!(stdout, "", "{}: nothing ran", args[0]);
    }
}
