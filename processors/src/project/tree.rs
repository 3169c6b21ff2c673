//! A payload object opened only as deep as a projection's paths go.
//!
//! Members that no step touches stay as the raw JSON text they came as and
//! are written back byte for byte: a number keeps every digit
//! (`123456789012345678901234567890123` stays that, `1e400` is no error),
//! and nothing is parsed that is only carried along.

use std::fmt;

use indexmap::IndexMap;
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::Value;
use serde_json::value::RawValue;

/// One member's value.
#[derive(Debug, Clone)]
pub(super) enum Node {
    /// An object whose members were opened.
    Object(Members),
    /// JSON text as it came.
    Raw(Box<RawValue>),
    /// A value a step set.
    Value(Value),
}

/// An object's members, in their order; a later duplicate key wins, as in
/// serde_json.
pub(super) type Members = IndexMap<String, Node>;

/// Why a payload cannot be projected.
pub(super) enum OpenError {
    /// The payload is JSON, but not an object.
    NotAnObject,
    /// The payload is not JSON.
    Invalid(serde_json::Error),
}

/// Reads the top level of a JSON object.
pub(super) fn open(text: &str) -> Result<Members, OpenError> {
    match serde_json::from_str::<RawMembers>(text) {
        Ok(RawMembers(members)) => Ok(members),
        Err(error) if error.is_data() => Err(OpenError::NotAnObject),
        Err(error) => Err(OpenError::Invalid(error)),
    }
}

impl Node {
    /// The node's members, opening it if it is an object; `None` for any
    /// other value.
    fn members(&mut self) -> Option<&mut Members> {
        let opened = match self {
            Node::Object(members) => return Some(members),
            Node::Raw(raw) if raw.get().starts_with('{') => open(raw.get()).ok()?,
            Node::Value(Value::Object(object)) => std::mem::take(object)
                .into_iter()
                .map(|(key, value)| (key, Node::Value(value)))
                .collect(),
            _ => return None,
        };
        *self = Node::Object(opened);
        match self {
            Node::Object(members) => Some(members),
            _ => None,
        }
    }
}

/// The value at a dotted path, if the object has it.
pub(super) fn get<'a>(members: &'a mut Members, path: &str) -> Option<&'a Node> {
    match path.split_once('.') {
        None => members.get(path),
        Some((first, rest)) => get(members.get_mut(first)?.members()?, rest),
    }
}

/// Takes out the value at a dotted path, keeping the order of the rest.
pub(super) fn remove(members: &mut Members, path: &str) -> Option<Node> {
    match path.split_once('.') {
        None => members.shift_remove(path),
        Some((first, rest)) => remove(members.get_mut(first)?.members()?, rest),
    }
}

/// Sets the value at a dotted path, making (or replacing with) objects on
/// the way.
pub(super) fn insert(members: &mut Members, path: &str, value: Node) {
    match path.split_once('.') {
        None => {
            members.insert(path.to_owned(), value);
        }
        Some((first, rest)) => {
            let child = members
                .entry(first.to_owned())
                .or_insert_with(|| Node::Object(Members::new()));
            if child.members().is_none() {
                *child = Node::Object(Members::new());
            }
            if let Some(child) = child.members() {
                insert(child, rest, value);
            }
        }
    }
}

/// Writes an object as compact JSON; raw members go out as they came.
pub(super) fn write(members: &Members, out: &mut Vec<u8>) {
    out.push(b'{');
    for (position, (key, node)) in members.iter().enumerate() {
        if position > 0 {
            out.push(b',');
        }
        serde_json::to_writer(&mut *out, key).expect("writing JSON to a Vec cannot fail");
        out.push(b':');
        match node {
            Node::Object(members) => write(members, out),
            Node::Raw(raw) => out.extend_from_slice(raw.get().as_bytes()),
            Node::Value(value) => {
                serde_json::to_writer(&mut *out, value).expect("writing JSON to a Vec cannot fail")
            }
        }
    }
    out.push(b'}');
}

/// The members of a JSON object, each value kept as raw text.
struct RawMembers(Members);

impl<'de> Deserialize<'de> for RawMembers {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MembersVisitor;

        impl<'de> Visitor<'de> for MembersVisitor {
            type Value = RawMembers;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawMembers, A::Error> {
                let mut members = Members::with_capacity(map.size_hint().unwrap_or(8));
                while let Some((key, value)) = map.next_entry::<String, Box<RawValue>>()? {
                    members.insert(key, Node::Raw(value));
                }
                Ok(RawMembers(members))
            }
        }

        deserializer.deserialize_map(MembersVisitor)
    }
}
