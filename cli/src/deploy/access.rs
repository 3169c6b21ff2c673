//! Least-privilege access for the deployed function: the statements of its
//! IAM role, and the OpenSearch Serverless data access policy written
//! beside the template.
//!
//! Every statement names the one resource it is for: the source stream, the
//! on-failure destination, the function's own log group, each OpenSearch
//! collection or domain, each S3 sink's bucket and key prefix. Nothing is
//! granted on `*`.

use serde_json::{Value, json};
use tributary_connectors::sinks::{Auth, OpensearchSinkConfig, S3SinkConfig, SinkConfig};

/// The principal of a data access policy written before the role exists:
/// `tributary deploy` puts the role's ARN in its place.
pub const ROLE_ARN_PLACEHOLDER: &str = "ROLE_ARN";

/// `Fn::Sub` of an ARN in the stack's own partition, region and account.
pub fn arn_here(service: &str, resource: &str) -> Value {
    json!({ "Fn::Sub": format!("arn:${{AWS::Partition}}:{service}:${{AWS::Region}}:${{AWS::AccountId}}:{resource}") })
}

/// The statement that lets the function write its logs, and only its own.
pub fn logs_statement(function_name: &str) -> Value {
    json!({
        "Sid": "Logs",
        "Effect": "Allow",
        "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
        // The group itself (CreateLogGroup) and its streams.
        "Resource": [
            arn_here("logs", &format!("log-group:/aws/lambda/{function_name}")),
            arn_here("logs", &format!("log-group:/aws/lambda/{function_name}:*")),
        ],
    })
}

/// The statement that lets Lambda send what it gave up on to the on-failure
/// destination (an SQS queue, SNS topic or S3 bucket; for EventBridge
/// sources also a function or an event bus).
///
/// `None` for another service's ARN, which the source's settings refuse.
pub fn destination_statement(arn: &str) -> Option<Value> {
    let (actions, resources) = match arn.split(':').nth(2)? {
        "sqs" => (json!(["sqs:SendMessage"]), json!([arn])),
        "sns" => (json!(["sns:Publish"]), json!([arn])),
        "lambda" => (json!(["lambda:InvokeFunction"]), json!([arn])),
        "events" => (json!(["events:PutEvents"]), json!([arn])),
        "s3" => (
            json!(["s3:PutObject", "s3:ListBucket"]),
            json!([arn, format!("{arn}/*")]),
        ),
        _ => return None,
    };
    Some(json!({
        "Sid": "OnFailureDestination",
        "Effect": "Allow",
        "Action": actions,
        "Resource": resources,
    }))
}

/// The statements that let the function put the objects of its S3 sinks
/// (the dead-letter sink among them), and only those: `s3:PutObject` on each
/// sink's bucket under its key template's fixed prefix, one statement per
/// sink (`Archive0`, `Archive1`, ...).
pub fn archive_statements<'a>(
    sinks: impl IntoIterator<Item = (&'a str, &'a SinkConfig)>,
) -> Vec<Value> {
    sinks
        .into_iter()
        .filter_map(|(_, sink)| match sink {
            SinkConfig::S3(config) => Some(config),
            SinkConfig::Jsonl(_) | SinkConfig::Opensearch(_) => None,
        })
        .enumerate()
        .map(|(n, config)| {
            json!({
                "Sid": format!("Archive{n}"),
                "Effect": "Allow",
                "Action": ["s3:PutObject"],
                "Resource": objects_under_prefix(config),
            })
        })
        .collect()
}

/// The ARN of every object an S3 sink may write: its bucket, under the key
/// template's fixed prefix, in the stack's partition. The prefix ends
/// before the template's first `{`, so it holds no `${` for `Fn::Sub` to
/// take for a variable.
fn objects_under_prefix(config: &S3SinkConfig) -> Value {
    json!({ "Fn::Sub": format!("arn:${{AWS::Partition}}:s3:::{}/{}*", config.bucket(), config.key_prefix()) })
}

/// What the role needs to write to the OpenSearch sinks, and what could not
/// be told from their endpoints.
#[derive(Debug, Default)]
pub struct SearchAccess {
    /// IAM statements, one per collection or domain.
    pub statements: Vec<Value>,
    /// One data access policy rule per Serverless sink that names its `collection`.
    pub policy_rules: Vec<Value>,
    /// What the user has to grant by hand.
    pub notes: Vec<String>,
}

impl SearchAccess {
    /// Looks at every sink.
    pub fn of_sinks<'a>(sinks: impl IntoIterator<Item = (&'a str, &'a SinkConfig)>) -> Self {
        let mut access = SearchAccess::default();
        for (name, sink) in sinks {
            match sink {
                SinkConfig::Opensearch(config) => {
                    if config.auth == Auth::AwsSigv4 {
                        access.add(name, config);
                    }
                }
                // Writes a local file: nothing to grant.
                SinkConfig::Jsonl(_) => {}
                // Writes objects: `archive_statements` grants them.
                SinkConfig::S3(_) => {}
            }
        }
        access
    }

    fn add(&mut self, sink: &str, config: &OpensearchSinkConfig) {
        let sid = format!("Search{}", self.statements.len());
        match Endpoint::parse(&config.endpoint) {
            Some(Endpoint::Collection { id, region }) => {
                self.statements.push(json!({
                    "Sid": sid,
                    "Effect": "Allow",
                    "Action": ["aoss:APIAccessAll"],
                    "Resource": {
                        "Fn::Sub": format!("arn:${{AWS::Partition}}:aoss:{region}:${{AWS::AccountId}}:collection/{id}")
                    },
                }));
                match &config.collection {
                    Some(collection) => self.policy_rules.push(json!({
                        "ResourceType": "index",
                        "Resource": [format!("index/{collection}/{}", index_scope(&config.index))],
                        "Permission": [
                            "aoss:CreateIndex",
                            "aoss:UpdateIndex",
                            "aoss:DescribeIndex",
                            "aoss:WriteDocument"
                        ],
                    })),
                    None => self.notes.push(format!(
                        "sink `{sink}`: set `collection` to the collection's name to have its \
                         data access policy written; until the role is in one, every write is refused"
                    )),
                }
            }
            Some(Endpoint::Domain { name, region }) => self.statements.push(json!({
                "Sid": sid,
                "Effect": "Allow",
                "Action": ["es:ESHttpPost"],
                "Resource": {
                    "Fn::Sub": format!("arn:${{AWS::Partition}}:es:{region}:${{AWS::AccountId}}:domain/{name}/*")
                },
            })),
            None => self.notes.push(format!(
                "sink `{sink}`: `{}` is not an OpenSearch Serverless or managed domain endpoint, \
                 so the role gets no access to it; grant it by hand (docs/deploying.md)",
                config.endpoint
            )),
        }
    }

    /// The data access policy document for the function's role, if any
    /// sink names its collection; `role_arn` is the role's ARN, or
    /// [`ROLE_ARN_PLACEHOLDER`] until it is deployed.
    pub fn data_access_policy(&self, pipeline: &str, role_arn: &str) -> Option<Value> {
        if self.policy_rules.is_empty() {
            return None;
        }
        Some(json!([{
            "Description": format!("tributary pipeline {pipeline} writes its documents"),
            "Rules": self.policy_rules,
            "Principal": [role_arn],
        }]))
    }
}

/// A name for the function's data access policy: OpenSearch Serverless
/// takes 3 to 32 lowercase letters, digits and `-`.
pub fn access_policy_name(function_name: &str) -> String {
    let mut name: String = function_name
        .chars()
        .map(|c| match c {
            'a'..='z' | '0'..='9' | '-' => c,
            'A'..='Z' => c.to_ascii_lowercase(),
            _ => '-',
        })
        .take(32)
        .collect();
    while name.len() < 3 {
        name.push('-');
    }
    name
}

/// What an OpenSearch endpoint's host names.
#[derive(Debug, PartialEq, Eq)]
enum Endpoint {
    /// `https://ID.REGION.aoss.amazonaws.com`.
    Collection { id: String, region: String },
    /// `https://search-NAME-HASH.REGION.es.amazonaws.com` (or `vpc-`).
    Domain { name: String, region: String },
}

impl Endpoint {
    fn parse(url: &str) -> Option<Self> {
        let host = url.split_once("://").map_or(url, |(_, rest)| rest);
        let host = host.split(['/', ':']).next()?;
        let mut labels = host.split('.');
        let (first, region) = (labels.next()?, labels.next()?.to_owned());
        match (
            labels.next()?,
            labels.next()?,
            labels.next()?,
            labels.next(),
        ) {
            ("aoss", "amazonaws", "com", None) => Some(Endpoint::Collection {
                id: first.to_owned(),
                region,
            }),
            ("es", "amazonaws", "com", None) => {
                let (_, name_and_hash) = first.split_once('-')?;
                let (name, _) = name_and_hash.rsplit_once('-')?;
                Some(Endpoint::Domain {
                    name: name.to_owned(),
                    region,
                })
            }
            _ => None,
        }
    }
}

/// The indexes a sink's `index` template can name: its text up to the
/// first `{field}` or strftime `%`, then `*`.
fn index_scope(index: &str) -> String {
    match index.find(['{', '%']) {
        Some(end) => format!("{}*", &index[..end]),
        None => index.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_name_their_collection_or_domain() {
        assert_eq!(
            Endpoint::parse("https://abc123xyz.eu-west-1.aoss.amazonaws.com"),
            Some(Endpoint::Collection {
                id: "abc123xyz".into(),
                region: "eu-west-1".into()
            })
        );
        assert_eq!(
            Endpoint::parse("https://search-logs-prod-a1b2c3.us-east-1.es.amazonaws.com:443/"),
            Some(Endpoint::Domain {
                name: "logs-prod".into(),
                region: "us-east-1".into()
            })
        );
        assert_eq!(Endpoint::parse("http://127.0.0.1:9200"), None);
        assert_eq!(Endpoint::parse("https://search.example.com"), None);
    }

    #[test]
    fn index_templates_are_scoped_to_their_fixed_prefix() {
        assert_eq!(index_scope("clicks-%Y.%m.%d"), "clicks-*");
        assert_eq!(index_scope("orders"), "orders");
        assert_eq!(index_scope("{tenant}-events"), "*");
    }

    #[test]
    fn access_policy_names_are_what_opensearch_serverless_takes() {
        assert_eq!(access_policy_name("Orders_Metrics"), "orders-metrics");
        assert_eq!(access_policy_name("a"), "a--");
        assert_eq!(access_policy_name(&"x".repeat(64)).len(), 32);
    }

    #[test]
    fn destinations_get_only_their_send_action() {
        let sqs = destination_statement("arn:aws:sqs:eu-west-1:1:q").unwrap();
        assert_eq!(sqs["Action"], json!(["sqs:SendMessage"]));
        let s3 = destination_statement("arn:aws:s3:::bucket").unwrap();
        assert_eq!(
            s3["Resource"],
            json!(["arn:aws:s3:::bucket", "arn:aws:s3:::bucket/*"])
        );
    }
}
