//! The text of a pipeline file, before and after interpolation, and the map
//! from positions in one to positions in the other.

use std::ops::Range;

use crate::diagnostic::Location;
use crate::interpolate::{Replacement, interpolate};
use crate::{ConfigError, Diagnostic};

/// A pipeline file: its name, its text as written, and its text after
/// `${VAR}` interpolation, which is what the TOML parser reads.
#[derive(Debug)]
pub struct SourceFile {
    name: String,
    original: String,
    text: String,
    replacements: Vec<Replacement>,
}

impl SourceFile {
    /// Interpolates `original` with variables from `lookup`.
    pub fn new(
        name: impl Into<String>,
        original: impl Into<String>,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let name = name.into();
        let original = original.into();
        let interpolated = interpolate(&original, &lookup);
        let mut file = SourceFile {
            name,
            original,
            text: String::new(),
            replacements: Vec::new(),
        };
        match interpolated {
            Ok((text, replacements)) => {
                file.text = text;
                file.replacements = replacements;
                Ok(file)
            }
            Err(errors) => Err(ConfigError::new(
                errors
                    .into_iter()
                    .map(|e| {
                        Diagnostic::new(e.message)
                            .at_original(&file, e.span)
                            .hint(e.hint)
                    })
                    .collect(),
            )),
        }
    }

    /// The name the file is shown with in messages.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The text after interpolation.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The text as written.
    pub fn original(&self) -> &str {
        &self.original
    }

    /// The names of the variables the file's `${...}`s read, in file order,
    /// each as often as it is used.
    pub fn variables(&self) -> impl Iterator<Item = &str> {
        self.replacements
            .iter()
            .filter_map(|r| r.variable.as_deref())
    }

    /// Where a span of the interpolated text stands in the file as written.
    pub fn location(&self, span: Range<usize>) -> Location {
        let start = self.to_original(span.start);
        let end = self.to_original(span.end.max(span.start)).max(start);
        self.original_location(start..end)
    }

    /// Where a span of the text as written stands.
    pub fn original_location(&self, span: Range<usize>) -> Location {
        let start = floor_char_boundary(&self.original, span.start.min(self.original.len()));
        let line_start = self.original[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = self.original[start..]
            .find('\n')
            .map_or(self.original.len(), |i| start + i);
        let line_text = self.original[line_start..line_end].trim_end_matches('\r');
        let line = self.original[..start].matches('\n').count() + 1;
        let column = self.original[line_start..start].chars().count() + 1;
        let end = floor_char_boundary(&self.original, span.end.clamp(start, line_end));
        let width = self.original[start..end].chars().count().max(1);
        Location {
            file: self.name.clone(),
            line,
            column,
            line_text: line_text.to_owned(),
            width,
        }
    }

    /// Maps an offset in the interpolated text to the file as written. An
    /// offset inside a substituted value maps to the `${...}` it came from.
    fn to_original(&self, offset: usize) -> usize {
        let index = self
            .replacements
            .partition_point(|r| r.interpolated.start <= offset);
        match index.checked_sub(1).map(|i| &self.replacements[i]) {
            None => offset,
            Some(r) if offset < r.interpolated.end => r.original.start,
            Some(r) => r.original.end + (offset - r.interpolated.end),
        }
    }
}

fn floor_char_boundary(text: &str, mut index: usize) -> usize {
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        (name == "DIR").then(|| "/var/lib/tributary/data".to_owned())
    }

    #[test]
    fn variables_are_the_references_read_not_comments_or_escapes() {
        let file = SourceFile::new(
            "p.toml",
            "# ${NOT}\na = \"${A:-x}\" $${ESCAPED} ${DIR}\n",
            env,
        )
        .unwrap();
        assert_eq!(file.variables().collect::<Vec<_>>(), ["A", "DIR"]);
    }

    #[test]
    fn positions_after_a_substitution_map_back_to_the_file_as_written() {
        let file = SourceFile::new("p.toml", "a = \"${DIR}\"\nb = 1 ?\n", env).unwrap();
        assert_eq!(file.text(), "a = \"/var/lib/tributary/data\"\nb = 1 ?\n");
        let offset = file.text().find('?').unwrap();
        let location = file.location(offset..offset + 1);
        assert_eq!((location.line, location.column), (2, 7));
        assert_eq!(location.line_text, "b = 1 ?");
    }

    #[test]
    fn a_span_inside_a_substituted_value_points_at_the_variable() {
        let file = SourceFile::new("p.toml", "x = 1\na = \"${DIR}\"\n", env).unwrap();
        let offset = file.text().find("lib").unwrap();
        let location = file.location(offset..offset + 3);
        assert_eq!((location.line, location.column), (2, 6));
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        let file = SourceFile::new("p.toml", "name = \"été\" ?", env).unwrap();
        let offset = file.text().find('?').unwrap();
        assert_eq!(file.location(offset..offset + 1).column, 14);
    }
}
