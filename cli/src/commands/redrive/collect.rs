//! Everything redrive finds, in one list: the records of every object,
//! file and message, each with the input it came from, and the problems met
//! on the way. Each input is read on its own: what is wrong with one is a
//! problem named after it (S3 key, file and line, message id), and the
//! others are read all the same.

use std::sync::Arc;

use bytes::Bytes;
use tributary_connectors::sources::{Endpoint, RangeReader, SourceRecord};
use tributary_core::Origin;

use super::contents::{self, Contents};
use super::on_failure::{self, OnFailureRecord};
use super::stream_reread;

/// How many problems are printed as they are met; the rest are counted.
const PROBLEMS_SHOWN: usize = 20;

/// One record to redrive, as a recording holds it.
#[derive(Debug, Clone)]
pub(super) struct Found {
    /// Where it came from in its stream.
    pub(super) origin: Origin,
    /// Its original bytes.
    pub(super) data: Bytes,
    /// The stage that failed it, for a dead letter.
    pub(super) stage: Option<String>,
    /// Its input, an index in [`Collector::inputs`].
    pub(super) input: usize,
}

/// What kind of thing an input is, for the summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum InputKind {
    S3Object,
    File,
    Message,
}

/// One object, file or message read.
#[derive(Debug)]
pub(super) struct Input {
    pub(super) kind: InputKind,
    /// Its name in messages: `s3://bucket/key`, a path, `sqs message ID`.
    pub(super) name: Arc<str>,
    /// How many problems it had.
    pub(super) problems: usize,
}

/// The records and problems found so far.
pub(super) struct Collector {
    ranges: RangeReader,
    pub(super) inputs: Vec<Input>,
    pub(super) found: Vec<Found>,
    /// Problems that belong to no one input (a bucket that cannot be
    /// listed, a queue that cannot be reached) and to inputs, together.
    pub(super) problems: usize,
}

impl Collector {
    pub(super) fn new(endpoint: Endpoint) -> Self {
        Collector {
            ranges: RangeReader::new(endpoint),
            inputs: Vec::new(),
            found: Vec::new(),
            problems: 0,
        }
    }

    /// Reports a problem: printed (the first [`PROBLEMS_SHOWN`]), counted,
    /// and charged to `input` if it has one.
    pub(super) fn problem(&mut self, input: Option<usize>, message: &str) {
        self.problems += 1;
        if self.problems <= PROBLEMS_SHOWN {
            eprintln!("error: {message}");
        } else if self.problems == PROBLEMS_SHOWN + 1 {
            eprintln!("error: more problems follow; the summary counts them");
        }
        if let Some(input) = input.and_then(|i| self.inputs.get_mut(i)) {
            input.problems += 1;
        }
    }

    /// Reads an S3 object or a file: dead letters or on-failure records.
    /// Gives its input's index.
    pub(super) async fn take_contents(
        &mut self,
        kind: InputKind,
        name: &str,
        bytes: Vec<u8>,
    ) -> usize {
        let input = self.add_input(kind, name);
        match contents::read(name, bytes) {
            Err(message) => self.problem(Some(input), &message),
            Ok(Contents::DeadLetters(letters)) => {
                for problem in &letters.problems {
                    self.problem(Some(input), problem);
                }
                for letter in letters.letters {
                    self.found.push(Found {
                        data: letter.record.original().clone(),
                        origin: letter.record.origin,
                        stage: letter.stage,
                        input,
                    });
                }
            }
            Ok(Contents::OnFailure(records)) => {
                for record in records {
                    match record {
                        Ok(record) => self.take_on_failure(input, name, &record).await,
                        Err(error) => self.problem(Some(input), &format!("{name}:{error}")),
                    }
                }
            }
        }
        input
    }

    /// Reads an SQS message's body, an on-failure record (perhaps in an
    /// SNS notification). Gives its input's index.
    pub(super) async fn take_message(&mut self, name: &str, body: &str) -> usize {
        let input = self.add_input(InputKind::Message, name);
        match on_failure::parse(body) {
            Ok(record) => self.take_on_failure(input, name, &record).await,
            Err(error) => self.problem(Some(input), &format!("{name}: body {error}")),
        }
        input
    }

    fn add_input(&mut self, kind: InputKind, name: &str) -> usize {
        self.inputs.push(Input {
            kind,
            name: Arc::from(name),
            problems: 0,
        });
        self.inputs.len() - 1
    }

    /// The records of a failed batch: its payload's, or read again from its
    /// stream.
    async fn take_on_failure(&mut self, input: usize, name: &str, failed: &OnFailureRecord) {
        let records = match failed.payload_records() {
            Some(Ok(records)) => records,
            Some(Err(message)) => {
                return self.problem(Some(input), &format!("{name}: {message}"));
            }
            None => match stream_reread::reread(&mut self.ranges, failed).await {
                Ok(reread) => {
                    if let Some(missing) = &reread.missing {
                        self.problem(Some(input), &format!("{name}: {missing}"));
                    }
                    if let Some(note) = &reread.note {
                        eprintln!("warning: {name}: {note}");
                    }
                    reread.records
                }
                Err(message) => return self.problem(Some(input), &format!("{name}: {message}")),
            },
        };
        self.found
            .extend(records.into_iter().map(|record: SourceRecord| Found {
                origin: record.origin,
                data: record.data,
                stage: None,
                input,
            }));
    }
}
