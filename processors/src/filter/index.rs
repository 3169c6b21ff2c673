//! Finding the few patterns of a large set that an event may match.
//!
//! Each pattern gets one key: a field goal of its own (not inside `$or`)
//! that any match must meet, and whose operators can be looked up instead
//! of tried one by one: exact values in a hash map, prefixes and suffixes
//! in hash maps by length, numeric ranges sorted by bound. An event's values
//! at key fields name the candidate patterns; each candidate is then checked
//! in full. Patterns with no such goal (`anything-but` alone, say) are
//! always checked. The maps use the Fx hash: their keys come from the
//! pipeline's own patterns, and lookups hash short strings on every event.

use rustc_hash::FxHashMap as HashMap;

use super::operator::{Leaf, Literal, Number, Operator, with_lowercase};
use super::solve::Goal;
use tributary_core::json::Collected;
use tributary_core::json::FieldId;

/// A pattern's position in its set.
pub(super) type PatternId = u32;

#[derive(Debug, Clone, Default)]
pub(super) struct Index {
    by_field: HashMap<FieldId, FieldIndex>,
    /// Patterns without a key.
    pub(super) unkeyed: Vec<PatternId>,
}

#[derive(Debug, Clone, Default)]
struct FieldIndex {
    exact: Postings,
    numbers: HashMap<u64, Vec<PatternId>>,
    others: Vec<(Literal, PatternId)>,
    prefixes: Affixes,
    suffixes: Affixes,
    ignore_case: Postings,
    prefixes_ignore_case: Affixes,
    suffixes_ignore_case: Affixes,
    ranges: Ranges,
}

/// The patterns keyed by each string.
type Postings = HashMap<Box<[u8]>, Vec<PatternId>>;

/// Strings by length, to look up each length's head or tail of a value.
#[derive(Debug, Clone, Default)]
struct Affixes {
    by_length: Vec<(usize, Postings)>,
}

impl Affixes {
    fn insert(&mut self, affix: &str, pattern: PatternId) {
        let length = affix.len();
        let slot = match self.by_length.iter().position(|(l, _)| *l == length) {
            Some(slot) => slot,
            None => {
                self.by_length.push((length, HashMap::default()));
                self.by_length.len() - 1
            }
        };
        self.by_length[slot]
            .1
            .entry(affix.as_bytes().into())
            .or_default()
            .push(pattern);
    }

    fn find(&self, value: &[u8], suffix: bool, out: &mut impl FnMut(PatternId)) {
        for (length, map) in &self.by_length {
            if value.len() >= *length {
                let part = if suffix {
                    &value[value.len() - length..]
                } else {
                    &value[..*length]
                };
                if let Some(patterns) = map.get(part) {
                    patterns.iter().copied().for_each(&mut *out);
                }
            }
        }
    }
}

/// Numeric ranges: bounded ones sorted by their lower bound (with the
/// widest width, to bound the search), and half-open ones apart.
#[derive(Debug, Clone, Default)]
struct Ranges {
    bounded: Vec<(f64, f64, PatternId)>,
    /// The lower bounds of `bounded`, in order: dense, for the binary search.
    lowers: Vec<f64>,
    widest: f64,
    /// Every bounded range lies within these.
    lowest: f64,
    highest: f64,
    at_least: Vec<(f64, PatternId)>,
    at_most: Vec<(f64, PatternId)>,
}

impl Ranges {
    fn seal(&mut self) {
        self.bounded.sort_by(|a, b| a.0.total_cmp(&b.0));
        self.lowers = self.bounded.iter().map(|(lower, _, _)| *lower).collect();
        self.widest = self
            .bounded
            .iter()
            .map(|(l, u, _)| u - l)
            .fold(0.0, f64::max);
        self.lowest = self.lowers.first().copied().unwrap_or(f64::INFINITY);
        self.highest = self
            .bounded
            .iter()
            .map(|(_, u, _)| *u)
            .fold(f64::NEG_INFINITY, f64::max);
    }

    /// Candidates only, for a value known to within a tolerance: the check
    /// in full applies the exact bounds.
    fn find(&self, number: Number<'_>, out: &mut impl FnMut(PatternId)) {
        let (low, high) = (
            number.approx() - number.tolerance(),
            number.approx() + number.tolerance(),
        );
        if high >= self.lowest && low <= self.highest {
            let end = self.lowers.partition_point(|lower| *lower <= high);
            let start = self.lowers[..end].partition_point(|lower| *lower < low - self.widest);
            for (lower, upper, pattern) in &self.bounded[start..end] {
                if *lower <= high && low <= *upper {
                    out(*pattern);
                }
            }
        }
        self.at_least
            .iter()
            .filter(|(bound, _)| high >= *bound)
            .for_each(|(_, p)| out(*p));
        self.at_most
            .iter()
            .filter(|(bound, _)| low <= *bound)
            .for_each(|(_, p)| out(*p));
    }
}

impl Index {
    pub(super) fn new(patterns: &[Vec<Goal>]) -> Self {
        let mut index = Index::default();
        for (id, goals) in patterns.iter().enumerate() {
            let id = id as PatternId;
            match goals.iter().find_map(key_of) {
                Some((field, operators)) => {
                    let entry = index.by_field.entry(field).or_default();
                    operators
                        .iter()
                        .for_each(|operator| entry.insert(operator, id));
                }
                None => index.unkeyed.push(id),
            }
        }
        for field in index.by_field.values_mut() {
            field.ranges.seal();
        }
        index
    }

    /// Calls `out` with each pattern some value of `collected` may match
    /// through its key; a pattern may come more than once.
    pub(super) fn candidates(
        &self,
        collected: &Collected,
        bytes: &[u8],
        out: &mut impl FnMut(PatternId),
    ) {
        for entry in &collected.leaves {
            if let Some(field) = self.by_field.get(&entry.field) {
                field.find(collected.leaf(bytes, entry), out);
            }
        }
    }
}

/// The operators of a goal that can serve as its pattern's key.
fn key_of(goal: &Goal) -> Option<(FieldId, &[Operator])> {
    match goal {
        Goal::Field {
            field,
            operators,
            if_present: false,
            if_absent: false,
        } if !operators.is_empty() && operators.iter().all(indexable) => Some((*field, operators)),
        _ => None,
    }
}

fn indexable(operator: &Operator) -> bool {
    match operator {
        Operator::Exact(_) | Operator::Prefix(_) | Operator::Suffix(_) | Operator::Numeric(_) => {
            true
        }
        // A lowercased value finds an ASCII pattern; others are tried in turn.
        Operator::EqualsIgnoreCase(text)
        | Operator::PrefixIgnoreCase(text)
        | Operator::SuffixIgnoreCase(text) => text.ascii_key().is_some(),
        Operator::Wildcard(wildcard) => wildcard.head().is_some() || wildcard.tail().is_some(),
        Operator::AnythingBut(_) | Operator::Cidr(_) | Operator::Address(_) => false,
    }
}

impl FieldIndex {
    fn insert(&mut self, operator: &Operator, id: PatternId) {
        match operator {
            Operator::Exact(Literal::String(text)) => self
                .exact
                .entry(text.as_bytes().into())
                .or_default()
                .push(id),
            Operator::Exact(Literal::Number(number)) => self
                .numbers
                .entry(number_key(*number))
                .or_default()
                .push(id),
            Operator::Exact(literal) => self.others.push((literal.clone(), id)),
            Operator::Prefix(prefix) => self.prefixes.insert(prefix, id),
            Operator::Suffix(suffix) => self.suffixes.insert(suffix, id),
            Operator::EqualsIgnoreCase(text) => self
                .ignore_case
                .entry(ascii_key(text).as_bytes().into())
                .or_default()
                .push(id),
            Operator::PrefixIgnoreCase(prefix) => {
                self.prefixes_ignore_case.insert(ascii_key(prefix), id)
            }
            Operator::SuffixIgnoreCase(suffix) => {
                self.suffixes_ignore_case.insert(ascii_key(suffix), id)
            }
            Operator::Wildcard(wildcard) => match (wildcard.head(), wildcard.tail()) {
                (Some(head), _) => self.prefixes.insert(head, id),
                (None, Some(tail)) => self.suffixes.insert(tail, id),
                (None, None) => unreachable!("only wildcards with a literal end are indexed"),
            },
            Operator::Numeric(range) => match (range.lower, range.upper) {
                (Some((lower, _)), Some((upper, _))) => {
                    self.ranges.bounded.push((lower, upper, id))
                }
                (Some((lower, _)), None) => self.ranges.at_least.push((lower, id)),
                (None, Some((upper, _))) => self.ranges.at_most.push((upper, id)),
                (None, None) => self.ranges.at_least.push((f64::NEG_INFINITY, id)),
            },
            Operator::AnythingBut(_) | Operator::Cidr(_) | Operator::Address(_) => {
                unreachable!("not indexable")
            }
        }
    }

    fn find(&self, value: Leaf<'_>, out: &mut impl FnMut(PatternId)) {
        match value {
            Leaf::String(bytes) => {
                if let Some(patterns) = self.exact.get(bytes) {
                    patterns.iter().copied().for_each(&mut *out);
                }
                self.prefixes.find(bytes, false, out);
                self.suffixes.find(bytes, true, out);
                let needs_lowercase = !self.ignore_case.is_empty()
                    || !self.prefixes_ignore_case.by_length.is_empty()
                    || !self.suffixes_ignore_case.by_length.is_empty();
                if needs_lowercase {
                    with_lowercase(value, |lower| {
                        if let Some(patterns) = self.ignore_case.get(lower) {
                            patterns.iter().copied().for_each(&mut *out);
                        }
                        self.prefixes_ignore_case.find(lower, false, out);
                        self.suffixes_ignore_case.find(lower, true, out);
                        true
                    });
                }
            }
            Leaf::Number(number) => {
                if !self.numbers.is_empty()
                    && let Some(patterns) = self.numbers.get(&number_key(number.exact_value()))
                {
                    patterns.iter().copied().for_each(&mut *out);
                }
                self.ranges.find(number, out);
                // A number of the pattern that is not a double, by its text.
                self.find_other(value, out);
            }
            other => self.find_other(other, out),
        }
    }

    fn find_other(&self, value: Leaf<'_>, out: &mut impl FnMut(PatternId)) {
        self.others
            .iter()
            .filter(|(literal, _)| literal.matches(value))
            .for_each(|(_, id)| out(*id));
    }
}

fn ascii_key(text: &super::operator::IgnoreCase) -> &str {
    text.ascii_key()
        .expect("only ASCII ignore-case patterns are indexed")
}

/// A hash key for a number: `-0.0` and `0.0` are the same number.
fn number_key(number: f64) -> u64 {
    if number == 0.0 { 0 } else { number.to_bits() }
}
