//! A source, processor or sink as written in the file: its `type`, its
//! optional `id`, and the rest of its table, its options.
//!
//! The file is parsed once. Each component keeps the shape of its own table
//! (keys, arrays, tables, and the span of every value), and reads its values
//! again from the file's text, at their spans, only when it is deserialized:
//! so checking a file costs time in proportion to its size, however many
//! components it has.

use std::borrow::Cow;
use std::ops::Range;
use std::sync::Arc;

use serde::de::{DeserializeOwned, IntoDeserializer};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::diagnostic::explain_serde_message;
use crate::string_place::offset_in_literal;
use crate::{ConfigError, Diagnostic, SourceFile, did_you_mean};

/// A source, processor or sink table: its `type`, its `id`, and its options.
#[derive(Debug, Clone)]
pub struct Component {
    kind: String,
    kind_span: Range<usize>,
    id: Option<String>,
    span: Range<usize>,
    options: Options,
}

impl Component {
    pub(crate) fn new(
        kind: Spanned<String>,
        id: Option<String>,
        span: Range<usize>,
        options: Options,
    ) -> Self {
        Component {
            kind_span: kind.span(),
            kind: kind.into_inner(),
            id,
            span,
            options,
        }
    }

    /// The `type`, as written.
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// The `id`, if the file gives one.
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// The options: every key of the table but `type` and `id`.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// The error for a `type` that no registered component has.
    pub fn unknown_kind(&self, what: &str, known: &[&str]) -> Diagnostic {
        let listed = known
            .iter()
            .map(|k| format!("`{k}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let hint = match did_you_mean(&self.kind, known.iter().copied()) {
            Some(best) => format!("did you mean `{best}`? Known {what} types: {listed}"),
            None if known.is_empty() => format!("no {what} types are registered in this build"),
            None => format!("known {what} types: {listed}"),
        };
        Diagnostic::new(format!("unknown {what} type `{}`", self.kind))
            .at(self.options.file(), self.kind_span.clone())
            .hint(hint)
    }

    /// Where the component's table stands in the file's interpolated text.
    pub fn span(&self) -> Range<usize> {
        self.span.clone()
    }
}

/// A component's options, still in the file: deserialize them into the
/// component's own config struct with [`Options::deserialize`], and any error
/// comes back at its line and column.
#[derive(Debug, Clone)]
pub struct Options {
    file: Arc<SourceFile>,
    table: Arc<Spanned<Node>>,
}

impl Options {
    /// The options of `value`, a table of `file`: its keys but `type` and
    /// `id`. A value that is not a table has no options, and deserializing
    /// it says so.
    pub(crate) fn new(file: Arc<SourceFile>, value: &Spanned<DeValue<'_>>) -> Self {
        let mut table = Node::read(value);
        if let Node::Table(entries) = table.get_mut() {
            entries.retain(|(key, _)| !matches!(key.get_ref().as_str(), "type" | "id"));
        }
        Options {
            file,
            table: Arc::new(table),
        }
    }

    /// Options parsed from `text` alone (a table's keys), for tests and for
    /// components built without a pipeline file.
    pub fn from_toml(name: &str, text: &str) -> Result<Self, ConfigError> {
        let file = Arc::new(SourceFile::new(name, text, |_| None)?);
        let root = DeTable::parse(file.text()).map_err(|error| {
            Diagnostic::new(format!("invalid TOML: {}", error.message().trim_end()))
                .at(&file, error.span().unwrap_or(0..0))
        })?;
        let span = 0..file.text().len();
        let value = Spanned::new(span, DeValue::Table(root.into_inner()));
        Ok(Options::new(file.clone(), &value))
    }

    /// The file the options stand in.
    pub fn file(&self) -> &SourceFile {
        &self.file
    }

    /// Deserializes the options into `T`. Unknown keys, missing keys and
    /// values of the wrong type come back as a [`Diagnostic`] at their place.
    pub fn deserialize<T: DeserializeOwned>(&self) -> Result<T, Diagnostic> {
        if !matches!(self.table.get_ref(), Node::Table(_)) {
            return Err(Diagnostic::new("expected a table").at(&self.file, self.table.span()));
        }
        self.deserialize_node(&self.table)
    }

    /// Deserializes the value at a dotted `key` path into `T`, whatever its
    /// TOML type (a table, a string, an array...), or `None` when the
    /// options lack it. Errors come back at their place, as with
    /// [`Options::deserialize`].
    ///
    /// With [`Options::without`], it lets a key that all components of a
    /// kind share (a processor's `when`) be read apart from each
    /// component's own config.
    pub fn deserialize_at<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, Diagnostic> {
        self.node_at(key)
            .map(|node| self.deserialize_node(node))
            .transpose()
    }

    /// The options without the top-level `key`, for a key read apart with
    /// [`Options::deserialize_at`]: the component's own config, which
    /// denies unknown keys, then never sees it. Spans stay those of the file.
    pub fn without(&self, key: &str) -> Options {
        let Node::Table(entries) = self.table.get_ref() else {
            return self.clone();
        };
        if !entries.iter().any(|(k, _)| k.get_ref() == key) {
            return self.clone();
        }
        let kept = entries
            .iter()
            .filter(|(k, _)| k.get_ref() != key)
            .cloned()
            .collect();
        Options {
            file: self.file.clone(),
            table: Arc::new(Spanned::new(self.table.span(), Node::Table(kept))),
        }
    }

    /// A diagnostic about the value at `key` (a dotted path such as
    /// `pattern.detail`), or about the whole table when there is no such key.
    pub fn error_at(&self, key: &str, message: impl Into<String>) -> Diagnostic {
        let span = self.span_of(key).unwrap_or_else(|| self.table.span());
        Diagnostic::new(message).at(&self.file, span)
    }

    /// A diagnostic about byte `offset` of the string value at `key`, such
    /// as the line of a program that does not compile: it points into the
    /// string, at that line and column of the file. When the value is not a
    /// string written in the file, it points at the value.
    pub fn error_in_string(
        &self,
        key: &str,
        offset: usize,
        message: impl Into<String>,
    ) -> Diagnostic {
        let Some(span) = self.span_of(key) else {
            return self.error_at(key, message);
        };
        let inside = self
            .file
            .text()
            .get(span.clone())
            .and_then(|literal| offset_in_literal(literal, offset));
        match inside {
            Some(inside) => {
                let at = span.start + inside;
                Diagnostic::new(message).at(&self.file, at..at + 1)
            }
            None => Diagnostic::new(message).at(&self.file, span),
        }
    }

    /// Where the value at a dotted `key` path stands, if it is there.
    pub fn span_of(&self, key: &str) -> Option<Range<usize>> {
        self.node_at(key).map(Spanned::span)
    }

    /// The value at a dotted `key` path (the whole table for an empty one).
    fn node_at(&self, key: &str) -> Option<&Spanned<Node>> {
        let mut current = &*self.table;
        for part in key.split('.').filter(|p| !p.is_empty()) {
            current = match current.get_ref() {
                Node::Table(entries) => entries
                    .iter()
                    .find(|(k, _)| k.get_ref() == part)
                    .map(|(_, v)| v)?,
                Node::Array(items) => items.get(part.parse::<usize>().ok()?)?,
                Node::Scalar => return None,
            };
        }
        Some(current)
    }

    /// Deserializes one of the options' values, read again from the file.
    fn deserialize_node<T: DeserializeOwned>(&self, node: &Spanned<Node>) -> Result<T, Diagnostic> {
        let value = to_value(node, self.file.text()).ok_or_else(|| {
            Diagnostic::new("the pipeline file changed while it was read")
                .at(&self.file, node.span())
        })?;
        T::deserialize(value.into_deserializer()).map_err(|error| {
            let span = error.span().unwrap_or_else(|| node.span());
            let (message, hint) = explain_serde_message(error.message());
            Diagnostic::new(message).at(&self.file, span).hint(hint)
        })
    }
}

/// The shape of a parsed TOML value, owning its keys, with the span of every
/// value; the values themselves stay in the file's text.
#[derive(Debug, Clone)]
enum Node {
    /// A string, number, boolean or date, read again from its span.
    Scalar,
    Array(Vec<Spanned<Node>>),
    Table(Vec<(Spanned<String>, Spanned<Node>)>),
}

impl Node {
    fn read(value: &Spanned<DeValue<'_>>) -> Spanned<Node> {
        let node = match value.get_ref() {
            DeValue::Array(items) => Node::Array(items.iter().map(Node::read).collect()),
            DeValue::Table(table) => Node::Table(
                table
                    .iter()
                    .map(|(key, value)| {
                        let key = Spanned::new(key.span(), key.get_ref().to_string());
                        (key, Node::read(value))
                    })
                    .collect(),
            ),
            _ => Node::Scalar,
        };
        Spanned::new(value.span(), node)
    }
}

/// The value of `node` again, borrowing from `text`, the file's
/// interpolated text; `None` if the text is not what was parsed.
fn to_value<'t>(node: &'t Spanned<Node>, text: &'t str) -> Option<Spanned<DeValue<'t>>> {
    let span = node.span();
    let value = match node.get_ref() {
        // The span of a scalar is its literal: `"a\tb"`, `0x2A`, `1e3`.
        Node::Scalar => DeValue::parse(text.get(span.clone())?).ok()?.into_inner(),
        Node::Array(items) => DeValue::Array(
            items
                .iter()
                .map(|item| to_value(item, text))
                .collect::<Option<_>>()?,
        ),
        Node::Table(entries) => {
            let mut table = DeTable::new();
            for (key, value) in entries {
                let key = Spanned::new(key.span(), Cow::Borrowed(key.get_ref().as_str()));
                table.insert(key, to_value(value, text)?);
            }
            DeValue::Table(table)
        }
    };
    Some(Spanned::new(span, value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Sample {
        rate: u32,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(untagged)]
    enum Condition {
        Text(String),
        Table(toml::Table),
    }

    fn options(text: &str) -> Options {
        Options::from_toml("p.toml", text).unwrap()
    }

    #[test]
    fn a_key_set_apart_is_read_alone_and_the_rest_never_sees_it() {
        let options = options("rate = 2\nwhen = { type = [\"a\"] }\n");
        assert!(
            options.deserialize::<Sample>().is_err(),
            "`when` is unknown to Sample"
        );
        assert_eq!(
            options.without("when").deserialize::<Sample>().unwrap(),
            Sample { rate: 2 }
        );
        let Some(Condition::Table(table)) = options.deserialize_at::<Condition>("when").unwrap()
        else {
            panic!("an inline table")
        };
        assert_eq!(table["type"][0].as_str(), Some("a"));
        // The rest keeps the file's spans.
        let error = options.without("when").error_at("rate", "wrong");
        assert_eq!(error.position().unwrap(), "p.toml:1:8");
    }

    #[test]
    fn a_key_set_apart_may_be_a_string_or_absent() {
        let options = options("when = '{\"a\": [null]}'\nrate = 1\n");
        assert_eq!(
            options.deserialize_at::<Condition>("when").unwrap(),
            Some(Condition::Text("{\"a\": [null]}".into()))
        );
        let bare = self::options("rate = 1\n");
        assert_eq!(bare.deserialize_at::<Condition>("when").unwrap(), None);
        assert_eq!(
            bare.without("when").deserialize::<Sample>().unwrap(),
            Sample { rate: 1 }
        );
    }

    #[test]
    fn a_key_set_apart_reports_its_errors_at_its_place() {
        let options = options("rate = 1\nwhen = { type = 3 }\n");
        let error = options
            .deserialize_at::<toml::Table>("when.type")
            .unwrap_err();
        assert_eq!(error.position().unwrap(), "p.toml:2:17");
        assert_eq!(options.deserialize_at::<u32>("rate").unwrap(), Some(1));
        let error = options.deserialize_at::<String>("rate").unwrap_err();
        assert_eq!(error.position().unwrap(), "p.toml:1:8");
        assert!(
            error.message.contains("expected a string"),
            "{}",
            error.message
        );
    }
}
