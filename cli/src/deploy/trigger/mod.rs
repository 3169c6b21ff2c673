//! What invokes the function: an event source mapping on a Kinesis or
//! DynamoDB stream, with every reliability setting of the `[source]`, or an
//! EventBridge rule with its invoke permission and retry settings. Each comes
//! with what the role needs for it and the stack outputs that name it.

use serde_json::{Map, Value, json};
use tributary_config::PipelineConfig;
use tributary_connectors::sources::{
    DynamodbStreamsSourceConfig, EventbridgeSourceConfig, KinesisSourceConfig, MappingSettings,
};

use super::DeployError;
use super::access;
use super::push_down::PushDown;
use super::template::SOURCE_STREAM_ARN;

/// The resources that invoke the function, and what goes with them.
#[derive(Debug, Default)]
pub(super) struct Trigger {
    /// The template's resources, by logical id.
    pub resources: Map<String, Value>,
    /// What the function's role needs for them.
    pub statements: Vec<Value>,
    /// Stack outputs naming them.
    pub outputs: Vec<(&'static str, Value)>,
    /// The table whose stream ARN the `SourceStreamArn` parameter takes.
    pub table_parameter: Option<String>,
    /// What the user should know.
    pub notes: Vec<String>,
}

/// A rule on the source's bus, the permission for it to invoke the
/// function, and how Lambda retries those invocations.
pub(super) fn rule(
    pipeline: &str,
    eventbridge: &EventbridgeSourceConfig,
    push_down: &PushDown,
) -> Trigger {
    let mut trigger = Trigger::default();
    let pattern = match push_down {
        PushDown::RulePattern(pattern) => pattern.clone(),
        // A rule needs a pattern: this one matches every event.
        _ => {
            trigger.notes.push(format!(
                "the rule takes every event of bus `{}`: each invokes the function",
                eventbridge.event_bus
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
                "EventBusName": eventbridge.event_bus,
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
        .insert("EventInvokeConfig".into(), event_invoke_config(eventbridge));
    if let Some(destination) = &eventbridge.on_failure_destination {
        trigger
            .statements
            .extend(access::destination_statement(destination));
    }
    trigger
        .outputs
        .push(("RuleArn", json!({ "Fn::GetAtt": ["Rule", "Arn"] })));
    trigger
}

/// An event source mapping on the Kinesis stream.
pub(super) fn kinesis(
    config: &PipelineConfig,
    kinesis: &KinesisSourceConfig,
    push_down: &PushDown,
) -> Result<Trigger, DeployError> {
    let stream = kinesis.stream.as_deref().ok_or_else(|| {
        DeployError::source(
            config,
            "the `[source]` has no `stream`",
            "set `stream` to the Kinesis stream's name or ARN",
        )
    })?;
    let arn = kinesis_stream_arn(stream);
    let mut trigger = stream_mapping(&MappingSettings::from(kinesis), &arn, push_down)?;
    trigger.statements.push(access::kinesis_statement(&arn));
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

/// An event source mapping on the DynamoDB table's stream.
pub(super) fn dynamodb(
    config: &PipelineConfig,
    dynamodb: &DynamodbStreamsSourceConfig,
    push_down: &PushDown,
) -> Result<Trigger, DeployError> {
    let table = dynamodb.table.as_deref().ok_or_else(|| {
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
    let mut trigger = stream_mapping(&MappingSettings::from(dynamodb), &arn, push_down)?;
    trigger.statements.push(access::dynamodb_statement(&arn));
    trigger.table_parameter = table_parameter;
    Ok(trigger)
}

/// The Kinesis stream's ARN: as written, or built from its name in the
/// stack's partition, region and account.
fn kinesis_stream_arn(stream: &str) -> Value {
    if stream.starts_with("arn:") {
        json!(stream)
    } else {
        access::arn_here("kinesis", &format!("stream/{stream}"))
    }
}

/// The mapping itself, and its on-failure destination's statement.
fn stream_mapping(
    mapping: &MappingSettings,
    stream_arn: &Value,
    push_down: &PushDown,
) -> Result<Trigger, DeployError> {
    let mut trigger = Trigger::default();
    trigger.resources.insert(
        "EventSourceMapping".into(),
        event_source_mapping(mapping, stream_arn.clone(), push_down)?,
    );
    if let Some(destination) = &mapping.on_failure_destination {
        trigger
            .statements
            .extend(access::destination_statement(destination));
    }
    trigger.outputs.push((
        "EventSourceMappingId",
        json!({ "Ref": "EventSourceMapping" }),
    ));
    Ok(trigger)
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

fn event_source_mapping(
    mapping: &MappingSettings,
    stream_arn: Value,
    push_down: &PushDown,
) -> Result<Value, DeployError> {
    let mut properties = json!({
        "EventSourceArn": stream_arn,
        "FunctionName": { "Ref": "Function" },
        "Enabled": true,
        "BatchSize": mapping.batch_size,
        "MaximumBatchingWindowInSeconds": mapping.batching_window_secs,
        "StartingPosition": mapping.starting_position.as_lambda(),
        "ParallelizationFactor": mapping.parallelization_factor,
        "BisectBatchOnFunctionError": mapping.bisect_batch_on_function_error,
        "MaximumRetryAttempts": mapping.maximum_retry_attempts,
        "MaximumRecordAgeInSeconds": mapping.maximum_record_age_secs,
        "FunctionResponseTypes": ["ReportBatchItemFailures"],
    });
    if let Some(time) = &mapping.starting_position_timestamp {
        let time = chrono::DateTime::parse_from_rfc3339(time)
            .map_err(|e| DeployError::invalid(format!("starting_position_timestamp: {e}")))?;
        properties["StartingPositionTimestamp"] = json!(time.timestamp());
    }
    if let Some(destination) = &mapping.on_failure_destination {
        properties["DestinationConfig"] = json!({ "OnFailure": { "Destination": destination } });
    }
    if let Some(secs) = mapping.tumbling_window_secs {
        properties["TumblingWindowInSeconds"] = json!(secs);
    }
    if let PushDown::Filters(patterns) = push_down {
        let filters: Vec<Value> = patterns
            .iter()
            .map(|pattern| json!({ "Pattern": pattern.to_string() }))
            .collect();
        properties["FilterCriteria"] = json!({ "Filters": filters });
    }
    Ok(json!({ "Type": "AWS::Lambda::EventSourceMapping", "Properties": properties }))
}
