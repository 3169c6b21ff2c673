//! `${VAR}` and `${VAR:-default}` interpolation from the environment.
//!
//! Interpolation happens on the text before it is parsed, so a variable can
//! stand anywhere a value can. `$${` writes a literal `${`. Lines whose first
//! non-blank character is `#` are comments and are left alone. Each
//! substitution is remembered, so that errors found later can be mapped back
//! to the file as written.

use std::ops::Range;

/// One substitution: where the `${...}` stood, and where its value stands.
#[derive(Debug, Clone)]
pub(crate) struct Replacement {
    pub(crate) original: Range<usize>,
    pub(crate) interpolated: Range<usize>,
    /// The variable substituted; `None` for an escaped `$${`.
    pub(crate) variable: Option<String>,
}

/// A problem with one `${...}`, at its span in the original text.
#[derive(Debug)]
pub(crate) struct InterpolationError {
    pub(crate) span: Range<usize>,
    pub(crate) message: String,
    pub(crate) hint: String,
}

type Interpolated = (String, Vec<Replacement>);

pub(crate) fn interpolate(
    original: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Interpolated, Vec<InterpolationError>> {
    let mut text = String::with_capacity(original.len());
    let mut replacements = Vec::new();
    let mut errors = Vec::new();
    let mut line_start = 0;
    for line in original.split_inclusive('\n') {
        if line.trim_start().starts_with('#') {
            text.push_str(line);
        } else {
            interpolate_line(
                line,
                line_start,
                lookup,
                &mut text,
                &mut replacements,
                &mut errors,
            );
        }
        line_start += line.len();
    }
    if errors.is_empty() {
        Ok((text, replacements))
    } else {
        Err(errors)
    }
}

fn interpolate_line(
    line: &str,
    line_start: usize,
    lookup: &dyn Fn(&str) -> Option<String>,
    text: &mut String,
    replacements: &mut Vec<Replacement>,
    errors: &mut Vec<InterpolationError>,
) {
    let mut rest = 0;
    while let Some(found) = line[rest..].find('$') {
        let dollar = rest + found;
        text.push_str(&line[rest..dollar]);
        let after = &line[dollar + 1..];
        if after.starts_with("${") {
            // `$${` is an escaped `${`.
            let original = line_start + dollar..line_start + dollar + 3;
            let start = text.len();
            text.push_str("${");
            replacements.push(Replacement {
                original,
                interpolated: start..text.len(),
                variable: None,
            });
            rest = dollar + 3;
            continue;
        }
        if !after.starts_with('{') {
            text.push('$');
            rest = dollar + 1;
            continue;
        }
        let Some(close) = after.find('}') else {
            errors.push(InterpolationError {
                span: line_start + dollar..line_start + line.trim_end().len(),
                message: "unterminated `${` in variable reference".to_owned(),
                hint: "close it with `}`, or write `$${` for a literal `${`".to_owned(),
            });
            text.push_str(&line[dollar..]);
            return;
        };
        let inner = &after[1..close];
        let end = dollar + 1 + close + 1;
        let span = line_start + dollar..line_start + end;
        let (name, default) = match inner.split_once(":-") {
            Some((name, default)) => (name, Some(default)),
            None => (inner, None),
        };
        let start = text.len();
        if !is_variable_name(name) {
            errors.push(InterpolationError {
                span: span.clone(),
                message: format!("invalid variable name `{name}`"),
                hint: "names are letters, digits and `_`, not starting with a digit, as in `${OUTPUT_DIR}` or `${OUTPUT_DIR:-out}`".to_owned(),
            });
        } else if let Some(value) = lookup(name).or_else(|| default.map(str::to_owned)) {
            text.push_str(&value);
        } else {
            errors.push(InterpolationError {
                span: span.clone(),
                message: format!("environment variable `{name}` is not set"),
                hint: format!(
                    "set `{name}` in the environment, or give a default: `${{{name}:-value}}`"
                ),
            });
        }
        replacements.push(Replacement {
            original: span,
            interpolated: start..text.len(),
            variable: Some(name.to_owned()),
        });
        rest = end;
    }
    text.push_str(&line[rest..]);
}

fn is_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "REGION" => Some("eu-west-1".to_owned()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    fn run(text: &str) -> Result<String, Vec<InterpolationError>> {
        interpolate(text, &env).map(|(text, _)| text)
    }

    #[test]
    fn substitutes_variables_and_defaults() {
        assert_eq!(run("r = \"${REGION}\"").unwrap(), "r = \"eu-west-1\"");
        assert_eq!(
            run("r = \"${NOPE:-us-east-1}\"").unwrap(),
            "r = \"us-east-1\""
        );
        assert_eq!(run("r = \"${REGION:-x}\"").unwrap(), "r = \"eu-west-1\"");
        assert_eq!(run("r = \"${EMPTY:-x}\"").unwrap(), "r = \"\"");
        assert_eq!(run("r = \"${NOPE:-}\"").unwrap(), "r = \"\"");
    }

    #[test]
    fn leaves_escapes_dollars_and_comments_alone() {
        assert_eq!(run("r = \"$${REGION}\"").unwrap(), "r = \"${REGION}\"");
        assert_eq!(run("r = \"$5 $x\"").unwrap(), "r = \"$5 $x\"");
        assert_eq!(
            run("  # uses ${UNSET}\nx = 1").unwrap(),
            "  # uses ${UNSET}\nx = 1"
        );
    }

    #[test]
    fn reports_every_bad_reference_at_its_place() {
        let errors = run("a = \"${UNSET}\"\nb = \"${1X}\"\nc = \"${OPEN\"\n").unwrap_err();
        let messages: Vec<_> = errors
            .iter()
            .map(|e| (e.span.clone(), e.message.as_str()))
            .collect();
        assert_eq!(
            messages,
            [
                (5..13, "environment variable `UNSET` is not set"),
                (20..25, "invalid variable name `1X`"),
                (32..39, "unterminated `${` in variable reference"),
            ]
        );
    }
}
