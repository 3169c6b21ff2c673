//! A DynamoDB Streams source's deployment: an event source mapping on the
//! table's stream (named by its ARN, or by the table's name, whose stream
//! `tributary deploy` looks up into the `SourceStreamArn` parameter) and the
//! role's right to read it. The filter stays in the function.

use serde_json::{Value, json};
use tributary_config::{OnError, PipelineConfig};
use tributary_connectors::sources::{
    DynamodbPayload, DynamodbStreamsSourceConfig, MappingSettings,
};

use super::{SourceTrigger, Trigger, stream_mapping};
use crate::deploy::DeployError;
use crate::deploy::push_down::PushDown;

/// The template parameter with a DynamoDB table's stream ARN, when the
/// pipeline names the table rather than its stream.
pub const SOURCE_STREAM_ARN: &str = "SourceStreamArn";

impl SourceTrigger for DynamodbStreamsSourceConfig {
    fn push_down(&self, _patterns: Vec<Value>, _on_error: OnError) -> PushDown {
        PushDown::NotPushed(
            "Lambda matches DynamoDB changes on their typed images (`NewImage.price.N`, \
             numbers as strings), the filter on plain JSON items: they can disagree"
                .to_owned(),
        )
    }

    /// An event source mapping on the DynamoDB table's stream.
    fn trigger(
        &self,
        config: &PipelineConfig,
        _function_name: &str,
        push_down: &PushDown,
    ) -> Result<Trigger, DeployError> {
        let table = self.table.as_deref().ok_or_else(|| {
            DeployError::source(
                config,
                "the `[source]` has no `table`",
                "set `table` to the table's name or its stream's ARN",
            )
        })?;
        let (arn, table_parameter) = if table.contains(":table/") && table.contains("/stream/") {
            (json!(table), None)
        } else if table.starts_with("arn:") {
            return Err(DeployError::source(
                config,
                "`table` is an ARN but not a stream's",
                "give the stream's ARN (arn:aws:dynamodb:REGION:ACCOUNT:table/NAME/stream/LABEL) \
                 or the table's name, whose stream `deploy` looks up",
            ));
        } else {
            (json!({ "Ref": SOURCE_STREAM_ARN }), Some(table.to_owned()))
        };
        let mut trigger = stream_mapping(
            &config.deploy,
            &MappingSettings::from(self),
            &arn,
            push_down,
        )?;
        trigger.statements.push(read_statement(&arn));
        if let Some(table) = &table_parameter {
            trigger.parameters.insert(
                SOURCE_STREAM_ARN.into(),
                json!({
                    "Type": "String",
                    "Description": format!("The ARN of the stream of table `{table}` (`tributary deploy` looks it up)"),
                }),
            );
        }
        trigger.table_parameter = table_parameter;
        // The source delivers each change as the item after it (`payload =
        // "item"`), which a `KEYS_ONLY` or `OLD_IMAGE` stream does not have.
        trigger.table_needs_new_images = self.payload == DynamodbPayload::Item;
        Ok(trigger)
    }
}

/// The statement that lets Lambda read the DynamoDB stream for the function.
fn read_statement(stream_arn: &Value) -> Value {
    json!({
        "Sid": "ReadStream",
        "Effect": "Allow",
        "Action": [
            "dynamodb:DescribeStream",
            "dynamodb:GetRecords",
            "dynamodb:GetShardIterator",
            "dynamodb:ListStreams"
        ],
        "Resource": stream_arn,
    })
}
