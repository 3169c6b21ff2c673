//! What redrive says at the end, on standard error: how many records went
//! where, from how many inputs, what the filters skipped and how many
//! duplicates were dropped; and the exit status, with the problems counted.

use std::collections::BTreeMap;
use std::fmt;
use std::process::ExitCode;

use super::super::EXIT_FAILED;
use super::collect::{Input, InputKind};

/// The summary line.
#[derive(Debug, Default)]
pub(super) struct Summary {
    /// Records written.
    pub(super) records: usize,
    /// Where they were written.
    pub(super) destination: String,
    /// Inputs read, in the words of [`inputs_read`].
    pub(super) read_from: String,
    /// Dead letters written, by stage.
    pub(super) stages: BTreeMap<String, usize>,
    pub(super) skipped_by_stage: usize,
    pub(super) skipped_by_times: usize,
    pub(super) duplicates: usize,
}

/// `redrive: 42 record(s) into out.jsonl from 3 objects and 2 messages (dead
/// letters by stage: search 40, source 2); 5 skipped by --stage, ...`
impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "redrive: {} record(s) into {} from {}",
            self.records, self.destination, self.read_from
        )?;
        if !self.stages.is_empty() {
            let stages: Vec<String> = self
                .stages
                .iter()
                .map(|(stage, n)| format!("{stage} {n}"))
                .collect();
            write!(f, " (dead letters by stage: {})", stages.join(", "))?;
        }
        let dropped: Vec<String> = [
            (self.skipped_by_stage, "skipped by --stage"),
            (self.skipped_by_times, "skipped by --since/--until"),
            (self.duplicates, "duplicate(s) dropped"),
        ]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}"))
        .collect();
        if !dropped.is_empty() {
            write!(f, "; {}", dropped.join(", "))?;
        }
        Ok(())
    }
}

/// `3 objects, 1 file and 2 messages`.
pub(super) fn inputs_read(inputs: &[Input]) -> String {
    let count = |kind: InputKind| inputs.iter().filter(|i| i.kind == kind).count();
    let parts: Vec<String> = [
        (InputKind::S3Object, "object"),
        (InputKind::File, "file"),
        (InputKind::Message, "message"),
    ]
    .into_iter()
    .map(|(kind, name)| (count(kind), name))
    .filter(|(n, _)| *n > 0)
    .map(|(n, name)| format!("{n} {name}{}", if n == 1 { "" } else { "s" }))
    .collect();
    match parts.as_slice() {
        [] => "no object, file or message".to_owned(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// 0 when every input was redriven whole; 2, with the count of problems,
/// when some were not.
pub(super) fn exit_status(problems: usize) -> ExitCode {
    if problems == 0 {
        return ExitCode::SUCCESS;
    }
    eprintln!(
        "error: {problems} problem(s), printed above: what they name was not redriven \
         (whole); everything else was. Fix them, and redrive what they name again"
    );
    ExitCode::from(EXIT_FAILED)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn inputs(kinds: &[InputKind]) -> Vec<Input> {
        kinds
            .iter()
            .map(|&kind| Input {
                kind,
                name: Arc::from("x"),
                problems: 0,
            })
            .collect()
    }

    #[test]
    fn inputs_are_counted_by_kind_in_words() {
        use InputKind::{File, Message, S3Object};
        assert_eq!(inputs_read(&[]), "no object, file or message");
        assert_eq!(inputs_read(&inputs(&[Message])), "1 message");
        assert_eq!(
            inputs_read(&inputs(&[S3Object, Message, S3Object, File])),
            "2 objects, 1 file and 1 message"
        );
    }

    #[test]
    fn the_summary_says_only_what_happened() {
        let mut summary = Summary {
            records: 4,
            destination: "out.jsonl".to_owned(),
            read_from: "3 objects".to_owned(),
            ..Summary::default()
        };
        assert_eq!(
            summary.to_string(),
            "redrive: 4 record(s) into out.jsonl from 3 objects"
        );
        summary.stages = BTreeMap::from([("source".to_owned(), 1), ("search".to_owned(), 3)]);
        summary.skipped_by_times = 2;
        summary.duplicates = 1;
        assert_eq!(
            summary.to_string(),
            "redrive: 4 record(s) into out.jsonl from 3 objects (dead letters by stage: \
             search 3, source 1); 2 skipped by --since/--until, 1 duplicate(s) dropped"
        );
    }
}
