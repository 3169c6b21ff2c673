//! The filter's matcher against the `quamina` crate (a Rust port of Tim
//! Bray's quamina), side by side in one run, on the same events and patterns.
//!
//! Events are about 1 KB: GeoJSON-like city lots (properties and a polygon
//! of coordinates, so numbers inside nested arrays) and clickstream events
//! (nested objects, an array of items). Patterns are exact, prefix, suffix,
//! numeric (over arrays), anything-but and wildcard, one pattern and 1,000,
//! plus five exact patterns on city lots. Both matchers answer "does any
//! pattern match", and are checked to agree on every event before timing.
//!
//! `cargo bench -p tributary --bench filter`, then `python3 benches/report.py` for the table.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use quamina::Quamina;
use tributary::processors::filter::{Pattern, PatternSet};

const EVENTS: usize = 512;

/// A small deterministic generator (SplitMix64), so every run sees the same events.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

const SYLLABLES: [&str; 16] = [
    "JEF", "FER", "SON", "MAS", "ON", "BAY", "NOR", "TH", "POI", "NT", "CAL", "IF", "OR", "NIA",
    "VAN", "NESS",
];

/// 2,000 distinct street names, made of syllables.
fn streets() -> Vec<String> {
    (0..2000)
        .map(|i| {
            format!(
                "{}{}{}",
                SYLLABLES[i % 16],
                SYLLABLES[(i / 16) % 16],
                SYLLABLES[(i / 256 + 3) % 16]
            )
        })
        .collect()
}

fn city_lot(rng: &mut Rng, streets: &[String]) -> String {
    let block = rng.below(9000);
    let lot = rng.below(300);
    // Skewed, as real streets are: a few long ones hold many lots.
    let spread = rng.below(streets.len());
    let street = &streets[rng.below(1 + spread)];
    let (x, y) = (-122.52 + rng.unit() * 0.16, 37.70 + rng.unit() * 0.11);
    let points: Vec<String> = (0..18)
        .map(|_| {
            format!(
                "[{:.14},{:.14},0.0]",
                x + rng.unit() * 0.001,
                y + rng.unit() * 0.001
            )
        })
        .collect();
    format!(
        r#"{{"type":"Feature","properties":{{"MAPBLKLOT":"{block:04}{lot:03}","BLKLOT":"{block:04}{lot:03}","BLOCK_NUM":"{block:04}","LOT_NUM":"{lot:03}","FROM_ST":"{}","TO_ST":"{}","STREET":"{street}","ST_TYPE":"ST","ODD_EVEN":"{}"}},"geometry":{{"type":"Polygon","coordinates":[[{}]]}}}}"#,
        rng.below(900),
        rng.below(900) + 900,
        if rng.below(2) == 0 { "E" } else { "O" },
        points.join(",")
    )
}

fn click(rng: &mut Rng) -> String {
    const TYPES: [&str; 4] = ["page_view", "click", "add_to_cart", "purchase"];
    const COUNTRIES: [&str; 6] = ["DE", "FR", "GB", "ES", "IT", "NL"];
    let items: Vec<String> = (0..1 + rng.below(4))
        .map(|_| {
            format!(
                r#"{{"sku":"sku-{}","price":{:.2},"qty":{}}}"#,
                rng.below(5000),
                rng.unit() * 500.0,
                1 + rng.below(3)
            )
        })
        .collect();
    let category = rng.below(1000);
    let product = rng.below(1000);
    format!(
        r#"{{"event_id":"e-{:08}","type":"{}","ts":"2026-11-28T10:{:02}:{:02}.{:03}Z","user":{{"id":"u-{}","segment":"{}","logged_in":{}}},"page":{{"url":"https://shop.example.com/c/{category}/p/{product}/item-{product}.html","referrer":"https://www.google.com/search?q=shop+{}","title":"Product {product} in category {category}"}},"device":{{"type":"mobile","os":"Android","browser":"Chrome","ua":"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36"}},"geo":{{"country":"{}","city":"Berlin","ip":"10.{}.{}.{}"}},"items":[{}],"latency_ms":{:.1},"session":{{"id":"s-{:012x}","started":"2026-11-28T09:58:00.000Z","pages":{},"utm":{{"source":"newsletter","medium":"email","campaign":"black-friday-2026"}}}}}}"#,
        rng.next() % 100_000_000,
        TYPES[rng.below(4)],
        rng.below(60),
        rng.below(60),
        rng.below(1000),
        rng.below(1000),
        ["new", "returning", "vip"][rng.below(3)],
        rng.below(2) == 0,
        rng.below(1000),
        COUNTRIES[rng.below(6)],
        rng.below(256),
        rng.below(256),
        rng.below(256),
        items.join(","),
        rng.unit() * 400.0,
        rng.next() & 0xffff_ffff_ffff,
        rng.below(40),
    )
}

/// The pattern rows: (operator, one pattern, 1,000 patterns), per data set.
fn city_lot_patterns(streets: &[String]) -> Vec<(&'static str, Vec<String>)> {
    let many = |f: &dyn Fn(usize) -> String| (0..1000).map(f).collect::<Vec<_>>();
    vec![
        (
            "exact/1",
            vec![format!(
                r#"{{"properties":{{"STREET":["{}"]}}}}"#,
                streets[7]
            )],
        ),
        (
            "exact/5",
            (0..5)
                .map(|i| format!(r#"{{"properties":{{"STREET":["{}"]}}}}"#, streets[i * 3]))
                .collect(),
        ),
        (
            "exact/1000",
            many(&|i| format!(r#"{{"properties":{{"STREET":["{}"]}}}}"#, streets[1000 + i])),
        ),
        (
            "prefix/1",
            vec![r#"{"properties":{"STREET":[{"prefix":"JEFFER"}]}}"#.into()],
        ),
        (
            "prefix/1000",
            many(&|i| {
                format!(
                    r#"{{"properties":{{"MAPBLKLOT":[{{"prefix":"{:04}"}}]}}}}"#,
                    i * 9
                )
            }),
        ),
        (
            "suffix/1",
            vec![r#"{"properties":{"BLKLOT":[{"suffix":"001"}]}}"#.into()],
        ),
        (
            "suffix/1000",
            many(&|i| {
                format!(
                    r#"{{"properties":{{"STREET":[{{"suffix":"{}"}}]}}}}"#,
                    &streets[1000 + i][2..]
                )
            }),
        ),
        (
            "numeric/1",
            vec![r#"{"geometry":{"coordinates":[{"numeric":[">",-122.42,"<=",-122.41]}]}}"#.into()],
        ),
        (
            "numeric/1000",
            many(&|i| {
                format!(
                    r#"{{"geometry":{{"coordinates":[{{"numeric":[">",{},"<=",{}]}}]}}}}"#,
                    -122.52 + i as f64 * 0.00016,
                    -122.52 + i as f64 * 0.00016 + 0.0001
                )
            }),
        ),
        (
            "anything-but/1",
            vec![r#"{"properties":{"ODD_EVEN":[{"anything-but":["E"]}]}}"#.into()],
        ),
        (
            "anything-but/250",
            (0..250)
                .map(|i| {
                    format!(
                        r#"{{"properties":{{"STREET":[{{"anything-but":["{}"]}}]}}}}"#,
                        streets[i]
                    )
                })
                .collect(),
        ),
        (
            "anything-but/1000",
            many(&|i| {
                format!(
                    r#"{{"properties":{{"STREET":[{{"anything-but":["{}"]}}]}}}}"#,
                    streets[i]
                )
            }),
        ),
        (
            "wildcard/1",
            vec![r#"{"properties":{"STREET":[{"wildcard":"*FER*"}]}}"#.into()],
        ),
        (
            "wildcard/1000",
            many(&|i| {
                format!(
                    r#"{{"properties":{{"STREET":[{{"wildcard":"{}*{}"}}]}}}}"#,
                    &streets[1000 + i][..3],
                    &streets[1000 + i][streets[1000 + i].len() - 2..]
                )
            }),
        ),
    ]
}

fn click_patterns() -> Vec<(&'static str, Vec<String>)> {
    let many = |f: &dyn Fn(usize) -> String| (0..1000).map(f).collect::<Vec<_>>();
    vec![
        (
            "exact/1",
            vec![r#"{"type":["purchase"],"user":{"segment":["vip"]}}"#.into()],
        ),
        (
            "exact/1000",
            many(&|i| format!(r#"{{"user":{{"id":["u-{i}"]}}}}"#)),
        ),
        (
            "prefix/1",
            vec![r#"{"page":{"url":[{"prefix":"https://shop.example.com/c/1"}]}}"#.into()],
        ),
        (
            "prefix/1000",
            many(&|i| {
                format!(r#"{{"page":{{"url":[{{"prefix":"https://shop.example.com/c/{i}/"}}]}}}}"#)
            }),
        ),
        (
            "suffix/1",
            vec![r#"{"page":{"url":[{"suffix":"7.html"}]}}"#.into()],
        ),
        (
            "suffix/1000",
            many(&|i| format!(r#"{{"page":{{"url":[{{"suffix":"/item-{i}.html"}}]}}}}"#)),
        ),
        (
            "numeric/1",
            vec![r#"{"items":{"price":[{"numeric":[">",100,"<=",200]}]}}"#.into()],
        ),
        (
            "numeric/1000",
            many(&|i| {
                format!(
                    r#"{{"items":{{"price":[{{"numeric":[">=",{},"<",{}]}}]}}}}"#,
                    i as f64 * 0.5,
                    i as f64 * 0.5 + 0.25
                )
            }),
        ),
        (
            "anything-but/1",
            vec![r#"{"geo":{"country":[{"anything-but":["DE","FR"]}]}}"#.into()],
        ),
        (
            "anything-but/250",
            (0..250)
                .map(|i| format!(r#"{{"user":{{"id":[{{"anything-but":["u-{i}"]}}]}}}}"#))
                .collect(),
        ),
        (
            "anything-but/1000",
            many(&|i| format!(r#"{{"user":{{"id":[{{"anything-but":["u-{i}"]}}]}}}}"#)),
        ),
        (
            "wildcard/1",
            vec![r#"{"page":{"url":[{"wildcard":"https://*/c/*/p/7*"}]}}"#.into()],
        ),
        (
            "wildcard/1000",
            many(&|i| {
                format!(
                    r#"{{"page":{{"url":[{{"wildcard":"https://shop.example.com/c/{i}/*.html"}}]}}}}"#
                )
            }),
        ),
    ]
}

fn compare(c: &mut Criterion, data: &str, events: &[String], rows: Vec<(&str, Vec<String>)>) {
    for (row, patterns) in rows {
        let mut ours = PatternSet::new(
            patterns
                .iter()
                .map(|p| Pattern::parse(p).expect("valid pattern")),
        );
        let theirs = quamina_for(&patterns);
        // Same answers, or the comparison means nothing.
        let mut matched = 0;
        for event in events {
            let a = ours.matches_bytes(event.as_bytes()).unwrap();
            if let Some(theirs) = &theirs {
                let b = theirs.has_matches(event.as_bytes()).unwrap();
                assert_eq!(
                    a, b,
                    "{data}/{row}: tributary and quamina disagree on {event}"
                );
            }
            matched += usize::from(a);
        }
        assert!(
            matched > 0,
            "{data}/{row}: nothing matches; pick patterns that match some events"
        );
        eprintln!("{data}/{row}: {matched} of {} events match", events.len());
        if theirs.is_none() {
            eprintln!("{data}/{row}: quamina panicked on these patterns; timing tributary alone");
        }

        let mut group = c.benchmark_group(format!("filter/{data}/{row}"));
        group.throughput(Throughput::Elements(events.len() as u64));
        group.bench_function(BenchmarkId::from_parameter("tributary"), |b| {
            b.iter(|| {
                events
                    .iter()
                    .filter(|e| ours.matches_bytes(e.as_bytes()).unwrap())
                    .count()
            })
        });
        if let Some(theirs) = &theirs {
            group.bench_function(BenchmarkId::from_parameter("quamina"), |b| {
                b.iter(|| {
                    events
                        .iter()
                        .filter(|e| theirs.has_matches(e.as_bytes()).unwrap())
                        .count()
                })
            });
        }
        group.finish();
    }
}

/// A quamina holding the patterns, or None where quamina panics on them (it
/// does on 1,000 `anything-but` patterns of one field: a `u8` count of
/// transitions per state overflows when it first matches).
fn quamina_for(patterns: &[String]) -> Option<Quamina<usize>> {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let built = std::panic::catch_unwind(|| {
        let mut q: Quamina<usize> = Quamina::new();
        for (i, p) in patterns.iter().enumerate() {
            q.add_pattern(i, p).expect("quamina takes the pattern");
        }
        q.has_matches(b"{}").unwrap();
        q
    });
    std::panic::set_hook(previous);
    built.ok()
}

fn filter(c: &mut Criterion) {
    let streets = streets();
    let mut rng = Rng(7);
    let lots: Vec<String> = (0..EVENTS).map(|_| city_lot(&mut rng, &streets)).collect();
    let clicks: Vec<String> = (0..EVENTS).map(|_| click(&mut rng)).collect();
    let average = |events: &[String]| events.iter().map(String::len).sum::<usize>() / events.len();
    eprintln!(
        "city lots: {} bytes on average; clicks: {} bytes",
        average(&lots),
        average(&clicks)
    );
    compare(c, "citylots", &lots, city_lot_patterns(&streets));
    compare(c, "clickstream", &clicks, click_patterns());
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(std::time::Duration::from_millis(500)).measurement_time(std::time::Duration::from_secs(3)).sample_size(30);
    targets = filter
}
criterion_main!(benches);
