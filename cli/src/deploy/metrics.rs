//! The metrics the stack watches, as it names them: Lambda's own (namespace
//! `AWS/Lambda`, dimension `FunctionName`) and the pipeline's, in the
//! namespace the deployed function writes to. The dashboard and the alarms
//! draw on them.
//!
//! The pipeline's metric names, units and dimensions are those of
//! [`tributary::lambda::metrics::names`], the contract with the EMF lines
//! the function prints; nothing here spells one out again.

use tributary::lambda::metrics::names;
use tributary_config::DeploySection;

/// The namespace of Lambda's own metrics.
pub const LAMBDA_NAMESPACE: &str = "AWS/Lambda";
/// The dimension of Lambda's metrics of one function.
pub const FUNCTION_NAME: &str = "FunctionName";

/// The namespace the deployed function writes the pipeline's metrics to:
/// [`names::NAMESPACE_ENV`] if `[deploy] environment` sets it, else
/// [`names::DEFAULT_NAMESPACE`].
pub fn namespace(deploy: &DeploySection) -> &str {
    deploy
        .environment
        .get(names::NAMESPACE_ENV)
        .map_or(names::DEFAULT_NAMESPACE, String::as_str)
}

/// A metric the stack refers to, by what identifies it in CloudWatch.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct MetricReference {
    /// Its namespace.
    pub namespace: String,
    /// Its name.
    pub name: &'static str,
    /// Its dimensions' names, in order.
    pub dimensions: Vec<&'static str>,
}

/// One metric of one function or pipeline: the metric, and the value of
/// each of its dimensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metric {
    /// Its namespace.
    pub namespace: String,
    /// Its name.
    pub name: &'static str,
    /// Each dimension's name and value.
    pub dimensions: Vec<(&'static str, String)>,
}

impl Metric {
    /// Lambda's metric `name` of the function named `function`.
    pub fn lambda(name: &'static str, function: &str) -> Self {
        Metric {
            namespace: LAMBDA_NAMESPACE.to_owned(),
            name,
            dimensions: vec![(FUNCTION_NAME, function.to_owned())],
        }
    }

    /// The pipeline's metric `name`, of [`names::Family::Pipeline`].
    pub fn pipeline(namespace: &str, name: &'static str, pipeline: &str) -> Self {
        Metric {
            namespace: namespace.to_owned(),
            name,
            dimensions: vec![(names::PIPELINE, pipeline.to_owned())],
        }
    }

    /// The metric `name` of one thing of the pipeline: a sink
    /// ([`names::SINK`]), a processor ([`names::PROCESSOR`]) or a stage
    /// ([`names::STAGE`]), `dimension`, named `value`.
    pub fn of_part(
        namespace: &str,
        name: &'static str,
        pipeline: &str,
        dimension: &'static str,
        value: &str,
    ) -> Self {
        Metric {
            namespace: namespace.to_owned(),
            name,
            dimensions: vec![
                (names::PIPELINE, pipeline.to_owned()),
                (dimension, value.to_owned()),
            ],
        }
    }

    /// What identifies the metric, without the dimensions' values.
    pub fn reference(&self) -> MetricReference {
        MetricReference {
            namespace: self.namespace.clone(),
            name: self.name,
            dimensions: self.dimensions.iter().map(|(name, _)| *name).collect(),
        }
    }
}

/// Checks `references` against the contract: each metric outside
/// [`LAMBDA_NAMESPACE`] must be in [`names::METRICS`], with its family's
/// dimensions. Gives what is wrong with each that is not.
#[cfg(test)]
pub fn off_contract(references: &[MetricReference]) -> Vec<String> {
    references
        .iter()
        .filter(|reference| reference.namespace != LAMBDA_NAMESPACE)
        .filter_map(
            |reference| match names::METRICS.iter().find(|m| m.name == reference.name) {
                None => Some(format!(
                    "{} is not a metric the function emits",
                    reference.name
                )),
                Some(metric) if metric.family.dimensions() != reference.dimensions.as_slice() => {
                    Some(format!(
                        "{} has dimensions {:?}, not {:?}",
                        reference.name,
                        metric.family.dimensions(),
                        reference.dimensions
                    ))
                }
                Some(_) => None,
            },
        )
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_namespace_is_the_functions_own() {
        let mut deploy = DeploySection::default();
        assert_eq!(namespace(&deploy), "tributary");
        deploy.environment.insert(
            "TRIBUTARY_METRICS_NAMESPACE".into(),
            "shop/pipelines".into(),
        );
        assert_eq!(namespace(&deploy), "shop/pipelines");
    }

    #[test]
    fn metrics_off_the_contract_are_told_apart() {
        let sink = Metric::of_part("ns", names::SINK_RETRIES.name, "p", names::SINK, "out");
        let wrong = Metric::pipeline("ns", names::SINK_RETRIES.name, "p");
        let lambda = Metric::lambda("IteratorAge", "f");
        let unknown = MetricReference {
            namespace: "ns".into(),
            name: "Retries",
            dimensions: vec![names::PIPELINE],
        };
        assert!(off_contract(&[sink.reference(), lambda.reference()]).is_empty());
        assert_eq!(
            off_contract(&[wrong.reference(), unknown]),
            [
                "SinkRetries has dimensions [\"Pipeline\", \"Sink\"], not [\"Pipeline\"]",
                "Retries is not a metric the function emits"
            ]
        );
    }
}
