//! Matching allocates nothing once a pattern set has warmed up: its scratch
//! space is reused from event to event. (This binary counts allocations by
//! replacing the global allocator.)

use tributary_processors::filter::{Pattern, PatternSet};

const EVENTS: [&str; 4] = [
    r#"{"type":"purchase","user":{"id":"u-1","segment":"vip"},"items":[{"sku":"a","price":120.5},{"sku":"b","price":9.99}],"geo":{"country":"DE","ip":"10.0.0.7"}}"#,
    r#"{"type":"click","user":{"id":"u-2","segment":"new"},"items":[],"geo":{"country":"FR","ip":"10.0.1.7"},"state.status":"running"}"#,
    r#"{"type":"Feature","geometry":{"coordinates":[[[-122.41771779274842,37.80835768169736,0.0],[-122.4177,37.8083,0.0]]]}}"#,
    r#"{"other": [1, 2, {"deep": [true, false, null]}], "type": "view"}"#,
];

fn assert_no_allocations(patterns: &[&str]) {
    let mut set = PatternSet::new(patterns.iter().map(|p| Pattern::parse(p).unwrap()));
    let mut matched = 0;
    for event in EVENTS {
        matched += usize::from(set.matches_bytes(event.as_bytes()).unwrap());
    }
    let info = allocation_counter::measure(|| {
        for _ in 0..3 {
            for event in EVENTS {
                std::hint::black_box(set.matches_bytes(event.as_bytes()).unwrap());
            }
        }
    });
    assert_eq!(
        info.count_total, 0,
        "{patterns:?} allocated {} times",
        info.count_total
    );
    assert!(matched > 0, "{patterns:?} matched nothing");
}

#[test]
fn one_pattern_allocates_nothing_once_warm() {
    assert_no_allocations(&[
        r#"{"type": ["purchase"], "items": {"price": [{"numeric": [">", 100]}]}}"#,
    ]);
    assert_no_allocations(&[
        r#"{"geo": {"ip": [{"cidr": "10.0.0.0/24"}], "country": [{"anything-but": ["ES"]}]}}"#,
    ]);
    assert_no_allocations(&[
        r#"{"geometry": {"coordinates": [{"numeric": [">", -122.42, "<", -122.41]}]}}"#,
    ]);
    assert_no_allocations(&[r#"{"state": {"status": [{"prefix": "run"}]}}"#]);
    assert_no_allocations(&[
        r#"{"geo": {"country": [{"equals-ignore-case": "de"}]}, "type": [{"wildcard": "p*e"}]}"#,
    ]);
}

#[test]
fn an_indexed_set_allocates_nothing_once_warm() {
    let many: Vec<String> = (0..100)
        .map(|i| match i % 4 {
            0 => format!(r#"{{"user": {{"id": ["u-{i}"]}}}}"#),
            1 => format!(r#"{{"type": [{{"prefix": "cl{i}"}}]}}"#),
            2 => format!(
                r#"{{"items": {{"price": [{{"numeric": [">=", {i}, "<", {}]}}]}}}}"#,
                i + 2
            ),
            _ => format!(r#"{{"geo": {{"country": [{{"equals-ignore-case": "de{i}"}}]}}}}"#),
        })
        .chain([r#"{"type": ["click"]}"#.to_owned()])
        .collect();
    let patterns: Vec<&str> = many.iter().map(String::as_str).collect();
    assert_no_allocations(&patterns);
}
