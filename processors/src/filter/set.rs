//! Many patterns matched at once: one pass over the event for all of them.

use serde_json::Value;

use super::index::Index;
use super::pattern::{PathGoal, Pattern};
use super::solve::{Goal, Search};
use tributary_core::json::{Collected, ScanError, Step};
use tributary_core::json::{FieldId, FieldTable};
use tributary_core::{BoxError, Record};

/// Patterns compiled together, matched with one read of each event.
///
/// The union of the fields the patterns test is read from the event once:
/// from raw bytes ([`PatternSet::matches_bytes`]), only where some pattern
/// looks, or from a parsed tree ([`PatternSet::matches_value`]). The set keeps
/// its scratch space between events, so matching allocates nothing once warm;
/// that is why matching takes `&mut self`. Sets of more than a few patterns
/// are indexed, so that an event is checked in full only against the
/// patterns its values can match.
#[derive(Debug)]
pub struct PatternSet {
    fields: FieldTable,
    patterns: Vec<Vec<Goal>>,
    index: Option<Index>,
    collected: Collected,
    bound: Vec<Step>,
    absent: Vec<FieldId>,
    /// Per pattern, the event it was last checked for, to check it once.
    checked: Vec<u32>,
    event: u32,
}

/// Below this many patterns, trying each costs less than the index.
const INDEX_FROM: usize = 4;

impl PatternSet {
    /// Compiles the patterns into one set.
    pub fn new(patterns: impl IntoIterator<Item = Pattern>) -> Self {
        let mut fields = FieldTable::default();
        let patterns: Vec<Vec<Goal>> = patterns
            .into_iter()
            .map(|pattern| intern(&pattern.goals, &mut fields))
            .collect();
        fields.seal();
        let index = (patterns.len() >= INDEX_FROM).then(|| Index::new(&patterns));
        let checked = vec![0; patterns.len()];
        PatternSet {
            fields,
            patterns,
            index,
            collected: Collected::default(),
            bound: Vec::new(),
            absent: Vec::new(),
            checked,
            event: 0,
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

    /// Whether any pattern matches a parsed event; an error means the
    /// event nests deeper than [`MAX_NESTING`](tributary_core::json::MAX_NESTING)
    /// where a pattern looks.
    pub fn matches_value(&mut self, event: &Value) -> Result<bool, ScanError> {
        self.collected.walk(&self.fields, event)?;
        Ok(self.any_holds(&[]))
    }

    /// Whether any pattern matches a record's payload: from its parsed tree
    /// when a processor before parsed it, else from its raw bytes. An error
    /// means the payload is not JSON where a pattern looks.
    pub fn matches_record(&mut self, record: &mut Record) -> Result<bool, BoxError> {
        if let Some(event) = record.payload.parsed() {
            return Ok(self.matches_value(event)?);
        }
        match record.payload.raw() {
            Some(bytes) => Ok(self.matches_bytes(bytes)?),
            None => Ok(self.matches_value(record.payload.json()?)?),
        }
    }

    fn any_holds(&mut self, bytes: &[u8]) -> bool {
        let mut search = Search {
            collected: &self.collected,
            bytes,
            bound: &mut self.bound,
            absent: &mut self.absent,
        };
        let Some(index) = &self.index else {
            return self.patterns.iter().any(|goals| search.holds(goals));
        };
        self.event = self.event.wrapping_add(1);
        if self.event == 0 {
            self.checked.fill(0);
            self.event = 1;
        }
        let (patterns, checked, event) = (&self.patterns, &mut self.checked, self.event);
        let mut found = false;
        index.candidates(&self.collected, bytes, &mut |id| {
            let slot = &mut checked[id as usize];
            if !found && *slot != event {
                *slot = event;
                found = search.holds(&patterns[id as usize]);
            }
        });
        found
            || index
                .unkeyed
                .iter()
                .any(|id| search.holds(&patterns[*id as usize]))
    }
}

impl Clone for PatternSet {
    fn clone(&self) -> Self {
        PatternSet {
            fields: self.fields.clone(),
            patterns: self.patterns.clone(),
            index: self.index.clone(),
            collected: Collected::default(),
            bound: Vec::new(),
            absent: Vec::new(),
            checked: vec![0; self.patterns.len()],
            event: 0,
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
