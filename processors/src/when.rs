//! `when = { ... }`: the condition any processor can carry.
//!
//! A processor with `when` applies only to the records whose payload matches
//! the event pattern (the filter's engine, reading raw bytes and parsing
//! nothing); the others pass it untouched and stay where they were in the
//! batch. On an `aggregate`, only the matching records are folded.
//!
//! The [`Registry`](crate::Registry) reads `when` before the processor's own
//! config, so every processor type, a user's own included, takes it.

use schemars::{JsonSchema, Schema, SchemaGenerator};
use tributary_config::{Diagnostic, Options};
use tributary_core::{Batch, BoxError, Processor, Record};

use crate::filter::{Pattern, PatternSet, PatternSource};

/// The option every processor, and every sink but the dead-letter sink, takes.
pub const WHEN: &str = "when";

/// What `tributary schema` says of `when`, on every processor.
const DESCRIPTION: &str = "Apply this processor only to records matching this EventBridge \
    event pattern (an inline table, or a JSON string); the others pass through untouched, \
    in their place.";

/// The JSON Schema of a processor's options: its config's, and `when`.
pub(crate) fn schema<C: JsonSchema>() -> Schema {
    let mut generator = SchemaGenerator::default();
    let mut when = generator.subschema_for::<PatternSource>();
    when.insert("description".into(), DESCRIPTION.into());
    // The root schema takes the definitions made so far: `PatternSource`'s.
    let mut schema = generator.into_root_schema_for::<C>();
    schema
        .ensure_object()
        .entry("properties")
        .or_insert_with(|| serde_json::json!({}))
        .as_object_mut()
        .expect("a config's properties are an object")
        .insert(WHEN.into(), when.to_value());
    schema
}

/// Reads the `when` of a component's options (a processor's, or a sink's
/// route): the pattern, compiled, or `None` without one; a bad pattern is
/// an error at its place.
pub fn read_when(options: &Options) -> Result<Option<Pattern>, Diagnostic> {
    let Some(source) = options.deserialize_at::<PatternSource>(WHEN)? else {
        return Ok(None);
    };
    crate::filter::compile(WHEN, source)
        .map(Some)
        .map_err(|error| error.into_diagnostic(options))
}

/// A processor applied only to the records that match a pattern.
pub struct When {
    pattern: PatternSet,
    inner: Box<dyn Processor>,
}

impl When {
    /// `inner`, applied only to the records matching `pattern`.
    pub fn new(pattern: Pattern, inner: Box<dyn Processor>) -> Self {
        When {
            pattern: PatternSet::new([pattern]),
            inner,
        }
    }
}

impl Processor for When {
    /// Runs the inner processor on the matching records, then puts the
    /// passing ones back among its outputs in input order. A record whose
    /// payload cannot be read where the pattern looks fails, as in a filter.
    /// If the inner processor fails as a whole, the records it left fail
    /// with its error, and the passing ones carry on.
    fn process(&mut self, batch: &mut Batch) -> Result<(), BoxError> {
        let mut passing = Vec::new();
        for mut record in batch.take_records() {
            match self.pattern.matches_record(&mut record) {
                Ok(true) => batch.push(record),
                Ok(false) => passing.push(record),
                Err(error) => batch.fail(record, error),
            }
        }
        if passing.is_empty() {
            return self.inner.process(batch);
        }
        let result = self.inner.process(batch);
        let outputs = batch.take_records();
        match result {
            Ok(()) => merge(outputs, passing, batch),
            Err(error) => {
                let message = error.to_string();
                for record in outputs {
                    batch.fail(record, message.clone().into());
                }
                merge(Vec::new(), passing, batch);
            }
        }
        Ok(())
    }

    fn needs_window(&self) -> bool {
        self.inner.needs_window()
    }
}

/// Pushes the processor's outputs and the passing records, each in input
/// order, into `batch` in input order. Emitted records
/// ([`InputIndex::EMITTED`](tributary_core::InputIndex::EMITTED)) sort last;
/// on a tie, which only they make, the passing ones (emitted by an earlier
/// processor) come first.
fn merge(outputs: Vec<Record>, passing: Vec<Record>, batch: &mut Batch) {
    let mut passing = passing.into_iter().peekable();
    for output in outputs {
        while let Some(record) = passing.next_if(|p| p.input <= output.input) {
            batch.push(record);
        }
        batch.push(output);
    }
    passing.for_each(|record| batch.push(record));
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};
    use tributary_core::{Batch, BoxError, InputIndex, Processor};

    use super::{Pattern, When};
    use crate::test_support::{batch, build, build_error, build_with, payloads};

    /// The inputs of the records left in the batch, in order.
    fn inputs(batch: &Batch) -> Vec<u32> {
        batch.records().iter().map(|r| r.input.0).collect()
    }

    const EVENTS: [&str; 5] = [
        r#"{"type":"click","page":"/a","user":"u1"}"#,
        r#"{"type":"view","page":"/b","user":"u2"}"#,
        r#"{"type":"click","page":"/c","user":"u3"}"#,
        r#"{"type":"view","page":"/d","user":"u4"}"#,
        r#"{"type":"purchase","page":"/e","price":7}"#,
    ];

    #[test]
    fn a_processor_changes_only_the_matching_records_and_the_others_keep_their_place() {
        let mut project =
            build("type = \"project\"\nselect = [\"page\"]\nwhen = { type = [\"click\"] }");
        let mut records = batch(&EVENTS);
        project.process(&mut records).unwrap();
        assert_eq!(inputs(&records), [0, 1, 2, 3, 4]);
        let untouched = |i: usize| serde_json::from_str::<Value>(EVENTS[i]).unwrap();
        assert_eq!(
            payloads(&records),
            [
                json!({"page": "/a"}),
                untouched(1),
                json!({"page": "/c"}),
                untouched(3),
                untouched(4),
            ]
        );
        // The passing records were not even parsed: their bytes go on as they came.
        assert!(records.records()[1].payload.parsed().is_none());
    }

    #[test]
    fn records_a_processor_drops_leave_and_the_passing_ones_stay() {
        // One in four billion: none of these is kept.
        let mut sample = build(
            "type = \"sample\"\nrate = 4000000000\nwhen = { type = [\"click\", \"purchase\"] }",
        );
        let mut records = batch(&EVENTS);
        sample.process(&mut records).unwrap();
        assert_eq!(inputs(&records), [1, 3]);
        assert_eq!(records.dropped(), 3);
        assert!(records.failed().is_empty());
    }

    #[test]
    fn a_json_string_condition_can_say_null() {
        let mut project =
            build("type = \"project\"\nset = { anonymous = true }\nwhen = '{\"user\": [null]}'");
        let mut records = batch(&[r#"{"user":null}"#, r#"{"user":"u1"}"#, r#"{"other":1}"#]);
        project.process(&mut records).unwrap();
        assert_eq!(
            payloads(&records),
            [
                json!({"user": null, "anonymous": true}),
                json!({"user": "u1"}),
                json!({"other": 1}),
            ]
        );
    }

    #[test]
    fn an_aggregate_folds_only_the_matching_records() {
        let mut aggregate = build(
            "type = \"aggregate\"\nwindow = \"batch\"\ngroup_by = [\"page\"]\nmetrics.n = { op = \"count\" }\nwhen = { type = [\"view\"] }",
        );
        let mut records = batch(&EVENTS);
        aggregate.process(&mut records).unwrap();
        // The clicks and the purchase pass in order; the two documents follow.
        let left = inputs(&records);
        assert_eq!(left[..3], [0, 2, 4]);
        assert_eq!(left[3..], [InputIndex::EMITTED.0; 2]);
        let documents: Vec<Value> = payloads(&records)[3..].to_vec();
        let pages: Vec<(&str, u64)> = documents
            .iter()
            .map(|d| (d["page"].as_str().unwrap(), d["n"].as_u64().unwrap()))
            .collect();
        assert_eq!(pages.len(), 2);
        assert!(
            pages.contains(&("/b", 1)) && pages.contains(&("/d", 1)),
            "{pages:?}"
        );
        let parts = records.into_parts();
        let absorbed: Vec<u32> = parts.absorbed.iter().map(|i| i.0).collect();
        assert_eq!(absorbed, [1, 3], "only the views are aggregated");
    }

    #[test]
    fn records_emitted_before_stay_after_the_inputs_and_before_the_new_ones() {
        let mut aggregate = build(
            "type = \"aggregate\"\nwindow = \"batch\"\nmetrics.n = { op = \"count\" }\nwhen = { type = [\"view\"] }",
        );
        let mut records = batch(&EVENTS);
        let mut earlier = crate::test_support::record(9, r#"{"earlier":true}"#);
        earlier.input = InputIndex::EMITTED;
        records.push(earlier);
        aggregate.process(&mut records).unwrap();
        let left = payloads(&records);
        assert_eq!(inputs(&records)[..3], [0, 2, 4]);
        assert_eq!(left[3], json!({"earlier": true}));
        assert_eq!(left[4]["n"], 2);
        assert_eq!(left.len(), 5);
    }

    #[test]
    fn a_payload_unreadable_where_the_pattern_looks_fails_with_its_error() {
        let mut project =
            build("type = \"project\"\nselect = [\"page\"]\nwhen = { type = [\"click\"] }");
        let mut records = batch(&[
            r#"{"type":"click","page":"/a"}"#,
            r#"{"type": cl"#,
            r#"{"type":"view","rest": [[[ broken"#,
        ]);
        project.process(&mut records).unwrap();
        // Past `type`, nothing is read: the third passes on, for the sink to judge.
        assert_eq!(inputs(&records), [0, 2]);
        let failed = records.failed();
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].record.input, InputIndex(1));
        assert!(!failed[0].error.to_string().is_empty());
    }

    /// A processor that fails as a whole.
    struct Broken;

    impl Processor for Broken {
        fn process(&mut self, _: &mut Batch) -> Result<(), BoxError> {
            Err("the processor broke".into())
        }
    }

    #[test]
    fn when_the_inner_processor_fails_its_records_fail_and_the_passing_ones_stay() {
        let pattern = Pattern::parse(r#"{"type": ["click"]}"#).unwrap();
        let mut when = When::new(pattern, Box::new(Broken));
        let mut records = batch(&EVENTS);
        when.process(&mut records).unwrap();
        assert_eq!(inputs(&records), [1, 3, 4]);
        let failed: Vec<(u32, String)> = records
            .failed()
            .iter()
            .map(|f| (f.record.input.0, f.error.to_string()))
            .collect();
        assert_eq!(
            failed,
            [
                (0, "the processor broke".to_owned()),
                (2, "the processor broke".to_owned())
            ]
        );
    }

    #[test]
    fn when_every_record_matches_the_inner_processor_runs_on_the_batch_as_it_is() {
        let pattern = Pattern::parse(r#"{"page": [{"prefix": "/"}]}"#).unwrap();
        let mut when = When::new(pattern, Box::new(Broken));
        let mut records = batch(&EVENTS);
        assert!(
            when.process(&mut records).is_err(),
            "its error is the runtime's to handle"
        );
        assert_eq!(inputs(&records), [0, 1, 2, 3, 4]);
    }

    #[test]
    fn a_lambda_window_aggregate_still_needs_its_window() {
        let aggregate = build_with(
            "type = \"aggregate\"\nwindow = \"lambda\"\nmetrics.n = { op = \"count\" }\nwhen = { type = [\"view\"] }",
            tributary_core::SourceKind::Kinesis,
            Some(60),
        )
        .unwrap();
        assert!(aggregate.needs_window());
    }

    #[test]
    fn a_bad_condition_is_reported_where_it_is_written() {
        let error = build_error(
            "type = \"project\"\nselect = [\"a\"]\nwhen = { price = [{ numeric = [\">\", \"x\"] }] }",
        );
        assert!(
            error.starts_with("p.toml:8:31: invalid event pattern at `price.0.numeric`"),
            "{error}"
        );

        let error = build_error(
            "type = \"project\"\nselect = [\"a\"]\nwhen = '{\"price\": [{\"numeric\": 1}]'",
        );
        assert!(
            error.starts_with("p.toml:8:8: invalid event pattern"),
            "{error}"
        );

        let error = build_error("type = \"project\"\nselect = [\"a\"]\nwhen = 3");
        assert_eq!(
            error,
            "p.toml:8:8: expected an event pattern, as an inline table or a JSON string"
        );

        // The processor's own options are still checked, with `when` set apart.
        let error = build_error("type = \"project\"\nselekt = [\"a\"]\nwhen = { type = [\"a\"] }");
        assert!(
            error.starts_with("p.toml:7:1: unknown field `selekt`"),
            "{error}"
        );
    }
}
