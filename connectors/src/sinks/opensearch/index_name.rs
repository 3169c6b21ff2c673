//! The index a record goes to: a template with payload fields and the
//! event time, such as `clicks-{page_type}-%Y.%m.%d`.

use chrono::{DateTime, Utc};
use tributary_core::json::Leaf;

/// A parsed index template.
#[derive(Debug)]
pub(super) struct IndexTemplate {
    parts: Vec<Part>,
    /// Whether the template formats the event time.
    timed: bool,
    time_field: Option<String>,
    /// For templates of arrival time alone: the last second rendered and its
    /// name, as consecutive records mostly share it.
    last: std::sync::Mutex<Option<(i64, String)>>,
}

#[derive(Debug, Clone)]
enum Part {
    /// Text with strftime specifiers (`%Y`, `%m`, ...), or none.
    Text(String),
    /// `{field.path}`: the payload's value there.
    Field(String),
}

impl IndexTemplate {
    /// Parses `template`; `time_field` names the payload field holding the
    /// event time (RFC 3339 text or epoch milliseconds), else the record's
    /// arrival time is used.
    pub(super) fn parse(template: &str, time_field: Option<String>) -> Result<Self, String> {
        let mut parts = Vec::new();
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            let close = rest[open..].find('}').ok_or_else(|| {
                format!(
                    "`{{` at {} is never closed",
                    template.len() - rest.len() + open
                )
            })?;
            if open > 0 {
                parts.push(Part::Text(rest[..open].to_owned()));
            }
            let field = &rest[open + 1..open + close];
            if field.is_empty() || field.split('.').any(str::is_empty) {
                return Err(format!("`{{{field}}}` is not a field path"));
            }
            parts.push(Part::Field(field.to_owned()));
            rest = &rest[open + close + 1..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_owned()));
        }
        let timed = parts
            .iter()
            .any(|p| matches!(p, Part::Text(t) if t.contains('%')));
        if timed {
            for part in &parts {
                if let Part::Text(text) = part {
                    check_format(text)?;
                }
            }
        }
        let lowercase_ok = parts.iter().all(|p| match p {
            Part::Text(t) => !without_specifiers(t)
                .any(|c| c.is_ascii_uppercase() || "\\/*?\"<>| ,#:".contains(c)),
            Part::Field(_) => true,
        });
        if !lowercase_ok {
            return Err(
                "index names are lowercase, without spaces or any of \\ / * ? \" < > | , # :"
                    .to_owned(),
            );
        }
        Ok(IndexTemplate {
            parts,
            timed,
            time_field,
            last: std::sync::Mutex::new(None),
        })
    }

    /// The payload fields the template reads: its `{field}`s and the time
    /// field.
    pub(super) fn field_paths(&self) -> impl Iterator<Item = &str> {
        let fields = self.parts.iter().filter_map(|p| match p {
            Part::Field(path) => Some(path.as_str()),
            Part::Text(_) => None,
        });
        fields.chain(self.time_field.as_deref().filter(|_| self.timed))
    }

    /// The index of a record that arrived at `arrival_ms`, whose payload
    /// fields `field` gives.
    pub(super) fn render<'a>(
        &self,
        arrival_ms: i64,
        field: &dyn Fn(&str) -> Option<Leaf<'a>>,
    ) -> Result<String, String> {
        let by_arrival_alone =
            self.time_field.is_none() && !self.parts.iter().any(Part::is_subsecond);
        if !by_arrival_alone {
            return self.render_now(arrival_ms, field);
        }
        let second = arrival_ms.div_euclid(1000);
        let mut last = self
            .last
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((_, name)) = last.as_ref().filter(|(cached, _)| *cached == second) {
            return Ok(name.clone());
        }
        let name = self.render_now(arrival_ms, field)?;
        *last = Some((second, name.clone()));
        Ok(name)
    }

    fn render_now<'a>(
        &self,
        arrival_ms: i64,
        field: &dyn Fn(&str) -> Option<Leaf<'a>>,
    ) -> Result<String, String> {
        let time = if self.timed {
            Some(event_time(field, self.time_field.as_deref(), arrival_ms)?)
        } else {
            None
        };
        let mut name = String::new();
        for part in &self.parts {
            match (part, &time) {
                (Part::Text(text), Some(time)) => name.push_str(&time.format(text).to_string()),
                (Part::Text(text), None) => name.push_str(text),
                (Part::Field(path), _) => match field(path) {
                    Some(Leaf::String(bytes)) => {
                        name.push_str(&String::from_utf8_lossy(bytes).to_lowercase())
                    }
                    Some(Leaf::Number(number)) => name.push_str(&number_text(number.exact_value())),
                    Some(Leaf::Bool(b)) => name.push_str(if b { "true" } else { "false" }),
                    Some(Leaf::Null) | None => {
                        return Err(format!(
                            "the index template needs field `{path}`, which the record does not have"
                        ));
                    }
                },
            }
        }
        Ok(name)
    }
}

/// A number as id or index text: integers without a fraction.
pub(super) fn number_text(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 9.007_199_254_740_992e15 {
        format!("{}", value as i64)
    } else {
        format!("{value}")
    }
}

/// The characters of a template's text, strftime specifiers (`%Y`) left out.
fn without_specifiers(text: &str) -> impl Iterator<Item = char> + '_ {
    let mut after_percent = false;
    text.chars().filter(move |c| {
        let keep = !after_percent && *c != '%';
        after_percent = *c == '%' && !after_percent;
        keep
    })
}

impl Part {
    /// Whether rendering depends on more than the second (a field, or a
    /// sub-second time specifier such as `%f`).
    fn is_subsecond(&self) -> bool {
        match self {
            Part::Field(_) => true,
            Part::Text(text) => {
                text.contains("%f")
                    || text.contains("%.")
                    || text.contains("%3f")
                    || text.contains("%6f")
                    || text.contains("%9f")
            }
        }
    }
}

fn event_time<'a>(
    field: &dyn Fn(&str) -> Option<Leaf<'a>>,
    time_field: Option<&str>,
    arrival_ms: i64,
) -> Result<DateTime<Utc>, String> {
    let from_ms = |ms: i64| {
        DateTime::<Utc>::from_timestamp_millis(ms).ok_or_else(|| format!("{ms} is not a time"))
    };
    let Some(path) = time_field else {
        return from_ms(arrival_ms);
    };
    match field(path) {
        Some(Leaf::String(bytes)) => DateTime::parse_from_rfc3339(&String::from_utf8_lossy(bytes))
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| format!("time field `{path}` is not RFC 3339 ({e})")),
        Some(Leaf::Number(number)) => from_ms(number.exact_value() as i64),
        _ => Err(format!("the record has no time field `{path}`")),
    }
}

/// Checks the strftime specifiers, so a wrong one is an error at
/// validation rather than a panic at run time.
fn check_format(text: &str) -> Result<(), String> {
    use chrono::format::{Item, StrftimeItems};
    if StrftimeItems::new(text).any(|item| matches!(item, Item::Error)) {
        return Err(format!(
            "`{text}` has a time format chrono does not know (use %Y, %m, %d, %H, ...)"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use tributary_core::Payload;
    use tributary_core::json::FieldReader;

    use super::*;

    fn render(template: &IndexTemplate, payload: &str) -> Result<String, String> {
        let paths: Vec<&str> = template.field_paths().collect();
        let (mut reader, ids) = FieldReader::new(paths.iter().copied());
        let mut payload = Payload::from_bytes(payload.to_owned());
        let fields = reader.read(&mut payload).unwrap();
        let lookup = |path: &str| {
            paths
                .iter()
                .position(|p| *p == path)
                .and_then(|i| fields.get(ids[i]))
        };
        template.render(1_795_860_000_000, &lookup)
    }

    #[test]
    fn renders_fields_and_event_times() {
        let template = IndexTemplate::parse("clicks-{kind}-%Y.%m.%d", None).unwrap();
        assert_eq!(
            render(&template, r#"{"kind":"View"}"#).unwrap(),
            "clicks-view-2026.11.28"
        );
        let by_field = IndexTemplate::parse("logs-%Y.%m", Some("at".into())).unwrap();
        assert_eq!(
            render(&by_field, r#"{"at":"2025-01-02T03:04:05Z"}"#).unwrap(),
            "logs-2025.01"
        );
        assert_eq!(
            render(&by_field, r#"{"at":1735787045000}"#).unwrap(),
            "logs-2025.01"
        );
        assert!(
            render(&template, "{}")
                .unwrap_err()
                .contains("needs field `kind`")
        );
        assert!(IndexTemplate::parse("Bad", None).is_err());
        assert!(IndexTemplate::parse("a-{x", None).is_err());
        assert!(IndexTemplate::parse("a-%Q", None).is_err());
        assert_eq!(
            render(&IndexTemplate::parse("plain", None).unwrap(), "{}").unwrap(),
            "plain"
        );
    }
}
