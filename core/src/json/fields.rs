//! The fields a set of patterns tests: dot-joined paths, interned to small
//! ids, and a trie of their segments that the scanners walk, so that an event
//! is only read where some pattern looks.

/// A field's id in a [`FieldTable`].
pub type FieldId = u32;

/// A node of the trie: `ROOT` is the event itself.
pub type NodeId = u32;

pub const ROOT: NodeId = 0;

#[derive(Debug, Clone, Default)]
struct Node {
    children: Vec<(Box<[u8]>, NodeId)>,
    field: Option<FieldId>,
    /// No child has children of its own; set by [`FieldTable::seal`].
    only_leaves_below: bool,
}

/// Interned field paths and their segment trie.
#[derive(Debug, Clone)]
pub struct FieldTable {
    nodes: Vec<Node>,
    count: u32,
    /// Finds, in one pass, `"key.` for each top-level key a pattern needs
    /// (the start of a dotted key that continues it) and `\u` (an escape
    /// that could spell one). Built on first use: only the raw-bytes scanner
    /// needs it.
    rest_finder: std::cell::OnceCell<RestFinder>,
}

/// Finds any of a few needles: in one SIMD pass (Teddy) where the processor
/// has it, else one `memmem` pass a needle.
#[derive(Debug, Clone)]
enum RestFinder {
    Teddy(aho_corasick::packed::Searcher),
    EachNeedle(Vec<memchr::memmem::Finder<'static>>),
}

impl RestFinder {
    fn new(needles: Vec<Vec<u8>>) -> Self {
        let mut builder = aho_corasick::packed::Config::new().builder();
        match builder.extend(&needles).build() {
            Some(searcher) => RestFinder::Teddy(searcher),
            None => RestFinder::EachNeedle(
                needles
                    .iter()
                    .map(|n| memchr::memmem::Finder::new(n).into_owned())
                    .collect(),
            ),
        }
    }

    fn is_match(&self, haystack: &[u8]) -> bool {
        match self {
            RestFinder::Teddy(searcher) => searcher.find(haystack).is_some(),
            RestFinder::EachNeedle(finders) => finders.iter().any(|f| f.find(haystack).is_some()),
        }
    }
}

impl Default for FieldTable {
    fn default() -> Self {
        FieldTable {
            nodes: vec![Node::default()],
            count: 0,
            rest_finder: std::cell::OnceCell::new(),
        }
    }
}

impl FieldTable {
    /// How many paths are interned; ids are below it.
    pub fn len(&self) -> usize {
        self.count as usize
    }

    /// Whether no path is interned.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The id of a dot-joined path, adding it if new.
    pub fn intern(&mut self, path: &str) -> FieldId {
        let mut node = ROOT;
        for segment in path.split('.') {
            node = match self.step(node, segment.as_bytes()) {
                Some(child) => child,
                None => {
                    let child = self.nodes.len() as NodeId;
                    self.nodes.push(Node::default());
                    self.nodes[node as usize]
                        .children
                        .push((segment.as_bytes().into(), child));
                    child
                }
            };
        }
        let count = &mut self.count;
        *self.nodes[node as usize].field.get_or_insert_with(|| {
            *count += 1;
            *count - 1
        })
    }

    /// Prepares what the scanners use once every path is interned.
    pub fn seal(&mut self) {
        for index in 0..self.nodes.len() {
            let leaves = self.nodes[index]
                .children
                .iter()
                .all(|(_, child)| !self.has_children(*child));
            self.nodes[index].only_leaves_below = leaves;
        }
        self.rest_finder = std::cell::OnceCell::new();
    }

    /// How many keys below `node` the patterns need.
    pub fn children(&self, node: NodeId) -> usize {
        self.nodes[node as usize].children.len()
    }

    /// Whether every key the patterns need below `node` is a leaf field, so
    /// that no dotted key in the object at `node` can lead to a needed field
    /// once they have all been read.
    pub fn only_leaves_below(&self, node: NodeId) -> bool {
        self.nodes[node as usize].only_leaves_below
    }

    /// Whether the `rest` of an event, after every needed top-level key was
    /// read, may still hold a needed value: a dotted key continuing a needed
    /// one (`"detail.state": ...`), or a `\u` escape that could spell one.
    /// A false answer is certain; a true one may be a string that merely
    /// looks like such a key. A later duplicate of a key already read is not
    /// looked for: JSON leaves duplicate names undefined.
    pub fn rest_may_matter(&self, rest: &[u8]) -> bool {
        // Every needle holds a `.` or a `\`; most rests hold neither.
        if memchr::memchr2(b'.', b'\\', rest).is_none() {
            return false;
        }
        let finder = self.rest_finder.get_or_init(|| {
            let needles = self.nodes[ROOT as usize]
                .children
                .iter()
                .map(|(name, _)| [&b"\""[..], name, b"."].concat())
                .chain([b"\\u".to_vec()])
                .collect();
            RestFinder::new(needles)
        });
        finder.is_match(rest)
    }

    /// The node an event key leads to from `node`, if any pattern looks
    /// there, with the key's position among the node's children when it names
    /// one directly. A key with dots walks one segment a dot, since paths are
    /// dot-joined: `{"a.b": 1}` is the same field as `{"a": {"b": 1}}`.
    #[inline]
    pub fn lookup(&self, node: NodeId, key: &[u8]) -> Option<(NodeId, Option<usize>)> {
        let children = &self.nodes[node as usize].children;
        // Segments never hold a dot, so a key that names a child is not dotted.
        if let Some(position) = children.iter().position(|(name, _)| same(name, key)) {
            return Some((children[position].1, Some(position)));
        }
        // A dotted key leads somewhere only when it starts with `child.` for a
        // child with fields below it: test that prefix instead of looking for
        // dots in every key.
        if self.only_leaves_below(node) {
            return None;
        }
        let (name, through) = children.iter().find(|(name, child)| {
            key.len() > name.len()
                && key[name.len()] == b'.'
                && key.starts_with(name)
                && self.has_children(*child)
        })?;
        let rest = &key[name.len() + 1..];
        let child = rest
            .split(|&b| b == b'.')
            .try_fold(*through, |node, segment| self.step(node, segment))?;
        Some((child, None))
    }

    /// The node an event key leads to from `node`, as [`FieldTable::lookup`].
    pub fn child(&self, node: NodeId, key: &[u8]) -> Option<NodeId> {
        self.lookup(node, key).map(|(child, _)| child)
    }

    /// The field that ends at `node`, if any.
    pub fn field(&self, node: NodeId) -> Option<FieldId> {
        self.nodes[node as usize].field
    }

    /// Whether any field continues below `node`.
    pub fn has_children(&self, node: NodeId) -> bool {
        !self.nodes[node as usize].children.is_empty()
    }

    fn step(&self, node: NodeId, segment: &[u8]) -> Option<NodeId> {
        self.nodes[node as usize]
            .children
            .iter()
            .find(|(name, _)| same(name, segment))
            .map(|(_, child)| *child)
    }
}

/// Byte equality, checking length and first byte before the comparison call.
#[inline]
fn same(name: &[u8], key: &[u8]) -> bool {
    name.len() == key.len() && name.first() == key.first() && name == key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotted_keys_and_nested_keys_reach_the_same_field() {
        let mut table = FieldTable::default();
        let status = table.intern("detail.state.status");
        let detail = table.intern("detail");
        assert_eq!(table.intern("detail.state.status"), status);
        assert_eq!((status, detail), (0, 1));
        let nested = table
            .child(ROOT, b"detail")
            .and_then(|n| table.child(n, b"state"))
            .and_then(|n| table.child(n, b"status"));
        let dotted = table
            .child(ROOT, b"detail")
            .and_then(|n| table.child(n, b"state.status"));
        assert_eq!(nested, dotted);
        assert_eq!(table.field(nested.unwrap()), Some(status));
        assert_eq!(
            table.field(table.child(ROOT, b"detail").unwrap()),
            Some(detail)
        );
        assert!(table.child(ROOT, b"other").is_none());
        assert!(table.child(ROOT, b"detail.other").is_none());
    }
}
