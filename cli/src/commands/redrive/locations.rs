//! Where the failures are, as the command line names them: `s3://BUCKET/PREFIX`,
//! `sqs://QUEUE` (a name or a URL), an SQS queue's `https://` URL, or a
//! local file or folder.

use std::path::PathBuf;

/// One place to read failures from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Location {
    /// Every object under a prefix of a bucket.
    S3 { bucket: String, prefix: String },
    /// Every message of a queue, by URL or name.
    Sqs(String),
    /// A file, or every file of a folder.
    Local(PathBuf),
}

impl Location {
    /// Reads one SOURCE argument; an error says what forms it takes.
    pub(super) fn parse(text: &str) -> Result<Location, String> {
        if let Some(rest) = text.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return Err(format!(
                    "`{text}` names no bucket: write s3://BUCKET/PREFIX"
                ));
            }
            return Ok(Location::S3 {
                bucket: bucket.to_owned(),
                prefix: prefix.to_owned(),
            });
        }
        if let Some(queue) = text.strip_prefix("sqs://") {
            if queue.is_empty() {
                return Err(format!(
                    "`{text}` names no queue: write sqs://NAME or sqs://URL"
                ));
            }
            return Ok(Location::Sqs(queue.to_owned()));
        }
        if text.starts_with("https://") || text.starts_with("http://") {
            return Ok(Location::Sqs(text.to_owned()));
        }
        if let Some((scheme, _)) = text.split_once("://") {
            return Err(format!(
                "`{text}`: redrive reads s3://BUCKET/PREFIX, sqs://QUEUE, an SQS queue's \
                 https:// URL, or a local file or folder, not {scheme}://"
            ));
        }
        Ok(Location::Local(PathBuf::from(text)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_each_form() {
        let s3 = |bucket: &str, prefix: &str| Location::S3 {
            bucket: bucket.to_owned(),
            prefix: prefix.to_owned(),
        };
        assert_eq!(
            Location::parse("s3://dlq/dead/2026/").unwrap(),
            s3("dlq", "dead/2026/")
        );
        assert_eq!(Location::parse("s3://dlq").unwrap(), s3("dlq", ""));
        assert_eq!(
            Location::parse("sqs://failures").unwrap(),
            Location::Sqs("failures".to_owned())
        );
        let url = "https://sqs.eu-west-1.amazonaws.com/123456789012/failures";
        assert_eq!(Location::parse(url).unwrap(), Location::Sqs(url.to_owned()));
        assert_eq!(
            Location::parse(&format!("sqs://{url}")).unwrap(),
            Location::Sqs(url.to_owned())
        );
        assert_eq!(
            Location::parse("captured/").unwrap(),
            Location::Local(PathBuf::from("captured/"))
        );
    }

    #[test]
    fn what_it_cannot_read_is_an_error_saying_what_it_reads() {
        assert!(
            Location::parse("s3:///prefix")
                .unwrap_err()
                .contains("names no bucket")
        );
        assert!(
            Location::parse("sqs://")
                .unwrap_err()
                .contains("names no queue")
        );
        let error = Location::parse("gs://bucket/x").unwrap_err();
        assert!(error.ends_with("not gs://"), "{error}");
    }
}
