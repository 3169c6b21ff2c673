//! `sqs://QUEUE`: the messages of an SQS queue that is a mapping's on-failure
//! destination (or that an SNS topic delivers them to). Every message is
//! received (ReceiveMessage until the queue gives nothing new), hidden from
//! other consumers meanwhile; once the output is written, `--delete-messages`
//! deletes the ones redriven whole, and every other message is made visible
//! again at once.

use std::collections::HashSet;

use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::DeleteMessageBatchRequestEntry;
use tributary_connectors::sources::Endpoint;

/// How long a received message stays hidden from other consumers, in
/// seconds: long enough to read every stream range and write the output
/// before `--delete-messages` deletes it.
const HIDDEN_SECS: i32 = 900;
/// How long a receive waits for messages, in seconds: long polling asks
/// every SQS server, so an empty answer means the queue has none left.
const WAIT_SECS: i32 = 1;
/// The most messages SQS gives or deletes in one call.
const BATCH: usize = 10;

/// A queue, by its URL.
pub(super) struct Queue {
    client: Client,
    /// The queue's URL.
    pub(super) url: String,
}

/// The messages received from one queue, each with its input's index in
/// the collector.
pub(super) struct Received {
    pub(super) queue: Queue,
    pub(super) messages: Vec<(Message, usize)>,
}

impl Received {
    /// Once the output is written: with `delete`, deletes the messages
    /// whose input `redriven_whole` says was (no problem, no record skipped
    /// by a filter), and says how many; every other message is made visible
    /// again. Gives a problem for each message that could not be deleted.
    pub(super) async fn settle(
        &self,
        delete: bool,
        redriven_whole: impl Fn(usize) -> bool,
    ) -> Vec<String> {
        let (whole, rest): (Vec<_>, Vec<_>) = self
            .messages
            .iter()
            .partition(|(_, input)| delete && redriven_whole(*input));
        let mut problems = Vec::new();
        if delete {
            let whole: Vec<&Message> = whole.iter().map(|(message, _)| message).collect();
            let deleted;
            (deleted, problems) = self.queue.delete(&whole).await;
            eprintln!(
                "redrive: deleted {deleted} message(s) from {}; {} left in it (not redriven whole)",
                self.queue.url,
                self.messages.len() - deleted,
            );
        }
        self.release(rest.iter().map(|(message, _)| message)).await;
        problems
    }

    /// Makes every message visible again: nothing was written.
    pub(super) async fn release_all(&self) {
        self.release(self.messages.iter().map(|(message, _)| message))
            .await;
    }

    async fn release(&self, messages: impl Iterator<Item = &Message>) {
        let messages: Vec<&Message> = messages.collect();
        for warning in self.queue.release(&messages).await {
            eprintln!("warning: {warning}");
        }
    }
}

/// One message received.
#[derive(Debug, Clone)]
pub(super) struct Message {
    /// Its id, which names it in messages.
    pub(super) id: String,
    receipt_handle: String,
    /// Its body: an on-failure record, or an SNS notification of one.
    pub(super) body: String,
}

impl Queue {
    /// The queue named by a URL (`https://sqs.REGION.amazonaws.com/ACCOUNT/NAME`)
    /// or a name, looked up with GetQueueUrl.
    pub(super) async fn open(endpoint: &Endpoint, url_or_name: &str) -> Result<Queue, String> {
        let client = Client::new(&endpoint.sdk_config().await);
        if url_or_name.starts_with("https://") || url_or_name.starts_with("http://") {
            return Ok(Queue {
                client,
                url: url_or_name.to_owned(),
            });
        }
        let answer = client
            .get_queue_url()
            .queue_name(url_or_name)
            .send()
            .await
            .map_err(|error| {
                format!(
                    "sqs://{url_or_name}: cannot find the queue: {}; check its name, --region \
                     and --endpoint-url (or give its URL)",
                    tributary_connectors::aws_error::describe(&error)
                )
            })?;
        let url = answer.queue_url().unwrap_or_default().to_owned();
        Ok(Queue { client, url })
    }

    /// Every message of the queue. Gives those received so far with the
    /// error when a receive fails.
    pub(super) async fn receive_all(&self) -> (Vec<Message>, Option<String>) {
        let mut messages: Vec<Message> = Vec::new();
        let mut seen = HashSet::new();
        loop {
            let answer = self
                .client
                .receive_message()
                .queue_url(&self.url)
                .max_number_of_messages(BATCH as i32)
                .wait_time_seconds(WAIT_SECS)
                .visibility_timeout(HIDDEN_SECS)
                .send()
                .await;
            let answer = match answer {
                Ok(answer) => answer,
                Err(error) => {
                    let error = format!(
                        "{}: cannot receive messages: {}; check the queue, --region and \
                         --endpoint-url, and the credentials' sqs:ReceiveMessage permission",
                        self.url,
                        tributary_connectors::aws_error::describe(&error)
                    );
                    return (messages, Some(error));
                }
            };
            let before = messages.len();
            for message in answer.messages() {
                let id = message.message_id().unwrap_or_default().to_owned();
                if seen.insert(id.clone()) {
                    messages.push(Message {
                        id,
                        receipt_handle: message.receipt_handle().unwrap_or_default().to_owned(),
                        body: message.body().unwrap_or_default().to_owned(),
                    });
                }
            }
            if messages.len() == before {
                return (messages, None);
            }
        }
    }

    /// Deletes these messages; gives how many were, and a problem for each
    /// that could not be.
    pub(super) async fn delete(&self, messages: &[&Message]) -> (usize, Vec<String>) {
        let mut deleted = 0;
        let mut problems = Vec::new();
        for chunk in messages.chunks(BATCH) {
            let entries: Vec<DeleteMessageBatchRequestEntry> = chunk
                .iter()
                .enumerate()
                .filter_map(|(index, message)| {
                    DeleteMessageBatchRequestEntry::builder()
                        .id(index.to_string())
                        .receipt_handle(&message.receipt_handle)
                        .build()
                        .ok()
                })
                .collect();
            let answer = self
                .client
                .delete_message_batch()
                .queue_url(&self.url)
                .set_entries(Some(entries))
                .send()
                .await;
            match answer {
                Ok(answer) => {
                    deleted += answer.successful().len();
                    problems.extend(answer.failed().iter().map(|failed| {
                        let id = failed
                            .id()
                            .parse::<usize>()
                            .ok()
                            .and_then(|index| chunk.get(index))
                            .map_or("?", |message| message.id.as_str());
                        format!(
                            "sqs message {id}: not deleted: {} {}; it stays in the queue",
                            failed.code(),
                            failed.message().unwrap_or_default()
                        )
                    }));
                }
                Err(error) => problems.push(format!(
                    "{}: cannot delete {} message(s): {}; they stay in the queue",
                    self.url,
                    chunk.len(),
                    tributary_connectors::aws_error::describe(&error)
                )),
            }
        }
        (deleted, problems)
    }

    /// Makes these messages visible to other consumers again at once
    /// (rather than after [`HIDDEN_SECS`]); gives a warning for each that
    /// could not be.
    pub(super) async fn release(&self, messages: &[&Message]) -> Vec<String> {
        let mut warnings = Vec::new();
        for message in messages {
            let released = self
                .client
                .change_message_visibility()
                .queue_url(&self.url)
                .receipt_handle(&message.receipt_handle)
                .visibility_timeout(0)
                .send()
                .await;
            if let Err(error) = released {
                warnings.push(format!(
                    "sqs message {}: stays hidden for up to {HIDDEN_SECS} s: {}",
                    message.id,
                    tributary_connectors::aws_error::describe(&error)
                ));
            }
        }
        warnings
    }
}
