//! The index a record goes to: a template with payload fields and the
//! event time, such as `clicks-{page_type}-%Y.%m.%d`.

use chrono::{DateTime, Utc};
use serde_json::Value;
use tributary_core::Record;

/// A parsed index template.
#[derive(Debug, Clone)]
pub(super) struct IndexTemplate {
    parts: Vec<Part>,
    /// Whether the template formats the event time.
    timed: bool,
    time_field: Option<String>,
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
        })
    }

    /// The index of one record.
    pub(super) fn render(&self, record: &mut Record) -> Result<String, String> {
        let arrival_ms = record.origin.arrival_ms;
        let needs_payload = self.time_field.is_some() && self.timed
            || self.parts.iter().any(|p| matches!(p, Part::Field(_)));
        let payload = if needs_payload {
            Some(record.payload.json().map_err(|e| e.to_string())?)
        } else {
            None
        };
        let time = if self.timed {
            Some(event_time(payload, self.time_field.as_deref(), arrival_ms)?)
        } else {
            None
        };
        let mut name = String::new();
        for part in &self.parts {
            match (part, &time) {
                (Part::Text(text), Some(time)) => name.push_str(&time.format(text).to_string()),
                (Part::Text(text), None) => name.push_str(text),
                (Part::Field(path), _) => {
                    let value = payload.and_then(|p| lookup(p, path)).ok_or_else(|| {
                        format!("the index template needs field `{path}`, which the record does not have")
                    })?;
                    match value {
                        Value::String(text) => name.push_str(&text.to_lowercase()),
                        Value::Number(number) => name.push_str(&number.to_string()),
                        Value::Bool(b) => name.push_str(if *b { "true" } else { "false" }),
                        _ => {
                            return Err(format!(
                                "field `{path}` of the index template is not a string or number"
                            ));
                        }
                    }
                }
            }
        }
        Ok(name)
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

fn lookup<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(value, |v, key| v.get(key))
}

fn event_time(
    payload: Option<&Value>,
    field: Option<&str>,
    arrival_ms: i64,
) -> Result<DateTime<Utc>, String> {
    let from_ms = |ms: i64| {
        DateTime::<Utc>::from_timestamp_millis(ms).ok_or_else(|| format!("{ms} is not a time"))
    };
    let Some(field) = field else {
        return from_ms(arrival_ms);
    };
    match payload.and_then(|p| lookup(p, field)) {
        Some(Value::String(text)) => DateTime::parse_from_rfc3339(text)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| format!("time field `{field}` is not RFC 3339 ({e})")),
        Some(Value::Number(number)) => from_ms(
            number
                .as_i64()
                .ok_or_else(|| format!("time field `{field}` is not whole milliseconds"))?,
        ),
        _ => Err(format!("the record has no time field `{field}`")),
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
    use super::*;
    use tributary_core::{InputIndex, Origin, Payload, SourceKind};

    fn record(payload: &str) -> Record {
        let mut origin = Origin::new(SourceKind::Kinesis, "s", "shard", "1");
        origin.arrival_ms = 1_795_860_000_000;
        Record::new(
            origin,
            Payload::from_bytes(payload.to_owned()),
            InputIndex(0),
        )
    }

    #[test]
    fn renders_fields_and_event_times() {
        let template = IndexTemplate::parse("clicks-{kind}-%Y.%m.%d", None).unwrap();
        assert_eq!(
            template.render(&mut record(r#"{"kind":"View"}"#)).unwrap(),
            "clicks-view-2026.11.28"
        );
        let by_field = IndexTemplate::parse("logs-%Y.%m", Some("at".into())).unwrap();
        assert_eq!(
            by_field
                .render(&mut record(r#"{"at":"2025-01-02T03:04:05Z"}"#))
                .unwrap(),
            "logs-2025.01"
        );
        assert!(
            template
                .render(&mut record("{}"))
                .unwrap_err()
                .contains("needs field `kind`")
        );
        assert!(IndexTemplate::parse("Bad", None).is_err());
        assert!(IndexTemplate::parse("a-{x", None).is_err());
        assert!(IndexTemplate::parse("a-%Q", None).is_err());
        assert_eq!(
            IndexTemplate::parse("plain", None)
                .unwrap()
                .render(&mut record("{}"))
                .unwrap(),
            "plain"
        );
    }
}
