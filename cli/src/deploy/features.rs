//! The cargo features of tributary's runtime a pipeline's bootstrap is
//! built with. Each brings in a large dependency that only the pipelines
//! using it need, so the others' functions are smaller and start faster:
//! `remap` (VRL) for a pipeline with a `remap` processor, `s3`
//! (`aws-sdk-s3`) for one with an `s3` sink, its dead-letter sink included.

use tributary::Plan;
use tributary_config::PipelineConfig;
use tributary_connectors::sinks::SinkConfig;

use super::remap;

/// The cargo feature of tributary's runtime that builds the `s3` sink in.
pub const S3: &str = "s3";

/// The features the bootstrap of the pipeline `config`, read as `plan`,
/// needs.
pub fn bootstrap_features(config: &PipelineConfig, plan: &Plan) -> Vec<&'static str> {
    let mut features = Vec::new();
    if remap::uses_remap(config) {
        features.push(remap::FEATURE);
    }
    if plan
        .sinks()
        .any(|(_, sink)| matches!(sink, SinkConfig::S3(_)))
    {
        features.push(S3);
    }
    features
}

#[cfg(test)]
mod tests {
    use tributary_config::SourceFile;
    use tributary_processors::Registry;

    use super::*;

    fn features(text: &str) -> Vec<&'static str> {
        let config =
            PipelineConfig::parse(SourceFile::new("p.toml", text, |_| None).unwrap()).unwrap();
        let plan = Plan::from_config(&config, &Registry::builtin()).unwrap();
        bootstrap_features(&config, &plan)
    }

    const S3_SINK: &str = "type = \"s3\"\nbucket = \"b-1\"\nkey = \"{shard}-{first_sequence}\"\n";

    #[test]
    fn only_a_pipeline_that_uses_remap_or_an_s3_sink_gets_its_feature() {
        let source = "[pipeline]\nname = \"p\"\n[source]\ntype = \"kinesis\"\n";
        let out = "[sinks.out]\ntype = \"jsonl\"\n";
        assert!(features(&format!("{source}{out}")).is_empty());
        assert_eq!(
            features(&format!("{source}[sinks.archive]\n{S3_SINK}")),
            ["s3"]
        );
        let remap = "[[processors]]\ntype = \"remap\"\nsource = '.a = 1'\n";
        let dead_letters = format!(
            "[pipeline]\nname = \"p\"\non_error = \"dead-letter\"\ndead_letter = \"dlq\"\n\
             [source]\ntype = \"kinesis\"\n{remap}{out}[sinks.dlq]\n{S3_SINK}"
        );
        assert_eq!(features(&dead_letters), ["remap", "s3"]);
    }
}
