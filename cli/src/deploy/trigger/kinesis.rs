//! A Kinesis source's deployment: an event source mapping on the stream
//! (or, with `consumer = "efo"`, on a stream consumer of its own, for
//! enhanced fan-out), the role's right to read it, and the first filter as
//! the mapping's filter criteria (under `data`) when Lambda decides every
//! record alike.

use serde_json::{Value, json};
use tributary_config::{OnError, PipelineConfig};
use tributary_connectors::sources::{Codec, KinesisConsumer, KinesisSourceConfig, MappingSettings};
use tributary_processors::filter::Pattern;

use super::{SourceTrigger, Trigger, stream_mapping};
use crate::deploy::DeployError;
use crate::deploy::access;
use crate::deploy::push_down::{MAX_FILTERS, MAX_PATTERN_CHARS, PushDown};

impl SourceTrigger for KinesisSourceConfig {
    fn push_down(&self, patterns: Vec<Value>, on_error: OnError) -> PushDown {
        if self.codec != Codec::Json {
            return PushDown::NotPushed(format!(
                "the source's codec is `{}`, and Lambda filters only data that is JSON",
                self.codec.name()
            ));
        }
        if on_error != OnError::Skip {
            return PushDown::NotPushed(format!(
                "Lambda's filter drops records whose data is not JSON, where the pipeline's \
                 `on_error = \"{}\"` reports them; set `on_error = \"skip\"` to push the filter down",
                on_error.name()
            ));
        }
        if patterns.len() > MAX_FILTERS {
            return PushDown::NotPushed(format!(
                "the filter has {} patterns, and an event source mapping takes at most {MAX_FILTERS}",
                patterns.len()
            ));
        }
        let mut criteria = Vec::with_capacity(patterns.len());
        for pattern in patterns {
            let compiled = match Pattern::from_value(&pattern) {
                Ok(compiled) => compiled,
                Err(error) => return PushDown::NotPushed(error.to_string()),
            };
            if let Some(reason) = compiled.lambda_unsupported() {
                return PushDown::NotPushed(reason);
            }
            let wrapped = json!({ "data": pattern });
            let length = wrapped.to_string().chars().count();
            if length > MAX_PATTERN_CHARS {
                return PushDown::NotPushed(format!(
                    "a pattern is {length} characters under `data`, and Lambda takes at most {MAX_PATTERN_CHARS}"
                ));
            }
            criteria.push(wrapped);
        }
        PushDown::Filters(criteria)
    }

    /// An event source mapping on the Kinesis stream, or, with `consumer =
    /// "efo"`, on a stream consumer of the function's own.
    fn trigger(
        &self,
        config: &PipelineConfig,
        function_name: &str,
        push_down: &PushDown,
    ) -> Result<Trigger, DeployError> {
        let stream = self.stream.as_deref().ok_or_else(|| {
            DeployError::source(
                config,
                "the `[source]` has no `stream`",
                "set `stream` to the Kinesis stream's name or ARN",
            )
        })?;
        let arn = stream_arn(stream);
        let settings = MappingSettings::from(self);
        let mut trigger = match self.consumer {
            KinesisConsumer::Shared => stream_mapping(&config.deploy, &settings, &arn, push_down)?,
            KinesisConsumer::Efo => {
                let consumer = json!({ "Ref": STREAM_CONSUMER });
                let mut trigger = stream_mapping(&config.deploy, &settings, &consumer, push_down)?;
                trigger
                    .resources
                    .insert(STREAM_CONSUMER.into(), stream_consumer(function_name, &arn));
                // The mapping subscribes to the shards as it is created: only
                // once the role may.
                trigger.resources["EventSourceMapping"]["DependsOn"] = json!(["Role"]);
                trigger.statements.push(consumer_statement(&consumer));
                trigger.outputs.push(("StreamConsumerArn", consumer));
                trigger
            }
        };
        trigger.statements.push(read_statement(&arn));
        if let PushDown::Filters(_) = push_down {
            trigger.notes.push(
                "Lambda drops records whose data is not JSON before they reach the filter, \
                 KPL aggregates among them: if producers aggregate with the KPL, set \
                 `[deploy] filter_push_down = false`"
                    .to_owned(),
            );
        }
        Ok(trigger)
    }
}

/// The Kinesis stream's ARN: as written, or built from its name in the
/// stack's partition, region and account.
fn stream_arn(stream: &str) -> Value {
    if stream.starts_with("arn:") {
        json!(stream)
    } else {
        access::arn_here("kinesis", &format!("stream/{stream}"))
    }
}

/// The stack's logical id of the enhanced fan-out consumer.
const STREAM_CONSUMER: &str = "StreamConsumer";

/// The stream consumer of enhanced fan-out, named after the function
/// (`<function>-consumer`: at most 73 letters, digits, `-` and `_`, within
/// Kinesis's 128 of `[a-zA-Z0-9_.-]`). Not by reference to the function:
/// the role names the consumer, and the function the role.
fn stream_consumer(function_name: &str, stream_arn: &Value) -> Value {
    json!({
        "Type": "AWS::Kinesis::StreamConsumer",
        "Properties": {
            "ConsumerName": format!("{function_name}-consumer"),
            "StreamARN": stream_arn,
        }
    })
}

/// The statement that lets Lambda read the stream through the consumer.
fn consumer_statement(consumer_arn: &Value) -> Value {
    json!({
        "Sid": "ReadThroughConsumer",
        "Effect": "Allow",
        "Action": ["kinesis:DescribeStreamConsumer", "kinesis:SubscribeToShard"],
        "Resource": consumer_arn,
    })
}

/// The statement that lets Lambda read the Kinesis stream for the function.
fn read_statement(stream_arn: &Value) -> Value {
    json!({
        "Sid": "ReadStream",
        "Effect": "Allow",
        "Action": [
            "kinesis:DescribeStream",
            "kinesis:DescribeStreamSummary",
            "kinesis:GetRecords",
            "kinesis:GetShardIterator",
            "kinesis:ListShards"
        ],
        "Resource": stream_arn,
    })
}
