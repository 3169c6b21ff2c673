//! The table being backfilled, as DescribeTable gives it: its ARN, its
//! stream's, its key schema and its approximate item count.

use aws_sdk_dynamodb::Client;
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
                tributary_connectors::aws_error::describe(&error)
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

/// The table's name in a `table` setting or argument: a name as it is, or
/// the name inside a table's or its stream's ARN
/// (`arn:aws:dynamodb:REGION:ACCOUNT:table/NAME[/stream/LABEL]`).
pub(super) fn name_in(table: &str) -> &str {
    match table.split_once(":table/") {
        Some((_, rest)) if table.starts_with("arn:") => rest.split('/').next().unwrap_or(rest),
        _ => table,
    }
}

/// Refuses a `--table` other than the one the pipeline's `[source]` names:
/// the items would be indexed as another table's.
pub(super) fn check_same_table(pipeline_table: Option<&str>, argument: &str) -> Result<(), String> {
    match pipeline_table {
        Some(configured) if name_in(configured) != name_in(argument) => Err(format!(
            "the pipeline's [source] follows table `{}`, and --table names `{}`; backfill the table the pipeline \
             follows (--table {}), or point the pipeline at `{}`",
            name_in(configured),
            name_in(argument),
            name_in(configured),
            name_in(argument)
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_is_named_by_its_name_or_an_arn_of_it_or_its_stream() {
        assert_eq!(name_in("orders"), "orders");
        assert_eq!(
            name_in("arn:aws:dynamodb:eu-west-1:1:table/orders"),
            "orders"
        );
        assert_eq!(
            name_in("arn:aws:dynamodb:eu-west-1:1:table/orders/stream/2026-11-28T10:00:00.000"),
            "orders"
        );
    }

    #[test]
    fn another_table_than_the_pipelines_is_refused_with_both_names() {
        assert!(check_same_table(None, "orders").is_ok());
        assert!(check_same_table(Some("orders"), "orders").is_ok());
        assert!(
            check_same_table(
                Some("arn:aws:dynamodb:eu-west-1:1:table/orders/stream/2026-11-28T10:00:00.000"),
                "orders"
            )
            .is_ok()
        );
        let error = check_same_table(Some("orders"), "invoices").unwrap_err();
        assert!(
            error.contains("follows table `orders`, and --table names `invoices`"),
            "{error}"
        );
    }
}
