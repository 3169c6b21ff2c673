//! The text of a pipeline file, before and after interpolation, and the map
//! from positions in one to positions in the other.
//!
//! Lines are found once, when the file is read: a place is then a binary
//! search, so a file with thousands of errors costs no more than its size to
//! report. A line break is `\n`, `\r\n` or a carriage return alone, so that a
//! file saved with old Mac line endings is still shown line by line.

use std::collections::BTreeSet;
use std::ops::Range;

use crate::diagnostic::{Location, SHORT_VALUE};
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
    /// The values of [`SHORT_VALUE`] characters or more substituted anywhere
    /// in the file, each once, longest first, with their `${...}` as written:
    /// a message about one place may repeat a value from another, such as a
    /// sink's name.
    long_values: Vec<(String, String)>,
    /// Where each line of `original` starts, in bytes.
    line_starts: Vec<usize>,
}

impl SourceFile {
    /// Interpolates `original` with variables from `lookup`.
    ///
    /// A file with a carriage return alone as a line break is one error, at
    /// the first: TOML does not allow it, and there would be one error per
    /// line otherwise.
    pub fn new(
        name: impl Into<String>,
        original: impl Into<String>,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let mut file = SourceFile::as_written(name.into(), original.into());
        file.check_line_breaks()?;
        match interpolate(&file.original, &lookup) {
            Ok((text, replacements)) => {
                file.text = text;
                file.replacements = replacements;
                file.long_values = file.long_values();
                Ok(file)
            }
            Err(errors) => {
                let found = errors.len();
                let mut error = ConfigError::new(
                    errors
                        .into_iter()
                        .take(ConfigError::MAX_DIAGNOSTICS)
                        .map(|e| {
                            Diagnostic::new(e.message)
                                .at_original(&file, e.span)
                                .hint(e.hint)
                        })
                        .collect(),
                );
                error.omitted = found - error.diagnostics.len();
                Err(error)
            }
        }
    }

    /// A file taken as written, with no `${...}` interpolation: a file that
    /// a pipeline names for its own use (a program), whose errors are
    /// placed in it as in a pipeline file.
    pub fn plain(name: impl Into<String>, text: impl Into<String>) -> Self {
        let mut file = SourceFile::as_written(name.into(), text.into());
        file.text = file.original.clone();
        file
    }

    /// Reads a file's bytes, which must be UTF-8 text, and interpolates them
    /// as [`SourceFile::new`] does. Bytes that are not UTF-8 are an error at
    /// the line and column of the first bad byte.
    pub fn from_bytes(
        name: impl Into<String>,
        bytes: Vec<u8>,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let name = name.into();
        match String::from_utf8(bytes) {
            Ok(original) => SourceFile::new(name, original, lookup),
            Err(error) => {
                let bad = error.utf8_error().valid_up_to();
                let byte = error.as_bytes()[bad];
                // Up to the bad byte, the lossy text is the file's own, so
                // the place is the same; the bad bytes show as `�`.
                let lossy = String::from_utf8_lossy(error.as_bytes()).into_owned();
                let file = SourceFile::as_written(name, lossy);
                Err(Diagnostic::new(format!(
                    "the file is not UTF-8 text: byte 0x{byte:02X} is not part of a UTF-8 character"
                ))
                .at_original(&file, bad..bad + 1)
                .hint(
                    "save the file as UTF-8; one in Latin-1 or Windows-1252 converts with \
                     `iconv -f WINDOWS-1252 -t UTF-8 FILE`",
                )
                .into())
            }
        }
    }

    /// The file as written, not yet interpolated.
    fn as_written(name: String, original: String) -> Self {
        let line_starts = line_starts(&original);
        SourceFile {
            name,
            original,
            text: String::new(),
            replacements: Vec::new(),
            long_values: Vec::new(),
            line_starts,
        }
    }

    /// One error for carriage returns that are not followed by a line feed.
    fn check_line_breaks(&self) -> Result<(), ConfigError> {
        let mut lone = self
            .original
            .match_indices('\r')
            .map(|(at, _)| at)
            .filter(|&at| self.original.as_bytes().get(at + 1) != Some(&b'\n'));
        let Some(first) = lone.next() else {
            return Ok(());
        };
        let others = lone.count();
        let hint = if others == 0 {
            "end the line with `\\n` or `\\r\\n`, or remove the carriage return".to_owned()
        } else {
            format!(
                "the file has {} of them, as files saved with old Mac line endings do; \
                 convert them to `\\n`, for example with `tr '\\r' '\\n' < FILE > FIXED`",
                others + 1
            )
        };
        Err(Diagnostic::new(
            "carriage return (`\\r`) without a line feed: TOML line breaks are `\\n` or `\\r\\n`",
        )
        .at_original(self, first..first + 1)
        .hint(hint)
        .into())
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
            .substituted(self.substitutions(span))
    }

    /// Where a span of the text as written stands.
    pub fn original_location(&self, span: Range<usize>) -> Location {
        let start = floor_char_boundary(&self.original, span.start.min(self.original.len()));
        let line = self.line_starts.partition_point(|&s| s <= start);
        let line_start = self.line_starts[line - 1];
        let line_end = self.line_end(line);
        let line_text = &self.original[line_start..line_end];
        // A place in the line break itself is just past the line's end.
        let start = start.min(line_end);
        let column = self.original[line_start..start].chars().count() + 1;
        let end = floor_char_boundary(&self.original, span.end.clamp(start, line_end));
        let width = self.original[start..end].chars().count().max(1);
        Location::new(self.name.clone(), line, column, line_text, width)
    }

    /// Where line `line` (from 1) ends, before its line break.
    fn line_end(&self, line: usize) -> usize {
        let Some(&next) = self.line_starts.get(line) else {
            return self.original.len();
        };
        let bytes = self.original.as_bytes();
        if bytes[next - 1] == b'\n' && next >= 2 && bytes[next - 2] == b'\r' {
            next - 2
        } else {
            next - 1
        }
    }

    /// The values a message about a span of the interpolated text must not
    /// show, each with its `${...}` as written, longest first: the short
    /// values substituted into the span, and every long value of the file.
    fn substitutions(&self, span: Range<usize>) -> Vec<(String, String)> {
        let end = span.end.max(span.start + 1);
        let first = self
            .replacements
            .partition_point(|r| r.interpolated.end <= span.start);
        let short = self.replacements[first..]
            .iter()
            .take_while(|r| r.interpolated.start < end)
            .filter(|r| r.variable.is_some())
            .map(|r| self.substitution(r))
            .filter(|(value, _)| !value.is_empty() && value.chars().count() < SHORT_VALUE);
        let found: BTreeSet<(&str, &str)> = short
            .chain(
                self.long_values
                    .iter()
                    .map(|(v, w)| (v.as_str(), w.as_str())),
            )
            .collect();
        longest_first(found)
    }

    /// The long values substituted anywhere in the file.
    fn long_values(&self) -> Vec<(String, String)> {
        let found: BTreeSet<(&str, &str)> = self
            .replacements
            .iter()
            .filter(|r| r.variable.is_some())
            .map(|r| self.substitution(r))
            .filter(|(value, _)| value.chars().count() >= SHORT_VALUE)
            .collect();
        longest_first(found)
    }

    /// A substitution's value, and its `${...}` as written.
    fn substitution(&self, r: &Replacement) -> (&str, &str) {
        (
            &self.text[r.interpolated.clone()],
            &self.original[r.original.clone()],
        )
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

fn longest_first(values: BTreeSet<(&str, &str)>) -> Vec<(String, String)> {
    let mut values: Vec<(String, String)> = values
        .into_iter()
        .map(|(value, written)| (value.to_owned(), written.to_owned()))
        .collect();
    values.sort_by_key(|(value, _)| std::cmp::Reverse(value.len()));
    values
}

/// Where each line starts: after `\n`, and after a `\r` not followed by `\n`.
fn line_starts(text: &str) -> Vec<usize> {
    let bytes = text.as_bytes();
    let mut starts = vec![0];
    for (at, &byte) in bytes.iter().enumerate() {
        let breaks = match byte {
            b'\n' => true,
            b'\r' => bytes.get(at + 1) != Some(&b'\n'),
            _ => false,
        };
        if breaks {
            starts.push(at + 1);
        }
    }
    starts
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
