//! The filter's rules, one operator and one rule at a time, from the AWS
//! EventBridge user guide ("Event patterns", "Content filtering").

use serde_json::{Value, json};

use super::Pattern;

fn matches(pattern: Value, event: Value) -> bool {
    Pattern::from_value(&pattern)
        .unwrap_or_else(|e| panic!("{pattern}: {e}"))
        .matches(&event)
}

fn invalid(pattern: Value) -> String {
    Pattern::from_value(&pattern)
        .err()
        .unwrap_or_else(|| panic!("{pattern} should be invalid"))
        .to_string()
}

#[test]
fn exact_values_of_every_type() {
    assert!(matches(
        json!({"state": ["running"]}),
        json!({"state": "running"})
    ));
    assert!(!matches(
        json!({"state": ["running"]}),
        json!({"state": "Running"})
    ));
    assert!(matches(json!({"n": [5]}), json!({"n": 5.0})));
    assert!(!matches(json!({"n": [5]}), json!({"n": "5"})));
    assert!(matches(json!({"b": [true]}), json!({"b": true})));
    assert!(!matches(json!({"b": [true]}), json!({"b": "true"})));
    assert!(matches(json!({"x": [null]}), json!({"x": null})));
    assert!(
        !matches(json!({"x": [null]}), json!({})),
        "null is not missing"
    );
    assert!(
        !matches(json!({"x": [null]}), json!({"x": ""})),
        "null is not empty"
    );
    assert!(matches(json!({"x": [""]}), json!({"x": ""})));
    assert!(
        matches(json!({"x": ["a", "b"]}), json!({"x": "b"})),
        "any listed value"
    );
}

#[test]
fn arrays_in_the_event_match_when_any_element_does() {
    assert!(matches(json!({"r": ["b"]}), json!({"r": ["a", "b"]})));
    assert!(!matches(json!({"r": ["c"]}), json!({"r": ["a", "b"]})));
    assert!(matches(
        json!({"r": [{"numeric": [">", 10]}]}),
        json!({"r": [1, 20]})
    ));
    assert!(
        !matches(json!({"r": [{"exists": true}]}), json!({"r": []})),
        "an empty array has no value"
    );
    assert!(matches(json!({"r": [{"exists": false}]}), json!({"r": []})));
}

#[test]
fn fields_from_different_elements_of_one_array_are_not_combined() {
    let pattern = json!({"items": {"sku": ["a"], "qty": [2]}});
    assert!(matches(
        pattern.clone(),
        json!({"items": [{"sku": "b", "qty": 1}, {"sku": "a", "qty": 2}]})
    ));
    assert!(!matches(
        pattern,
        json!({"items": [{"sku": "a", "qty": 1}, {"sku": "b", "qty": 2}]})
    ));
}

#[test]
fn exists_binds_to_an_array_element_like_any_other_field() {
    let pattern = json!({"items": {"sku": [{"exists": true}], "qty": [2]}});
    assert!(matches(
        pattern.clone(),
        json!({"items": [{"sku": "a", "qty": 1}, {"sku": "b", "qty": 2}]})
    ));
    assert!(!matches(
        pattern,
        json!({"items": [{"sku": "a", "qty": 1}, {"qty": 2}]})
    ));
    let absent = json!({"items": {"qty": [2], "sku": [{"exists": false}]}});
    assert!(matches(
        absent.clone(),
        json!({"items": [{"sku": "a", "qty": 2}, {"qty": 2}]})
    ));
    assert!(!matches(
        absent,
        json!({"items": [{"sku": "a", "qty": 2}, {"sku": "b", "qty": 1}]})
    ));
    // Absent or another value: absence is judged in the element the other
    // fields chose, even where the field has a value in another element.
    let either = json!({"x": {"a": [{"exists": false}, "q"], "b": ["1"]}});
    assert!(matches(
        either.clone(),
        json!({"x": [{"b": "1"}, {"a": "q"}]})
    ));
    assert!(matches(
        either.clone(),
        json!({"x": [{"b": "2"}, {"a": "q", "b": "1"}]})
    ));
    assert!(!matches(
        either,
        json!({"x": [{"a": "r", "b": "1"}, {"a": "q"}]})
    ));
}

#[test]
fn a_number_that_is_no_double_as_written_matches_only_its_own_text() {
    // event-ruler compares a number as a number only when its text is the
    // value of a double (ComparableNumber.generate); any other matches an
    // exact number of the pattern written the same, and no range.
    let scanned = |pattern: Value, event: &str| {
        let mut set = super::PatternSet::new([Pattern::from_value(&pattern).unwrap()]);
        set.matches_bytes(event.as_bytes()).unwrap()
    };
    let both = |pattern: Value, event: &str| {
        let parsed = matches(pattern.clone(), serde_json::from_str(event).unwrap());
        assert_eq!(
            scanned(pattern.clone(), event),
            parsed,
            "scanned and parsed agree on {pattern} / {event}"
        );
        parsed
    };
    let long = json!({"n": [9007199254740993u64]});
    assert!(both(long.clone(), r#"{"n": 9007199254740993}"#));
    assert!(!both(long, r#"{"n": 9007199254740992}"#));
    let positive = json!({"n": [{"numeric": [">", 0]}]});
    assert!(!both(positive.clone(), r#"{"n": 9007199254740993}"#));
    assert!(both(positive.clone(), r#"{"n": 9007199254740992}"#));
    assert!(both(
        json!({"n": [9007199254740992u64]}),
        r#"{"n": 9007199254740992}"#
    ));
    assert!(both(
        json!({"n": [{"anything-but": 5}]}),
        r#"{"n": 9007199254740993}"#
    ));
    // Read from bytes, a fraction keeps its digits too: 0.30000000000000001
    // rounds to the double 0.3, whose value is not what it writes.
    assert!(!scanned(positive.clone(), r#"{"n": 0.30000000000000001}"#));
    assert!(scanned(positive.clone(), r#"{"n": 0.3}"#));
    assert!(scanned(positive.clone(), r#"{"n": 1.5e3}"#));
    assert!(scanned(positive.clone(), r#"{"n": 0.30000000000000004}"#));
    assert!(!scanned(positive, r#"{"n": 123456789012345678901}"#));
}

#[test]
fn paths_are_dot_joined_and_case_sensitive() {
    assert!(matches(json!({"a.b": ["x"]}), json!({"a": {"b": "x"}})));
    assert!(matches(json!({"a": {"b": ["x"]}}), json!({"a.b": "x"})));
    assert!(matches(json!({"a.b": ["x"]}), json!({"a.b": "x"})));
    assert!(!matches(
        json!({"a": {"b": ["x"]}}),
        json!({"a.b": {"b": "x"}})
    ));
    assert!(!matches(json!({"Key": ["x"]}), json!({"key": "x"})));
    assert!(
        !matches(json!({"a": {"b": ["x"]}}), json!({"a": "b"})),
        "a scalar has no fields"
    );
}

#[test]
fn prefix_and_suffix_with_and_without_case() {
    assert!(matches(
        json!({"t": [{"prefix": "2022-"}]}),
        json!({"t": "2022-07-13"})
    ));
    assert!(!matches(
        json!({"t": [{"prefix": "2022-"}]}),
        json!({"t": 2022})
    ));
    assert!(matches(
        json!({"t": [{"prefix": {"equals-ignore-case": "EVENTb"}}]}),
        json!({"t": "EventBridge"})
    ));
    assert!(matches(
        json!({"f": [{"suffix": ".png"}]}),
        json!({"f": "a.png"})
    ));
    assert!(!matches(
        json!({"f": [{"suffix": ".png"}]}),
        json!({"f": "a.PNG"})
    ));
    assert!(matches(
        json!({"f": [{"suffix": {"equals-ignore-case": ".png"}}]}),
        json!({"f": "a.PNG"})
    ));
    assert!(matches(
        json!({"f": [{"suffix": ""}]}),
        json!({"f": "anything"})
    ));
    assert!(invalid(json!({"t": [{"prefix": ["a"]}]})).contains("at `t.0.prefix`"));
}

#[test]
fn equals_ignore_case() {
    assert!(matches(
        json!({"s": [{"equals-ignore-case": "RUNNING"}]}),
        json!({"s": "running"})
    ));
    assert!(matches(
        json!({"s": [{"equals-ignore-case": "ÉTÉ"}]}),
        json!({"s": "été"})
    ));
    assert!(!matches(
        json!({"s": [{"equals-ignore-case": "run"}]}),
        json!({"s": "running"})
    ));
    invalid(json!({"s": [{"equals-ignore-case": {"prefix": "a"}}]}));
    invalid(json!({"s": [{"equals-ignore-case": 5}]}));
}

#[test]
fn wildcard() {
    assert!(matches(
        json!({"a": [{"wildcard": "arn:*:bus/*"}]}),
        json!({"a": "arn:aws:events:bus/x"})
    ));
    assert!(!matches(
        json!({"a": [{"wildcard": "arn:*:bus/*"}]}),
        json!({"a": "arn:aws:events:rule/x"})
    ));
    assert!(matches(
        json!({"a": [{"wildcard": "a\\*b"}]}),
        json!({"a": "a*b"})
    ));
    assert!(!matches(
        json!({"a": [{"wildcard": ""}]}),
        json!({"a": "x"})
    ));
    assert!(invalid(json!({"a": [{"wildcard": "a**"}]})).contains("consecutive `*`"));
    invalid(json!({"a": [{"wildcard": ["a*"]}]}));
}

#[test]
fn anything_but_in_every_form() {
    let state = |v: Value| json!({"state": v});
    assert!(matches(
        json!({"state": [{"anything-but": "stopped"}]}),
        state(json!("running"))
    ));
    assert!(!matches(
        json!({"state": [{"anything-but": "stopped"}]}),
        state(json!("stopped"))
    ));
    assert!(
        !matches(json!({"state": [{"anything-but": "stopped"}]}), json!({})),
        "a missing field is not anything"
    );
    assert!(matches(
        json!({"state": [{"anything-but": "stopped"}]}),
        state(json!(null))
    ));
    assert!(!matches(
        json!({"state": [{"anything-but": [1, 2]}]}),
        state(json!(2.0))
    ));
    assert!(matches(
        json!({"state": [{"anything-but": [1, 2]}]}),
        state(json!("2"))
    ));
    assert!(!matches(
        json!({"state": [{"anything-but": {"prefix": "init"}}]}),
        state(json!("initializing"))
    ));
    assert!(matches(
        json!({"state": [{"anything-but": {"prefix": ["a", "b"]}}]}),
        state(json!(12))
    ));
    assert!(!matches(
        json!({"state": [{"anything-but": {"suffix": [".txt"]}}]}),
        state(json!("a.txt"))
    ));
    assert!(!matches(
        json!({"state": [{"anything-but": {"equals-ignore-case": ["STOPPED"]}}]}),
        state(json!("Stopped"))
    ));
    assert!(!matches(
        json!({"state": [{"anything-but": {"wildcard": "*/tmp/*"}}]}),
        state(json!("/a/tmp/b"))
    ));
    for bad in [
        json!(null),
        json!(true),
        json!([]),
        json!({"prefix": ""}),
        json!({"prefix": {"equals-ignore-case": "x"}}),
        json!({"exists": true}),
        json!({"equals-ignore-case": [1]}),
    ] {
        invalid(json!({"state": [{"anything-but": bad}]}));
    }
}

#[test]
fn numeric_ranges() {
    let n = |v: Value| json!({"n": v});
    let range = json!({"n": [{"numeric": [">", 0, "<=", 5]}]});
    assert!(!matches(range.clone(), n(json!(0))));
    assert!(matches(range.clone(), n(json!(0.1))));
    assert!(matches(range.clone(), n(json!(5))));
    assert!(!matches(range.clone(), n(json!(5.01))));
    assert!(
        !matches(range.clone(), n(json!("3"))),
        "strings are not numbers"
    );
    assert!(!matches(range, n(json!(null))));
    assert!(matches(
        json!({"n": [{"numeric": ["=", 301.8]}]}),
        n(json!(301.8))
    ));
    assert!(matches(
        json!({"n": [{"numeric": ["<", 10]}]}),
        n(json!(-1e9))
    ));
    assert!(matches(
        json!({"n": [{"numeric": [">=", 10]}]}),
        n(json!([1, 10]))
    ));
    for bad in [
        json!(10),
        json!([">", 0, ">", 1]),
        json!([">", 0, "<"]),
        json!(["=", "5"]),
        json!(["==", 5]),
        json!(["=", 1, "<", 2]),
        json!([">", 5, "<", 1]),
    ] {
        invalid(json!({"n": [{"numeric": bad}]}));
    }
}

#[test]
fn cidr() {
    assert!(matches(
        json!({"ip": [{"cidr": "10.0.0.0/24"}]}),
        json!({"ip": "10.0.0.7"})
    ));
    assert!(!matches(
        json!({"ip": [{"cidr": "10.0.0.0/24"}]}),
        json!({"ip": "10.0.1.7"})
    ));
    assert!(!matches(
        json!({"ip": [{"cidr": "10.0.0.0/24"}]}),
        json!({"ip": 123})
    ));
    assert!(matches(
        json!({"ip": [{"cidr": "2001:db8::/32"}]}),
        json!({"ip": "2001:db8::1"})
    ));
    invalid(json!({"ip": [{"cidr": "xxxx:db8::/64"}]}));
    invalid(json!({"ip": [{"cidr": "10.0.0.0/40"}]}));
}

#[test]
fn exists() {
    assert!(
        matches(json!({"a": [{"exists": true}]}), json!({"a": null})),
        "null exists"
    );
    assert!(matches(json!({"a": [{"exists": true}]}), json!({"a": ""})));
    assert!(
        !matches(json!({"a": [{"exists": true}]}), json!({"a": {"b": 1}})),
        "objects are not leaves"
    );
    assert!(matches(json!({"a": [{"exists": false}]}), json!({})));
    assert!(!matches(json!({"a": [{"exists": false}]}), json!({"a": 1})));
    assert!(
        matches(json!({"a": {"b": [{"exists": false}]}}), json!({})),
        "missing parents mean a missing field"
    );
    invalid(json!({"a": [{"exists": "yes"}]}));
}

#[test]
fn or_at_any_level() {
    let pattern = json!({"source": ["shop"], "$or": [{"type": ["buy"]}, {"price": [{"numeric": [">", 100]}]}]});
    assert!(matches(
        pattern.clone(),
        json!({"source": "shop", "type": "buy", "price": 1})
    ));
    assert!(matches(
        pattern.clone(),
        json!({"source": "shop", "type": "view", "price": 101})
    ));
    assert!(!matches(
        pattern.clone(),
        json!({"source": "shop", "type": "view", "price": 1})
    ));
    assert!(!matches(pattern, json!({"source": "other", "type": "buy"})));
    assert!(matches(
        json!({"d": {"$or": [{"a": [1]}, {"b": [2]}]}}),
        json!({"d": {"b": 2}})
    ));
    invalid(json!({"$or": [{"a": [1]}]}));
    invalid(json!({"$or": {"a": [1]}}));
}

#[test]
fn malformed_patterns_name_the_place() {
    assert_eq!(
        invalid(json!({"int": 42})),
        "invalid event pattern at `int`: a field's value must be an array of values and operators, or an object; write [42] to match the value 42"
    );
    assert!(invalid(json!({"d": {"x": [{"NUMERIC": ["=", 5]}]}})).starts_with("invalid event pattern at `d.x.0.NUMERIC`: unknown operator `NUMERIC`; did you mean `numeric`?"));
    assert!(invalid(json!({"x": [{"prefix": "a", "suffix": "b"}]})).contains("exactly one key"));
    assert!(invalid(json!([1])).contains("must be a JSON object"));
    assert!(
        Pattern::parse("{\"a\": [")
            .unwrap_err()
            .to_string()
            .contains("not valid JSON")
    );
}

/// EventBridge's checks beyond the syntax: no empty list or object, and
/// wildcards no more complex than [`MAX_COMPLEXITY`](super::MAX_COMPLEXITY).
#[test]
fn empty_lists_and_objects_and_too_complex_wildcards_are_refused() {
    assert!(invalid(json!({"resources": []})).starts_with(
        "invalid event pattern at `resources`: a field's list of values cannot be empty"
    ));
    assert!(invalid(json!({})).contains("an empty object is not allowed"));
    assert!(invalid(json!({"detail": {}})).starts_with("invalid event pattern at `detail`:"));
    assert!(invalid(json!({"$or": [{}, {"a": [1]}]})).contains("at `$or.0`"));
    // 6 prefixes at most (`*a*b*c*d*` on "abcd"), 11 (`*a*a*a*a*a*` on "aaaaa").
    assert!(matches(
        json!({"f": [{"wildcard": "*a*b*c*d*"}]}),
        json!({"f": "xaybzcwd"})
    ));
    assert!(
        invalid(json!({"d": {"f": [{"wildcard": "*a*a*a*a*a*"}]}})).starts_with(
            "invalid event pattern at `d.f`: the wildcards of this field are too complex"
        )
    );
    // A field's wildcards add up (5, 8, then 12, as event-ruler counts),
    // across `$or` too, and anything-but counts.
    let five = |w: &str| json!({"wildcard": format!("*{w}*{w}*")});
    Pattern::from_value(&json!({"f": [five("a"), five("b")]})).unwrap();
    invalid(json!({"f": [five("a"), five("b"), five("c")]}));
    invalid(json!({"$or": [{"f": [five("a")]}, {"f": [five("b")]}, {"f": [five("c")]}]}));
    invalid(json!({"f": [five("a"), five("b"), {"anything-but": {"wildcard": "*c*c*"}}]}));
    // Different fields do not add up.
    Pattern::from_value(&json!({"f": [five("a")], "g": [five("b")], "h": [five("c")]})).unwrap();
}

mod as_a_processor {
    use tributary_config::{PipelineConfig, SourceFile};
    use tributary_core::{Batch, InputIndex, Origin, Payload, Record, SourceKind};

    use crate::{BuildContext, Registry};

    /// Builds a filter from its TOML options, in a pipeline file whose
    /// `[[processors]]` table starts on line 5.
    fn build(
        options: &str,
    ) -> Result<Box<dyn tributary_core::Processor>, tributary_config::Diagnostic> {
        let text = format!(
            "[pipeline]\nname = \"t\"\n[source]\ntype = \"kinesis\"\n[[processors]]\ntype = \"filter\"\n{options}\n[sinks.out]\ntype = \"jsonl\"\n"
        );
        let config =
            PipelineConfig::parse(SourceFile::new("p.toml", text, |_| None).unwrap()).unwrap();
        let context = BuildContext {
            pipeline: "t".into(),
            label: "f".into(),
            source: SourceKind::Kinesis,
            tumbling_window_secs: None,
            directory: std::path::PathBuf::new(),
        };
        Registry::builtin().build(&config.processors[0], &context)
    }

    fn run(options: &str, payloads: &[&'static str]) -> (Vec<u32>, u64, Vec<u32>) {
        let mut filter = build(options).unwrap();
        let records = payloads
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let origin = Origin::new(SourceKind::Kinesis, "s", "shard", i.to_string());
                Record::new(
                    origin,
                    Payload::from_bytes(p.as_bytes()),
                    InputIndex(i as u32),
                )
            })
            .collect();
        let mut batch = Batch::new(records);
        filter.process(&mut batch).unwrap();
        let kept = batch.records().iter().map(|r| r.input.0).collect();
        let failed = batch.failed().iter().map(|f| f.record.input.0).collect();
        (kept, batch.dropped(), failed)
    }

    const EVENTS: [&str; 4] = [
        r#"{"type":"purchase","price":120}"#,
        r#"{"type":"click"}"#,
        "not json",
        r#"{"type":"purchase","price":5}"#,
    ];

    #[test]
    fn keeps_matches_drops_the_rest_and_fails_what_is_not_json() {
        let pattern = r#"pattern = { type = ["purchase"], price = [{ numeric = [">=", 100] }] }"#;
        assert_eq!(run(pattern, &EVENTS), (vec![0], 2, vec![2]));
        let json = r#"pattern = '{"type": ["purchase"], "price": [{"numeric": [">=", 100]}]}'"#;
        assert_eq!(run(json, &EVENTS), (vec![0], 2, vec![2]));
    }

    #[test]
    fn several_patterns_keep_any_match_and_invert_keeps_none() {
        let patterns = r#"patterns = [{ type = ["click"] }, { price = [5] }]"#;
        assert_eq!(run(patterns, &EVENTS), (vec![1, 3], 1, vec![2]));
        assert_eq!(
            run(&format!("{patterns}\ninvert = true"), &EVENTS),
            (vec![0], 2, vec![2])
        );
    }

    #[test]
    fn a_refused_pattern_is_an_error_at_its_place_in_the_file() {
        let error = build(r#"pattern = { resources = [] }"#).err().unwrap();
        assert_eq!(error.position().unwrap(), "p.toml:7:25");
        assert!(
            error.message.contains("cannot be empty"),
            "{}",
            error.message
        );
        let wildcard = r#"pattern = { d = { f = [{ wildcard = "*a*a*a*a*a*" }] } }"#;
        let error = build(wildcard).err().unwrap();
        assert_eq!(error.position().unwrap(), "p.toml:7:23");
        assert!(error.message.contains("too complex"), "{}", error.message);
    }

    #[test]
    fn a_filter_needs_exactly_one_of_pattern_and_patterns() {
        let error = build("invert = true").err().unwrap();
        assert_eq!(error.message, "a filter needs `pattern` or `patterns`");
        assert_eq!(error.position().unwrap(), "p.toml:5:1");
    }
}

#[test]
fn reading_stops_early_only_when_nothing_after_can_matter() {
    use super::PatternSet;
    let mut set = PatternSet::new([Pattern::parse(r#"{"detail": {"x": [2]}}"#).unwrap()]);
    // A later dotted key continuing a needed one is still read, even if it is
    // spelled with escapes.
    assert!(
        set.matches_bytes(br#"{"detail": {"x": 1}, "other": 0, "detail.x": 2}"#)
            .unwrap()
    );
    assert!(
        set.matches_bytes(br#"{"detail": {"x": 1}, "other": 0, "det\u0061il.x": 2}"#)
            .unwrap()
    );
    // A later duplicate of a key already read may be ignored: JSON leaves
    // duplicate names undefined, and reading on for them would cost every event.
    assert!(
        !set.matches_bytes(br#"{"detail": {"x": 1}, "other": 0, "detail": {"x": 2}}"#)
            .unwrap()
    );
    // Past the last needed key, the rest is not read at all, not even to check it.
    assert!(
        set.matches_bytes(br#"{"detail": {"x": 2}, "rest": [[[ not json"#)
            .unwrap()
    );
    assert!(
        !set.matches_bytes(br#"{"detail": {"x": 1}, "rest": [[[ not json"#)
            .unwrap()
    );
}

#[test]
fn reading_stops_early_with_several_top_level_keys() {
    use super::PatternSet;
    let mut set = PatternSet::new([Pattern::parse(
        r#"{"type": ["purchase"], "user": {"segment": ["vip"]}}"#,
    )
    .unwrap()]);
    let event = br#"{"event_id":"e-1","type":"purchase","ts":"x","user":{"id":"u-1","segment":"vip","logged_in":true},"page":{"url":"https://shop.example.com/c/1.html"},"device":{"type":"mobile"}, [[[ not json"#;
    assert!(set.matches_bytes(event).unwrap());
}

/// Rules the differential test against event-ruler (tests/oracle.rs) found.
#[test]
fn rules_as_event_ruler_has_them() {
    // equals-ignore-case: each pattern character as its lowercase or uppercase.
    let eic =
        |p: &str, v: &str| matches(json!({"s": [{"equals-ignore-case": p}]}), json!({"s": v}));
    assert!(eic("ß", "SS") && !eic("ß", "ss") && !eic("SS", "ß"));
    assert!(!eic("k", "\u{212A}") && eic("ÉTÉ", "été"));
    // Not event-ruler's defect D1: a character outside the BMP matches itself.
    assert!(eic("a😀", "A😀") && !eic("😀", "??"));
    assert!(matches(
        json!({"s": [{"suffix": {"equals-ignore-case": "ß"}}]}),
        json!({"s": "STRASS"})
    ));
    // cidr needs a mask shorter than the address.
    invalid(json!({"ip": [{"cidr": "10.0.0.1/32"}]}));
    invalid(json!({"ip": [{"cidr": "10.0.0.1"}]}));
    invalid(json!({"ip": [{"cidr": "2001:db8::1/128"}]}));
    // numeric: the lower bound first, below the upper; numbers a double holds.
    invalid(json!({"n": [{"numeric": ["<", 5, ">", 0]}]}));
    invalid(json!({"n": [{"numeric": [">", 5, "<", 5]}]}));
    invalid(json!({"n": [{"numeric": ["<", 9007199254740993u64]}]}));
    invalid(json!({"n": [{"anything-but": 9007199254740993u64}]}));
    assert!(matches(
        json!({"n": [{"numeric": ["<", 9007199254740992u64]}]}),
        json!({"n": 1})
    ));
    // anything-but lists one type.
    invalid(json!({"s": [{"anything-but": ["a", 1]}]}));
    // Below `$or`, an operator's name is no field name.
    assert!(
        invalid(json!({"d": {"$or": [{"numeric": [">", 0]}, {"x": [1]}]}}))
            .contains("at `d.$or.0.numeric`")
    );
}

#[test]
fn an_exact_ip_address_matches_the_same_address_however_written() {
    // event-ruler compiles an exact string that is an IP address into a
    // one-address range (JsonRuleCompiler.writeRules, CIDR.ipToRangeIfPossible).
    let exact = |p: &str, v: Value| matches(json!({"ip": [p]}), json!({ "ip": v }));
    assert!(exact("2001:db8::1", json!("2001:DB8::1")));
    assert!(exact("2001:db8::1", json!("2001:0db8:0:0:0:0:0:1")));
    assert!(exact("2001:db8::1", json!(["2001:db8::2", "2001:DB8::1"])));
    assert!(!exact("2001:db8::1", json!("2001:db8::2")));
    assert!(exact("10.0.0.1", json!("10.0.0.1")));
    assert!(
        exact("010.0.0.1", json!("10.0.0.1")),
        "leading zeros are decimal"
    );
    assert!(
        exact("::ffff:a00:1", json!("10.0.0.1")),
        "IPv4-mapped is IPv4"
    );
    assert!(
        !exact("10.0.0.1", json!("::ffff:10.0.0.1")),
        "dots in IPv6 are no address"
    );
    assert!(exact("10.0.0.256", json!("10.0.0.256")) && !exact("10.0.0.256", json!("10.0.0.0")));
    // Only exact values: anything-but compares the text.
    assert!(matches(
        json!({"ip": [{"anything-but": "2001:db8::1"}]}),
        json!({"ip": "2001:DB8::1"})
    ));
    // The raw-bytes matcher agrees.
    let mut set =
        super::PatternSet::new([Pattern::from_value(&json!({"ip": ["2001:db8::1"]})).unwrap()]);
    assert!(set.matches_bytes(br#"{"ip": "2001:DB8:0::1"}"#).unwrap());
}

#[test]
fn not_event_rulers_defects_d5_to_d9() {
    // D5: a field's list is an OR, whatever shares it with a wildcard.
    assert!(!matches(
        json!({"a": [{"wildcard": "*a"}, {"suffix": {"equals-ignore-case": "null"}}]}),
        json!({"a": "null1"})
    ));
    // D6: exists false looks at the element the other fields matched in,
    // whatever the names.
    for (seen, absent) in [("a", "z"), ("z", "a")] {
        assert!(matches(
            json!({"b": {seen: ["x"], absent: [{"exists": false}]}}),
            json!({"b": [{seen: -1, absent: ""}, {seen: "x"}]})
        ));
    }
    // D7: a cidr matches IP addresses of its family only.
    let any_v4 = json!({"ip": [{"cidr": "0.0.0.0/0"}]});
    assert!(matches(any_v4.clone(), json!({"ip": "192.168.1.1"})));
    assert!(!matches(any_v4.clone(), json!({"ip": "2001:db8::1"})));
    assert!(!matches(any_v4, json!({"ip": 10})));
    // D8: a field beside `$or` and inside it must meet both conditions.
    let both =
        json!({"a": [{"anything-but": 1}], "$or": [{"a": [{"numeric": [">", 0]}]}, {"b": [1]}]});
    assert!(!matches(both.clone(), json!({"a": 1})));
    assert!(matches(both, json!({"a": 2})));
    // D9: an exact string matches whatever else its field lists.
    for other in [json!({"equals-ignore-case": "xyz"}), json!({"suffix": "x"})] {
        assert!(matches(
            json!({"x": ["abc", {"numeric": ["<", 5]}, other]}),
            json!({"x": "abc"})
        ));
    }
    assert!(matches(
        json!({"x": ["abba/baé*", {"numeric": [">", -100.5, "<=", 100]}, {"suffix": "::1"}]}),
        json!({"x": "abba/baé*"})
    ));
}
