//! Cutting a recording into Lambda-sized batches, per shard.

use std::sync::Arc;

use tributary_connectors::sources::{Batching, SourceRecord};

/// What a record adds to an invocation payload beyond its base64 data: the
/// JSON envelope of a Kinesis event record (ARNs, ids, keys, timestamps).
const RECORD_OVERHEAD_BYTES: usize = 700;

struct Pending {
    shard: Arc<str>,
    records: Vec<SourceRecord>,
    payload_bytes: usize,
}

/// Gathers each shard's records into batches of at most `batch_size`
/// records and at most Lambda's invocation payload size.
pub(super) struct Batcher {
    batch_size: usize,
    /// The batching window, in milliseconds, when the source has one.
    window_ms: Option<i64>,
    pending: Vec<Pending>,
}

impl Batcher {
    pub(super) fn new(batch_size: usize, batching_window_secs: u32) -> Self {
        Batcher {
            batch_size: batch_size.max(1),
            window_ms: (batching_window_secs > 0).then(|| i64::from(batching_window_secs) * 1000),
            pending: Vec::new(),
        }
    }

    /// Adds a record; returns a full batch when the record's shard had one.
    pub(super) fn push(&mut self, record: SourceRecord) -> Option<Vec<SourceRecord>> {
        // The event carries what the source gave (for DynamoDB, the stream
        // record), not the payload made of it.
        let size = record.original().len().div_ceil(3) * 4 + RECORD_OVERHEAD_BYTES;
        let index = match self
            .pending
            .iter()
            .position(|p| p.shard == record.origin.shard)
        {
            Some(index) => index,
            None => {
                self.pending.push(Pending {
                    shard: record.origin.shard.clone(),
                    records: Vec::with_capacity(self.batch_size),
                    payload_bytes: 0,
                });
                self.pending.len() - 1
            }
        };
        let pending = &mut self.pending[index];
        // Lambda gathers a batch for at most the batching window, counted
        // here on the records' own arrival times.
        let window_over = self.window_ms.is_some_and(|window| {
            pending
                .records
                .first()
                .is_some_and(|first| record.origin.arrival_ms - first.origin.arrival_ms > window)
        });
        let full = !pending.records.is_empty()
            && (window_over || pending.payload_bytes + size > Batching::MAX_PAYLOAD_BYTES);
        let ready = full.then(|| take(pending, self.batch_size));
        pending.payload_bytes += size;
        pending.records.push(record);
        if ready.is_none() && pending.records.len() >= self.batch_size {
            return Some(take(pending, self.batch_size));
        }
        ready
    }

    /// The last, partial batch of each shard, in the order shards first appeared.
    pub(super) fn finish(&mut self) -> Vec<Vec<SourceRecord>> {
        self.pending
            .iter_mut()
            .filter(|p| !p.records.is_empty())
            .map(|p| take(p, 0))
            .collect()
    }

    /// Takes the records waiting for one shard, if any.
    pub(super) fn take_shard(&mut self, shard: &str) -> Option<Vec<SourceRecord>> {
        self.pending
            .iter_mut()
            .find(|p| &*p.shard == shard && !p.records.is_empty())
            .map(|p| take(p, 0))
    }

    /// How many shards the records came from.
    pub(super) fn shards(&self) -> usize {
        self.pending.len()
    }
}

fn take(pending: &mut Pending, capacity: usize) -> Vec<SourceRecord> {
    pending.payload_bytes = 0;
    std::mem::replace(&mut pending.records, Vec::with_capacity(capacity))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use tributary_core::{Origin, SourceKind};

    fn record(shard: &str, sequence: usize, size: usize) -> SourceRecord {
        SourceRecord::new(
            Origin::new(SourceKind::Kinesis, "s", shard, sequence.to_string()),
            Bytes::from(vec![b'x'; size]),
        )
    }

    fn sequences(batch: &[SourceRecord]) -> Vec<String> {
        batch
            .iter()
            .map(|r| format!("{}/{}", r.origin.shard, r.origin.sequence))
            .collect()
    }

    #[test]
    fn batches_per_shard_in_order_by_count() {
        let mut batcher = Batcher::new(2, 0);
        let mut batches = Vec::new();
        for (i, shard) in ["a", "b", "a", "a", "b", "b", "a"].into_iter().enumerate() {
            batches.extend(batcher.push(record(shard, i, 10)));
        }
        batches.extend(batcher.finish());
        let batches: Vec<_> = batches.iter().map(|b| sequences(b)).collect();
        assert_eq!(
            batches,
            [
                vec!["a/0", "a/2"],
                vec!["b/1", "b/4"],
                vec!["a/3", "a/6"],
                vec!["b/5"]
            ]
        );
        assert_eq!(batcher.shards(), 2);
    }

    #[test]
    fn cuts_batches_at_the_invocation_payload_limit() {
        let mut batcher = Batcher::new(10_000, 0);
        let mut batches = Vec::new();
        // 1 MB records: base64 makes each about 1.33 MB, so four fit in 6 MB.
        for i in 0..10 {
            batches.extend(batcher.push(record("a", i, 1024 * 1024)));
        }
        batches.extend(batcher.finish());
        let sizes: Vec<usize> = batches.iter().map(Vec::len).collect();
        assert_eq!(sizes, [4, 4, 2]);
    }
}

#[cfg(test)]
mod window_tests {
    use super::*;
    use bytes::Bytes;
    use tributary_core::{Origin, SourceKind};

    #[test]
    fn a_batching_window_cuts_batches_by_arrival_time() {
        let mut batcher = Batcher::new(100, 1);
        let mut sizes = Vec::new();
        for (i, arrival) in [0, 300, 900, 1500, 1600, 3000].into_iter().enumerate() {
            let mut origin = Origin::new(SourceKind::Kinesis, "s", "a", i.to_string());
            origin.arrival_ms = arrival;
            sizes.extend(
                batcher
                    .push(SourceRecord::new(origin, Bytes::from_static(b"{}")))
                    .map(|b| b.len()),
            );
        }
        sizes.extend(batcher.finish().iter().map(Vec::len));
        assert_eq!(sizes, [3, 2, 1]);
    }
}
