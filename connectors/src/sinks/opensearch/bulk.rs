//! Bulk requests: the operations of a delivery cut into rounds (one change
//! of a document a round) and requests (by count and bytes), and the
//! request the sink hands to its layers.

use std::collections::HashMap;
use std::sync::Arc;

use super::Action;
use crate::sinks::layers::Items;

/// One bulk operation, ready to send.
#[derive(Debug)]
pub(super) struct Operation {
    /// The record's index in the slice the sink was given.
    pub(super) record: usize,
    pub(super) action: Action,
    /// The document's id, when the operation names one.
    pub(super) id: Option<Arc<str>>,
    /// The external version the action line carries, if any.
    pub(super) version: Option<i64>,
    /// The action line and the document line, each with its newline.
    pub(super) lines: Vec<u8>,
}

/// One bulk request: some of a delivery's operations, by position.
#[derive(Debug, Clone)]
pub(super) struct BulkRequest<'a> {
    pub(super) operations: &'a [Operation],
    pub(super) positions: Vec<usize>,
}

impl BulkRequest<'_> {
    /// The request's body: its operations' lines, in order.
    pub(super) fn body(&self) -> Vec<u8> {
        body(self.operations, &self.positions)
    }

    /// Its operations, in order.
    pub(super) fn operations(&self) -> impl Iterator<Item = &Operation> {
        self.positions.iter().map(|p| &self.operations[*p])
    }
}

impl Items for BulkRequest<'_> {
    fn len(&self) -> usize {
        self.positions.len()
    }

    fn only(&self, keep: &[usize]) -> Self {
        BulkRequest {
            operations: self.operations,
            positions: keep.iter().map(|k| self.positions[*k]).collect(),
        }
    }

    fn bytes(&self) -> u64 {
        self.operations().map(|op| op.lines.len() as u64).sum()
    }
}

/// Splits operations into rounds in which no document id comes twice: the
/// n-th operation on a document goes in round n (operations without an id
/// all go in the first). The sink sends a round only once the one before it
/// has settled, so a later change of a document is never stored before an
/// earlier one that had to be sent again.
pub(super) fn rounds(operations: &[Operation]) -> Vec<Vec<usize>> {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let mut rounds: Vec<Vec<usize>> = vec![Vec::new()];
    for (position, operation) in operations.iter().enumerate() {
        let round = match &operation.id {
            Some(id) => {
                let count = seen.entry(id).or_default();
                *count += 1;
                *count - 1
            }
            None => 0,
        };
        if rounds.len() <= round {
            rounds.push(Vec::new());
        }
        rounds[round].push(position);
    }
    rounds
}

/// Cuts the operations at `positions` into requests of at most
/// `max_documents` operations and about `max_bytes` (an operation larger
/// than that goes alone), giving the positions of each request's operations.
pub(super) fn requests(
    operations: &[Operation],
    positions: &[usize],
    max_documents: usize,
    max_bytes: usize,
) -> Vec<Vec<usize>> {
    let mut requests = Vec::new();
    let mut current = Vec::new();
    let mut bytes = 0;
    for &position in positions {
        let size = operations[position].lines.len();
        if !current.is_empty() && (current.len() >= max_documents || bytes + size > max_bytes) {
            requests.push(std::mem::take(&mut current));
            bytes = 0;
        }
        current.push(position);
        bytes += size;
    }
    if !current.is_empty() {
        requests.push(current);
    }
    requests
}

/// The body of a bulk request with these operations.
pub(super) fn body(operations: &[Operation], positions: &[usize]) -> Vec<u8> {
    let size = positions.iter().map(|p| operations[*p].lines.len()).sum();
    let mut body = Vec::with_capacity(size);
    for position in positions {
        body.extend_from_slice(&operations[*position].lines);
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_cut_by_count_and_bytes() {
        let operation = |size: usize| Operation {
            record: 0,
            action: Action::Index,
            id: None,
            version: None,
            lines: vec![b'x'; size],
        };
        let operations: Vec<Operation> = [10, 10, 10, 50, 10].into_iter().map(operation).collect();
        let all = [0, 1, 2, 3, 4];
        assert_eq!(
            requests(&operations, &all, 2, 1000),
            [vec![0, 1], vec![2, 3], vec![4]]
        );
        assert_eq!(
            requests(&operations, &all, 100, 40),
            [vec![0, 1, 2], vec![3], vec![4]]
        );
        assert_eq!(requests(&operations, &[1, 4], 100, 40), [vec![1, 4]]);
    }

    #[test]
    fn each_change_of_a_document_goes_in_its_own_round() {
        let operation = |id: Option<&str>| Operation {
            record: 0,
            action: Action::Index,
            id: id.map(Arc::from),
            version: None,
            lines: Vec::new(),
        };
        let operations: Vec<Operation> = [Some("a"), Some("b"), Some("a"), None, Some("a"), None]
            .into_iter()
            .map(operation)
            .collect();
        assert_eq!(rounds(&operations), [vec![0, 1, 3, 5], vec![2], vec![4]]);
    }
}
