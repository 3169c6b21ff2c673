//! What a backfill shows while it runs (a progress bar on standard error)
//! and the summary it prints at the end, as text or with `--json` as one
//! JSON document.

use std::io::IsTerminal as _;
use std::path::Path;

use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Value, json};
use tributary::replay::ReplayReport;

use super::super::summary::{self, Destinations};

/// A progress bar of items sent, over the items expected (DynamoDB's
/// approximate item count, or an export's count). Hidden when not wanted
/// (`--no-progress`) or when standard error is not a terminal.
pub(super) fn items_bar(wanted: bool, expected_items: Option<u64>) -> ProgressBar {
    if !wanted || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(expected_items.unwrap_or(0));
    let style = ProgressStyle::with_template(
        "{bar:40} {pos}/~{len} items {per_sec} {msg} ({elapsed}, eta {eta})",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar
}

/// A spinner while an export runs.
pub(super) fn export_spinner(wanted: bool) -> ProgressBar {
    if !wanted || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    bar
}

/// How a backfill ended.
pub(super) enum Ending {
    /// Every item was sent.
    Finished,
    /// `--max-items` was reached; the checkpoint holds where to go on.
    Paused,
    /// It stopped on an error; the checkpoint holds where to go on.
    Failed,
}

impl Ending {
    /// Its name in a JSON summary.
    fn name(&self) -> &'static str {
        match self {
            Ending::Finished => "finished",
            Ending::Paused => "paused",
            Ending::Failed => "failed",
        }
    }
}

/// What the summary of a backfill says besides the run's report: the table,
/// the checkpoint, where each sink writes, and how to print it.
pub(super) struct Summary<'a> {
    pub(super) table: &'a str,
    pub(super) checkpoint: &'a Path,
    /// Taken before the pipeline starts (starting a jsonl sink replaces its
    /// file).
    pub(super) destinations: Destinations,
    /// One JSON document on standard output rather than text on standard
    /// error.
    pub(super) json: bool,
}

impl Summary<'_> {
    /// Prints the summary: where the items came from, how the run ended,
    /// the same fates as `tributary replay` prints, what each sink received
    /// and where it wrote, and the first dead letters with why.
    pub(super) fn print(&self, from: &str, ending: Ending, report: &ReplayReport) {
        if self.json {
            let mut summary = summary::report_json("backfill", report, &self.destinations);
            summary.extend(self.about(Some(from), ending.name()));
            println!("{}", Value::Object(summary));
            return;
        }
        let ending = match ending {
            Ending::Finished => "finished".to_owned(),
            Ending::Paused => format!(
                "paused at --max-items; run the same command again to go on from `{}`",
                self.checkpoint.display()
            ),
            Ending::Failed => format!(
                "stopped; run the same command again to go on from `{}`",
                self.checkpoint.display()
            ),
        };
        eprintln!("backfill {from}: {ending}");
        eprintln!("{report}");
        eprint!("{}", self.destinations.text(&report.deliveries));
    }

    /// Says that the checkpoint's backfill is finished, so nothing was sent.
    pub(super) fn print_already_finished(&self) {
        if self.json {
            let about = self.about(None, "already_finished");
            println!("{}", Value::Object(about.into_iter().collect()));
            return;
        }
        eprintln!(
            "the backfill of table `{}` recorded in `{}` is finished: nothing to do (--restart to run it again)",
            self.table,
            self.checkpoint.display()
        );
    }

    /// The JSON members that say what was backfilled and how it ended.
    fn about(&self, from: Option<&str>, ending: &str) -> [(String, Value); 5] {
        [
            ("command".to_owned(), json!("backfill")),
            ("table".to_owned(), json!(self.table)),
            ("from".to_owned(), json!(from)),
            ("ending".to_owned(), json!(ending)),
            (
                "checkpoint".to_owned(),
                json!(self.checkpoint.display().to_string()),
            ),
        ]
    }
}
