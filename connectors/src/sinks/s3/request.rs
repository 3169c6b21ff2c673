//! One object as a request through the [layers](crate::sinks::layers): a
//! request of one item, which the retry layer sends again whole.

use super::EncodedObject;
use crate::sinks::layers::Items;

/// One PutObject: an object's key and body.
#[derive(Debug, Clone, Copy)]
pub(super) struct PutRequest<'a> {
    pub(super) object: &'a EncodedObject,
}

impl Items for PutRequest<'_> {
    fn len(&self) -> usize {
        1
    }

    fn only(&self, _keep: &[usize]) -> Self {
        // One item: it is sent again only whole.
        *self
    }

    fn bytes(&self) -> u64 {
        self.object.body.len() as u64
    }
}
