//! A source, processor or sink as written in the file: its `type`, its
//! optional `id`, and the rest of its table, its options.

use std::ops::Range;
use std::sync::Arc;

use serde::de::{DeserializeOwned, IntoDeserializer};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::diagnostic::explain_serde_message;
use crate::{Diagnostic, SourceFile, did_you_mean};

/// One step of a path from the document's root to a component's table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    Key(String),
    Index(usize),
}

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
    path: Vec<Step>,
    span: Range<usize>,
}

impl Options {
    pub(crate) fn new(file: Arc<SourceFile>, path: Vec<Step>, span: Range<usize>) -> Self {
        Options { file, path, span }
    }

    /// Options parsed from `text` alone (a table's keys), for tests and for
    /// components built without a pipeline file.
    pub fn from_toml(name: &str, text: &str) -> Result<Self, crate::ConfigError> {
        let file = SourceFile::new(name, text, |_| None)?;
        let span = 0..file.text().len();
        Ok(Options::new(Arc::new(file), Vec::new(), span))
    }

    /// The file the options stand in.
    pub fn file(&self) -> &SourceFile {
        &self.file
    }

    /// Deserializes the options into `T`. Unknown keys, missing keys and
    /// values of the wrong type come back as a [`Diagnostic`] at their place.
    pub fn deserialize<T: DeserializeOwned>(&self) -> Result<T, Diagnostic> {
        let value = self.value()?;
        T::deserialize(value.into_deserializer()).map_err(|error| {
            let span = error.span().unwrap_or_else(|| self.span.clone());
            let (message, hint) = explain_serde_message(error.message());
            Diagnostic::new(message).at(&self.file, span).hint(hint)
        })
    }

    /// A diagnostic about the value at `key` (a dotted path such as
    /// `pattern.detail`), or about the whole table when there is no such key.
    pub fn error_at(&self, key: &str, message: impl Into<String>) -> Diagnostic {
        let span = self.span_of(key).unwrap_or_else(|| self.span.clone());
        Diagnostic::new(message).at(&self.file, span)
    }

    /// Where the value at a dotted `key` path stands, if it is there.
    pub fn span_of(&self, key: &str) -> Option<Range<usize>> {
        let value = self.value().ok()?;
        let mut current = &value;
        for part in key.split('.').filter(|p| !p.is_empty()) {
            current = match current.get_ref() {
                DeValue::Table(table) => table.get(part)?,
                DeValue::Array(array) => array.get(part.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some(current.span())
    }

    /// The options as a value: the component's table without `type` and `id`.
    fn value(&self) -> Result<Spanned<DeValue<'_>>, Diagnostic> {
        let root = DeTable::parse(self.file.text()).map_err(|error| {
            Diagnostic::new(error.message().to_owned()).at(&self.file, error.span().unwrap_or(0..0))
        })?;
        let span = root.span();
        let mut current = Spanned::new(span, DeValue::Table(root.into_inner()));
        for step in &self.path {
            let next = match (current.get_ref(), step) {
                (DeValue::Table(table), Step::Key(key)) => table.get(key.as_str()).cloned(),
                (DeValue::Array(array), Step::Index(index)) => array.get(*index).cloned(),
                _ => None,
            };
            current = next.ok_or_else(|| {
                Diagnostic::new("the pipeline file changed while it was read")
                    .at(&self.file, self.span.clone())
            })?;
        }
        let span = current.span();
        if let DeValue::Table(mut table) = current.into_inner() {
            table.remove("type");
            table.remove("id");
            Ok(Spanned::new(span, DeValue::Table(table)))
        } else {
            Err(Diagnostic::new("expected a table").at(&self.file, span))
        }
    }
}
