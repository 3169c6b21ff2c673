//! The table being backfilled, as DescribeTable gives it: its ARN, its
//! stream's, its key schema and its approximate item count.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::operation::describe_table::DescribeTableError;
use aws_sdk_dynamodb::types::KeyType;

use super::{Failure, failed, invalid};

/// What a backfill needs to know of its table.
#[derive(Debug, Clone)]
pub(super) struct TableDescription {
    pub(super) name: String,
    pub(super) arn: String,
    /// The stream's ARN, when the table has one.
    pub(super) stream_arn: Option<String>,
    /// The key attributes: partition key, then sort key.
    pub(super) key_names: Vec<String>,
    /// DynamoDB's item count, updated about every six hours.
    pub(super) approximate_items: Option<u64>,
}

impl TableDescription {
    /// The stream the backfilled records name: the table's stream, or the
    /// table itself when it has none.
    pub(super) fn stream(&self) -> &str {
        self.stream_arn.as_deref().unwrap_or(&self.arn)
    }
}

/// Describes `table`; a missing table is an error that says what to check
/// (exit status 1), any other a failure to reach DynamoDB (2).
pub(super) async fn describe(client: &Client, table: &str) -> Result<TableDescription, Failure> {
    let answer = client
        .describe_table()
        .table_name(table)
        .send()
        .await
        .map_err(|error| match error.as_service_error() {
            Some(DescribeTableError::ResourceNotFoundException(_)) => invalid(format!(
                "there is no table `{table}`: check --table, and --region or --endpoint-url"
            )),
            _ => failed(format!(
                "describing table `{table}`: {}",
                DisplayErrorContext(error)
            )),
        })?;
    let Some(description) = answer.table() else {
        return Err(failed(format!("DynamoDB described no table `{table}`")));
    };
    let mut keys: Vec<(bool, String)> = description
        .key_schema()
        .iter()
        .map(|key| {
            (
                key.key_type() == &KeyType::Range,
                key.attribute_name().to_owned(),
            )
        })
        .collect();
    keys.sort();
    if keys.is_empty() {
        return Err(failed(format!("table `{table}` has no key schema")));
    }
    Ok(TableDescription {
        name: table.to_owned(),
        arn: description.table_arn().unwrap_or(table).to_owned(),
        stream_arn: description.latest_stream_arn().map(str::to_owned),
        key_names: keys.into_iter().map(|(_, name)| name).collect(),
        approximate_items: description.item_count().and_then(|n| u64::try_from(n).ok()),
    })
}
