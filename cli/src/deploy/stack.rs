//! `tributary deploy`'s side of AWS: the zip to S3, the stack to
//! CloudFormation (created, or updated when it exists), then waiting for it
//! and reading its outputs, or the events that say why it failed.

use std::time::{Duration, Instant};

use aws_sdk_cloudformation::config::http::HttpResponse;
use aws_sdk_cloudformation::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_cloudformation::types::{Capability, Parameter, Stack, StackStatus, Tag};
use aws_sdk_s3::primitives::ByteStream;
use tributary_connectors::sources::Endpoint;
use tributary_connectors::sources::dynamodb_streams::table_stream;

use super::{CODE_BUCKET, CODE_KEY, DeployError, Package, SOURCE_STREAM_ARN};

/// Where and how to deploy.
#[derive(Debug, Clone)]
pub struct DeployOptions {
    /// The stack's name.
    pub stack_name: String,
    /// The S3 bucket for the zip; created if missing.
    pub bucket: String,
    /// Where AWS is.
    pub endpoint: Endpoint,
    /// How long to wait for the stack.
    pub wait: Duration,
    /// How often to look at it meanwhile.
    pub poll: Duration,
}

/// What the deployment did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StackAction {
    /// The stack did not exist.
    Created,
    /// The stack existed and changed.
    Updated,
    /// The stack existed and nothing changed.
    Unchanged,
}

/// A stack after a successful deployment.
#[derive(Debug, Clone)]
pub struct Deployed {
    /// What was done.
    pub action: StackAction,
    /// The stack's final status, such as `CREATE_COMPLETE`.
    pub status: String,
    /// The stack's outputs, by key.
    pub outputs: Vec<(String, String)>,
    /// Where the zip is, as `s3://BUCKET/KEY`.
    pub code: String,
}

/// The S3 key of a package's zip: its digest, so an unchanged zip is not
/// uploaded again and an unchanged function is not updated.
pub fn code_key(package: &Package) -> String {
    format!(
        "tributary/{}/{}.zip",
        package.template.function_name, package.zip_digest
    )
}

/// Uploads the package's zip and creates or updates its stack, then waits;
/// `progress` hears each step and each new status of the stack.
pub async fn deploy(
    package: &Package,
    options: &DeployOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<Deployed, DeployError> {
    let sdk = options.endpoint.sdk_config().await;
    let mut s3_config = aws_sdk_s3::config::Builder::from(&sdk);
    if options.endpoint.url.is_some() {
        // Emulators answer at one host, not at BUCKET.host.
        s3_config = s3_config.force_path_style(true);
    }
    let mut parameters = Vec::new();
    // Looked up first: a stream the pipeline cannot use stops the deployment
    // before anything is uploaded.
    if let Some(table) = &package.template.table_parameter {
        let streams = aws_sdk_dynamodbstreams::Client::new(&sdk);
        let stream = table_stream(&streams, table)
            .await
            .map_err(DeployError::failed)?;
        if package.template.table_needs_new_images && !stream.has_new_images() {
            return Err(DeployError::failed(format!(
                "the stream of table `{table}` is {}: its INSERT and MODIFY records carry no \
                 new image, and the pipeline's `payload = \"item\"` delivers the item after \
                 each change; give the table's stream NEW_IMAGE or NEW_AND_OLD_IMAGES \
                 (DynamoDB UpdateTable, StreamSpecification), or set `payload = \"change\"` \
                 in `[source]`",
                stream.view_type.as_deref().unwrap_or_default()
            )));
        }
        parameters.push(parameter(SOURCE_STREAM_ARN, &stream.arn));
    }

    let s3 = aws_sdk_s3::Client::from_conf(s3_config.build());
    let key = code_key(package);
    progress(&format!("uploading s3://{}/{key}", options.bucket));
    upload(
        &s3,
        &options.bucket,
        &key,
        package,
        sdk.region().map(|r| r.as_ref()),
    )
    .await?;
    parameters.push(parameter(CODE_BUCKET, &options.bucket));
    parameters.push(parameter(CODE_KEY, &key));

    let cloudformation = aws_sdk_cloudformation::Client::new(&sdk);
    let body = serde_json::to_string(&package.template.body).expect("a JSON value serializes");
    let tag = Tag::builder()
        .key("tributary:pipeline")
        .value(&package.pipeline)
        .build();
    // Create and update take the same settings, on builders of two types.
    macro_rules! stack_request {
        ($request:expr) => {
            $request
                .stack_name(&options.stack_name)
                .template_body(&body)
                .set_parameters(Some(parameters))
                .capabilities(Capability::CapabilityIam)
                .tags(tag)
                .send()
                .await
        };
    }
    let existing = describe(&cloudformation, &options.stack_name).await?;
    let action = match existing.as_ref().and_then(Stack::stack_status) {
        None => {
            stack_request!(cloudformation.create_stack())
                .map_err(|e| aws_failure("creating the stack", e))?;
            StackAction::Created
        }
        Some(StackStatus::RollbackComplete) => {
            return Err(DeployError::failed(format!(
                "stack `{}` failed to create and was rolled back; delete it \
                 (`aws cloudformation delete-stack --stack-name {}`) and deploy again",
                options.stack_name, options.stack_name
            )));
        }
        Some(_) => match stack_request!(cloudformation.update_stack()) {
            Ok(_) => StackAction::Updated,
            Err(error)
                if error
                    .message()
                    .is_some_and(|m| m.contains("No updates are to be performed")) =>
            {
                StackAction::Unchanged
            }
            Err(error) => return Err(aws_failure("updating the stack", error)),
        },
    };

    progress(&format!(
        "stack `{}`: {}",
        options.stack_name,
        match action {
            StackAction::Created => "creating",
            StackAction::Updated => "updating",
            StackAction::Unchanged => "nothing to change",
        }
    ));
    let stack = wait(&cloudformation, options, progress).await?;
    let status = stack
        .stack_status()
        .map(|s| s.as_str().to_owned())
        .unwrap_or_default();
    // An update with nothing to change leaves the stack as it was, even
    // rolled back from an earlier update: that is not this deployment's failure.
    let succeeded = action == StackAction::Unchanged
        || matches!(
            stack.stack_status(),
            Some(StackStatus::CreateComplete | StackStatus::UpdateComplete)
        );
    if !succeeded {
        let reasons = failure_events(&cloudformation, &options.stack_name).await;
        return Err(DeployError::failed(format!(
            "stack `{}` ended {status}{}",
            options.stack_name,
            reasons
                .iter()
                .map(|line| format!("\n  {line}"))
                .collect::<String>()
        )));
    }
    let outputs = stack
        .outputs()
        .iter()
        .filter_map(|o| Some((o.output_key()?.to_owned(), o.output_value()?.to_owned())))
        .collect();
    Ok(Deployed {
        action,
        status,
        outputs,
        code: format!("s3://{}/{key}", options.bucket),
    })
}

async fn upload(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    package: &Package,
    region: Option<&str>,
) -> Result<(), DeployError> {
    let missing = match s3.head_bucket().bucket(bucket).send().await {
        Ok(_) => false,
        Err(error) if error.as_service_error().is_some_and(|e| e.is_not_found()) => true,
        Err(error) => {
            return Err(aws_failure(
                &format!("looking for bucket `{bucket}`"),
                error,
            ));
        }
    };
    if missing {
        let mut create = s3.create_bucket().bucket(bucket);
        if let Some(region) = region.filter(|r| *r != "us-east-1") {
            create = create.create_bucket_configuration(
                aws_sdk_s3::types::CreateBucketConfiguration::builder()
                    .location_constraint(region.into())
                    .build(),
            );
        }
        create
            .send()
            .await
            .map_err(|e| aws_failure(&format!("creating bucket `{bucket}`"), e))?;
    }
    // The key is the zip's digest: an object already there holds the same bytes.
    if s3
        .head_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .is_ok()
    {
        return Ok(());
    }
    let body = ByteStream::from_path(&package.zip).await.map_err(|e| {
        DeployError::failed(format!("cannot read `{}`: {e}", package.zip.display()))
    })?;
    s3.put_object()
        .bucket(bucket)
        .key(key)
        .body(body)
        .send()
        .await
        .map_err(|e| aws_failure(&format!("uploading s3://{bucket}/{key}"), e))?;
    Ok(())
}

fn parameter(key: &str, value: &str) -> Parameter {
    Parameter::builder()
        .parameter_key(key)
        .parameter_value(value)
        .build()
}

/// The stack, or `None` when there is none of that name.
async fn describe(
    cloudformation: &aws_sdk_cloudformation::Client,
    name: &str,
) -> Result<Option<Stack>, DeployError> {
    match cloudformation
        .describe_stacks()
        .stack_name(name)
        .send()
        .await
    {
        Ok(output) => Ok(output.stacks().first().cloned()),
        Err(error)
            if error
                .message()
                .is_some_and(|m| m.contains("does not exist")) =>
        {
            Ok(None)
        }
        Err(error) => Err(aws_failure("describing the stack", error)),
    }
}

/// Waits until the stack is no longer in progress.
async fn wait(
    cloudformation: &aws_sdk_cloudformation::Client,
    options: &DeployOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<Stack, DeployError> {
    let started = Instant::now();
    let mut last_status = None;
    loop {
        let stack = describe(cloudformation, &options.stack_name)
            .await?
            .ok_or_else(|| {
                DeployError::failed(format!("stack `{}` disappeared", options.stack_name))
            })?;
        let status = stack.stack_status().cloned();
        if status != last_status {
            if let Some(status) = &status {
                progress(&format!(
                    "stack `{}`: {}",
                    options.stack_name,
                    status.as_str()
                ));
            }
            last_status = status;
        }
        let in_progress = stack
            .stack_status()
            .is_some_and(|status| status.as_str().ends_with("_IN_PROGRESS"));
        if !in_progress {
            return Ok(stack);
        }
        if started.elapsed() >= options.wait {
            return Err(DeployError::failed(format!(
                "stack `{}` is still {} after {} s; it goes on in CloudFormation",
                options.stack_name,
                stack.stack_status().map_or("in progress", |s| s.as_str()),
                options.wait.as_secs()
            )));
        }
        tokio::time::sleep(options.poll).await;
    }
}

/// The failed events of the stack's latest operation, oldest first: the
/// resource and the reason.
async fn failure_events(
    cloudformation: &aws_sdk_cloudformation::Client,
    name: &str,
) -> Vec<String> {
    let Ok(output) = cloudformation
        .describe_stack_events()
        .stack_name(name)
        .send()
        .await
    else {
        return vec!["(its events could not be read)".to_owned()];
    };
    // Events come newest first; the operation began with the stack's own
    // "User Initiated" event.
    let this_operation = output.stack_events().iter().take_while(|event| {
        !(event.logical_resource_id() == Some(name)
            && event.resource_status_reason() == Some("User Initiated"))
    });
    let mut lines: Vec<String> = this_operation
        .filter(|event| {
            event
                .resource_status()
                .is_some_and(|status| status.as_str().ends_with("FAILED"))
        })
        .map(|event| {
            format!(
                "{} ({}) {}: {}",
                event.logical_resource_id().unwrap_or("?"),
                event.resource_type().unwrap_or("?"),
                event.resource_status().map_or("?", |s| s.as_str()),
                event.resource_status_reason().unwrap_or("no reason given")
            )
        })
        .collect();
    lines.reverse();
    lines
}

/// An AWS error as one line: the service's code and message, or, when an
/// endpoint answered something that is not an AWS error document, its status
/// and the start of its body.
fn aws_failure<E>(doing: &str, error: SdkError<E, HttpResponse>) -> DeployError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let described = match &error {
        SdkError::ServiceError(service) => match (service.err().code(), service.err().message()) {
            (Some(code), Some(message)) => format!("{code}: {message}"),
            _ => {
                let raw = service.raw();
                let body = raw
                    .body()
                    .bytes()
                    .map(String::from_utf8_lossy)
                    .unwrap_or_default();
                let body: String = body.chars().take(300).collect();
                format!("HTTP {}: {body}", raw.status().as_u16())
            }
        },
        _ => tributary_connectors::aws_error::describe(&error),
    };
    DeployError::failed(format!("{doing}: {described}"))
}
