//! The stack's CloudWatch alarms, from `[deploy.alarms]`: the function's
//! errors, a stream source's iterator age (Lambda falling behind the
//! stream), and dead letters (with a `dead_letter` sink). Each notifies the
//! SNS topic of `sns_topic_arn`, if there is one, when it goes off and when
//! it is over.

use serde_json::{Value, json};
use tributary::Plan;
use tributary::lambda::metrics::names;
use tributary_config::PipelineConfig;

use super::dashboard::reads_a_stream;
use super::metrics::{self, Metric, MetricReference};

/// The stack's alarms.
#[derive(Debug, Default)]
pub struct Alarms {
    alarms: Vec<Alarm>,
    topic: Option<String>,
}

/// One alarm: on a metric above a threshold.
#[derive(Debug)]
struct Alarm {
    /// Its logical id in the stack.
    id: &'static str,
    /// What follows the function's name in the alarm's name.
    suffix: &'static str,
    description: String,
    metric: Metric,
    stat: &'static str,
    /// Alarm when the statistic is greater than this.
    threshold: f64,
    /// For how many minutes on end.
    minutes: u32,
    /// `TreatMissingData`.
    missing_data: &'static str,
}

impl Alarms {
    /// The alarms of a valid pipeline whose function is `function_name`;
    /// none when `[deploy.alarms] enabled = false`.
    pub fn new(config: &PipelineConfig, plan: &Plan, function_name: &str) -> Self {
        let settings = &config.deploy.alarms;
        if !settings.enabled {
            return Alarms::default();
        }
        let mut alarms = vec![Alarm {
            id: "ErrorsAlarm",
            suffix: "errors",
            description: format!(
                "The function of tributary pipeline {} failed as a whole: its batch is retried",
                config.pipeline.name
            ),
            metric: Metric::lambda("Errors", function_name),
            stat: "Sum",
            threshold: 0.0,
            minutes: 1,
            // No invocations, no errors.
            missing_data: "notBreaching",
        }];
        if reads_a_stream(plan.source()) {
            alarms.push(Alarm {
                id: "IteratorAgeAlarm",
                suffix: "iterator-age",
                description: format!(
                    "The function of tributary pipeline {} is more than {} s behind its stream",
                    config.pipeline.name, settings.iterator_age_secs
                ),
                metric: Metric::lambda("IteratorAge", function_name),
                stat: "Maximum",
                threshold: f64::from(settings.iterator_age_secs) * 1000.0,
                minutes: 5,
                // Lambda reports the age only as it invokes: a backlog is
                // over when an invocation shows it, not when reports stop.
                missing_data: "ignore",
            });
        }
        if config.pipeline.dead_letter.is_some() {
            alarms.push(Alarm {
                id: "DeadLettersAlarm",
                suffix: "dead-letters",
                description: format!(
                    "Tributary pipeline {} sent records to its dead-letter sink",
                    config.pipeline.name
                ),
                metric: Metric::pipeline(
                    metrics::namespace(&config.deploy),
                    names::DEAD_LETTERED.name,
                    &config.pipeline.name,
                ),
                stat: "Sum",
                threshold: 0.0,
                minutes: 1,
                missing_data: "notBreaching",
            });
        }
        Alarms {
            alarms,
            topic: settings.sns_topic_arn.clone(),
        }
    }

    /// Every metric the alarms watch, sorted.
    pub fn metrics(&self) -> Vec<MetricReference> {
        let mut references: Vec<MetricReference> = self
            .alarms
            .iter()
            .map(|alarm| alarm.metric.reference())
            .collect();
        references.sort();
        references
    }

    /// The `AWS::CloudWatch::Alarm` resources, by logical id.
    pub fn resources(&self, function_name: &str) -> Vec<(String, Value)> {
        self.alarms
            .iter()
            .map(|alarm| (alarm.id.to_owned(), self.resource(alarm, function_name)))
            .collect()
    }

    /// The stack's output listing the alarms' names, if there are any.
    pub fn output(&self) -> Option<(&'static str, Value)> {
        if self.alarms.is_empty() {
            return None;
        }
        let names: Vec<Value> = self
            .alarms
            .iter()
            .map(|alarm| json!({ "Ref": alarm.id }))
            .collect();
        Some(("AlarmNames", json!({ "Fn::Join": [", ", names] })))
    }

    fn resource(&self, alarm: &Alarm, function_name: &str) -> Value {
        let dimensions: Vec<Value> = alarm
            .metric
            .dimensions
            .iter()
            .map(|(name, value)| match *name {
                // Named by reference, so the alarm follows the function.
                metrics::FUNCTION_NAME => json!({ "Name": name, "Value": { "Ref": "Function" } }),
                _ => json!({ "Name": name, "Value": value }),
            })
            .collect();
        let mut properties = json!({
            "AlarmName": format!("{function_name}-{}", alarm.suffix),
            "AlarmDescription": alarm.description,
            "Namespace": alarm.metric.namespace,
            "MetricName": alarm.metric.name,
            "Dimensions": dimensions,
            "Statistic": alarm.stat,
            "Period": 60,
            "EvaluationPeriods": alarm.minutes,
            "DatapointsToAlarm": alarm.minutes,
            "Threshold": alarm.threshold,
            "ComparisonOperator": "GreaterThanThreshold",
            "TreatMissingData": alarm.missing_data,
        });
        if let Some(topic) = &self.topic {
            properties["AlarmActions"] = json!([topic]);
            properties["OKActions"] = json!([topic]);
        }
        json!({ "Type": "AWS::CloudWatch::Alarm", "Properties": properties })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deploy::metrics::off_contract;
    use crate::deploy::planned;

    /// The alarm resources of a pipeline of `source`, `pipeline` (under
    /// `[pipeline]`) and `alarms` (under `[deploy.alarms]`), by logical id.
    fn alarms(source: &str, pipeline: &str, settings: &str) -> (Alarms, Vec<(String, Value)>) {
        let (config, plan) = planned(&format!(
            "[pipeline]\nname = \"clicks\"\n{pipeline}\n[source]\n{source}\n\
             [sinks.out]\ntype = \"jsonl\"\n[sinks.failed]\ntype = \"jsonl\"\n\
             [deploy]\nenvironment = {{ TRIBUTARY_METRICS_NAMESPACE = \"shop\" }}\n\
             [deploy.alarms]\n{settings}\n"
        ));
        let alarms = Alarms::new(&config, &plan, "clicks-fn");
        let resources = alarms.resources("clicks-fn");
        (alarms, resources)
    }

    const KINESIS: &str = "type = \"kinesis\"\nstream = \"s\"";
    const DEAD_LETTERS: &str = "on_error = \"dead-letter\"\ndead_letter = \"failed\"";

    fn properties<'a>(resources: &'a [(String, Value)], id: &str) -> &'a Value {
        let (_, resource) = resources
            .iter()
            .find(|(found, _)| found == id)
            .unwrap_or_else(|| panic!("no {id}"));
        assert_eq!(resource["Type"], "AWS::CloudWatch::Alarm");
        &resource["Properties"]
    }

    #[test]
    fn a_stream_pipeline_with_dead_letters_has_three_alarms_that_notify_the_topic() {
        let topic = "arn:aws:sns:eu-west-1:123456789012:on-call";
        let (alarms, resources) = alarms(
            KINESIS,
            DEAD_LETTERS,
            &format!("iterator_age_secs = 600\nsns_topic_arn = \"{topic}\""),
        );
        let ids: Vec<&str> = resources.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(ids, ["ErrorsAlarm", "IteratorAgeAlarm", "DeadLettersAlarm"]);
        let errors = properties(&resources, "ErrorsAlarm");
        assert_eq!(errors["AlarmName"], "clicks-fn-errors");
        assert_eq!(
            (
                &errors["Namespace"],
                &errors["MetricName"],
                &errors["Statistic"]
            ),
            (&json!("AWS/Lambda"), &json!("Errors"), &json!("Sum"))
        );
        assert_eq!(
            errors["Dimensions"],
            json!([{ "Name": "FunctionName", "Value": { "Ref": "Function" } }])
        );
        assert_eq!(errors["Threshold"], 0.0);
        assert_eq!(errors["ComparisonOperator"], "GreaterThanThreshold");
        assert_eq!(errors["TreatMissingData"], "notBreaching");
        assert_eq!(errors["AlarmActions"], json!([topic]));
        assert_eq!(errors["OKActions"], json!([topic]));

        let age = properties(&resources, "IteratorAgeAlarm");
        assert_eq!(age["MetricName"], "IteratorAge");
        assert_eq!(age["Statistic"], "Maximum");
        assert_eq!(age["Threshold"], 600_000.0, "milliseconds");
        assert_eq!(age["EvaluationPeriods"], 5);

        let dead = properties(&resources, "DeadLettersAlarm");
        assert_eq!(
            (&dead["Namespace"], &dead["MetricName"]),
            (&json!("shop"), &json!("DeadLettered"))
        );
        assert_eq!(
            dead["Dimensions"],
            json!([{ "Name": "Pipeline", "Value": "clicks" }])
        );
        assert_eq!(dead["TreatMissingData"], "notBreaching");
        assert_eq!(off_contract(&alarms.metrics()), Vec::<String>::new());
        assert_eq!(
            alarms.output().unwrap(),
            (
                "AlarmNames",
                json!({ "Fn::Join": [", ", [
                    { "Ref": "ErrorsAlarm" }, { "Ref": "IteratorAgeAlarm" }, { "Ref": "DeadLettersAlarm" }
                ]] })
            )
        );
    }

    #[test]
    fn alarms_are_only_of_what_the_pipeline_has() {
        let (_, resources) = alarms("type = \"eventbridge\"", "", "");
        let ids: Vec<&str> = resources.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(ids, ["ErrorsAlarm"], "no stream, no dead letters");
        let errors = properties(&resources, "ErrorsAlarm");
        assert!(errors.get("AlarmActions").is_none());
        assert!(errors.get("OKActions").is_none());

        let (_, resources) = alarms(KINESIS, "", "");
        assert_eq!(
            properties(&resources, "IteratorAgeAlarm")["Threshold"],
            300_000.0,
            "five minutes by default"
        );

        let (alarms, resources) = alarms(KINESIS, DEAD_LETTERS, "enabled = false");
        assert!(resources.is_empty());
        assert!(alarms.output().is_none());
    }
}
