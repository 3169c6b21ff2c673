//! A delivery's records into objects: grouped by their group key (the key
//! but for its first sequence), each group cut into objects of at most
//! `max_object_bytes` of lines.
//!
//! An object is cut only between two records of different origins (their
//! sequence and sub-sequence), and never where the next object would start
//! with the same origin as an earlier object of its group: objects of a
//! group are named by their first record's sequence, so two objects with the
//! same first origin would have the same key, and the later would overwrite
//! the earlier. An object can so hold more than `max_object_bytes`, by the
//! records of one origin (a processor's outputs of one input) or by one
//! record larger than that.

use std::collections::HashMap;
use std::sync::Arc;

use tributary_core::Origin;

/// The objects of one delivery, as records are added.
#[derive(Debug)]
pub(super) struct Objects {
    max_bytes: usize,
    groups: Vec<Group>,
    by_key: HashMap<String, usize>,
}

#[derive(Debug)]
struct Group {
    key: String,
    /// The objects cut so far, and the last, still open.
    objects: Vec<PendingObject>,
}

/// An object's lines and records, before its key is made and its body
/// compressed.
#[derive(Debug)]
pub(super) struct PendingObject {
    /// Its group key.
    pub(super) group_key: String,
    /// Its first record's origin, which names it.
    pub(super) first: Arc<Origin>,
    /// Its lines, the header (if any) first.
    pub(super) lines: Vec<u8>,
    /// Its records, by index in the delivery.
    pub(super) records: Vec<usize>,
    /// The origin of its last record.
    last: Arc<Origin>,
}

impl Objects {
    /// Objects of at most `max_bytes` of lines each (but as the module says).
    pub(super) fn new(max_bytes: usize) -> Self {
        Objects {
            max_bytes,
            groups: Vec::new(),
            by_key: HashMap::new(),
        }
    }

    /// Adds record `index`, from `origin`, to the objects of `group_key`:
    /// `write` appends its line to the object's lines (and leaves them as
    /// they were on an error, which it gives back), and `header` the header
    /// of an object that starts with it.
    pub(super) fn add<E>(
        &mut self,
        group_key: &str,
        index: usize,
        origin: &Arc<Origin>,
        header: impl Fn(&Origin, &mut Vec<u8>),
        write: impl FnOnce(&mut Vec<u8>) -> Result<(), E>,
    ) -> Result<(), E> {
        let group = match self.by_key.get(group_key) {
            Some(group) => &mut self.groups[*group],
            None => {
                self.by_key.insert(group_key.to_owned(), self.groups.len());
                self.groups.push(Group {
                    key: group_key.to_owned(),
                    objects: Vec::new(),
                });
                self.groups.last_mut().expect("just pushed")
            }
        };
        let Some(open) = group.objects.last_mut() else {
            let mut object = PendingObject::starting(&group.key, origin, &header);
            write(&mut object.lines)?;
            object.records.push(index);
            group.objects.push(object);
            return Ok(());
        };
        let start = open.lines.len();
        write(&mut open.lines)?;
        let full = open.lines.len() > self.max_bytes;
        let cuttable = !same_origin(&open.last, origin)
            && !group.objects.iter().any(|o| same_origin(&o.first, origin));
        let open = group.objects.last_mut().expect("an object is open");
        if full && cuttable {
            let line = open.lines.split_off(start);
            let mut object = PendingObject::starting(&group.key, origin, &header);
            object.lines.extend_from_slice(&line);
            object.records.push(index);
            group.objects.push(object);
        } else {
            open.records.push(index);
            open.last = origin.clone();
        }
        Ok(())
    }

    /// Every object, group by group in the order groups first appeared,
    /// each group's in order.
    pub(super) fn finish(self) -> impl Iterator<Item = PendingObject> {
        self.groups.into_iter().flat_map(|group| group.objects)
    }
}

impl PendingObject {
    fn starting(
        group_key: &str,
        origin: &Arc<Origin>,
        header: impl Fn(&Origin, &mut Vec<u8>),
    ) -> Self {
        let mut lines = Vec::with_capacity(64 * 1024);
        header(origin, &mut lines);
        PendingObject {
            group_key: group_key.to_owned(),
            first: origin.clone(),
            lines,
            records: Vec::new(),
            last: origin.clone(),
        }
    }
}

/// Whether two records have the same origin: the same sequence and
/// sub-sequence (the outputs a processor made of one input do).
fn same_origin(a: &Origin, b: &Origin) -> bool {
    a.sequence == b.sequence && a.sub_sequence == b.sub_sequence
}

#[cfg(test)]
mod tests {
    use tributary_core::SourceKind;

    use super::*;

    fn origin(sequence: &str) -> Arc<Origin> {
        Arc::new(Origin::new(SourceKind::Kinesis, "s", "shard", sequence))
    }

    /// Adds records given as (group, sequence, line); gives each object as
    /// (group, first sequence, its records, its text).
    fn objects(
        max_bytes: usize,
        records: &[(&str, &str, &str)],
    ) -> Vec<(String, String, Vec<usize>, String)> {
        let mut objects = Objects::new(max_bytes);
        for (index, (group, sequence, line)) in records.iter().enumerate() {
            let header =
                |o: &Origin, out: &mut Vec<u8>| out.extend(format!("H{}|", o.sequence).bytes());
            objects
                .add(group, index, &origin(sequence), header, |out| {
                    out.extend_from_slice(line.as_bytes());
                    Ok::<(), ()>(())
                })
                .unwrap();
        }
        objects
            .finish()
            .map(|o| {
                (
                    o.group_key,
                    o.first.sequence.clone(),
                    o.records,
                    String::from_utf8(o.lines).unwrap(),
                )
            })
            .collect()
    }

    #[test]
    fn records_are_grouped_by_key_in_the_order_groups_appear() {
        let got = objects(
            1000,
            &[("10h", "1", "a"), ("11h", "2", "b"), ("10h", "3", "c")],
        );
        assert_eq!(
            got,
            [
                ("10h".into(), "1".into(), vec![0, 2], "H1|ac".into()),
                ("11h".into(), "2".into(), vec![1], "H2|b".into()),
            ]
        );
    }

    #[test]
    fn objects_are_cut_at_the_byte_limit_between_records() {
        let got = objects(
            8,
            &[
                ("g", "1", "aaaa"),
                ("g", "2", "bbbb"),
                ("g", "3", "cccccccccc"),
                ("g", "4", "d"),
            ],
        );
        let texts: Vec<(&str, &[usize], &str)> = got
            .iter()
            .map(|o| (o.1.as_str(), &o.2[..], o.3.as_str()))
            .collect();
        assert_eq!(
            texts,
            [
                ("1", &[0][..], "H1|aaaa"),
                ("2", &[1][..], "H2|bbbb"),
                ("3", &[2][..], "H3|cccccccccc"),
                ("4", &[3][..], "H4|d"),
            ]
        );
    }

    #[test]
    fn records_of_one_origin_are_never_cut_apart_and_first_sequences_stay_distinct() {
        // Three outputs of input 1, then input 2, then input 1 again (a
        // processor may put outputs out of order).
        let got = objects(
            4,
            &[
                ("g", "1", "aaa"),
                ("g", "1", "bbb"),
                ("g", "1", "ccc"),
                ("g", "2", "ddd"),
                ("g", "1", "eee"),
                ("g", "3", "fff"),
            ],
        );
        let firsts: Vec<(&str, &[usize])> = got.iter().map(|o| (o.1.as_str(), &o.2[..])).collect();
        assert_eq!(
            firsts,
            [("1", &[0, 1, 2][..]), ("2", &[3, 4][..]), ("3", &[5][..])]
        );
    }

    #[test]
    fn a_line_that_fails_leaves_its_object_as_it_was() {
        let mut objects = Objects::new(100);
        let header = |_: &Origin, _: &mut Vec<u8>| {};
        objects
            .add("g", 0, &origin("1"), header, |out| {
                out.push(b'a');
                Ok::<(), ()>(())
            })
            .unwrap();
        assert!(
            objects
                .add("g", 1, &origin("2"), header, |_| Err(()))
                .is_err()
        );
        let all: Vec<PendingObject> = objects.finish().collect();
        assert_eq!(all.len(), 1);
        assert_eq!(
            (all[0].records.clone(), all[0].lines.clone()),
            (vec![0], b"a".to_vec())
        );
    }
}
