//! The CloudFormation template of a deployed pipeline: its parameters, the
//! function and its least-privilege role, what invokes the function (from
//! `trigger`, which knows the sources), how it is watched (`dashboard` and
//! `alarms`), and the outputs `tributary deploy` prints.

use serde_json::{Map, Value, json};
use tributary::Plan;
use tributary_config::PipelineConfig;
use tributary_connectors::sinks::SinkConfig;

use super::DeployError;
use super::access::{self, SearchAccess};
use super::alarms::Alarms;
use super::dashboard::{DASHBOARD, Dashboard};
use super::push_down::PushDown;
use super::trigger;

/// The template parameter with the S3 bucket of the code zip.
pub const CODE_BUCKET: &str = "CodeBucket";
/// The template parameter with the S3 key of the code zip.
pub const CODE_KEY: &str = "CodeKey";

/// A pipeline's stack, ready to write.
#[derive(Debug)]
pub struct StackTemplate {
    /// The template, as JSON.
    pub body: Value,
    /// The function's name.
    pub function_name: String,
    /// What became of the first filter.
    pub push_down: PushDown,
    /// What the role needs on the OpenSearch sinks.
    pub search_access: SearchAccess,
    /// The DynamoDB table whose stream ARN the `SourceStreamArn` parameter
    /// takes, when the pipeline names a table.
    pub table_parameter: Option<String>,
    /// Whether the table's stream must carry new images: the source delivers
    /// each change as the item after it (`payload = "item"`), which a
    /// `KEYS_ONLY` or `OLD_IMAGE` stream does not have.
    pub table_needs_new_images: bool,
    /// Things the user should know: what is not deployed as they may think.
    pub notes: Vec<String>,
}

impl StackTemplate {
    /// Builds the template of a valid pipeline.
    pub fn new(config: &PipelineConfig, plan: &Plan) -> Result<Self, DeployError> {
        let function_name = function_name(config)?;
        let push_down = trigger::push_down(config, plan.source(), plan.on_error());
        let search_access = SearchAccess::of_sinks(plan.sinks());
        let mut notes = search_access.notes.clone();
        notes.extend(local_file_notes(plan));

        let mut parameters = json!({
            CODE_BUCKET: { "Type": "String", "Description": "The S3 bucket of the function's zip" },
            CODE_KEY: { "Type": "String", "Description": "The S3 key of the function's zip" },
        });
        let mut statements = vec![access::logs_statement(&function_name)];
        statements.extend(search_access.statements.iter().cloned());
        statements.extend(access::archive_statements(plan.sinks()));
        let mut outputs = json!({
            "FunctionName": { "Description": "The function", "Value": { "Ref": "Function" } },
            "FunctionArn": { "Value": { "Fn::GetAtt": ["Function", "Arn"] } },
            "RoleArn": { "Description": "The function's role: the principal of the collection's data access policy", "Value": { "Fn::GetAtt": ["Role", "Arn"] } },
        });
        let trigger = trigger::trigger(config, plan.source(), &function_name, &push_down)?;
        statements.extend(trigger.statements);
        notes.extend(trigger.notes);
        for (key, value) in trigger.outputs {
            outputs[key] = json!({ "Value": value });
        }
        for (name, parameter) in trigger.parameters {
            parameters[name] = parameter;
        }

        let mut resources = Map::new();
        resources.insert("Role".into(), role(statements));
        resources.insert("Function".into(), function(config, &function_name));
        resources.extend(trigger.resources);
        if config.deploy.dashboard {
            resources.insert(DASHBOARD.into(), Dashboard::new(config, plan).resource());
            for (key, value) in Dashboard::outputs() {
                outputs[key] = json!({ "Value": value });
            }
        }
        let alarms = Alarms::new(config, plan, &function_name);
        resources.extend(alarms.resources(&function_name));
        if let Some((key, value)) = alarms.output() {
            outputs[key] = json!({ "Value": value });
        }
        let description = match &config.pipeline.description {
            Some(text) => format!("tributary pipeline {}: {text}", config.pipeline.name),
            None => format!("tributary pipeline {}", config.pipeline.name),
        };
        let body = json!({
            "AWSTemplateFormatVersion": "2010-09-09",
            // CloudFormation takes at most 1024 bytes.
            "Description": truncated(&description, 1024),
            "Parameters": parameters,
            "Resources": resources,
            "Outputs": outputs,
        });
        Ok(StackTemplate {
            body,
            function_name,
            push_down,
            search_access,
            table_parameter: trigger.table_parameter,
            table_needs_new_images: trigger.table_needs_new_images,
            notes,
        })
    }
}

fn function_name(config: &PipelineConfig) -> Result<String, DeployError> {
    if let Some(name) = &config.deploy.function_name {
        return Ok(name.clone());
    }
    let name = &config.pipeline.name;
    if tributary_config::is_function_name(name) {
        Ok(name.clone())
    } else {
        Err(DeployError::invalid(format!(
            "{}: the pipeline's name `{name}` is not a Lambda function name; set \
             `[deploy] function_name` (1 to 64 letters, digits, `-` and `_`)",
            config.file.name()
        )))
    }
}

/// The function's role. CloudFormation names it: IAM names are global to
/// the account, and one pipeline may be deployed in several regions.
fn role(statements: Vec<Value>) -> Value {
    json!({
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Allow",
                    "Principal": { "Service": "lambda.amazonaws.com" },
                    "Action": "sts:AssumeRole",
                }],
            },
            "Policies": [{
                "PolicyName": "pipeline",
                "PolicyDocument": { "Version": "2012-10-17", "Statement": statements },
            }],
        }
    })
}

fn function(config: &PipelineConfig, function_name: &str) -> Value {
    let deploy = &config.deploy;
    let mut properties = json!({
        "FunctionName": function_name,
        "Runtime": "provided.al2023",
        "Handler": "bootstrap",
        "Architectures": [deploy.architecture.as_str()],
        "MemorySize": deploy.memory_mb,
        "Timeout": deploy.timeout_secs,
        "Role": { "Fn::GetAtt": ["Role", "Arn"] },
        "Code": { "S3Bucket": { "Ref": CODE_BUCKET }, "S3Key": { "Ref": CODE_KEY } },
    });
    if let Some(description) = &config.pipeline.description {
        // Lambda takes at most 256 characters.
        properties["Description"] = json!(truncated(description, 256));
    }
    if !deploy.environment.is_empty() {
        properties["Environment"] = json!({ "Variables": deploy.environment });
    }
    json!({ "Type": "AWS::Lambda::Function", "Properties": properties })
}

/// `text` cut to at most `max` bytes, at a character boundary.
fn truncated(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Sinks that write files: in Lambda only `/tmp` is writable, and what is
/// written there goes with the execution environment.
fn local_file_notes(plan: &Plan) -> Vec<String> {
    plan.sinks()
        .filter_map(|(name, sink)| match sink {
            SinkConfig::Jsonl(_) => Some(format!(
                "sink `{name}` writes JSON lines inside the function: in Lambda only /tmp is \
                 writable and it goes with the execution environment (standard output goes to \
                 the logs); keep output in an OpenSearch or S3 sink"
            )),
            SinkConfig::Opensearch(_) | SinkConfig::S3(_) => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deploy::SOURCE_STREAM_ARN;
    use tributary_config::SourceFile;
    use tributary_processors::Registry;

    fn template(text: &str) -> Result<StackTemplate, DeployError> {
        let config =
            PipelineConfig::parse(SourceFile::new("p.toml", text, |_| None).unwrap()).unwrap();
        let plan = Plan::from_config(&config, &Registry::builtin()).unwrap();
        StackTemplate::new(&config, &plan)
    }

    const EVERY_SETTING: &str = r#"
[pipeline]
name = "orders_metrics"
description = "Per-minute order metrics"
on_error = "skip"

[source]
type = "kinesis"
stream = "arn:aws:kinesis:eu-west-1:111122223333:stream/orders"
batch_size = 2500
batching_window_secs = 5
starting_position = "at-timestamp"
starting_position_timestamp = "2026-11-28T10:00:00Z"
parallelization_factor = 4
bisect_batch_on_function_error = true
maximum_retry_attempts = 3
maximum_record_age_secs = 600
on_failure_destination = "arn:aws:s3:::orders-failures"
tumbling_window_secs = 60

[[processors]]
type = "aggregate"
window = "lambda"
group_by = ["status"]
metrics.orders = { op = "count" }

[sinks.search]
type = "opensearch"
endpoint = "https://c0ll3ct10n.eu-west-1.aoss.amazonaws.com"
collection = "metrics"
collection_type = "timeseries"
index = "order-metrics-%Y.%m"

[sinks.archive]
type = "s3"
bucket = "orders-archive"
key = "metrics/{pipeline}/%Y/%m/{shard}-{first_sequence}.jsonl.gz"

[deploy]
function_name = "orders-metrics-fn"
memory_mb = 1769
timeout_secs = 300
architecture = "arm64"
environment = { RUST_LOG = "info", TIER = "gold" }
"#;

    #[test]
    fn the_function_and_its_mapping_carry_every_setting_of_the_pipeline() {
        let stack = template(EVERY_SETTING).unwrap();
        let resources = &stack.body["Resources"];
        let function = &resources["Function"]["Properties"];
        assert_eq!(function["FunctionName"], "orders-metrics-fn");
        assert_eq!(function["Runtime"], "provided.al2023");
        assert_eq!(function["Handler"], "bootstrap");
        assert_eq!(function["Architectures"], json!(["arm64"]));
        assert_eq!(function["MemorySize"], 1769);
        assert_eq!(function["Timeout"], 300);
        assert_eq!(function["Description"], "Per-minute order metrics");
        assert_eq!(
            function["Environment"]["Variables"],
            json!({ "RUST_LOG": "info", "TIER": "gold" })
        );
        assert_eq!(function["Code"]["S3Key"], json!({ "Ref": CODE_KEY }));

        let mapping = &resources["EventSourceMapping"]["Properties"];
        let expected = json!({
            "EventSourceArn": "arn:aws:kinesis:eu-west-1:111122223333:stream/orders",
            "FunctionName": { "Ref": "Function" },
            "Enabled": true,
            "BatchSize": 2500,
            "MaximumBatchingWindowInSeconds": 5,
            "StartingPosition": "AT_TIMESTAMP",
            "StartingPositionTimestamp": 1_795_860_000,
            "ParallelizationFactor": 4,
            "BisectBatchOnFunctionError": true,
            "MaximumRetryAttempts": 3,
            "MaximumRecordAgeInSeconds": 600,
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
            "DestinationConfig": { "OnFailure": { "Destination": "arn:aws:s3:::orders-failures" } },
            "TumblingWindowInSeconds": 60,
            "MetricsConfig": { "Metrics": ["EventCount"] },
        });
        assert_eq!(mapping, &expected);
        assert!(stack.push_down.reason().unwrap().contains("`aggregate`"));
    }

    #[test]
    fn the_role_may_do_only_what_the_pipeline_needs_on_its_own_resources() {
        let stack = template(EVERY_SETTING).unwrap();
        let role = &stack.body["Resources"]["Role"]["Properties"];
        assert!(role.get("RoleName").is_none(), "CloudFormation names it");
        assert_eq!(
            role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Service"],
            "lambda.amazonaws.com"
        );
        let statements = role["Policies"][0]["PolicyDocument"]["Statement"]
            .as_array()
            .unwrap();
        let by_sid = |sid: &str| {
            statements
                .iter()
                .find(|s| s["Sid"] == sid)
                .unwrap_or_else(|| panic!("no {sid}: {statements:?}"))
        };
        assert_eq!(
            by_sid("Logs")["Resource"][1]["Fn::Sub"],
            "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/lambda/orders-metrics-fn:*"
        );
        assert_eq!(
            by_sid("ReadStream")["Resource"],
            "arn:aws:kinesis:eu-west-1:111122223333:stream/orders"
        );
        assert_eq!(
            by_sid("ReadStream")["Action"],
            json!([
                "kinesis:DescribeStream",
                "kinesis:DescribeStreamSummary",
                "kinesis:GetRecords",
                "kinesis:GetShardIterator",
                "kinesis:ListShards"
            ])
        );
        assert_eq!(
            by_sid("OnFailureDestination")["Resource"],
            json!([
                "arn:aws:s3:::orders-failures",
                "arn:aws:s3:::orders-failures/*"
            ])
        );
        assert_eq!(by_sid("Archive0")["Action"], json!(["s3:PutObject"]));
        assert_eq!(
            by_sid("Archive0")["Resource"]["Fn::Sub"],
            "arn:${AWS::Partition}:s3:::orders-archive/metrics/*",
            "only under the key template's fixed prefix"
        );
        assert_eq!(by_sid("Search0")["Action"], json!(["aoss:APIAccessAll"]));
        assert_eq!(
            by_sid("Search0")["Resource"]["Fn::Sub"],
            "arn:${AWS::Partition}:aoss:eu-west-1:${AWS::AccountId}:collection/c0ll3ct10n"
        );
        for statement in statements {
            let resources = match &statement["Resource"] {
                Value::Array(resources) => resources.clone(),
                resource => vec![resource.clone()],
            };
            assert!(resources.iter().all(|r| r != "*"), "{statement}");
        }
        let policy = stack
            .search_access
            .data_access_policy("orders_metrics", "arn:aws:iam::111122223333:role/r")
            .unwrap();
        assert_eq!(
            policy[0]["Principal"],
            json!(["arn:aws:iam::111122223333:role/r"])
        );
        assert_eq!(
            policy[0]["Rules"][0]["Resource"],
            json!(["index/metrics/order-metrics-*"])
        );
    }

    #[test]
    fn a_table_by_name_becomes_a_parameter_and_an_eventbridge_source_a_rule() {
        let dynamodb = template(
            "[pipeline]\nname = \"orders\"\n[source]\ntype = \"dynamodb_streams\"\ntable = \"orders\"\n[sinks.out]\ntype = \"jsonl\"\n",
        )
        .unwrap();
        assert_eq!(dynamodb.table_parameter.as_deref(), Some("orders"));
        assert!(dynamodb.table_needs_new_images, "items need new images");
        let changes = template(
            "[pipeline]\nname = \"orders\"\n[source]\ntype = \"dynamodb_streams\"\ntable = \"orders\"\npayload = \"change\"\n[sinks.out]\ntype = \"jsonl\"\n",
        )
        .unwrap();
        assert!(
            !changes.table_needs_new_images,
            "whole changes need no image"
        );
        let mapping = &dynamodb.body["Resources"]["EventSourceMapping"]["Properties"];
        assert_eq!(
            mapping["EventSourceArn"],
            json!({ "Ref": SOURCE_STREAM_ARN })
        );
        assert_eq!(mapping["StartingPosition"], "TRIM_HORIZON");
        assert!(mapping.get("TumblingWindowInSeconds").is_none());
        assert!(dynamodb.body["Parameters"].get(SOURCE_STREAM_ARN).is_some());

        let eventbridge = template(
            "[pipeline]\nname = \"alerts\"\n[source]\ntype = \"eventbridge\"\nevent_bus = \"orders\"\n[sinks.out]\ntype = \"jsonl\"\n",
        )
        .unwrap();
        let resources = &eventbridge.body["Resources"];
        assert!(resources.get("EventSourceMapping").is_none());
        assert_eq!(resources["Rule"]["Properties"]["EventBusName"], "orders");
        assert_eq!(
            resources["Rule"]["Properties"]["EventPattern"],
            json!({ "source": [{ "exists": true }] }),
            "without a filter the rule takes every event"
        );
        assert_eq!(
            resources["EventInvokeConfig"]["Properties"],
            json!({ "FunctionName": { "Ref": "Function" }, "Qualifier": "$LATEST", "MaximumRetryAttempts": 2 })
        );
        let permission = &resources["InvokePermission"]["Properties"];
        assert_eq!(permission["Principal"], "events.amazonaws.com");
        assert_eq!(
            permission["SourceArn"],
            json!({ "Fn::GetAtt": ["Rule", "Arn"] })
        );

        let with_destination = template(
            "[pipeline]\nname = \"alerts\"\n[source]\ntype = \"eventbridge\"\nmaximum_retry_attempts = 0\n\
             maximum_event_age_secs = 600\non_failure_destination = \"arn:aws:events:eu-west-1:1:event-bus/dead\"\n\
             [sinks.out]\ntype = \"jsonl\"\n",
        )
        .unwrap();
        let resources = &with_destination.body["Resources"];
        let config = &resources["EventInvokeConfig"]["Properties"];
        assert_eq!(config["MaximumRetryAttempts"], 0);
        assert_eq!(config["MaximumEventAgeInSeconds"], 600);
        assert_eq!(
            config["DestinationConfig"]["OnFailure"]["Destination"],
            "arn:aws:events:eu-west-1:1:event-bus/dead"
        );
        let statements =
            &resources["Role"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"];
        assert_eq!(statements[1]["Action"], json!(["events:PutEvents"]));
        assert_eq!(
            statements[1]["Resource"],
            json!(["arn:aws:events:eu-west-1:1:event-bus/dead"])
        );
    }

    #[test]
    fn what_cannot_be_deployed_is_said_where_it_is() {
        let error = template("[pipeline]\nname = \"p\"\n[source]\ntype = \"kinesis\"\n[sinks.out]\ntype = \"jsonl\"\n")
            .unwrap_err()
            .to_string();
        assert!(error.contains("the `[source]` has no `stream`"), "{error}");
        assert!(error.contains("p.toml:3:1"), "{error}");
        let error = template("[pipeline]\nname = \"my pipeline\"\n[source]\ntype = \"kinesis\"\nstream = \"s\"\n[sinks.out]\ntype = \"jsonl\"\n")
            .unwrap_err()
            .to_string();
        assert!(error.contains("set `[deploy] function_name`"), "{error}");
        let error = template(
            "[pipeline]\nname = \"p\"\n[source]\ntype = \"dynamodb_streams\"\n\
             table = \"arn:aws:dynamodb:eu-west-1:1:table/orders\"\n[sinks.out]\ntype = \"jsonl\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(
            error.contains("`table` is an ARN but not a stream's"),
            "{error}"
        );
    }

    /// A Kinesis pipeline named `p` whose `[source]` ends with `source` and
    /// whose `[deploy]` table is `deploy`.
    fn kinesis(source: &str, deploy: &str) -> StackTemplate {
        template(&format!(
            "[pipeline]\nname = \"p\"\non_error = \"dead-letter\"\ndead_letter = \"failed\"\n\
             [source]\ntype = \"kinesis\"\nstream = \"clicks\"\n{source}\n\
             [sinks.out]\ntype = \"jsonl\"\n[sinks.failed]\ntype = \"jsonl\"\n[deploy]\n{deploy}\n"
        ))
        .unwrap()
    }

    #[test]
    fn the_function_is_watched_by_a_dashboard_alarms_and_the_mappings_metrics_by_default() {
        let stack = kinesis("", "");
        let resources = &stack.body["Resources"];
        assert_eq!(resources["Dashboard"]["Type"], "AWS::CloudWatch::Dashboard");
        for alarm in ["ErrorsAlarm", "IteratorAgeAlarm", "DeadLettersAlarm"] {
            assert_eq!(
                resources[alarm]["Type"], "AWS::CloudWatch::Alarm",
                "{alarm}"
            );
        }
        assert_eq!(
            resources["EventSourceMapping"]["Properties"]["MetricsConfig"],
            json!({ "Metrics": ["EventCount"] })
        );
        let outputs = &stack.body["Outputs"];
        assert_eq!(
            outputs["DashboardName"]["Value"],
            json!({ "Ref": "Dashboard" })
        );
        assert!(
            outputs["DashboardUrl"]["Value"]["Fn::Sub"]
                .as_str()
                .unwrap()
                .ends_with("#dashboards:name=${Dashboard}")
        );
        assert_eq!(
            outputs["AlarmNames"]["Value"]["Fn::Join"][1][2],
            json!({ "Ref": "DeadLettersAlarm" })
        );

        let quiet = kinesis(
            "",
            "dashboard = false\nmapping_metrics = false\nalarms = { enabled = false }",
        );
        let resources = quiet.body["Resources"].as_object().unwrap();
        assert_eq!(
            resources.keys().collect::<Vec<_>>(),
            ["Role", "Function", "EventSourceMapping"]
        );
        assert!(
            resources["EventSourceMapping"]["Properties"]
                .get("MetricsConfig")
                .is_none()
        );
        let outputs = quiet.body["Outputs"].as_object().unwrap();
        for output in ["DashboardName", "DashboardUrl", "AlarmNames"] {
            assert!(!outputs.contains_key(output), "{output}");
        }
    }

    #[test]
    fn enhanced_fan_out_reads_through_a_consumer_of_the_functions_own() {
        let shared = kinesis("consumer = \"shared\"", "");
        assert!(shared.body["Resources"].get("StreamConsumer").is_none());
        let stream_arn = json!({ "Fn::Sub": "arn:${AWS::Partition}:kinesis:${AWS::Region}:${AWS::AccountId}:stream/clicks" });
        assert_eq!(
            shared.body["Resources"]["EventSourceMapping"]["Properties"]["EventSourceArn"],
            stream_arn
        );

        let efo = kinesis("consumer = \"efo\"", "function_name = \"clicks-fn\"");
        let resources = &efo.body["Resources"];
        assert_eq!(
            resources["StreamConsumer"],
            json!({
                "Type": "AWS::Kinesis::StreamConsumer",
                "Properties": { "ConsumerName": "clicks-fn-consumer", "StreamARN": stream_arn },
            })
        );
        let mapping = &resources["EventSourceMapping"];
        assert_eq!(
            mapping["Properties"]["EventSourceArn"],
            json!({ "Ref": "StreamConsumer" })
        );
        assert_eq!(mapping["DependsOn"], json!(["Role"]));
        let statements =
            resources["Role"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
                .as_array()
                .unwrap();
        let by_sid = |sid: &str| statements.iter().find(|s| s["Sid"] == sid).unwrap();
        assert_eq!(by_sid("ReadStream")["Resource"], stream_arn);
        assert_eq!(
            by_sid("ReadThroughConsumer")["Action"],
            json!(["kinesis:DescribeStreamConsumer", "kinesis:SubscribeToShard"])
        );
        assert_eq!(
            by_sid("ReadThroughConsumer")["Resource"],
            json!({ "Ref": "StreamConsumer" })
        );
        assert_eq!(
            efo.body["Outputs"]["StreamConsumerArn"]["Value"],
            json!({ "Ref": "StreamConsumer" })
        );
        // Lambda's iterator age is the consumer's too.
        assert_eq!(
            resources["IteratorAgeAlarm"]["Type"],
            "AWS::CloudWatch::Alarm"
        );
    }

    #[test]
    fn dead_letters_in_s3_are_durable_and_granted_where_a_jsonl_file_is_warned_of() {
        let pipeline = |dead_letter_sink: &str| {
            template(&format!(
                "[pipeline]\nname = \"p\"\non_error = \"dead-letter\"\ndead_letter = \"failed\"\n\
                 [source]\ntype = \"kinesis\"\nstream = \"s\"\n\
                 [sinks.out]\ntype = \"opensearch\"\nendpoint = \"https://c0ll3ct10n.eu-west-1.aoss.amazonaws.com\"\nindex = \"i\"\n\
                 [sinks.failed]\n{dead_letter_sink}\n"
            ))
            .unwrap()
        };
        let in_tmp = pipeline("type = \"jsonl\"\npath = \"/tmp/failed.jsonl\"");
        assert!(
            in_tmp
                .notes
                .iter()
                .any(|note| note.contains("sink `failed` writes JSON lines inside the function")),
            "{:?}",
            in_tmp.notes
        );
        let in_s3 = pipeline(
            "type = \"s3\"\nbucket = \"failures\"\nkey = \"dead/$$/{pipeline}/{shard}-{first_sequence}.jsonl.gz\"",
        );
        assert!(
            in_s3.notes.iter().all(|note| !note.contains("`failed`")),
            "{:?}",
            in_s3.notes
        );
        let statements = &in_s3.body["Resources"]["Role"]["Properties"]["Policies"][0]["PolicyDocument"]
            ["Statement"];
        let archive = statements
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["Sid"] == "Archive0")
            .unwrap();
        assert_eq!(
            archive["Resource"]["Fn::Sub"],
            "arn:${AWS::Partition}:s3:::failures/dead/$$/*"
        );
    }
}
