//! Which event patterns Lambda's own event filtering (an event source
//! mapping's `FilterCriteria`) runs with the same answers as the filter.
//!
//! Lambda filters stream records with EventBridge's pattern language, less
//! some operators: the "Pipe support" column of the EventBridge user guide's
//! comparison operator table, which Lambda's "Filter rule syntax" table
//! repeats. `tributary package` pushes a filter down only when every operator
//! of every pattern is on that list. Where the two documents differ (prefix
//! and suffix ignoring case) the operator counts as unsupported: a filter
//! that is not pushed down costs invocations, one pushed down wrongly loses
//! records. For the same reason `$or` counts as unsupported: a filter's
//! `patterns` become separate filters, which Lambda already ORs.

use super::operator::{AnythingBut, Operator};
use super::pattern::{PathGoal, Pattern};

impl Pattern {
    /// Why Lambda's event filtering would not decide every event as this
    /// pattern does, naming the operator and its field; `None` when it would.
    pub fn lambda_unsupported(&self) -> Option<String> {
        unsupported_in(&self.goals)
    }
}

fn unsupported_in(goals: &[PathGoal]) -> Option<String> {
    goals.iter().find_map(|goal| match goal {
        PathGoal::Field {
            path, operators, ..
        } => operators
            .iter()
            .find_map(unsupported_operator)
            .map(|operator| {
                format!("`{operator}` (at `{path}`) is not in Lambda's filter rule syntax")
            }),
        // The EventBridge table lists `$or` for Pipes; Lambda's own filter
        // rule syntax could not be confirmed to, so it counts as missing.
        PathGoal::AnyOf(_) => Some(
            "`$or` is not in Lambda's filter rule syntax; write the alternatives as \
             `patterns`, which become separate filters"
                .to_owned(),
        ),
    })
}

/// The name of an operator Lambda lacks.
fn unsupported_operator(operator: &Operator) -> Option<&'static str> {
    match operator {
        Operator::Exact(_)
        | Operator::Address(_)
        | Operator::Prefix(_)
        | Operator::Suffix(_)
        | Operator::EqualsIgnoreCase(_)
        | Operator::Numeric(_)
        | Operator::AnythingBut(AnythingBut::Values(_)) => None,
        Operator::PrefixIgnoreCase(_) => Some("prefix with equals-ignore-case"),
        Operator::SuffixIgnoreCase(_) => Some("suffix with equals-ignore-case"),
        Operator::Wildcard(_) => Some("wildcard"),
        Operator::Cidr(_) => Some("cidr"),
        Operator::AnythingBut(AnythingBut::Prefixes(_)) => Some("anything-but with prefix"),
        Operator::AnythingBut(AnythingBut::Suffixes(_)) => Some("anything-but with suffix"),
        Operator::AnythingBut(AnythingBut::IgnoreCase(_)) => {
            Some("anything-but with equals-ignore-case")
        }
        Operator::AnythingBut(AnythingBut::Wildcards(_)) => Some("anything-but with wildcard"),
    }
}

#[cfg(test)]
mod tests {
    use super::Pattern;

    fn verdict(pattern: &str) -> Option<String> {
        Pattern::parse(pattern).unwrap().lambda_unsupported()
    }

    #[test]
    fn operators_lambda_has_are_supported() {
        for pattern in [
            r#"{"type": ["purchase", "refund"], "n": [5, null, true, ""]}"#,
            r#"{"region": [{"prefix": "eu-"}], "file": [{"suffix": ".png"}]}"#,
            r#"{"name": [{"equals-ignore-case": "alice"}]}"#,
            r#"{"state": [{"anything-but": ["raining", "snow"]}], "n": [{"anything-but": 3}]}"#,
            r#"{"price": [{"numeric": [">", 10, "<=", 20]}], "sku": [{"exists": true}], "x": [{"exists": false}]}"#,
        ] {
            assert_eq!(verdict(pattern), None, "{pattern}");
        }
    }

    #[test]
    fn operators_lambda_lacks_are_named_with_their_field() {
        for (pattern, reason) in [
            (
                r#"{"arn": [{"wildcard": "arn:*:bus/*"}]}"#,
                "`wildcard` (at `arn`)",
            ),
            (r#"{"ip": [{"cidr": "10.0.0.0/8"}]}"#, "`cidr` (at `ip`)"),
            (
                r#"{"geo": {"region": [{"anything-but": {"prefix": "us-"}}]}}"#,
                "`anything-but with prefix` (at `geo.region`)",
            ),
            (
                r#"{"s": [{"anything-but": {"equals-ignore-case": "x"}}]}"#,
                "`anything-but with equals-ignore-case` (at `s`)",
            ),
            (
                r#"{"s": [{"prefix": {"equals-ignore-case": "x"}}]}"#,
                "`prefix with equals-ignore-case` (at `s`)",
            ),
            (
                r#"{"s": [{"suffix": {"equals-ignore-case": "x"}}]}"#,
                "`suffix with equals-ignore-case` (at `s`)",
            ),
            (
                r#"{"$or": [{"a": ["1"]}, {"b": {"c": [{"prefix": "x"}]}}]}"#,
                "`$or` is not in Lambda's filter rule syntax",
            ),
        ] {
            let found = verdict(pattern).expect(pattern);
            assert!(found.starts_with(reason), "{pattern}: {found}");
        }
    }
}
