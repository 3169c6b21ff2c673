//! `type = "remap"` in a build without VRL (the crate's `remap` feature
//! off, as in a Lambda bootstrap for a pipeline with no remap): a pipeline
//! that uses it is an error that says how to get a build with it, not an
//! unknown processor type.

use schemars::JsonSchema;
use serde::Deserialize;
use tributary_core::Processor;

use crate::{BuildContext, BuildError, ProcessorConfig};

/// Transforms each record with a VRL program; this build has no VRL. Its
/// options are not read (serde passes over keys a struct does not name).
#[derive(Debug, Deserialize, JsonSchema)]
pub struct RemapConfig {}

impl ProcessorConfig for RemapConfig {
    const TYPE: &'static str = "remap";

    fn build(self, _: &BuildContext) -> Result<Box<dyn Processor>, BuildError> {
        Err(BuildError::at(
            "",
            "this build of tributary has no `remap`: it was built without its `remap` feature",
        )
        .hint(
            "`tributary package` builds the function with it for pipelines that use `remap`; \
             with cargo, build with `--features remap` (`--features tributary/remap` from your own crate)",
        ))
    }
}

#[cfg(test)]
mod tests {
    use crate::test_support::build_error;

    #[test]
    fn a_remap_says_the_build_lacks_it() {
        let error = build_error("type = \"remap\"\nsource = '.a = 1'");
        assert!(
            error.starts_with("p.toml:5:1: this build of tributary has no `remap`"),
            "{error}"
        );
    }
}
