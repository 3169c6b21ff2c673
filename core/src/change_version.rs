//! A change's version: one non-negative `i64` that orders the changes of one
//! item (one document) as their source did, for sinks that refuse a write
//! older than what they hold (OpenSearch's external versions).
//!
//! # The formula
//!
//! `version = time * TIE_SPACE + tie`, where
//!
//! - DynamoDB Streams: `time` is `ApproximateCreationDateTime` in whole
//!   seconds (the arrival time floored to seconds) and `TIE_SPACE` is 10⁹;
//! - Kinesis: `time` is the arrival time in milliseconds and `TIE_SPACE` is
//!   10⁶;
//! - `tie` is 0 for sequence number `0` (a backfilled item: it has no place
//!   in the stream), else the sequence number's last nine (Kinesis: six)
//!   digits plus one, at most `TIE_SPACE - 1`: between 1 and
//!   `TIE_SPACE - 1`.
//!
//! So the time decides first; within one time unit the sequence number
//! does, and a backfilled item (`tributary backfill` gives it the export's
//! or the scan's start time floored to seconds, and sequence `0`) comes
//! after every change of earlier seconds and before every change of its own
//! second, which the stream's change then wins. Read in decimal, a
//! DynamoDB version is the change's epoch second followed by nine digits.
//!
//! # Limits
//!
//! - Versions fit an `i64` until the year 2262 (time units up to
//!   9.2 × 10⁹ seconds, or 9.2 × 10¹² milliseconds); later or negative times
//!   are an error, never a wrong version.
//! - Within one time unit, two changes of one item are ordered by their
//!   sequence numbers' last digits. DynamoDB's (21 to 40 digits) and
//!   Kinesis's sequence numbers increase within a shard, but their layout is
//!   not documented. Where the low digits count records (as DynamoDB's seem
//!   to), the order is wrong only when those digits wrap (pass a multiple of
//!   10⁹, for Kinesis 10⁶) between two changes of one item in the same time
//!   unit; last digits `999999998` and `999999999` give equal versions.
//!   Changes of one item that span a parent and a child shard in the same
//!   second are compared the same way, and their last digits need not be in
//!   order. Sinks send changes of one document in arrival order, and Lambda
//!   delivers a shard (and a parent before its children) in order, so these
//!   inversions matter only when changes of one time unit arrive out of
//!   order (a replay, a redelivery that overtakes).
//! - Records of one KPL-aggregated Kinesis record share their sequence
//!   number, so their versions are equal.
//! - EventBridge events have no order: they get no version.

use std::fmt;

use crate::{Origin, SourceKind};

/// The version of one change, from its origin: see the [module](self) for
/// the formula and its limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ChangeVersion(i64);

/// Why a record has no version.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersionError {
    /// The source has no order (EventBridge).
    #[error("{0} records have no order to take a version from")]
    Unordered(SourceKind),
    /// The sequence number is not a decimal number.
    #[error("sequence number `{0}` is not a decimal number, so it gives no version")]
    NotDecimal(String),
    /// The arrival time is before 1970 or after 2262.
    #[error("arrival time {arrival_ms} ms is outside the versions' range (1970 to 2262)")]
    OutOfRange {
        /// The record's arrival time, in milliseconds since the epoch.
        arrival_ms: i64,
    },
}

/// How a source's versions are made: the time unit, and the room for ties
/// within one unit.
struct Scale {
    /// Milliseconds in one time unit.
    unit_ms: i64,
    /// Versions per time unit: ties are `0..TIE_SPACE`.
    tie_space: i64,
}

const DYNAMODB: Scale = Scale {
    unit_ms: 1000,
    tie_space: 1_000_000_000,
};
const KINESIS: Scale = Scale {
    unit_ms: 1,
    tie_space: 1_000_000,
};

impl ChangeVersion {
    /// The version of the change `origin` names.
    pub fn of(origin: &Origin) -> Result<Self, VersionError> {
        let scale = match origin.source {
            SourceKind::DynamodbStreams => DYNAMODB,
            SourceKind::Kinesis => KINESIS,
            SourceKind::Eventbridge => return Err(VersionError::Unordered(origin.source)),
        };
        let tie = tie(&origin.sequence, scale.tie_space)?;
        let out_of_range = || VersionError::OutOfRange {
            arrival_ms: origin.arrival_ms,
        };
        if origin.arrival_ms < 0 {
            return Err(out_of_range());
        }
        (origin.arrival_ms / scale.unit_ms)
            .checked_mul(scale.tie_space)
            .and_then(|base| base.checked_add(tie))
            .map(ChangeVersion)
            .ok_or_else(out_of_range)
    }

    /// The version as OpenSearch takes it.
    pub fn get(self) -> i64 {
        self.0
    }
}

impl fmt::Display for ChangeVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl Origin {
    /// This change's version: see [`ChangeVersion`].
    pub fn change_version(&self) -> Result<ChangeVersion, VersionError> {
        ChangeVersion::of(self)
    }
}

/// The tie-break within one time unit: 0 for sequence number zero, else
/// the sequence number's last digits (as many as `tie_space` has zeros)
/// plus one, at most `tie_space - 1`.
fn tie(sequence: &str, tie_space: i64) -> Result<i64, VersionError> {
    if sequence.is_empty() || !sequence.bytes().all(|b| b.is_ascii_digit()) {
        return Err(VersionError::NotDecimal(sequence.to_owned()));
    }
    if sequence.bytes().all(|b| b == b'0') {
        return Ok(0);
    }
    let last_digits = sequence.bytes().fold(0, |last, digit| {
        (last * 10 + i64::from(digit - b'0')) % tie_space
    });
    Ok((last_digits + 1).min(tie_space - 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(source: SourceKind, arrival_ms: i64, sequence: &str) -> Origin {
        let mut origin = Origin::new(source, "stream", "shard", sequence);
        origin.arrival_ms = arrival_ms;
        origin
    }

    fn dynamodb(seconds: i64, sequence: &str) -> i64 {
        change(SourceKind::DynamodbStreams, seconds * 1000, sequence)
            .change_version()
            .unwrap()
            .get()
    }

    /// Sequence numbers shaped like DynamoDB's: 21 to 40 digits, increasing
    /// within a shard, the low digits counting records.
    const STREAM: [&str; 7] = [
        "300000000000000499659",
        "1405400000000002063282832",
        "4421584500000000017000000000",
        "4421584500000000017450439091",
        "4421584500000000017450439092",
        "4421584500000000017999999999",
        "9999999999999999999999999999999999999999",
    ];

    #[test]
    fn a_backfilled_item_comes_after_earlier_seconds_and_before_its_own() {
        let second = 1_767_225_600; // 2026-01-01T00:00:00Z
        let backfill = change(SourceKind::DynamodbStreams, second * 1000, "0")
            .change_version()
            .unwrap()
            .get();
        assert_eq!(backfill, second * 1_000_000_000);
        for sequence in STREAM {
            let same_second = dynamodb(second, sequence);
            let earlier = dynamodb(second - 1, sequence);
            assert!(
                backfill < same_second,
                "{sequence}: {backfill} < {same_second}"
            );
            assert!(earlier < backfill, "{sequence}: {earlier} < {backfill}");
            assert!(same_second < dynamodb(second + 1, "0"), "{sequence}");
        }
    }

    #[test]
    fn changes_of_one_second_follow_their_sequence_numbers() {
        let second = 1_767_225_600;
        // One shard's changes, in order.
        let versions: Vec<i64> = STREAM[2..6].iter().map(|s| dynamodb(second, s)).collect();
        assert!(versions.is_sorted(), "{versions:?}");
        assert_eq!(versions[0], second * 1_000_000_000 + 1);
        assert_eq!(versions[1], second * 1_000_000_000 + 450_439_092);
        assert_eq!(versions[2], versions[1] + 1);
        assert_eq!(versions[3], second * 1_000_000_000 + 999_999_999);
        // DynamoDB's times are whole seconds: milliseconds do not count.
        let late = change(SourceKind::DynamodbStreams, second * 1000 + 999, STREAM[0]);
        assert_eq!(
            late.change_version().unwrap().get(),
            dynamodb(second, STREAM[0])
        );
    }

    #[test]
    fn kinesis_versions_count_milliseconds_then_sequence_numbers() {
        let kinesis = |ms: i64, sequence: &str| {
            change(SourceKind::Kinesis, ms, sequence)
                .change_version()
                .unwrap()
                .get()
        };
        let sequence = "49590338271490256608559692538361571095921575989136588898";
        let next = "49590338271490256608559692538361571095921575989136588899";
        let ms = 1_767_225_600_123;
        assert!(kinesis(ms, sequence) < kinesis(ms, next));
        assert!(kinesis(ms, next) < kinesis(ms + 1, sequence));
        assert!(kinesis(ms, "0") < kinesis(ms, sequence));
    }

    #[test]
    fn records_without_an_order_or_a_range_get_no_version() {
        let event = change(SourceKind::Eventbridge, 1000, "6a7e8feb-b491-4cf7-a9f1");
        assert_eq!(
            event.change_version().unwrap_err().to_string(),
            "eventbridge records have no order to take a version from"
        );
        let line = change(SourceKind::DynamodbStreams, 1000, "line 3");
        assert!(matches!(
            line.change_version(),
            Err(VersionError::NotDecimal(_))
        ));
        let empty = change(SourceKind::Kinesis, 1000, "");
        assert!(matches!(
            empty.change_version(),
            Err(VersionError::NotDecimal(_))
        ));
        for arrival_ms in [-1, i64::MAX] {
            let out = change(SourceKind::DynamodbStreams, arrival_ms, "1");
            assert_eq!(
                out.change_version(),
                Err(VersionError::OutOfRange { arrival_ms })
            );
        }
        let year_2262 = 9_223_372_036 * 1000;
        assert!(
            change(SourceKind::DynamodbStreams, year_2262 - 1000, STREAM[6])
                .change_version()
                .is_ok()
        );
    }
}
