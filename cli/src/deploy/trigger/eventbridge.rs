//! An EventBridge source's deployment: a rule on the bus whose pattern is
//! the first filter (or every event), the permission for it to invoke the
//! function, and how Lambda retries those asynchronous invocations.

use serde_json::{Value, json};
use tributary_config::{OnError, PipelineConfig};
use tributary_connectors::sources::EventbridgeSourceConfig;

use super::{SourceTrigger, Trigger};
use crate::deploy::DeployError;
use crate::deploy::access;
use crate::deploy::push_down::{MAX_PATTERN_CHARS, PushDown};

impl SourceTrigger for EventbridgeSourceConfig {
    /// A rule has one pattern, with every operator: several become one `$or`.
    fn push_down(&self, mut patterns: Vec<Value>, _on_error: OnError) -> PushDown {
        let pattern = if patterns.len() == 1 {
            patterns.pop().expect("one pattern")
        } else {
            json!({ "$or": patterns })
        };
        let length = pattern.to_string().chars().count();
        if length > MAX_PATTERN_CHARS {
            return PushDown::NotPushed(format!(
                "the rule's pattern would be {length} characters, and EventBridge takes at most {MAX_PATTERN_CHARS}"
            ));
        }
        PushDown::RulePattern(pattern)
    }

    /// A rule on the source's bus, the permission for it to invoke the
    /// function, and how Lambda retries those invocations.
    fn trigger(
        &self,
        config: &PipelineConfig,
        _function_name: &str,
        push_down: &PushDown,
    ) -> Result<Trigger, DeployError> {
        let pipeline = &config.pipeline.name;
        let mut trigger = Trigger::default();
        let pattern = match push_down {
            PushDown::RulePattern(pattern) => pattern.clone(),
            // A rule needs a pattern: this one matches every event.
            PushDown::NotPushed(_) | PushDown::Filters(_) => {
                trigger.notes.push(format!(
                    "the rule takes every event of bus `{}`: each invokes the function",
                    self.event_bus
                ));
                json!({ "source": [{ "exists": true }] })
            }
        };
        trigger.resources.insert(
            "Rule".into(),
            json!({
                "Type": "AWS::Events::Rule",
                "Properties": {
                    "Description": format!("Events for tributary pipeline {pipeline}"),
                    "EventBusName": self.event_bus,
                    "EventPattern": pattern,
                    "State": "ENABLED",
                    "Targets": [{ "Arn": { "Fn::GetAtt": ["Function", "Arn"] }, "Id": "pipeline" }],
                }
            }),
        );
        trigger.resources.insert(
            "InvokePermission".into(),
            json!({
                "Type": "AWS::Lambda::Permission",
                "Properties": {
                    "Action": "lambda:InvokeFunction",
                    "FunctionName": { "Fn::GetAtt": ["Function", "Arn"] },
                    "Principal": "events.amazonaws.com",
                    "SourceArn": { "Fn::GetAtt": ["Rule", "Arn"] },
                }
            }),
        );
        trigger
            .resources
            .insert("EventInvokeConfig".into(), event_invoke_config(self));
        if let Some(destination) = &self.on_failure_destination {
            trigger
                .statements
                .extend(access::destination_statement(destination));
        }
        trigger
            .outputs
            .push(("RuleArn", json!({ "Fn::GetAtt": ["Rule", "Arn"] })));
        Ok(trigger)
    }
}

/// How Lambda retries the rule's asynchronous invocations, and where the
/// events it gives up on go.
fn event_invoke_config(eventbridge: &EventbridgeSourceConfig) -> Value {
    let mut properties = json!({
        "FunctionName": { "Ref": "Function" },
        "Qualifier": "$LATEST",
        "MaximumRetryAttempts": eventbridge.maximum_retry_attempts,
    });
    if let Some(age) = eventbridge.maximum_event_age_secs {
        properties["MaximumEventAgeInSeconds"] = json!(age);
    }
    if let Some(destination) = &eventbridge.on_failure_destination {
        properties["DestinationConfig"] = json!({ "OnFailure": { "Destination": destination } });
    }
    json!({ "Type": "AWS::Lambda::EventInvokeConfig", "Properties": properties })
}
