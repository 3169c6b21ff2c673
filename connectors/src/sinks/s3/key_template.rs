//! The object key template of the `s3` sink, such as
//! `raw/{pipeline}/%Y/%m/%d/%H/{shard}-{first_sequence}.jsonl.gz`: its
//! parsing and checks, each error at its byte in the template, and the keys
//! it renders.
//!
//! A key is rendered in two steps. Each record's *group key* is the key with
//! everything but `{first_sequence}`: the pipeline, the record's shard and
//! its arrival time. Records with the same group key go to the same objects;
//! once an object's records are known, [`object_key`] puts its first
//! record's sequence in.
//!
//! The values put in (the pipeline's name, the shard, the sequence) are made
//! key-safe by [`key_safe`]; the template's own text is taken as written.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::sync::Arc;

use chrono::format::{Item, StrftimeItems};
use chrono::{DateTime, Utc};
use tributary_core::Origin;

/// The placeholders a key template knows, as written between braces.
pub(super) const PLACEHOLDERS: [&str; 3] = ["pipeline", "shard", "first_sequence"];

/// The longest key S3 takes, in bytes.
pub(super) const MAX_KEY_BYTES: usize = 1024;

/// Stands for `{first_sequence}` in a group key. The template refuses
/// control characters and the values put in are key-safe, so it stands for
/// nothing else.
const SEQUENCE_SLOT: char = '\0';

/// A parsed key template.
#[derive(Debug, Clone)]
pub(super) struct KeyTemplate {
    parts: Vec<Part>,
    /// Whether a time directive reads below the second (`%f`, `%.3f`):
    /// group keys then change within a second.
    subsecond: bool,
}

#[derive(Debug, Clone)]
enum Part {
    /// Text with strftime directives, formatted with the event time.
    Time(Vec<Item<'static>>),
    /// Text taken as it is: the template's text without directives, or a
    /// value already put in (the pipeline's name).
    Fixed(String),
    /// `{pipeline}`, until [`KeyTemplate::with_pipeline`] puts it in.
    Pipeline,
    /// `{shard}`.
    Shard,
    /// `{first_sequence}`.
    FirstSequence,
}

/// What is wrong with a key template, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct TemplateError {
    /// The byte of the template at fault.
    pub(super) offset: usize,
    /// What is wrong.
    pub(super) message: String,
    /// What to do.
    pub(super) hint: String,
}

impl TemplateError {
    fn new(offset: usize, message: impl Into<String>, hint: impl Into<String>) -> Self {
        TemplateError {
            offset,
            message: message.into(),
            hint: hint.into(),
        }
    }
}

const EXAMPLE: &str = "such as `raw/{pipeline}/%Y/%m/%d/%H/{shard}-{first_sequence}.jsonl.gz`";

impl KeyTemplate {
    /// Parses and checks `template`: known placeholders, known strftime
    /// directives, no control characters, `{shard}` and `{first_sequence}`
    /// both in it.
    pub(super) fn parse(template: &str) -> Result<Self, TemplateError> {
        if template.is_empty() {
            return Err(TemplateError::new(0, "the key template is empty", EXAMPLE));
        }
        if template.starts_with('/') {
            return Err(TemplateError::new(
                0,
                "an S3 key does not start with `/`",
                "start the key with its first folder, such as `raw/`",
            ));
        }
        if template.len() > MAX_KEY_BYTES {
            return Err(TemplateError::new(
                MAX_KEY_BYTES,
                format!("the key template is longer than S3's {MAX_KEY_BYTES} bytes"),
                "shorten it",
            ));
        }
        if let Some((offset, c)) = template.char_indices().find(|(_, c)| c.is_control()) {
            return Err(TemplateError::new(
                offset,
                format!("the key template has the control character {c:?}"),
                "write keys of printable characters",
            ));
        }
        let mut parts = Vec::new();
        let mut text_start = 0;
        let mut rest_start = 0;
        while let Some(brace) = template[rest_start..].find(['{', '}']) {
            let open = rest_start + brace;
            if template[open..].starts_with('}') {
                return Err(TemplateError::new(
                    open,
                    "`}` without a `{` before it",
                    "placeholders are written `{shard}`",
                ));
            }
            let closing = template[open + 1..].find(['{', '}']).map(|i| open + 1 + i);
            let Some(close) = closing.filter(|c| template[*c..].starts_with('}')) else {
                return Err(TemplateError::new(
                    open,
                    "`{` is never closed",
                    "placeholders are written `{shard}`",
                ));
            };
            push_text(&mut parts, template, text_start, open)?;
            let name = &template[open + 1..close];
            parts.push(match name {
                "pipeline" => Part::Pipeline,
                "shard" => Part::Shard,
                "first_sequence" => Part::FirstSequence,
                _ => {
                    let known = PLACEHOLDERS.map(|p| format!("{{{p}}}")).join(", ");
                    let hint = match tributary_config::did_you_mean(name, PLACEHOLDERS) {
                        Some(best) => format!("did you mean `{{{best}}}`? The key knows {known}"),
                        None => format!(
                            "the key knows {known}, and strftime directives (`%Y`, `%m`, ...) for the event time"
                        ),
                    };
                    return Err(TemplateError::new(
                        open,
                        format!("unknown placeholder `{{{name}}}`"),
                        hint,
                    ));
                }
            });
            rest_start = close + 1;
            text_start = rest_start;
        }
        push_text(&mut parts, template, text_start, template.len())?;
        for (required, part) in [
            ("shard", Part::Shard),
            ("first_sequence", Part::FirstSequence),
        ] {
            let has = parts
                .iter()
                .any(|p| std::mem::discriminant(p) == std::mem::discriminant(&part));
            if !has {
                return Err(TemplateError::new(
                    0,
                    format!("the key template has no `{{{required}}}`"),
                    format!(
                        "without `{{shard}}` and `{{first_sequence}}`, two batches would write the \
                         same key and the later would overwrite the earlier's object; put both in \
                         the key, {EXAMPLE}"
                    ),
                ));
            }
        }
        let subsecond = template.contains("%f")
            || template.contains("%.")
            || ["%3f", "%6f", "%9f"].iter().any(|d| template.contains(d));
        Ok(KeyTemplate { parts, subsecond })
    }

    /// The template with `{pipeline}` put in.
    pub(super) fn with_pipeline(mut self, pipeline: &str) -> Self {
        let pipeline = key_safe(pipeline);
        for part in &mut self.parts {
            if matches!(part, Part::Pipeline) {
                *part = Part::Fixed(pipeline.clone().into_owned());
            }
        }
        self
    }

    /// The time a group key stays the same within, for `arrival_ms`: its
    /// second, or its millisecond when the template reads below the second.
    pub(super) fn time_bucket(&self, arrival_ms: i64) -> i64 {
        if self.subsecond {
            arrival_ms
        } else {
            arrival_ms.div_euclid(1000)
        }
    }

    /// The group key of a record of `shard` that arrived at `arrival_ms`:
    /// the key with everything but `{first_sequence}` put in.
    pub(super) fn group_key(&self, shard: &str, arrival_ms: i64) -> Result<String, String> {
        let time = DateTime::<Utc>::from_timestamp_millis(arrival_ms).ok_or_else(|| {
            format!("the record's arrival time ({arrival_ms} ms) is not a time the key can name")
        })?;
        let mut key = String::with_capacity(128);
        for part in &self.parts {
            match part {
                Part::Time(items) => write!(key, "{}", time.format_with_items(items.iter()))
                    .map_err(|_| "the key template's time directives cannot name this time")?,
                Part::Fixed(text) => key.push_str(text),
                Part::Pipeline => {}
                Part::Shard => key.push_str(&key_safe(shard)),
                Part::FirstSequence => key.push(SEQUENCE_SLOT),
            }
        }
        Ok(key)
    }
}

/// The group keys of records, rendered once for each shard and time bucket
/// in a row: consecutive records mostly share both.
#[derive(Debug)]
pub(super) struct GroupKeys {
    template: KeyTemplate,
    /// The last shard, time bucket and group key rendered.
    last: Option<(Arc<str>, i64, String)>,
}

impl GroupKeys {
    /// The group keys of `template`.
    pub(super) fn new(template: KeyTemplate) -> Self {
        GroupKeys {
            template,
            last: None,
        }
    }

    /// The group key of a record from `origin`, or why it has none.
    pub(super) fn of(&mut self, origin: &Origin) -> Result<&str, String> {
        let bucket = self.template.time_bucket(origin.arrival_ms);
        let fresh = match &self.last {
            Some((shard, last_bucket, _)) => *last_bucket != bucket || *shard != origin.shard,
            None => true,
        };
        if fresh {
            let key = self.template.group_key(&origin.shard, origin.arrival_ms)?;
            self.last = Some((origin.shard.clone(), bucket, key));
        }
        Ok(self.last.as_ref().map_or("", |(_, _, key)| key.as_str()))
    }
}

/// The key of an object of `group_key` whose first record has `sequence`
/// (and `sub_sequence`, for a record of a KPL aggregate or a CloudWatch Logs
/// message): the group key with `SEQUENCE` or `SEQUENCE.SUB` put in.
pub(super) fn object_key(group_key: &str, sequence: &str, sub_sequence: Option<u64>) -> String {
    let mut first = key_safe(sequence).into_owned();
    if let Some(sub) = sub_sequence {
        let _ = write!(first, ".{sub}");
    }
    group_key.replace(SEQUENCE_SLOT, &first)
}

/// The template's text before its first placeholder or time directive:
/// every key it renders starts with it.
pub(super) fn fixed_prefix(template: &str) -> &str {
    let end = template.find(['{', '%']).unwrap_or(template.len());
    &template[..end]
}

/// `value` as key text: ASCII letters, digits, `-`, `_` and `.` as they
/// are, every other byte as `%XX` (so `/` in a shard makes no folder, and
/// two values never give the same text). A value of `.` or `..` has its
/// dots encoded too, so that it never makes a `.` or `..` path segment.
pub(super) fn key_safe(value: &str) -> Cow<'_, str> {
    let safe = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.');
    let dots = matches!(value, "." | "..");
    if !dots && value.bytes().all(safe) {
        return Cow::Borrowed(value);
    }
    let mut out = String::with_capacity(value.len() * 3);
    for byte in value.bytes() {
        if safe(byte) && !(dots && byte == b'.') {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    Cow::Owned(out)
}

/// Adds the template's text from `start` to `end` (between placeholders) to
/// `parts`: as strftime items if it has directives, each checked, else as
/// it is.
fn push_text(
    parts: &mut Vec<Part>,
    template: &str,
    start: usize,
    end: usize,
) -> Result<(), TemplateError> {
    let text = &template[start..end];
    if text.is_empty() {
        return Ok(());
    }
    if !text.contains('%') {
        parts.push(Part::Fixed(text.to_owned()));
        return Ok(());
    }
    let mut from = 0;
    while let Some(found) = text[from..].find('%') {
        let at = from + found;
        let directive = &text[at..];
        if directive.starts_with("%%") {
            from = at + 2;
            continue;
        }
        let bad = |what: &str| {
            TemplateError::new(
                start + at,
                format!("`{}` is {what}", directive_text(directive)),
                "the key takes strftime directives for the event time (UTC): %Y, %m, %d, %H, %M, %S, ...",
            )
        };
        if directive.starts_with("%n") || directive.starts_with("%t") {
            return Err(bad("a line break or tab, which a key should not hold"));
        }
        match StrftimeItems::new(directive).next() {
            Some(Item::Error) | None => return Err(bad("not a time directive chrono knows")),
            Some(_) => {}
        }
        from = at + 1;
    }
    let items = StrftimeItems::new(text)
        .parse_to_owned()
        .map_err(|_| TemplateError::new(start, "the time directives cannot be read", ""))?;
    parts.push(Part::Time(items));
    Ok(())
}

/// The directive at the start of `text`, for messages: `%` and what
/// follows, up to the next `%`, `/` or the end, at most four characters.
fn directive_text(text: &str) -> &str {
    let end = text
        .char_indices()
        .skip(1)
        .find(|(i, c)| *c == '%' || *c == '/' || *i >= 4)
        .map_or(text.len(), |(i, _)| i);
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR_MS: i64 = 3_600_000;
    /// 2026-11-28T10:00:00.123Z.
    const ARRIVAL: i64 = 1_795_860_000_123;

    fn key(template: &str, shard: &str, arrival_ms: i64, sequence: &str) -> String {
        let template = KeyTemplate::parse(template)
            .unwrap()
            .with_pipeline("clicks");
        let group = template.group_key(shard, arrival_ms).unwrap();
        object_key(&group, sequence, None)
    }

    fn error(template: &str) -> TemplateError {
        KeyTemplate::parse(template).unwrap_err()
    }

    #[test]
    fn renders_the_pipeline_the_shard_the_first_sequence_and_the_utc_time() {
        let template = "raw/{pipeline}/%Y/%m/%d/%H/{shard}-{first_sequence}.jsonl.gz";
        assert_eq!(
            key(template, "shardId-000000000001", ARRIVAL, "4959"),
            "raw/clicks/2026/11/28/10/shardId-000000000001-4959.jsonl.gz"
        );
        assert_eq!(
            key(template, "shardId-000000000001", ARRIVAL + HOUR_MS, "4960"),
            "raw/clicks/2026/11/28/11/shardId-000000000001-4960.jsonl.gz"
        );
        assert_eq!(
            key("a/%M%S-%%/{shard}/{first_sequence}", "s", ARRIVAL, "1"),
            "a/0000-%/s/1"
        );
        let group = KeyTemplate::parse("{shard}/{first_sequence}")
            .unwrap()
            .group_key("s", 0)
            .unwrap();
        assert_eq!(object_key(&group, "7", Some(3)), "s/7.3");
    }

    #[test]
    fn values_put_in_are_made_key_safe() {
        assert_eq!(key_safe("shardId-000000000001"), "shardId-000000000001");
        assert_eq!(
            key_safe("arn:aws:events:eu-west-1:1:event-bus/default"),
            "arn%3Aaws%3Aevents%3Aeu-west-1%3A1%3Aevent-bus%2Fdefault"
        );
        assert_eq!(key_safe("a b%"), "a%20b%25");
        assert_eq!(key_safe(".."), "%2E%2E");
        assert_eq!(key_safe("é"), "%C3%A9");
        let template = KeyTemplate::parse("{pipeline}/{shard}/{first_sequence}")
            .unwrap()
            .with_pipeline("my pipeline");
        let group = template.group_key("a/b", ARRIVAL).unwrap();
        assert_eq!(object_key(&group, "x/y", None), "my%20pipeline/a%2Fb/x%2Fy");
    }

    #[test]
    fn group_keys_stay_within_a_second_unless_the_template_reads_below_it() {
        let by_second = KeyTemplate::parse("%S/{shard}-{first_sequence}").unwrap();
        assert_eq!(
            by_second.time_bucket(ARRIVAL),
            by_second.time_bucket(ARRIVAL + 1)
        );
        let by_ms = KeyTemplate::parse("%S%.3f/{shard}-{first_sequence}").unwrap();
        assert_ne!(by_ms.time_bucket(ARRIVAL), by_ms.time_bucket(ARRIVAL + 1));
        assert_eq!(
            by_ms.group_key("s", ARRIVAL).unwrap(),
            "00.123/s-\0",
            "the slot stands for the first sequence"
        );
        assert!(
            by_second
                .group_key("s", i64::MAX)
                .unwrap_err()
                .contains("is not a time the key can name")
        );
    }

    #[test]
    fn each_error_names_its_byte_in_the_template() {
        let unknown = error("raw/{pipline}/{shard}-{first_sequence}");
        assert_eq!(unknown.offset, 4);
        assert_eq!(unknown.message, "unknown placeholder `{pipline}`");
        assert!(
            unknown.hint.contains("did you mean `{pipeline}`"),
            "{unknown:?}"
        );
        let directive = error("raw/%Y/%Q/{shard}-{first_sequence}");
        assert_eq!(directive.offset, 7);
        assert_eq!(
            directive.message,
            "`%Q` is not a time directive chrono knows"
        );
        assert_eq!(error("raw/{shard}-{first_sequence}%").offset, 28);
        assert_eq!(error("raw/%n/{shard}-{first_sequence}").offset, 4);
        assert_eq!(error("raw/{shard-{first_sequence}").offset, 4);
        assert_eq!(error("raw/{shard}}-{first_sequence}").offset, 11);
        assert_eq!(error("raw/{shard}-{first_sequence").offset, 12);
        assert_eq!(error("/raw/{shard}-{first_sequence}").offset, 0);
        assert_eq!(error("raw\t/{shard}-{first_sequence}").offset, 3);
        assert_eq!(error("").offset, 0);
    }

    #[test]
    fn the_shard_and_the_first_sequence_are_required() {
        for template in ["raw/{pipeline}/%Y/{first_sequence}", "raw/{shard}/%H.jsonl"] {
            let missing = error(template);
            assert_eq!(missing.offset, 0);
            assert!(missing.message.starts_with("the key template has no `{"));
            assert!(
                missing
                    .hint
                    .contains("the later would overwrite the earlier's object"),
                "{missing:?}"
            );
        }
    }

    #[test]
    fn the_fixed_prefix_ends_at_the_first_placeholder_or_directive() {
        assert_eq!(
            fixed_prefix("raw/{pipeline}/%Y/{shard}-{first_sequence}"),
            "raw/"
        );
        assert_eq!(
            fixed_prefix("archive/clicks/%Y/{shard}-{first_sequence}"),
            "archive/clicks/"
        );
        assert_eq!(fixed_prefix("{shard}/{first_sequence}"), "");
    }
}
