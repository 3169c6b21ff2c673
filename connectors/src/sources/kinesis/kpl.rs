//! KPL aggregation: splitting a Kinesis record that the Kinesis Producer
//! Library packed into its user records.
//!
//! An aggregated record is the magic bytes `F3 89 9A C2`, a protobuf
//! `AggregatedRecord`, and the MD5 digest of the protobuf bytes. A record
//! that starts with the magic bytes but whose digest or protobuf is wrong is
//! not an aggregate: it passes through whole, as the KCL does.
//!
//! The message is proto2, whose strings are not checked to be UTF-8, and
//! AWS's readers (the KCL, `aws-kinesis-agg`) do not check them: a partition
//! key that is not UTF-8 is read lossily (each invalid sequence a U+FFFD),
//! and the string fields tributary does not use are read as bytes, so that
//! they fail no aggregate that AWS's readers split.

use bytes::Bytes;
use md5::{Digest as _, Md5};
use prost::Message as _;

const MAGIC: [u8; 4] = [0xF3, 0x89, 0x9A, 0xC2];
const DIGEST_LEN: usize = 16;

/// `AggregatedRecord`, from the KPL's `messages.proto`.
#[derive(Clone, PartialEq, prost::Message)]
struct AggregatedRecord {
    #[prost(bytes = "vec", repeated, tag = "1")]
    partition_key_table: Vec<Vec<u8>>,
    #[prost(bytes = "vec", repeated, tag = "2")]
    explicit_hash_key_table: Vec<Vec<u8>>,
    #[prost(message, repeated, tag = "3")]
    records: Vec<AggregatedUserRecord>,
}

/// `Record`, from the KPL's `messages.proto`.
#[derive(Clone, PartialEq, prost::Message)]
struct AggregatedUserRecord {
    #[prost(uint64, required, tag = "1")]
    partition_key_index: u64,
    #[prost(uint64, optional, tag = "2")]
    explicit_hash_key_index: Option<u64>,
    #[prost(bytes = "bytes", required, tag = "3")]
    data: Bytes,
    #[prost(message, repeated, tag = "4")]
    tags: Vec<Tag>,
}

/// `Tag`, from the KPL's `messages.proto`.
#[derive(Clone, PartialEq, prost::Message)]
struct Tag {
    #[prost(bytes = "vec", required, tag = "1")]
    key: Vec<u8>,
    #[prost(bytes = "vec", optional, tag = "2")]
    value: Option<Vec<u8>>,
}

/// One user record of an aggregate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct UserRecord {
    pub(super) partition_key: String,
    pub(super) data: Bytes,
}

/// The user records of a KPL aggregate, or `None` when `data` is not a
/// well-formed aggregate (and so is one record as it is).
pub(super) fn deaggregate(data: &Bytes) -> Option<Vec<UserRecord>> {
    if data.len() < MAGIC.len() + DIGEST_LEN || data[..MAGIC.len()] != MAGIC {
        return None;
    }
    let message = data.slice(MAGIC.len()..data.len() - DIGEST_LEN);
    let digest = &data[data.len() - DIGEST_LEN..];
    if Md5::digest(&message).as_slice() != digest {
        tracing::debug!(
            "record has the KPL magic bytes but a wrong digest; passing it through whole"
        );
        return None;
    }
    // Decoded from `Bytes`, user data are slices of the record's buffer.
    let aggregate = AggregatedRecord::decode(message)
        .ok()
        .filter(|a| !a.records.is_empty())?;
    let keys = aggregate.partition_key_table;
    aggregate
        .records
        .into_iter()
        .map(|record| {
            let key = keys.get(usize::try_from(record.partition_key_index).ok()?)?;
            Some(UserRecord {
                partition_key: String::from_utf8_lossy(key).into_owned(),
                data: record.data,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aggregate(keys: &[&str], records: &[(u64, &[u8])]) -> Bytes {
        let keys: Vec<&[u8]> = keys.iter().map(|k| k.as_bytes()).collect();
        aggregate_of_byte_keys(&keys, records)
    }

    fn aggregate_of_byte_keys(keys: &[&[u8]], records: &[(u64, &[u8])]) -> Bytes {
        let message = AggregatedRecord {
            partition_key_table: keys.iter().map(|k| k.to_vec()).collect(),
            explicit_hash_key_table: Vec::new(),
            records: records
                .iter()
                .map(|(key, data)| AggregatedUserRecord {
                    partition_key_index: *key,
                    explicit_hash_key_index: None,
                    data: Bytes::copy_from_slice(data),
                    tags: Vec::new(),
                })
                .collect(),
        }
        .encode_to_vec();
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&message);
        out.extend_from_slice(&Md5::digest(&message));
        Bytes::from(out)
    }

    #[test]
    fn splits_an_aggregate() {
        let users =
            deaggregate(&aggregate(&["a", "b"], &[(0, b"1"), (1, b"2"), (0, b"3")])).unwrap();
        let keys: Vec<_> = users.iter().map(|u| u.partition_key.as_str()).collect();
        assert_eq!(keys, ["a", "b", "a"]);
        assert_eq!(users[2].data, Bytes::from_static(b"3"));
    }

    // Found by fuzz/fuzz_targets/kpl.rs against aws-kinesis-agg: such an
    // aggregate passed through whole.
    #[test]
    fn a_partition_key_that_is_not_utf8_is_read_lossily_as_aws_readers_do() {
        let users = deaggregate(&aggregate_of_byte_keys(&[b"\xff\xfe"], &[(0, b"x")])).unwrap();
        assert_eq!(users[0].partition_key, "\u{fffd}\u{fffd}");
        assert_eq!(users[0].data, Bytes::from_static(b"x"));
    }

    #[test]
    fn broken_aggregates_pass_through_whole() {
        assert_eq!(deaggregate(&Bytes::from_static(b"{\"plain\":true}")), None);
        let good = aggregate(&["a"], &[(0, b"1")]);
        let mut bad_digest = good.to_vec();
        *bad_digest.last_mut().unwrap() ^= 1;
        assert_eq!(deaggregate(&Bytes::from(bad_digest)), None);
        // A partition key index past the table.
        assert_eq!(deaggregate(&aggregate(&["a"], &[(3, b"1")])), None);
        // Protobuf garbage with a correct digest.
        let garbage = [0xff_u8, 0xff, 0xff];
        let mut forged = MAGIC.to_vec();
        forged.extend_from_slice(&garbage);
        forged.extend_from_slice(&Md5::digest(garbage));
        assert_eq!(deaggregate(&Bytes::from(forged)), None);
        assert_eq!(deaggregate(&Bytes::from_static(&MAGIC)), None);
    }
}
