//! Errors in a pipeline file, with their place and a hint, rendered like the
//! Rust compiler's.

use std::fmt;
use std::ops::Range;

use crate::SourceFile;

/// At most this many characters of a line are echoed under an error; a
/// longer line is cut around the caret, with `…` where it is cut.
const ECHO_WIDTH: usize = 120;

/// A value from a `${...}` shorter than this many characters is put back as
/// its `${...}` only in a message about its own place, and only where it
/// stands alone there, so that a `0` read from `${N}` does not turn `10000`
/// into `1${N}${N}${N}${N}`. A longer value, which may be a secret, is put
/// back wherever it appears.
pub(crate) const SHORT_VALUE: usize = 4;

/// A place in a pipeline file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file's name, as given when it was read.
    pub file: String,
    /// The line, from 1. A line ends at `\n`, `\r\n` or a `\r` alone.
    pub line: usize,
    /// The column, from 1, counted in characters.
    pub column: usize,
    /// The text of the line, without its line break; a line longer than
    /// 120 characters is cut to the 120 around the problem, with `…` where
    /// it is cut.
    pub line_text: String,
    /// Where the problem starts in `line_text`, in characters from 1: the
    /// `column`, unless the start of the line was cut.
    pub text_column: usize,
    /// How many characters of `line_text` the problem covers, at least 1.
    pub width: usize,
    /// The values substituted for `${...}`s that a message about this place
    /// must not show, longest first, each with its `${...}` as written.
    substituted: Vec<(String, String)>,
}

impl Location {
    /// The place at `column` of `line`, whose whole text is `line_text`.
    pub(crate) fn new(
        file: String,
        line: usize,
        column: usize,
        line_text: &str,
        width: usize,
    ) -> Self {
        let length = line_text.chars().count();
        let (line_text, text_column, width) = if length <= ECHO_WIDTH {
            (line_text.to_owned(), column, width)
        } else {
            // A third of the width before the problem, the rest after it.
            let first = (column - 1)
                .saturating_sub(ECHO_WIDTH / 3)
                .min(length - ECHO_WIDTH);
            let mut shown = String::with_capacity(ECHO_WIDTH + 6);
            if first > 0 {
                shown.push('…');
            }
            shown.extend(line_text.chars().skip(first).take(ECHO_WIDTH));
            if first + ECHO_WIDTH < length {
                shown.push('…');
            }
            let width = width.min((first + ECHO_WIDTH).saturating_sub(column - 1));
            (shown, column - first + usize::from(first > 0), width.max(1))
        };
        Location {
            file,
            line,
            column,
            line_text,
            text_column,
            width,
            substituted: Vec::new(),
        }
    }

    /// Sets the values a message about this place must not show.
    pub(crate) fn substituted(mut self, substituted: Vec<(String, String)>) -> Self {
        self.substituted = substituted;
        self
    }

    /// `text` with each value substituted into the problem's text put back
    /// as the `${...}` written in the file, so that a message about a value
    /// read from the environment (a password, say) shows the file, not the
    /// value.
    fn as_written(&self, text: String) -> String {
        if self.substituted.is_empty() {
            return text;
        }
        let mut shown = String::with_capacity(text.len());
        let mut at = 0;
        while let Some(c) = text[at..].chars().next() {
            let value = self.substituted.iter().find(|(value, _)| {
                text[at..].starts_with(value.as_str())
                    && (value.chars().count() >= SHORT_VALUE
                        || stands_alone(&text, at..at + value.len()))
            });
            match value {
                Some((value, written)) => {
                    shown.push_str(written);
                    at += value.len();
                }
                None => {
                    shown.push(c);
                    at += c.len_utf8();
                }
            }
        }
        shown
    }
}

/// Whether `span` of `text` is a word of its own: no letter, digit or `_`
/// right before or after it.
fn stands_alone(text: &str, span: Range<usize>) -> bool {
    let word = |c: char| c.is_alphanumeric() || c == '_';
    !text[..span.start].chars().next_back().is_some_and(word)
        && !text[span.end..].chars().next().is_some_and(word)
}

/// One problem in a pipeline file: what is wrong, where, and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// What is wrong, in lowercase with no trailing period.
    pub message: String,
    /// Where, when the problem has a place; boxed, so that a
    /// `Result<_, Diagnostic>` stays small.
    pub location: Option<Box<Location>>,
    /// What to do about it.
    pub hint: Option<String>,
}

impl Diagnostic {
    /// A diagnostic with a message and no place yet.
    pub fn new(message: impl Into<String>) -> Self {
        Diagnostic {
            message: message.into(),
            location: None,
            hint: None,
        }
    }

    /// Places the diagnostic at a span of the file's interpolated text.
    ///
    /// A value that came from a `${VAR}` in the span is shown as the file
    /// writes it, `${VAR}`, in the message and the hint, never as its value.
    pub fn at(mut self, file: &SourceFile, span: Range<usize>) -> Self {
        let location = file.location(span);
        self.message = location.as_written(self.message);
        self.hint = self.hint.map(|hint| location.as_written(hint));
        self.location = Some(Box::new(location));
        self
    }

    /// Places the diagnostic at a span of the file's text as written.
    pub fn at_original(mut self, file: &SourceFile, span: Range<usize>) -> Self {
        self.location = Some(Box::new(file.original_location(span)));
        self
    }

    /// Adds a hint; as in the message, a value from a `${VAR}` at the
    /// diagnostic's place is shown as `${VAR}`.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        let hint = hint.into();
        self.hint = Some(match &self.location {
            Some(location) => location.as_written(hint),
            None => hint,
        });
        self
    }

    /// `file:line:column`, or the file alone.
    pub fn position(&self) -> Option<String> {
        self.location
            .as_ref()
            .map(|l| format!("{}:{}:{}", l.file, l.line, l.column))
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "error: {}", self.message)?;
        if let Some(location) = &self.location {
            let number = location.line.to_string();
            let pad = " ".repeat(number.len());
            writeln!(
                f,
                "{pad}--> {}:{}:{}",
                location.file, location.line, location.column
            )?;
            writeln!(f, "{pad} |")?;
            writeln!(f, "{number} | {}", location.line_text)?;
            let indent: String = location
                .line_text
                .chars()
                .take(location.text_column - 1)
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            writeln!(f, "{pad} | {indent}{}", "^".repeat(location.width))?;
            if let Some(hint) = &self.hint {
                writeln!(f, "{pad} = hint: {hint}")?;
            }
        } else if let Some(hint) = &self.hint {
            writeln!(f, "  = hint: {hint}")?;
        }
        Ok(())
    }
}

/// Everything wrong with a pipeline file: at least one [`Diagnostic`], and
/// at most [`ConfigError::MAX_DIAGNOSTICS`]; the problems past those are
/// counted in `omitted`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    /// The problems, in the order they were found.
    pub diagnostics: Vec<Diagnostic>,
    /// How many more problems were found and not kept.
    pub omitted: usize,
}

impl ConfigError {
    /// The most problems kept, and shown, for one file. A file with a
    /// systematic mistake (a wrong line ending, a key misspelt in every
    /// table) has as many errors as lines or tables, and the first ones say
    /// what to fix.
    pub const MAX_DIAGNOSTICS: usize = 20;

    /// An error made of these diagnostics: the first
    /// [`ConfigError::MAX_DIAGNOSTICS`] are kept, the others counted.
    pub fn new(mut diagnostics: Vec<Diagnostic>) -> Self {
        let omitted = diagnostics.len().saturating_sub(Self::MAX_DIAGNOSTICS);
        diagnostics.truncate(Self::MAX_DIAGNOSTICS);
        ConfigError {
            diagnostics,
            omitted,
        }
    }

    /// How many problems were found, kept or not.
    pub fn count(&self) -> usize {
        self.diagnostics.len() + self.omitted
    }
}

impl From<Diagnostic> for ConfigError {
    fn from(diagnostic: Diagnostic) -> Self {
        ConfigError::new(vec![diagnostic])
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, diagnostic) in self.diagnostics.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{diagnostic}")?;
        }
        if self.omitted > 0 {
            writeln!(
                f,
                "\nand {} more error{}, not shown: at most {} are shown for a file",
                self.omitted,
                if self.omitted == 1 { "" } else { "s" },
                Self::MAX_DIAGNOSTICS
            )?;
        }
        Ok(())
    }
}

/// The candidate closest to `input`, when one is close enough to be a typo.
pub fn did_you_mean<'a>(
    input: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|candidate| (strsim::jaro_winkler(input, candidate), candidate))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate)
}

/// Turns a serde error message about a pipeline value into a message and a
/// hint a user can act on.
pub(crate) fn explain_serde_message(message: &str) -> (String, String) {
    let mut message = message.trim_end().trim_end_matches('.').to_owned();
    // The choices go in the hint, after the likely one: the message names
    // what is wrong, once.
    let hint = if let Some(rest) = message.strip_prefix("unknown field `") {
        let (field, expected) = split_expected(rest);
        let hint = hint_for_choice("keys", field, &expected);
        message = format!("unknown field `{field}`");
        hint
    } else if let Some(rest) = message.strip_prefix("unknown variant `") {
        let (variant, expected) = split_expected(rest);
        let hint = hint_for_choice("values", variant, &expected);
        message = format!("unknown value `{variant}`");
        hint
    } else if let Some(rest) = message.strip_prefix("missing field `") {
        let field = rest.trim_end_matches('`');
        format!("add `{field} = ...` to this table; `tributary schema` describes it")
    } else if let Some((found, expected)) = message.split_once(", expected ") {
        let (noun, advice) = describe_expected(expected);
        let hint = format!("write {noun}{advice} here");
        message = format!("{found}, expected {noun}");
        hint
    } else {
        "`tributary schema` lists the keys and value types allowed here".to_owned()
    };
    (message, hint)
}

/// Says serde's expected type the way a TOML writer thinks of it, with advice.
fn describe_expected(expected: &str) -> (&str, &'static str) {
    match expected {
        "u8" | "u16" | "u32" | "u64" | "usize" | "i8" | "i16" | "i32" | "i64" | "isize" => {
            ("a whole number", ", without quotes,")
        }
        "f32" | "f64" => ("a number", ", without quotes,"),
        "a boolean" => ("`true` or `false`", ", without quotes,"),
        "a string" => ("a string", ", in quotes,"),
        other => (other, ""),
    }
}

/// Splits "`name`, expected one of `a`, `b`" into the name and the choices.
fn split_expected(rest: &str) -> (&str, Vec<&str>) {
    let (name, tail) = rest.split_once('`').unwrap_or((rest, ""));
    let expected = tail.split('`').skip(1).step_by(2).collect();
    (name, expected)
}

fn hint_for_choice(what: &str, input: &str, expected: &[&str]) -> String {
    let listed = expected
        .iter()
        .map(|e| format!("`{e}`"))
        .collect::<Vec<_>>()
        .join(", ");
    match did_you_mean(input, expected.iter().copied()) {
        Some(best) => format!("did you mean `{best}`? The {what} allowed here are {listed}"),
        None if expected.is_empty() => format!("no {what} are allowed here"),
        None => format!("the {what} allowed here are {listed}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_place_line_caret_and_hint() {
        let file = SourceFile::new(
            "pipeline.toml",
            "[source]\ntype = \"kinesis\"\nbatchsize = 100\n",
            |_| None,
        )
        .unwrap();
        let start = file.text().find("batchsize").unwrap();
        let diagnostic = Diagnostic::new("unknown field `batchsize`")
            .at(&file, start..start + 9)
            .hint("did you mean `batch_size`?");
        assert_eq!(
            diagnostic.to_string(),
            "error: unknown field `batchsize`\n \
             --> pipeline.toml:3:1\n  \
             |\n\
             3 | batchsize = 100\n  \
             | ^^^^^^^^^\n  \
             = hint: did you mean `batch_size`?\n"
        );
        assert_eq!(diagnostic.position().unwrap(), "pipeline.toml:3:1");
    }

    #[test]
    fn a_long_line_is_echoed_around_the_caret() {
        let line = format!("tags = [{}\"bad\" ?]", "\"x\", ".repeat(2000));
        let file = SourceFile::new("p.toml", line.as_str(), |_| None).unwrap();
        let start = file.text().find('?').unwrap();
        let diagnostic = Diagnostic::new("unexpected `?`").at(&file, start..start + 1);
        assert_eq!(
            diagnostic.position().unwrap(),
            format!("p.toml:1:{}", start + 1)
        );
        let rendered = diagnostic.to_string();
        assert!(
            rendered.lines().all(|l| l.chars().count() <= 140),
            "{rendered}"
        );
        let lines: Vec<&str> = rendered.lines().collect();
        let (echoed, caret) = (lines[3], lines[4]);
        assert!(echoed.contains('…'), "{echoed}");
        let at = caret.find('^').unwrap();
        assert_eq!(echoed.chars().nth(at), Some('?'), "{echoed}\n{caret}");
    }

    #[test]
    fn explains_serde_messages() {
        let (message, hint) =
            explain_serde_message("unknown field `batchsize`, expected `batch_size` or `codec`");
        assert_eq!(
            message, "unknown field `batchsize`",
            "the choices are in the hint"
        );
        assert_eq!(
            hint,
            "did you mean `batch_size`? The keys allowed here are `batch_size`, `codec`"
        );
        let (_, hint) = explain_serde_message("missing field `name`");
        assert_eq!(
            hint,
            "add `name = ...` to this table; `tributary schema` describes it"
        );
        let (message, hint) = explain_serde_message("invalid type: string \"x\", expected u32");
        assert_eq!(
            message,
            "invalid type: string \"x\", expected a whole number"
        );
        assert_eq!(hint, "write a whole number, without quotes, here");
        let (message, hint) = explain_serde_message(
            "unknown variant `retyr`, expected one of `retry`, `skip`, `dead-letter`",
        );
        assert_eq!(message, "unknown value `retyr`");
        assert!(hint.starts_with("did you mean `retry`?"), "{hint}");
    }
}
