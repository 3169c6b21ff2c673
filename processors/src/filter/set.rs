//! Many patterns matched at once: one pass over the event for all of them.

use serde_json::Value;

use super::collect::{Collected, ScanError, Step};
use super::fields::FieldTable;
use super::pattern::{PathGoal, Pattern};
use super::solve::{Goal, Search};

/// Patterns compiled together, matched with one read of each event.
///
/// The union of the fields the patterns test is read from the event once:
/// from raw bytes ([`PatternSet::matches_bytes`]), only where some pattern
/// looks, or from a parsed tree ([`PatternSet::matches_value`]). The set keeps
/// its scratch space between events, so matching allocates nothing once warm;
/// that is why matching takes `&mut self`.
#[derive(Debug)]
pub struct PatternSet {
    fields: FieldTable,
    patterns: Vec<Vec<Goal>>,
    collected: Collected,
    bound: Vec<Step>,
}

impl PatternSet {
    /// Compiles the patterns into one set.
    pub fn new(patterns: impl IntoIterator<Item = Pattern>) -> Self {
        let mut fields = FieldTable::default();
        let patterns = patterns
            .into_iter()
            .map(|pattern| intern(&pattern.goals, &mut fields))
            .collect();
        PatternSet {
            fields,
            patterns,
            collected: Collected::default(),
            bound: Vec::new(),
        }
    }

    /// How many patterns the set holds.
    pub fn len(&self) -> usize {
        self.patterns.len()
    }

    /// Whether the set holds no pattern (and so matches nothing).
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Whether any pattern matches an event given as raw JSON. Only the parts
    /// of the event that some pattern tests are read; an error means the
    /// event is not JSON where it was read.
    pub fn matches_bytes(&mut self, event: &[u8]) -> Result<bool, ScanError> {
        self.collected.scan(&self.fields, event)?;
        Ok(self.any_holds(event))
    }

    /// Whether any pattern matches a parsed event.
    pub fn matches_value(&mut self, event: &Value) -> bool {
        self.collected.walk(&self.fields, event);
        self.any_holds(&[])
    }

    fn any_holds(&mut self, bytes: &[u8]) -> bool {
        let mut search = Search {
            collected: &self.collected,
            bytes,
            bound: &mut self.bound,
        };
        self.patterns.iter().any(|goals| search.holds(goals))
    }
}

impl Clone for PatternSet {
    fn clone(&self) -> Self {
        PatternSet {
            fields: self.fields.clone(),
            patterns: self.patterns.clone(),
            collected: Collected::default(),
            bound: Vec::new(),
        }
    }
}

/// Turns paths into field ids, and puts goals that only ask for a field's
/// absence last in each list, so they are judged against bound array elements.
fn intern(goals: &[PathGoal], fields: &mut FieldTable) -> Vec<Goal> {
    let mut interned: Vec<Goal> = goals
        .iter()
        .map(|goal| match goal {
            PathGoal::Field {
                path,
                operators,
                if_present,
                if_absent,
            } => Goal::Field {
                field: fields.intern(path),
                operators: operators.clone(),
                if_present: *if_present,
                if_absent: *if_absent,
            },
            PathGoal::AnyOf(alternatives) => Goal::AnyOf(
                alternatives
                    .iter()
                    .map(|alternative| intern(alternative, fields))
                    .collect(),
            ),
        })
        .collect();
    interned.sort_by_key(|goal| matches!(goal, Goal::Field { operators, if_present: false, if_absent: true, .. } if operators.is_empty()));
    interned
}
