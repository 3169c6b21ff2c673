//! Deciding whether one pattern holds for the values collected from an event.
//!
//! Each field goal must be met by one of the field's values, and the values
//! chosen for a pattern must come from consistent array elements: two values
//! taken from the same array must come from the same element of it. The
//! search binds array elements as it goes and backtracks when a later goal
//! cannot be met; events without arrays never backtrack. `exists: false`
//! holds when no value at the field agrees with the array elements the
//! other goals chose: it is judged last, once they are bound, so
//! `{"x": {"a": [{"exists": false}, "q"], "b": ["1"]}}` holds for `{"x":
//! [{"b": "1"}, {"a": "q"}]}` in its first element.

use super::operator::Operator;
use tributary_core::json::FieldId;
use tributary_core::json::{Collected, Step};

/// A pattern's goals, with fields as ids.
#[derive(Debug, Clone)]
pub(super) enum Goal {
    /// A value of the field matches one of the operators; or, with
    /// `if_present`, the field has any value; or, with `if_absent`, it has none.
    Field {
        field: FieldId,
        operators: Vec<Operator>,
        if_present: bool,
        if_absent: bool,
    },
    /// One of the alternatives holds.
    AnyOf(Vec<Vec<Goal>>),
}

/// What the search reads, the array elements it has bound, and the fields
/// it has chosen to find absent, judged at the end.
pub(super) struct Search<'a> {
    pub(super) collected: &'a Collected,
    pub(super) bytes: &'a [u8],
    pub(super) bound: &'a mut Vec<Step>,
    pub(super) absent: &'a mut Vec<FieldId>,
}

/// The goals still to meet after the current list: a linked list on the stack.
struct Then<'g, 'c> {
    goals: &'g [Goal],
    next: Option<&'c Then<'g, 'c>>,
}

impl Search<'_> {
    /// Whether every goal can be met together.
    pub(super) fn holds(&mut self, goals: &[Goal]) -> bool {
        self.bound.clear();
        self.absent.clear();
        self.solve(goals, None)
    }

    fn solve(&mut self, goals: &[Goal], then: Option<&Then<'_, '_>>) -> bool {
        let Some((goal, rest)) = goals.split_first() else {
            return match then {
                None => self.absent.iter().all(|field| !self.present(*field)),
                Some(then) => self.solve(then.goals, then.next),
            };
        };
        match goal {
            Goal::AnyOf(alternatives) => {
                let after = Then {
                    goals: rest,
                    next: then,
                };
                alternatives
                    .iter()
                    .any(|alternative| self.solve(alternative, Some(&after)))
            }
            Goal::Field {
                field,
                operators,
                if_present,
                if_absent,
            } => {
                let collected = self.collected;
                for entry in collected
                    .leaves
                    .iter()
                    .filter(|entry| entry.field == *field)
                {
                    let trail = collected.trail(entry);
                    if !consistent(self.bound, trail) {
                        continue;
                    }
                    let value = collected.leaf(self.bytes, entry);
                    if *if_present || operators.iter().any(|op| op.matches(value)) {
                        if trail.is_empty() {
                            // Nothing to bind: the rest does not depend on this choice.
                            return self.solve(rest, then);
                        }
                        let mark = self.bound.len();
                        for step in trail {
                            if !self.bound.contains(step) {
                                self.bound.push(*step);
                            }
                        }
                        let solved = self.solve(rest, then);
                        self.bound.truncate(mark);
                        if solved {
                            return true;
                        }
                    }
                }
                if !*if_absent {
                    return false;
                }
                self.absent.push(*field);
                let solved = self.solve(rest, then);
                self.absent.pop();
                solved
            }
        }
    }

    /// Whether the field has a value in the array elements bound.
    fn present(&self, field: FieldId) -> bool {
        self.collected.leaves.iter().any(|entry| {
            entry.field == field && consistent(self.bound, self.collected.trail(entry))
        })
    }
}

/// Whether a value's array elements agree with those bound so far.
fn consistent(bound: &[Step], trail: &[Step]) -> bool {
    trail
        .iter()
        .all(|(array, index)| bound.iter().all(|(a, i)| a != array || i == index))
}
