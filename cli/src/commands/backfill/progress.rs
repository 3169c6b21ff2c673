//! What a backfill shows while it runs (a progress bar on standard error)
//! and the summary it prints at the end.

use std::io::IsTerminal as _;

use indicatif::{ProgressBar, ProgressStyle};
use tributary::replay::ReplayReport;

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

/// Prints the summary: where the items came from, how the run ended, then
/// the same fates as `tributary replay` prints.
pub(super) fn print_summary(
    from: &str,
    ending: Ending,
    checkpoint: &std::path::Path,
    report: &ReplayReport,
) {
    let ending = match ending {
        Ending::Finished => "finished".to_owned(),
        Ending::Paused => format!(
            "paused at --max-items; run the same command again to go on from `{}`",
            checkpoint.display()
        ),
        Ending::Failed => format!(
            "stopped; run the same command again to go on from `{}`",
            checkpoint.display()
        ),
    };
    eprintln!("backfill {from}: {ending}");
    eprintln!("{report}");
}
