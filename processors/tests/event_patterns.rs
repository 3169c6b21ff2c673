//! Every EventBridge conformance case gives AWS's answer, and every case
//! ported from event-ruler's tests gives event-ruler's.

use serde::Deserialize;
use tributary_processors::filter::{Pattern, PatternSet};

#[derive(Deserialize)]
struct Case {
    name: String,
    expect: String,
    pattern: String,
    event: String,
}

#[test]
fn every_conformance_case_gives_the_aws_answer() {
    check_cases(include_str!("conformance/event-patterns.jsonl"), 99);
}

/// event-ruler's own test data (aws/event-ruler, src/test/resources and
/// src/test/data), with event-ruler 1.8.1's answers.
#[test]
fn every_ported_event_ruler_case_gives_event_rulers_answer() {
    check_cases(include_str!("conformance/event-ruler-cases.jsonl"), 78);
}

fn check_cases(text: &str, at_least: usize) {
    let cases: Vec<Case> = text
        .lines()
        .map(|line| serde_json::from_str(line).expect("a case is one JSON object"))
        .collect();
    assert!(cases.len() >= at_least, "{} cases", cases.len());
    let mut wrong = Vec::new();
    for case in &cases {
        let got = match Pattern::parse(&case.pattern) {
            Err(_) => "invalid",
            Ok(pattern) => {
                let event: serde_json::Value =
                    serde_json::from_str(&case.event).expect("events are JSON");
                let parsed = pattern.matches(&event);
                // The byte scanner, which reads only what the pattern tests, must agree.
                let scanned = PatternSet::new([pattern])
                    .matches_bytes(case.event.as_bytes())
                    .expect("events are JSON");
                assert_eq!(
                    parsed, scanned,
                    "{}: parsed and scanned events disagree",
                    case.name
                );
                if parsed { "match" } else { "no-match" }
            }
        };
        if got != case.expect {
            wrong.push(format!(
                "{}: expected {}, got {got}\n  pattern {}\n",
                case.name, case.expect, case.pattern
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} cases wrong:\n{}",
        wrong.len(),
        cases.len(),
        wrong.join("")
    );
}

/// Each pattern, inside a set large enough to be indexed, gives the answer it
/// gives alone, on every event of the suite: the index only narrows the search.
#[test]
fn an_indexed_set_answers_like_each_pattern_alone() {
    let cases: Vec<Case> = include_str!("conformance/event-patterns.jsonl")
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let patterns: Vec<Pattern> = cases
        .iter()
        .filter_map(|c| Pattern::parse(&c.pattern).ok())
        .collect();
    let events: Vec<serde_json::Value> = cases
        .iter()
        .map(|c| serde_json::from_str(&c.event).unwrap())
        .collect();
    let padding = (0..10).map(|i| {
        Pattern::parse(&format!(
            r#"{{"never-{i}": ["x"], "n": [{{"numeric": ["=", {i}]}}]}}"#
        ))
        .unwrap()
    });
    let mut checks = 0;
    for pattern in &patterns {
        let mut set = PatternSet::new(std::iter::once(pattern.clone()).chain(padding.clone()));
        for (case, event) in cases.iter().zip(&events) {
            let alone = pattern.matches(event);
            assert_eq!(
                set.matches_value(event).unwrap(),
                alone,
                "{} on {}",
                case.pattern,
                case.name
            );
            assert_eq!(
                set.matches_bytes(case.event.as_bytes()).unwrap(),
                alone,
                "{} on {}",
                case.pattern,
                case.name
            );
            checks += 1;
        }
    }
    assert!(checks > 5_000, "{checks}");
}
