//! `s3://BUCKET/PREFIX`: every object under the prefix, listed page by page
//! (ListObjectsV2) and downloaded a few at a time, in key order. `backfill`
//! lists and downloads an export's objects with the same functions.

use aws_sdk_s3::Client;
use futures_util::StreamExt as _;
use tributary_connectors::sources::Endpoint;

/// How many objects are downloaded at once.
const DOWNLOADS_AT_ONCE: usize = 8;

/// An S3 client for `endpoint`; path-style addressing when the endpoint is
/// not AWS's (emulators answer at one host, not at BUCKET.host).
pub(in crate::commands) async fn client(endpoint: &Endpoint) -> Client {
    let sdk = endpoint.sdk_config().await;
    let config = aws_sdk_s3::config::Builder::from(&sdk).force_path_style(endpoint.url.is_some());
    Client::from_conf(config.build())
}

/// The keys of the objects under `prefix`, in key order.
pub(in crate::commands) async fn list(
    client: &Client,
    bucket: &str,
    prefix: &str,
) -> Result<Vec<String>, String> {
    let mut keys = Vec::new();
    let mut pages = client
        .list_objects_v2()
        .bucket(bucket)
        .prefix(prefix)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|error| {
            format!(
                "s3://{bucket}/{prefix}: cannot list the objects: {}; check the bucket's name, \
                 --region and --endpoint-url, and the credentials' s3:ListBucket permission",
                tributary_connectors::aws_error::describe(&error)
            )
        })?;
        // A key ending in `/` is a folder's marker (the console makes
        // them), not an object to read.
        let objects = page.contents().iter().filter_map(|object| object.key());
        keys.extend(objects.filter(|key| !key.ends_with('/')).map(str::to_owned));
    }
    keys.sort();
    Ok(keys)
}

/// Gives each key's bytes (or why they could not be downloaded) to `take`,
/// in the order of `keys`.
pub(super) async fn download_each<F>(client: &Client, bucket: &str, keys: Vec<String>, mut take: F)
where
    F: AsyncFnMut(String, Result<Vec<u8>, String>),
{
    let downloads = futures_util::stream::iter(keys)
        .map(|key| async move {
            let bytes = download(client, bucket, &key).await;
            (key, bytes)
        })
        .buffered(DOWNLOADS_AT_ONCE);
    let mut downloads = std::pin::pin!(downloads);
    while let Some((key, bytes)) = downloads.next().await {
        take(key, bytes).await;
    }
}

/// The bytes of the object at `key`.
pub(in crate::commands) async fn download(
    client: &Client,
    bucket: &str,
    key: &str,
) -> Result<Vec<u8>, String> {
    let cannot = |error: String| {
        format!(
            "s3://{bucket}/{key}: cannot download it: {error}; check the credentials' \
             s3:GetObject permission (and kms:Decrypt for a KMS key), then run the command again"
        )
    };
    let object = client
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|error| cannot(tributary_connectors::aws_error::describe(&error)))?;
    let body = object
        .body
        .collect()
        .await
        .map_err(|error| cannot(error.to_string()))?;
    Ok(body.into_bytes().to_vec())
}
