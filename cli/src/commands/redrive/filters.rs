//! `--since`, `--until` and `--stage`: which of the records found are
//! redriven.
//!
//! Times are compared with a record's `arrival_ms`, when it arrived in its
//! stream (Kinesis `ApproximateArrivalTimestamp`, DynamoDB
//! `ApproximateCreationDateTime`): the event time an `s3` sink's key
//! template formats, so `--since 2026-11-28` keeps what a key
//! `…/2026/11/28/…` and later holds. Stages are compared with a dead
//! letter's `error.stage`.

use chrono::{DateTime, NaiveDate};

use super::collect::Found;

/// What the command line asked to keep.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Filters {
    /// Records that arrived at this time or later, in milliseconds since the
    /// Unix epoch.
    since_ms: Option<i64>,
    /// Records that arrived before this time.
    until_ms: Option<i64>,
    /// Dead letters that failed at one of these stages; empty for any.
    stages: Vec<String>,
}

/// Whether a record is redriven, and if not, which filter skipped it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Keep,
    /// Outside `--since`/`--until`.
    OutsideTimes,
    /// Not a dead letter of a `--stage` asked for.
    OtherStage,
}

impl Filters {
    /// Reads `--since`, `--until` and `--stage`; an error names the flag
    /// and says what it takes.
    pub(super) fn new(
        since: Option<&str>,
        until: Option<&str>,
        stages: Vec<String>,
    ) -> Result<Filters, String> {
        let since_ms = since
            .map(|text| parse_time(text, "--since", DayEdge::Start))
            .transpose()?;
        let until_ms = until
            .map(|text| parse_time(text, "--until", DayEdge::End))
            .transpose()?;
        if let (Some(since), Some(until)) = (since_ms, until_ms)
            && until <= since
        {
            return Err(format!(
                "--until `{}` is not after --since `{}`: no record could be kept",
                time_text(until),
                time_text(since)
            ));
        }
        Ok(Filters {
            since_ms,
            until_ms,
            stages,
        })
    }

    /// The verdict on a record that arrived at `arrival_ms`, a dead letter
    /// of `stage` (`None` for a record that is not a dead letter: it has no
    /// stage, so no `--stage` keeps it).
    fn verdict(&self, arrival_ms: i64, stage: Option<&str>) -> Verdict {
        if self.since_ms.is_some_and(|since| arrival_ms < since)
            || self.until_ms.is_some_and(|until| arrival_ms >= until)
        {
            return Verdict::OutsideTimes;
        }
        if !self.stages.is_empty()
            && !stage.is_some_and(|stage| self.stages.iter().any(|s| s == stage))
        {
            return Verdict::OtherStage;
        }
        Verdict::Keep
    }
}

/// The records the filters kept, and what they skipped.
#[derive(Debug, Default)]
pub(super) struct Filtered {
    pub(super) kept: Vec<Found>,
    /// Records outside `--since`/`--until`.
    pub(super) by_times: usize,
    /// Records no `--stage` keeps.
    pub(super) by_stage: usize,
    /// Records skipped, by input (an index in the collector's inputs).
    pub(super) skipped_by_input: Vec<usize>,
}

impl Filters {
    /// Keeps the records of `found` the filters keep; `inputs` is how many
    /// inputs they came from.
    pub(super) fn apply(&self, found: Vec<Found>, inputs: usize) -> Filtered {
        let mut filtered = Filtered {
            kept: Vec::with_capacity(found.len()),
            skipped_by_input: vec![0; inputs],
            ..Filtered::default()
        };
        for record in found {
            match self.verdict(record.origin.arrival_ms, record.stage.as_deref()) {
                Verdict::Keep => {
                    filtered.kept.push(record);
                    continue;
                }
                Verdict::OutsideTimes => filtered.by_times += 1,
                Verdict::OtherStage => filtered.by_stage += 1,
            }
            if let Some(count) = filtered.skipped_by_input.get_mut(record.input) {
                *count += 1;
            }
        }
        filtered
    }
}

/// Where in its day a date alone stands for.
#[derive(Clone, Copy)]
enum DayEdge {
    /// `--since 2026-11-28`: from the day's first millisecond.
    Start,
    /// `--until 2026-11-28`: through its last, so the day is included.
    End,
}

/// An RFC 3339 time, or a date (UTC), in milliseconds since the Unix epoch.
fn parse_time(text: &str, flag: &str, edge: DayEdge) -> Result<i64, String> {
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Ok(time.timestamp_millis());
    }
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
        format!(
            "{flag} `{text}` is not an RFC 3339 time (2026-11-28T10:00:00Z) or a date (2026-11-28)"
        )
    })?;
    let day = match edge {
        DayEdge::Start => Some(date),
        DayEdge::End => date.succ_opt(),
    };
    day.and_then(|day| day.and_hms_opt(0, 0, 0))
        .map(|midnight| midnight.and_utc().timestamp_millis())
        .ok_or_else(|| format!("{flag} `{text}` is out of range"))
}

fn time_text(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms).map_or_else(|| ms.to_string(), |time| time.to_rfc3339())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY_MS: i64 = 24 * 3600 * 1000;
    /// 2026-11-28T00:00:00Z.
    const NOV_28: i64 = 1_795_824_000_000;

    #[test]
    fn a_date_since_is_its_first_millisecond_and_until_includes_the_whole_day() {
        let filters = Filters::new(Some("2026-11-28"), Some("2026-11-28"), Vec::new()).unwrap();
        assert_eq!(filters.verdict(NOV_28 - 1, None), Verdict::OutsideTimes);
        assert_eq!(filters.verdict(NOV_28, None), Verdict::Keep);
        assert_eq!(filters.verdict(NOV_28 + DAY_MS - 1, None), Verdict::Keep);
        assert_eq!(
            filters.verdict(NOV_28 + DAY_MS, None),
            Verdict::OutsideTimes
        );
    }

    #[test]
    fn rfc3339_times_keep_since_and_stop_before_until() {
        let filters = Filters::new(
            Some("2026-11-28T01:00:00Z"),
            Some("2026-11-28T03:00:00+01:00"),
            Vec::new(),
        )
        .unwrap();
        let hour = 3600 * 1000;
        assert_eq!(
            filters.verdict(NOV_28 + hour - 1, None),
            Verdict::OutsideTimes
        );
        assert_eq!(filters.verdict(NOV_28 + hour, None), Verdict::Keep);
        assert_eq!(filters.verdict(NOV_28 + 2 * hour - 1, None), Verdict::Keep);
        assert_eq!(
            filters.verdict(NOV_28 + 2 * hour, None),
            Verdict::OutsideTimes
        );
    }

    #[test]
    fn stages_keep_only_dead_letters_of_those_stages() {
        let filters = Filters::new(None, None, vec!["search".into(), "route".into()]).unwrap();
        assert_eq!(filters.verdict(0, Some("search")), Verdict::Keep);
        assert_eq!(filters.verdict(0, Some("route")), Verdict::Keep);
        assert_eq!(filters.verdict(0, Some("source")), Verdict::OtherStage);
        assert_eq!(filters.verdict(0, None), Verdict::OtherStage, "no stage");
        let any = Filters::new(None, None, Vec::new()).unwrap();
        assert_eq!(any.verdict(0, None), Verdict::Keep);
    }

    #[test]
    fn times_outside_win_over_stages() {
        let filters = Filters::new(Some("2026-11-28"), None, vec!["search".into()]).unwrap();
        assert_eq!(filters.verdict(0, Some("other")), Verdict::OutsideTimes);
    }

    #[test]
    fn apply_keeps_what_the_filters_keep_and_counts_the_rest_by_input() {
        let record = |arrival_ms, stage: Option<&str>, input| {
            let mut origin = tributary_core::Origin::new(
                tributary_core::SourceKind::Kinesis,
                "arn:s",
                "shard-0",
                "1",
            );
            origin.arrival_ms = arrival_ms;
            Found {
                origin,
                data: bytes::Bytes::new(),
                stage: stage.map(str::to_owned),
                input,
            }
        };
        let filters = Filters::new(Some("2026-11-28"), None, vec!["search".into()]).unwrap();
        let filtered = filters.apply(
            vec![
                record(NOV_28, Some("search"), 0),
                record(NOV_28 - 1, Some("search"), 1),
                record(NOV_28, Some("source"), 1),
                record(NOV_28, None, 2),
            ],
            3,
        );
        assert_eq!(filtered.kept.len(), 1);
        assert_eq!((filtered.by_times, filtered.by_stage), (1, 2));
        assert_eq!(filtered.skipped_by_input, [0, 2, 1]);
    }

    #[test]
    fn bad_times_name_the_flag_and_the_forms_it_takes() {
        let error = Filters::new(Some("yesterday"), None, Vec::new()).unwrap_err();
        assert!(
            error.starts_with("--since `yesterday` is not an RFC 3339 time"),
            "{error}"
        );
        let error = Filters::new(None, Some("2026-13-01"), Vec::new()).unwrap_err();
        assert!(error.starts_with("--until `2026-13-01`"), "{error}");
        let error = Filters::new(Some("2026-11-29"), Some("2026-11-28"), Vec::new()).unwrap_err();
        assert!(error.contains("is not after --since"), "{error}");
    }
}
