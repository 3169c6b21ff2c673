//! What a sink knows of the pipeline it starts in: the pipeline's name, and
//! whether it receives the pipeline's output or its dead letters.

/// The pipeline a sink starts in, as [`SinkConfig::build`](super::SinkConfig::build)
/// gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SinkContext<'a> {
    /// The pipeline's name (`[pipeline] name`), for sinks that name what
    /// they write after it (an S3 key template's `{pipeline}`).
    pub pipeline: &'a str,
    /// What the sink receives.
    pub role: SinkRole,
}

/// What a sink receives.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SinkRole {
    /// The pipeline's output: the records as the processors left them,
    /// those its route picks.
    #[default]
    Output,
    /// The sink `[pipeline] dead_letter` names: dead letters only, each
    /// payload already a complete recording line (the record's origin, its
    /// original bytes and an `error` object with the stage and message).
    DeadLetter,
}

impl<'a> SinkContext<'a> {
    /// The context of an output sink of `pipeline`.
    pub fn output(pipeline: &'a str) -> Self {
        SinkContext {
            pipeline,
            role: SinkRole::Output,
        }
    }

    /// The context of `pipeline`'s dead-letter sink.
    pub fn dead_letter(pipeline: &'a str) -> Self {
        SinkContext {
            pipeline,
            role: SinkRole::DeadLetter,
        }
    }
}
