//! Every EventBridge conformance case gives AWS's answer.

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
    let cases: Vec<Case> = include_str!("conformance/event-patterns.jsonl")
        .lines()
        .map(|line| serde_json::from_str(line).expect("a case is one JSON object"))
        .collect();
    assert!(cases.len() >= 99, "{} cases", cases.len());
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
