//! How complex a pattern's wildcards are, measured as EventBridge measures it.
//!
//! EventBridge refuses a pattern whose wildcards are too complex
//! (`InvalidEventPatternException`; user guide, "Event patterns", section
//! "Wildcard matching complexity"). Its measure is event-ruler's
//! `MachineComplexityEvaluator` (software.amazon.event.ruler, 1.8.1,
//! `MachineComplexityEvaluator.evaluate` and `ByteMachine.evaluateComplexity`),
//! applied as event-ruler's README applies it: the wildcard-holding sub-rules
//! of one pattern in one machine. The measure of a field is the largest
//! number of wildcard *prefixes* one value can match at once, over every
//! possible value:
//!
//! - a prefix of a wildcard is its text up to a byte or up to a `*` (of
//!   `a*b`: `a`, `a*` and `a*b`), counted only when the whole value matches it
//!   (`abb` matches `a*`, `a*b` and, of `a*bb`, also `a*bb`: 3);
//! - the prefixes of every `wildcard` and `anything-but` `wildcard` of the
//!   field add up, once per distinct operator; the strings of one
//!   `anything-but` list share their common prefixes;
//! - a wildcard that is only `*` (or is empty) adds 1 more: it matches the
//!   empty value before any byte is read.
//!
//! A pattern's complexity is that of its most complex field. It grows with
//! the number of `*` and with text that repeats after a `*`: `*a*b*c*d*` is
//! 6, `*a*a*a*a*a*` is 11. Fields are counted by their path across the
//! alternatives of `$or`, which can count higher than event-ruler where the
//! alternatives keep the same field apart; the differential test against
//! event-ruler (processors/tests/oracle.rs) checks the answers agree.
//!
//! EventBridge does not publish its limit. [`MAX_COMPLEXITY`] is 10, the
//! per-rule budget of event-ruler's README example ("limit each single-rule
//! machine to complexity of 10"); a LocalStack-like emulator hard-codes the
//! same value, which we have not verified against AWS.

use std::collections::{HashMap, HashSet, VecDeque};

/// The most complex wildcards a pattern may hold, in the measure above.
pub const MAX_COMPLEXITY: usize = 10;

/// One piece of a wildcard: a literal byte, or a `*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Token {
    Byte(u8),
    Star,
}

/// The wildcards of one field, each operator once.
#[derive(Debug, Default)]
pub(super) struct FieldWildcards {
    /// Each operator's strings, as the literal pieces between its stars.
    operators: Vec<Vec<Vec<String>>>,
}

impl FieldWildcards {
    /// Adds one operator: a `wildcard` (one string) or an `anything-but`
    /// `wildcard` (one or more), each given as its literal pieces.
    pub(super) fn add(&mut self, strings: Vec<Vec<String>>) {
        if !self.operators.contains(&strings) {
            self.operators.push(strings);
        }
    }

    /// The field's complexity, counted up to `cap` (a higher one answers `cap`).
    pub(super) fn complexity(&self, cap: usize) -> usize {
        let nfa = Nfa::new(&self.operators);
        let star_alone = self
            .operators
            .iter()
            .flatten()
            .any(|pieces| pieces.iter().all(String::is_empty) && pieces.len() <= 2);
        let bonus = usize::from(star_alone);
        (bonus + nfa.most_active(cap.saturating_sub(bonus))).min(cap)
    }
}

/// The wildcards of a field as one automaton: a trie of prefixes per
/// operator, under one root that merges nothing across operators.
struct Nfa {
    /// Each node's token (the root's is never read) and children.
    nodes: Vec<(Token, Vec<usize>)>,
}

impl Nfa {
    fn new(operators: &[Vec<Vec<String>>]) -> Nfa {
        let mut nfa = Nfa {
            nodes: vec![(Token::Star, Vec::new())],
        };
        for strings in operators {
            // One trie per operator, so two operators never share a prefix.
            let mut tops: HashMap<Token, usize> = HashMap::new();
            for pieces in strings {
                let mut node = None;
                for token in tokens(pieces) {
                    node = Some(match node {
                        None => *tops
                            .entry(token)
                            .or_insert_with(|| nfa.push_child(0, token)),
                        Some(parent) => nfa.child(parent, token),
                    });
                }
            }
        }
        nfa
    }

    fn push_child(&mut self, parent: usize, token: Token) -> usize {
        self.nodes.push((token, Vec::new()));
        let id = self.nodes.len() - 1;
        self.nodes[parent].1.push(id);
        id
    }

    fn child(&mut self, parent: usize, token: Token) -> usize {
        match self.nodes[parent]
            .1
            .iter()
            .find(|&&c| self.nodes[c].0 == token)
        {
            Some(&c) => c,
            None => self.push_child(parent, token),
        }
    }

    /// Adds `node` and the stars right after it (a `*` matches nothing too).
    fn enter(&self, node: usize, into: &mut Vec<usize>) {
        into.push(node);
        for &c in &self.nodes[node].1 {
            if self.nodes[c].0 == Token::Star {
                into.push(c);
            }
        }
    }

    /// The most nodes active at once after one byte or more, over every
    /// input, counted up to `cap`: a breadth-first walk of the sets of
    /// active nodes, one step per byte the wildcards name and one for any
    /// other byte.
    fn most_active(&self, cap: usize) -> usize {
        let mut bytes: Vec<u8> = self
            .nodes
            .iter()
            .filter_map(|(token, _)| match token {
                Token::Byte(b) => Some(*b),
                Token::Star => None,
            })
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        if let Some(other) = (0..=u8::MAX).find(|b| !bytes.contains(b)) {
            bytes.push(other);
        }
        let mut start = Vec::new();
        self.enter(0, &mut start);
        let mut seen: HashSet<Vec<usize>> = HashSet::new();
        let mut queue = VecDeque::from([start]);
        let mut most = 0;
        while let Some(active) = queue.pop_front() {
            for &byte in &bytes {
                let mut next = Vec::new();
                for &node in &active {
                    if node != 0 && self.nodes[node].0 == Token::Star {
                        next.push(node);
                    }
                    for &c in &self.nodes[node].1 {
                        if self.nodes[c].0 == Token::Byte(byte) {
                            self.enter(c, &mut next);
                        }
                    }
                }
                next.sort_unstable();
                next.dedup();
                if next.is_empty() || seen.contains(&next) {
                    continue;
                }
                most = most.max(next.len());
                if most >= cap {
                    return cap;
                }
                seen.insert(next.clone());
                queue.push_back(next);
            }
        }
        most
    }
}

/// A wildcard's bytes and stars, from its literal pieces.
fn tokens(pieces: &[String]) -> Vec<Token> {
    let mut tokens = Vec::new();
    for (i, piece) in pieces.iter().enumerate() {
        if i > 0 {
            tokens.push(Token::Star);
        }
        tokens.extend(piece.bytes().map(Token::Byte));
    }
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::operator::Wildcard;

    fn complexity(wildcards: &[&[&str]]) -> usize {
        let mut field = FieldWildcards::default();
        for strings in wildcards {
            field.add(
                strings
                    .iter()
                    .map(|s| Wildcard::parse(s).unwrap().pieces().to_vec())
                    .collect(),
            );
        }
        field.complexity(100)
    }

    /// The figures of event-ruler's MachineComplexityEvaluatorTest (1.8.1),
    /// as a pattern answers them: a lone `*` adds the empty value's match.
    #[test]
    fn complexity_is_event_rulers() {
        for (wildcard, expected) in [
            ("*", 2),
            ("abc", 1),
            ("*ab", 2),
            ("*aa", 3),
            ("a*b", 2),
            ("aa*", 2),
            ("a*bb", 3),
            ("a*bbb", 4),
            ("*ab*ad", 4),
            ("*aba*", 4),
            ("a*b*bb", 5),
            ("a*b*cd", 3),
            ("ab*b*", 3),
            ("*a*b*c*d*", 6),
            ("*a*a*a*a*a*", 11),
            ("x*x*x*x*x*", 9),
            ("é*é", 2),
        ] {
            assert_eq!(complexity(&[&[wildcard]]), expected, "{wildcard}");
        }
        assert_eq!(complexity(&[&["a*aaa"], &["aa*aa"]]), 7);
        assert_eq!(complexity(&[&["a*bc"], &["a*bcde"]]), 4);
        assert_eq!(complexity(&[&["ab*c"], &["x*xx"]]), 3);
        // One operator twice counts once; the strings of one list share prefixes.
        assert_eq!(complexity(&[&["a*bc"], &["a*bc"]]), 2);
        assert_eq!(complexity(&[&["a*b", "a*c"]]), 2);
    }

    #[test]
    fn complexity_stops_at_its_cap() {
        let mut field = FieldWildcards::default();
        field.add(vec![
            Wildcard::parse("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*")
                .unwrap()
                .pieces()
                .to_vec(),
        ]);
        assert_eq!(field.complexity(MAX_COMPLEXITY + 1), MAX_COMPLEXITY + 1);
    }
}
