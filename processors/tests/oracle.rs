//! tributary's filter against event-ruler, the engine behind EventBridge's
//! matching, on generated patterns and events.
//!
//! The test builds tools/event-ruler-oracle (Maven, event-ruler 1.8.1 from
//! Maven Central) into target/event-ruler-oracle/ when it is missing or
//! older than its sources, starts it once, and asks it about every pair. It
//! fails, never skips, when Maven, Java or the harness is missing.
//!
//! A seeded generator writes the pairs: every operator (exact values of every
//! type, prefix, suffix, equals-ignore-case, anything-but with values, lists,
//! prefix, suffix, equals-ignore-case and wildcard, numeric ranges, exists,
//! cidr, wildcard, `$or`), nested paths and dotted keys, arrays of values and
//! of objects, numbers at the edges of a double's precision, unicode, escapes,
//! and malformed patterns. Both must agree on whether a pattern is valid and,
//! when it is, on whether it matches.
//!
//! The default run compares [`DEFAULT_PAIRS`] pairs. The long run:
//!
//! ```sh
//! ORACLE_PAIRS=200000 ORACLE_SEED=7 cargo test --release -p tributary-processors \
//!     --test oracle -- --nocapture
//! ```
//!
//! prints the pairs compared, the time each side took, and the disagreements;
//! `ORACLE_DUMP=path` writes every disagreement there, not only the first.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde::Deserialize;
use tributary_processors::filter::{MAX_COMPLEXITY, Pattern, PatternSet};

/// Pairs compared by a plain `cargo test`.
const DEFAULT_PAIRS: usize = 7_500;

// ---------------------------------------------------------------------------
// Where tributary follows EventBridge rather than event-ruler.
//
// event-ruler is a library: EventBridge adds its own checks on top. Each rule
// below is one place where tributary gives EventBridge's answer and so
// departs from event-ruler's, with its source. The comparison applies them to
// event-ruler's answer before comparing.
//
// 1. Wildcard complexity. event-ruler measures it (MachineComplexityEvaluator)
//    but has no limit; EventBridge refuses a too-complex pattern
//    (InvalidEventPatternException; EventBridge user guide, "Event patterns",
//    "Wildcard matching complexity"). tributary refuses above MAX_COMPLEXITY,
//    10 (see processors/src/filter/complexity.rs for why 10). The harness
//    reports event-ruler's measure, and a pattern event-ruler accepts with a
//    measure above the limit counts as invalid.
// ---------------------------------------------------------------------------

// ---------------------------------------------------------------------------
// event-ruler answers tributary does not copy.
//
// Defects of event-ruler 1.8.1 itself (on the JDK 17 the harness runs), which
// no EventBridge documentation describes. A pair whose pattern meets one is
// left out of the comparison and counted; each has a test of tributary's
// answer in processors/src/filter/tests.rs.
//
// D1. equals-ignore-case with a character outside the Basic Multilingual
//     Plane: EqualsIgnoreCaseParser cases each UTF-16 half alone, which
//     encodes as `?`, so {"equals-ignore-case": "😀"} matches "??" and never
//     "😀". tributary compares the character. Left out: patterns with such a
//     character in an equals-ignore-case.
// D2. ±1.7976931348623157e308 (the largest doubles) as a numeric bound
//     past which nothing lies: as a lower bound (`>`, `>=`) the largest,
//     as an upper bound (`<`, `<=`) the most negative, event-ruler fails
//     with "Index 10 out of bounds for length 10" in Range; and
//     [">", -1.7976931348623157e308] alone matches -1.7976931348623157e308
//     itself. tributary accepts these bounds and keeps `>` exclusive. Left
//     out: patterns with a `numeric` bound of these forms.
// D3. 5e-324 (the smallest double): JDK 17's Double.toString writes it
//     4.9E-324, so ComparableNumber refuses it as inexact ("Cannot compare
//     number"), in a pattern and in an event. Left out: patterns with it in
//     a `numeric` or `anything-but`, and events with it against patterns
//     that compare numbers. tributary accepts the
//     shortest decimal of any double (as JDK 19's Double.toString writes
//     it). A number that is not a double as written (9007199254740993) is
//     compared by its text alone, as event-ruler does.
// D4. An empty list inside an anything-but operator ({"anything-but":
//     {"wildcard": []}}): JsonRuleCompiler.check accepts it, then adding it
//     to a Machine fails with a NullPointerException, except inside `$or`,
//     where it is accepted. tributary refuses it, as event-ruler refuses
//     every other empty list ("Empty arrays are not allowed").
//
// D5. equals-ignore-case (alone, or in prefix or suffix) beside a wildcard
//     that starts with `*` on the same field (left out: pairs with both on
//     one field's values, in any `$or` branch): the two share states in
//     ByteMachine, and the case-folded text then matches anywhere in the
//     value, so [{"wildcard": "*a"}, {"suffix": {"equals-ignore-case":
//     "null"}}] matches "null1", which neither operator matches alone (a
//     field's list is an OR: user guide, "Event patterns").
// D6. {"exists": false} below an array of objects: NameState.getNameTransitions
//     means to count only the array element the other fields matched in
//     ("we should only consider the field who doesn't violate array
//     consistency"), but does so only for fields whose names sort before the
//     absent one's, so {"b": {"a": ["x"], "z": [{"exists": false}]}} matches
//     {"b": [{"a": -1, "z": ""}, {"a": "x"}]} and the same pattern with the
//     names swapped does not. tributary takes each element alone, always.
//     Left out: events with an array of objects, and patterns with a field
//     that must be absent and another whose path sorts after it.
// D7. cidr (and an exact IP address, which event-ruler compiles to a range)
//     is matched digit by digit on the address in hex, and a match is
//     reported at the first digit that settles the range, whatever the
//     value's length (ByteMachine, NUMERIC_RANGE "as soon as you see the
//     match"). So "0.0.0.0/0" matches every IPv6 address and the text of a
//     number that starts with 1-9 (not 0, nor a negative one), and an IPv4
//     network matches IPv6 addresses whose first 32 bits are in it. The
//     user guide's "IP address matching" matches IP addresses in the block,
//     and AWS answers no-match for a number against a cidr
//     (content_ip_address_bad_type_NEG in processors/tests/conformance).
// D8. A field named both beside a `$or` and in one of its patterns
//     ({"a": [..], "$or": [{"a": [..]}, ..]}): JsonRuleCompiler.writeRules
//     puts each field into a map, so the condition written last replaces the
//     other and one of the two is silently dropped. The user guide's `$or`
//     ("Event patterns", "$or matching") and every other field keep both
//     conditions; tributary requires both.
// D9. An exact string beside a `numeric` and a suffix, a wildcard or an
//     equals-ignore-case (alone or in suffix) on the same field: for some
//     strings and ranges, the string stops matching itself, so ["abc",
//     {"numeric": ["<", 5]}, {"suffix": "x"}] does not match "abc" (with
//     `<=`, or without the suffix, it does), nor ["abba/baé*", {"numeric":
//     [">", -100.5, "<=", 100]}, {"suffix": "::1"}] "abba/baé*". A field's
//     list is an OR; tributary matches. Left out: a field whose values hold
//     an exact string, a `numeric` and one of those, in any `$or` branch.
//
// ---------------------------------------------------------------------------

/// The event-ruler defect (or open difference) a pair meets, if any.
fn event_ruler_defect(pattern: &str, event: &str) -> Option<&'static str> {
    let parsed: Option<serde_json::Value> = serde_json::from_str(pattern).ok();
    if event.contains("5e-324") && parsed.as_ref().is_some_and(compares_numbers) {
        return Some("D3");
    }
    if parsed.as_ref().is_some_and(|value| {
        let mut found = Vec::new();
        strings(value, "", &mut found);
        found
            .iter()
            .any(|(key, text)| *key == "equals-ignore-case" && text.chars().any(|c| c > '\u{FFFF}'))
    }) {
        return Some("D1");
    }
    if parsed.as_ref().is_some_and(extreme_bound) {
        return Some("D2");
    }
    if parsed.as_ref().is_some_and(smallest_double_compared) {
        return Some("D3");
    }
    let value = parsed?;
    if empty_anything_but_list(&value) {
        return Some("D4");
    }
    let mut fields = Vec::new();
    field_lists(&value, "", &mut fields);
    if ignore_case_beside_leading_wildcard(&fields) {
        return Some("D5");
    }
    if event.contains("[{") && absent_field_before_another(&fields) {
        return Some("D6");
    }
    if string_beside_numeric_and_suffix(&fields) {
        return Some("D9");
    }
    let event: serde_json::Value = serde_json::from_str(event).ok()?;
    if cidr_by_first_digits(&value, &event) {
        return Some("D7");
    }
    field_beside_and_in_or(&value).then_some("D8")
}

/// Whether a pattern compares numbers: `numeric`, or a number anywhere.
fn compares_numbers(value: &serde_json::Value) -> bool {
    use serde_json::Value;
    match value {
        Value::Number(_) => true,
        Value::Object(entries) => entries
            .iter()
            .any(|(key, inner)| key == "numeric" || compares_numbers(inner)),
        Value::Array(items) => items.iter().any(compares_numbers),
        _ => false,
    }
}

/// D2: a `numeric` with a bound at the largest double on the side where
/// event-ruler fails: `>` or `>=` the largest, `<` or `<=` or `>` the most
/// negative.
fn extreme_bound(value: &serde_json::Value) -> bool {
    use serde_json::Value;
    match value {
        Value::Object(entries) => entries.iter().any(|(key, inner)| {
            let bounds = inner.as_array().filter(|_| key == "numeric");
            bounds.is_some_and(|items| {
                items.windows(2).any(|pair| {
                    let bound = pair[1].as_f64();
                    match pair[0].as_str() {
                        Some(">") => bound == Some(f64::MAX) || bound == Some(-f64::MAX),
                        Some(">=") => bound == Some(f64::MAX),
                        Some("<" | "<=") => bound == Some(-f64::MAX),
                        _ => false,
                    }
                })
            }) || extreme_bound(inner)
        }),
        Value::Array(items) => items.iter().any(extreme_bound),
        _ => false,
    }
}

/// D3: 5e-324 in a `numeric` or an `anything-but` of the pattern (an exact
/// 5e-324 is text to event-ruler, and a double to tributary, and both match
/// the same events).
fn smallest_double_compared(value: &serde_json::Value) -> bool {
    use serde_json::Value;
    fn holds_it(value: &Value) -> bool {
        match value {
            Value::Number(number) => number.as_f64() == Some(5e-324),
            Value::Array(items) => items.iter().any(holds_it),
            Value::Object(entries) => entries.values().any(holds_it),
            _ => false,
        }
    }
    match value {
        Value::Object(entries) => entries.iter().any(|(key, inner)| {
            (matches!(key.as_str(), "numeric" | "anything-but") && holds_it(inner))
                || smallest_double_compared(inner)
        }),
        Value::Array(items) => items.iter().any(smallest_double_compared),
        _ => false,
    }
}

/// Every string in a JSON value, with the key it is under (if any).
fn strings<'a>(value: &'a serde_json::Value, key: &'a str, out: &mut Vec<(&'a str, &'a str)>) {
    use serde_json::Value;
    match value {
        Value::String(text) => out.push((key, text)),
        Value::Object(entries) => entries.iter().for_each(|(k, v)| strings(v, k, out)),
        Value::Array(items) => items.iter().for_each(|v| strings(v, key, out)),
        _ => {}
    }
}

/// IPv4 (4) or IPv6 (6), roughly as event-ruler tells them apart.
fn ip_family(text: &str) -> Option<u8> {
    let text = text.split('/').next()?;
    if text.contains(':') && text.parse::<std::net::Ipv6Addr>().is_ok() {
        Some(6)
    } else if text.split('.').count() == 4 && text.parse::<std::net::Ipv4Addr>().is_ok() {
        Some(4)
    } else {
        None
    }
}

/// Each field of a pattern with its list of values, by path (`b.a`), the
/// fields of `$or` branches included.
fn field_lists<'a>(
    value: &'a serde_json::Value,
    prefix: &str,
    out: &mut Vec<(String, &'a [serde_json::Value])>,
) {
    use serde_json::Value;
    let Value::Object(entries) = value else {
        return;
    };
    for (key, inner) in entries {
        match inner {
            Value::Array(branches) if key == "$or" => branches
                .iter()
                .for_each(|branch| field_lists(branch, prefix, out)),
            Value::Array(values) => out.push((format!("{prefix}{key}"), values)),
            Value::Object(_) => field_lists(inner, &format!("{prefix}{key}."), out),
            _ => {}
        }
    }
}

/// D5: a field with equals-ignore-case (alone, or in prefix or suffix)
/// and a wildcard that starts with `*` among its values (in any branch).
fn ignore_case_beside_leading_wildcard(fields: &[(String, &[serde_json::Value])]) -> bool {
    fields.iter().any(|(path, _)| {
        let values = fields
            .iter()
            .filter(|(other, _)| other == path)
            .flat_map(|(_, values)| values.iter());
        let (mut leading_star, mut ignore_case) = (false, false);
        for value in values {
            let mut found = Vec::new();
            strings(value, "", &mut found);
            leading_star |= found
                .iter()
                .any(|(key, text)| *key == "wildcard" && text.starts_with('*'));
            ignore_case |= found.iter().any(|(key, _)| *key == "equals-ignore-case");
        }
        leading_star && ignore_case
    })
}

/// D6: a field that must be absent (`{"exists": false}`) and another field
/// whose path sorts after its own, which event-ruler leaves out of its check
/// of array elements.
fn absent_field_before_another(fields: &[(String, &[serde_json::Value])]) -> bool {
    let absent = |values: &[serde_json::Value]| {
        values
            .iter()
            .any(|value| value.get("exists") == Some(&serde_json::Value::Bool(false)))
    };
    fields.iter().any(|(path, values)| {
        absent(values)
            && fields
                .iter()
                .any(|(other, _)| other.as_str() > path.as_str())
    })
}

/// D9: a field with an exact string, a `numeric` and a suffix, a wildcard
/// or an equals-ignore-case among its values (in any branch).
fn string_beside_numeric_and_suffix(fields: &[(String, &[serde_json::Value])]) -> bool {
    use serde_json::Value;
    fields.iter().any(|(path, _)| {
        let values: Vec<&Value> = fields
            .iter()
            .filter(|(other, _)| other == path)
            .flat_map(|(_, values)| values.iter())
            .collect();
        let string = values.iter().any(|value| value.is_string());
        let numeric = values.iter().any(|value| value.get("numeric").is_some());
        let from_the_end = values.iter().any(|value| {
            let mut found = Vec::new();
            strings(value, "", &mut found);
            found
                .iter()
                .any(|(key, _)| matches!(*key, "equals-ignore-case" | "suffix" | "wildcard"))
        });
        string && numeric && from_the_end
    })
}

/// D7: a pair whose answer event-ruler may settle on the first hex digits.
fn cidr_by_first_digits(pattern: &serde_json::Value, event: &serde_json::Value) -> bool {
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    strings(pattern, "", &mut ours);
    strings(event, "", &mut theirs);
    let short_mask = ours.iter().any(|(key, text)| {
        *key == "cidr"
            && text
                .split_once('/')
                .and_then(|(_, bits)| bits.parse::<u32>().ok())
                .is_some_and(|bits| bits < 8)
    });
    let families = |texts: &[(&str, &str)]| -> Vec<u8> {
        texts
            .iter()
            .filter_map(|(_, text)| ip_family(text))
            .collect()
    };
    let (networks, addresses) = (families(&ours), families(&theirs));
    short_mask
        || (networks.contains(&4) && addresses.contains(&6))
        || (networks.contains(&6) && addresses.contains(&4))
}

/// D8: a field named beside a `$or` and inside one of its patterns.
fn field_beside_and_in_or(value: &serde_json::Value) -> bool {
    use serde_json::Value;
    fn paths(value: &Value, prefix: &str, out: &mut Vec<String>) {
        if let Value::Object(entries) = value {
            for (key, inner) in entries {
                match inner {
                    Value::Array(items) if key == "$or" => {
                        items.iter().for_each(|item| paths(item, prefix, out));
                    }
                    Value::Object(_) => paths(inner, &format!("{prefix}{key}."), out),
                    _ => out.push(format!("{prefix}{key}")),
                }
            }
        }
    }
    fn check(value: &Value, prefix: &str) -> bool {
        let Value::Object(entries) = value else {
            return false;
        };
        if let Some(Value::Array(branches)) = entries.get("$or") {
            let mut beside = Vec::new();
            for (key, inner) in entries.iter().filter(|(key, _)| *key != "$or") {
                let single: serde_json::Map<String, Value> =
                    std::iter::once((key.clone(), inner.clone())).collect();
                paths(&Value::Object(single), prefix, &mut beside);
            }
            let mut inside = Vec::new();
            branches.iter().for_each(|b| paths(b, prefix, &mut inside));
            if inside.iter().any(|path| beside.contains(path)) {
                return true;
            }
        }
        entries.iter().any(|(key, inner)| match inner {
            Value::Array(items) if key == "$or" => items.iter().any(|item| check(item, prefix)),
            _ => check(inner, &format!("{prefix}{key}.")),
        })
    }
    check(value, "")
}

fn empty_anything_but_list(value: &serde_json::Value) -> bool {
    use serde_json::Value;
    match value {
        Value::Object(entries) => entries.iter().any(|(key, inner)| {
            let empty = key == "anything-but"
                && inner
                    .as_object()
                    .is_some_and(|o| o.values().any(|v| v.as_array().is_some_and(Vec::is_empty)));
            empty || empty_anything_but_list(inner)
        }),
        Value::Array(items) => items.iter().any(empty_anything_but_list),
        _ => false,
    }
}

/// event-ruler's answer, with EventBridge's own rules applied.
fn eventbridge(answer: &Answer) -> Verdict {
    if !answer.valid {
        return Verdict::Invalid(answer.error.clone().unwrap_or_default());
    }
    if answer.complexity > MAX_COMPLEXITY {
        return Verdict::Invalid(format!(
            "wildcard complexity {} > {MAX_COMPLEXITY} (EventBridge's rule 1)",
            answer.complexity
        ));
    }
    Verdict::Matches(answer.matches)
}

#[derive(Debug, Clone, PartialEq)]
enum Verdict {
    Invalid(String),
    Matches(bool),
}

impl Verdict {
    fn same(&self, other: &Verdict) -> bool {
        match (self, other) {
            (Verdict::Invalid(_), Verdict::Invalid(_)) => true,
            (Verdict::Matches(a), Verdict::Matches(b)) => a == b,
            _ => false,
        }
    }
}

/// tributary's answer; the parsed and the raw-bytes matchers must agree.
fn tributary(pattern: &str, event: &str) -> Verdict {
    match Pattern::parse(pattern) {
        Err(error) => Verdict::Invalid(error.to_string()),
        Ok(compiled) => {
            let value: serde_json::Value = serde_json::from_str(event).expect("events are JSON");
            let parsed = compiled.matches(&value);
            let scanned = PatternSet::new([compiled])
                .matches_bytes(event.as_bytes())
                .expect("events are JSON");
            assert_eq!(
                parsed, scanned,
                "parsed and scanned disagree on {pattern} / {event}"
            );
            Verdict::Matches(parsed)
        }
    }
}

#[test]
fn tributary_answers_as_event_ruler_on_generated_pairs() {
    let pairs: usize = std::env::var("ORACLE_PAIRS")
        .ok()
        .map(|n| n.parse().expect("ORACLE_PAIRS is a number"))
        .unwrap_or(DEFAULT_PAIRS);
    let seed: u64 = std::env::var("ORACLE_SEED")
        .ok()
        .map(|n| n.parse().expect("ORACLE_SEED is a number"))
        .unwrap_or(19);
    let mut generator = Generator::new(seed);
    let mut cases = Vec::with_capacity(pairs);
    while cases.len() < pairs {
        let pattern = generator.pattern();
        for _ in 0..3 {
            let event = generator.event(&pattern);
            cases.push((pattern.text(), event.text()));
        }
    }
    cases.truncate(pairs);

    let started = Instant::now();
    let answers = oracle().ask(&cases);
    let ruler_time = started.elapsed();
    let started = Instant::now();
    let ours: Vec<Verdict> = cases.iter().map(|(p, e)| tributary(p, e)).collect();
    let our_time = started.elapsed();

    let mut wrong = Vec::new();
    let (mut valid, mut matched) = (0, 0);
    let mut defects: std::collections::BTreeMap<&str, usize> = Default::default();
    for (((pattern, event), answer), ours) in cases.iter().zip(&answers).zip(&ours) {
        if let Some(defect) = event_ruler_defect(pattern, event) {
            *defects.entry(defect).or_default() += 1;
            continue;
        }
        let expected = eventbridge(answer);
        if let Verdict::Matches(m) = expected {
            valid += 1;
            matched += usize::from(m);
        }
        if !expected.same(ours) {
            wrong.push(format!(
                "  pattern {pattern}\n  event   {event}\n  event-ruler (as EventBridge): {expected:?}\n  tributary: {ours:?}\n"
            ));
        }
    }
    let left_out: usize = defects.values().sum();
    println!(
        "{} pairs compared (seed {seed}; {left_out} more left out for event-ruler's defects {defects:?}): {valid} valid, {matched} matching; event-ruler {:.2?}, tributary {:.2?}; {} disagreements",
        cases.len() - left_out,
        ruler_time,
        our_time,
        wrong.len()
    );
    if let Ok(path) = std::env::var("ORACLE_DUMP") {
        std::fs::write(&path, wrong.concat()).expect("write ORACLE_DUMP");
    }
    assert!(
        wrong.is_empty(),
        "{} of {} pairs disagree; the first:\n{}",
        wrong.len(),
        cases.len(),
        wrong.iter().take(15).cloned().collect::<String>()
    );
    // The generator keeps every kind of answer common.
    let compared = cases.len() - left_out;
    assert!(valid * 10 > compared * 3, "{valid} valid of {compared}");
    assert!(matched * 10 > valid * 2, "{matched} matching of {valid}");
}

// ---------------------------------------------------------------------------
// The harness: built once, started once.
// ---------------------------------------------------------------------------

/// event-ruler's answer to one pair.
#[derive(Debug, Deserialize)]
struct Answer {
    valid: bool,
    matches: bool,
    #[serde(default)]
    complexity: usize,
    error: Option<String>,
    #[serde(default)]
    fault: Option<String>,
}

struct Oracle {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
}

impl Oracle {
    /// Asks about every pair, writing on one thread while reading on this one.
    fn ask(&mut self, pairs: &[(String, String)]) -> Vec<Answer> {
        let mut lines = String::new();
        for (pattern, event) in pairs {
            let request = serde_json::json!({"pattern": pattern, "event": event});
            writeln!(lines, "{request}").unwrap();
        }
        let mut stdin = self.stdin.take().expect("the harness's stdin");
        let writer = std::thread::spawn(move || {
            stdin
                .write_all(lines.as_bytes())
                .expect("write to the harness");
            stdin.flush().expect("write to the harness");
            stdin
        });
        let mut answers = Vec::with_capacity(pairs.len());
        let mut line = String::new();
        for (pattern, event) in pairs {
            line.clear();
            let read = self.stdout.read_line(&mut line).expect("read the harness");
            assert!(
                read > 0,
                "the harness exited early: {:?}",
                self.child.try_wait()
            );
            let answer: Answer = serde_json::from_str(&line).expect("the harness answers JSON");
            assert!(
                answer.fault.is_none(),
                "the harness could not read {pattern} / {event}: {:?}",
                answer.error
            );
            answers.push(answer);
        }
        self.stdin = Some(writer.join().expect("the writer thread"));
        answers
    }
}

/// The running harness, shared by this binary's tests.
fn oracle() -> std::sync::MutexGuard<'static, Oracle> {
    static ORACLE: OnceLock<Mutex<Oracle>> = OnceLock::new();
    ORACLE
        .get_or_init(|| {
            let jar = build_harness();
            let mut child = Command::new("java")
                .args(["-Xss8m", "-XX:+UseSerialGC", "-jar"])
                .arg(&jar)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .unwrap_or_else(|e| {
                    panic!(
                        "cannot start `java -jar {}`: {e}; install a JDK (17 or later)",
                        jar.display()
                    )
                });
            let stdin = child.stdin.take();
            let stdout = BufReader::new(child.stdout.take().expect("piped"));
            Mutex::new(Oracle {
                child,
                stdin,
                stdout,
            })
        })
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Builds the harness with Maven unless its jar is newer than its sources.
/// A lock folder keeps two test runs of one checkout from building at once.
fn build_harness() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let project = root.join("tools/event-ruler-oracle");
    let out = root.join("target/event-ruler-oracle");
    let jar = out.join("event-ruler-oracle-1.0.0.jar");
    std::fs::create_dir_all(root.join("target")).expect("create target/");
    let lock = root.join("target/event-ruler-oracle.lock");
    let waited = Instant::now();
    while std::fs::create_dir(&lock).is_err() {
        assert!(
            waited.elapsed() < Duration::from_secs(600),
            "{} is held for 10 minutes; remove it if no build is running",
            lock.display()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let stale = !jar.exists()
        || newest(&project).is_some_and(|source| {
            std::fs::metadata(&jar)
                .and_then(|m| m.modified())
                .is_ok_and(|built| source > built)
        });
    let result = if stale {
        Command::new("mvn")
            .args(["-q", "-B", "-f"])
            .arg(project.join("pom.xml"))
            .arg("package")
            .status()
    } else {
        Ok(std::process::ExitStatus::default())
    };
    std::fs::remove_dir(&lock).ok();
    match result {
        Ok(status) if status.success() => jar,
        Ok(status) => panic!(
            "`mvn package` of tools/event-ruler-oracle failed ({status}); it needs Maven Central"
        ),
        Err(e) => panic!("cannot run `mvn` to build tools/event-ruler-oracle: {e}; install Maven"),
    }
}

/// The latest modification under `dir`.
fn newest(dir: &Path) -> Option<std::time::SystemTime> {
    let mut latest = None;
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        let time = if path.is_dir() {
            newest(&path)
        } else {
            entry.metadata().and_then(|m| m.modified()).ok()
        };
        latest = latest.max(time);
    }
    latest
}

// ---------------------------------------------------------------------------
// The generator.
// ---------------------------------------------------------------------------

/// JSON written by hand, so numbers keep their exact text.
#[derive(Debug, Clone)]
enum Json {
    Raw(String),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

impl Json {
    fn text(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) {
        match self {
            Json::Raw(raw) => out.push_str(raw),
            Json::Str(s) => out.push_str(&serde_json::to_string(s).unwrap()),
            Json::Arr(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    item.write(out);
                }
                out.push(']');
            }
            Json::Obj(entries) => {
                out.push('{');
                for (i, (key, value)) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(&serde_json::to_string(key).unwrap());
                    out.push_str(": ");
                    value.write(out);
                }
                out.push('}');
            }
        }
    }
}

fn s(text: &str) -> Json {
    Json::Str(text.to_owned())
}

fn obj(key: &str, value: Json) -> Json {
    Json::Obj(vec![(key.to_owned(), value)])
}

const KEYS: &[&str] = &["a", "b", "c", "detail", "x.y", "ü", "A"];

const STRINGS: &[&str] = &[
    "",
    "a",
    "ab",
    "abc",
    "abcabc",
    "ABC",
    "Abc",
    "b",
    "ba",
    "bab",
    "a*b",
    "a\\b",
    "*",
    "é",
    "É",
    "été",
    "ÉTÉ",
    "日本語",
    "日本",
    "😀",
    "a😀b",
    "ß",
    "SS",
    "ǅ",
    "İ",
    "ı",
    "K",
    "/Users/ana/doc.txt",
    "/Users/doc.txt",
    "arn:aws:s3:::bucket/key.png",
    "arn:aws:s3:::bucket/KEY.PNG",
    "10.0.0.1",
    "10.0.0.255",
    "10.0.1.0",
    "192.168.1.1",
    "2001:db8::1",
    "2001:db9::1",
    "1",
    "1.0",
    "true",
    "null",
    "line\nbreak",
    "tab\there",
    "quote\"d",
];

const NUMBERS: &[&str] = &[
    "0",
    "-0",
    "0.0",
    "1",
    "1.0",
    "1e0",
    "10",
    "100",
    "-1",
    "-100.5",
    "0.1",
    "0.2",
    "0.3",
    "0.30000000000000004",
    "2.5",
    "5e9",
    "-5e9",
    "5000000000.5",
    "123456.789",
    "1e15",
    "1e16",
    "9007199254740992",
    "9007199254740993",
    "1.7976931348623157e308",
    "-1.7976931348623157e308",
    "5e-324",
    "1e-7",
    "1.000001",
    "1.0000001",
];

const CIDRS: &[&str] = &[
    "10.0.0.0/24",
    "10.0.0.0/8",
    "10.0.0.1/32",
    "0.0.0.0/0",
    "192.168.0.0/16",
    "2001:db8::/32",
    "2001:db8::1/128",
    "10.0.0.0/33",
    "10.0.0.0",
    "not-an-ip/8",
];

/// A splitmix64 sequence: the same seed, the same pairs.
struct Generator {
    state: u64,
}

impl Generator {
    fn new(seed: u64) -> Generator {
        Generator { state: seed }
    }

    fn next(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }

    fn string(&mut self) -> String {
        (self.pick(STRINGS)).to_owned()
    }

    fn number(&mut self) -> String {
        (self.pick(NUMBERS)).to_owned()
    }

    /// A wildcard over a small alphabet: stars, escapes (some invalid),
    /// unicode, sometimes long enough to be too complex.
    fn wildcard(&mut self) -> String {
        const PIECES: &[&str] = &[
            "a", "b", "*", "*", "\\*", "\\\\", "é", "/", "ab", ".png", "\\x",
        ];
        let length = if self.chance(10) {
            8 + self.below(8)
        } else {
            self.below(6)
        };
        let mut text = String::new();
        for _ in 0..length {
            text.push_str(self.pick(PIECES));
        }
        text
    }

    fn a_pattern_string(&mut self) -> Json {
        if self.chance(50) {
            s(&self.string())
        } else {
            // A piece of a string, so prefixes and suffixes match.
            let text = self.string();
            let chars: Vec<char> = text.chars().collect();
            let cut = self.below(chars.len() + 1);
            let piece: String = if self.chance(50) {
                chars[..cut].iter().collect()
            } else {
                chars[cut..].iter().collect()
            };
            Json::Str(piece)
        }
    }

    fn strings(&mut self, make: fn(&mut Generator) -> Json) -> Json {
        if self.chance(50) {
            make(self)
        } else {
            let n = if self.chance(5) { 0 } else { 1 + self.below(3) };
            Json::Arr((0..n).map(|_| make(self)).collect())
        }
    }

    /// One element of a field's list of values.
    fn operator(&mut self) -> Json {
        match self.below(22) {
            0 | 1 => s(&self.string()),
            2 | 3 => Json::Raw(self.number()),
            4 => Json::Raw((self.pick(&["true", "false", "null"])).to_owned()),
            5 => obj("prefix", self.a_pattern_string()),
            6 => obj("suffix", self.a_pattern_string()),
            7 => {
                let key = self.pick(&["prefix", "suffix"]);
                obj(key, obj("equals-ignore-case", self.a_pattern_string()))
            }
            8 => obj("equals-ignore-case", self.a_pattern_string()),
            9 | 10 => obj("wildcard", Json::Str(self.wildcard())),
            11 => obj("anything-but", self.anything_but()),
            12 => obj("anything-but", self.anything_but()),
            13 | 14 => obj("numeric", self.numeric()),
            15 => obj(
                "exists",
                Json::Raw((self.pick(&["true", "false"])).to_owned()),
            ),
            16 => obj("cidr", s(self.pick(CIDRS))),
            17 => self.malformed_operator(),
            18 => s(&self.wildcard().replace('\\', "")),
            19 => obj("wildcard", s(&self.string())),
            20 => obj("equals-ignore-case", s(&self.string().to_uppercase())),
            _ => obj("prefix", s("")),
        }
    }

    fn anything_but(&mut self) -> Json {
        match self.below(9) {
            0 => s(&self.string()),
            1 => Json::Raw(self.number()),
            2 => {
                let n = 1 + self.below(3);
                Json::Arr((0..n).map(|_| s(&self.string())).collect())
            }
            3 => {
                let n = 1 + self.below(3);
                Json::Arr((0..n).map(|_| Json::Raw(self.number())).collect())
            }
            4 => obj("prefix", self.strings(Generator::a_pattern_string)),
            5 => obj("suffix", self.strings(Generator::a_pattern_string)),
            6 => obj(
                "equals-ignore-case",
                self.strings(Generator::a_pattern_string),
            ),
            7 => obj("wildcard", self.strings(|g| Json::Str(g.wildcard()))),
            _ => {
                // Mixed, empty or nested lists, which are invalid.
                match self.below(4) {
                    0 => Json::Arr(vec![s("a"), Json::Raw("1".into())]),
                    1 => Json::Arr(Vec::new()),
                    2 => Json::Arr(vec![Json::Raw("null".into())]),
                    _ => obj("numeric", Json::Arr(vec![s(">"), Json::Raw("1".into())])),
                }
            }
        }
    }

    fn numeric(&mut self) -> Json {
        let ops = ["=", "<", "<=", ">", ">="];
        match self.below(10) {
            0..=3 => Json::Arr(vec![s(self.pick(&ops)), Json::Raw(self.number())]),
            4..=7 => Json::Arr(vec![
                s(self.pick(&[">", ">="])),
                Json::Raw(self.number()),
                s(self.pick(&["<", "<="])),
                Json::Raw(self.number()),
            ]),
            8 => Json::Arr(vec![
                s(self.pick(&ops)),
                Json::Raw(self.number()),
                s(self.pick(&ops)),
                Json::Raw(self.number()),
            ]),
            _ => match self.below(4) {
                0 => Json::Arr(vec![s("=="), Json::Raw("1".into())]),
                1 => Json::Arr(vec![s(">"), s("1")]),
                2 => Json::Arr(vec![s(">")]),
                _ => Json::Arr(Vec::new()),
            },
        }
    }

    fn malformed_operator(&mut self) -> Json {
        match self.below(8) {
            0 => obj("Prefix", s("a")),
            1 => Json::Obj(vec![("prefix".into(), s("a")), ("suffix".into(), s("b"))]),
            2 => Json::Arr(vec![s("a")]),
            3 => obj("prefix", Json::Raw("1".into())),
            4 => obj("exists", s("true")),
            5 => obj("wildcard", Json::Raw("1".into())),
            6 => Json::Obj(Vec::new()),
            _ => obj("equals-ignore-case", Json::Arr(vec![s("a")])),
        }
    }

    /// A pattern object, `depth` levels deep at most.
    fn object(&mut self, depth: usize) -> Json {
        let n = if self.chance(3) { 0 } else { 1 + self.below(3) };
        let mut entries: Vec<(String, Json)> = Vec::new();
        for _ in 0..n {
            let key = (self.pick(KEYS)).to_owned();
            if entries.iter().any(|(k, _)| *k == key) {
                continue;
            }
            let value = if depth > 0 && self.chance(30) {
                self.object(depth - 1)
            } else if self.chance(2) {
                s("not a list")
            } else {
                let n = if self.chance(3) { 0 } else { 1 + self.below(3) };
                Json::Arr((0..n).map(|_| self.operator()).collect())
            };
            entries.push((key, value));
        }
        if depth > 0 && self.chance(12) {
            let n = if self.chance(5) { 1 } else { 2 + self.below(2) };
            let alternatives = (0..n).map(|_| self.object(depth - 1)).collect();
            entries.push(("$or".into(), Json::Arr(alternatives)));
        }
        Json::Obj(entries)
    }

    fn pattern(&mut self) -> Json {
        self.object(2)
    }

    /// An event the pattern may well match: each field the pattern names
    /// gets a value near one of its operators', or none.
    fn event(&mut self, pattern: &Json) -> Json {
        let mut entries = Vec::new();
        if let Json::Obj(fields) = pattern {
            for (key, value) in fields {
                if key == "$or" {
                    if let Json::Arr(alternatives) = value
                        && let Some(Json::Obj(inner)) = alternatives.first()
                    {
                        let merged = self.event(&Json::Obj(inner.clone()));
                        if let Json::Obj(more) = merged {
                            entries.extend(more);
                        }
                    }
                    continue;
                }
                if self.chance(10) {
                    continue;
                }
                let value = match value {
                    Json::Obj(_) if self.chance(20) => {
                        let n = 1 + self.below(3);
                        Json::Arr((0..n).map(|_| self.event(value)).collect())
                    }
                    Json::Obj(_) => self.event(value),
                    Json::Arr(operators) if self.chance(20) => {
                        let n = self.below(4);
                        Json::Arr((0..n).map(|_| self.value_near(operators)).collect())
                    }
                    Json::Arr(operators) => self.value_near(operators),
                    _ => s("x"),
                };
                entries.push((key.clone(), value));
            }
        }
        if self.chance(20) {
            entries.push(((self.pick(KEYS)).to_owned(), self.leaf()));
        }
        // No key twice: JSON leaves duplicates undefined, and the filter
        // documents that it may read only the first.
        let mut seen = std::collections::HashSet::new();
        entries.retain(|(key, _)| seen.insert(key.clone()));
        Json::Obj(entries)
    }

    fn leaf(&mut self) -> Json {
        match self.below(5) {
            0 | 1 => s(&self.string()),
            2 | 3 => Json::Raw(self.number()),
            _ => Json::Raw((self.pick(&["true", "false", "null"])).to_owned()),
        }
    }

    /// A value made from one of the operators' arguments: itself, cased
    /// otherwise, with text around it, or a stranger.
    fn value_near(&mut self, operators: &[Json]) -> Json {
        if operators.is_empty() || self.chance(20) {
            return self.leaf();
        }
        let mut seed = &operators[self.below(operators.len())];
        // Dig to a string or number inside the operator.
        for _ in 0..4 {
            seed = match seed {
                Json::Obj(entries) if !entries.is_empty() => &entries[0].1,
                Json::Arr(items) if !items.is_empty() => &items[self.below(items.len())],
                _ => break,
            };
        }
        match seed {
            Json::Raw(raw) if raw != "true" && raw != "false" && raw != "null" => {
                match self.below(4) {
                    0 => Json::Raw(self.number()),
                    _ => Json::Raw(raw.clone()),
                }
            }
            Json::Str(text) => {
                let text = text.replace("\\*", "*").replace("\\\\", "\\");
                let text = match self.below(8) {
                    0 => text.to_uppercase(),
                    1 => text.to_lowercase(),
                    2 => format!("{text}{}", self.string()),
                    3 => format!("{}{text}", self.string()),
                    4 => text.replace('*', &self.string()),
                    5 => text.replace('*', ""),
                    _ => text,
                };
                if CIDRS.iter().any(|c| *c == text) && self.chance(70) {
                    return s(self.pick(&STRINGS[31..37]));
                }
                Json::Str(text)
            }
            _ => self.leaf(),
        }
    }
}
