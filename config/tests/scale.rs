//! Checking a pipeline file costs time in proportion to its size: each
//! component's options are read from the one parse of the file, not from a
//! parse of their own, and a place in the file is found without counting its
//! lines again. (This binary counts allocations by replacing the global
//! allocator.)

use serde::Deserialize;
use tributary_config::{PipelineConfig, SourceFile};

const HEAD: &str =
    "[pipeline]\nname = \"scale\"\n\n[source]\ntype = \"kinesis\"\nbatch_size = 100\n\n";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Sample {
    rate: u32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Jsonl {
    path: String,
}

fn processors(count: usize) -> String {
    let mut text = HEAD.to_owned();
    for _ in 0..count {
        text.push_str("[[processors]]\ntype = \"sample\"\nrate = 10\n\n");
    }
    text + "[sinks.out]\ntype = \"jsonl\"\npath = \"out.jsonl\"\n"
}

fn sinks(count: usize) -> String {
    let mut text = HEAD.to_owned();
    for i in 0..count {
        text.push_str(&format!(
            "[sinks.out{i}]\ntype = \"jsonl\"\npath = \"out/{i}.jsonl\"\n\n"
        ));
    }
    text
}

/// Reads the file and every component's options, as `tributary validate`
/// does, and places an error at every processor, as a file full of mistakes
/// makes it.
fn check(text: &str) -> usize {
    let file = SourceFile::new("p.toml", text, |_| None).unwrap();
    let config = PipelineConfig::parse(file).unwrap();
    let mut read = 0;
    for processor in &config.processors {
        processor.options().deserialize::<Sample>().unwrap();
        let error = processor.options().error_at("rate", "rate is wrong");
        assert!(error.position().is_some());
        read += 1;
    }
    for (_, sink) in &config.sinks {
        sink.options().deserialize::<Jsonl>().unwrap();
        read += 1;
    }
    read
}

fn allocations(text: &str) -> u64 {
    allocation_counter::measure(|| {
        std::hint::black_box(check(text));
    })
    .count_total
}

/// Twice the tables cost at most a little over twice the allocations; a
/// parse of the whole file per table made it four times.
fn assert_linear(small: &str, large: &str) {
    let (small, large) = (allocations(small), allocations(large));
    assert!(
        large * 10 < small * 25,
        "twice the tables made {large} allocations, against {small}: the cost is not linear"
    );
}

#[test]
fn reading_processors_costs_in_proportion_to_their_number() {
    assert_linear(&processors(400), &processors(800));
}

#[test]
fn reading_sinks_costs_in_proportion_to_their_number() {
    assert_linear(&sinks(400), &sinks(800));
}

/// The sizes of the report that found `validate` quadratic (13.7 s for 4,000
/// sinks, over 100 s for 20,000 processors in a release build): seconds now,
/// in a debug build, where they took hours.
#[test]
fn twenty_thousand_processors_and_four_thousand_sinks() {
    assert_eq!(check(&processors(20_000)), 20_001);
    assert_eq!(check(&sinks(4_000)), 4_000);
}
