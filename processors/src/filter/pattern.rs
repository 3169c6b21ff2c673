//! Event patterns: compiled from JSON once, then matched against events.
//!
//! The semantics are EventBridge's (see the AWS EventBridge user guide,
//! "Event patterns" and "Content filtering"):
//!
//! - A pattern is a JSON object. A key whose value is an object descends; a
//!   key whose value is an array lists the values and operators the field may
//!   match. Both the pattern and the event are flattened into dot-joined
//!   paths, so `{"a": {"b": [1]}}` matches `{"a.b": 1}` as well as
//!   `{"a": {"b": 1}}`.
//! - A field matches when any of its listed values or operators matches any
//!   of its values: an array in the event contributes each element.
//! - Every key of a pattern object must match; `"$or": [..]` matches when
//!   any of its patterns does.
//! - Fields matched below an array of objects must come from one element:
//!   fields from different elements of one array are never combined.
//! - `null`, `""` and a missing field are three different things; only a
//!   missing field (or an empty array) satisfies `{"exists": false}`.
//! - Numbers compare as numbers: `[300]` matches `300.0`, never `"300"`.
//!
//! One deliberate limit: when an event has the same top-level key twice,
//! the raw-bytes matcher may read only the first. JSON leaves duplicate names
//! undefined, and ruling them out would mean reading every event to its end.

use std::fmt;

use serde_json::{Map, Value};

use super::complexity::{FieldWildcards, MAX_COMPLEXITY};
use super::operator::{
    AnythingBut, Cidr, IgnoreCase, Literal, Operator, Range, Wildcard, ip_literal,
};

/// A compiled event pattern.
#[derive(Debug, Clone)]
pub struct Pattern {
    pub(super) goals: Vec<PathGoal>,
}

/// A goal of a compiled pattern, with its field as a dot-joined path.
#[derive(Debug, Clone)]
pub(super) enum PathGoal {
    Field {
        path: String,
        operators: Vec<Operator>,
        if_present: bool,
        if_absent: bool,
    },
    AnyOf(Vec<Vec<PathGoal>>),
}

/// Why a pattern is invalid, and where in the pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError {
    /// The keys (and array positions) from the pattern's root to the fault.
    pub path: Vec<String>,
    /// What is wrong.
    pub message: String,
    /// What to write instead.
    pub hint: Option<String>,
}

impl PatternError {
    /// The error without its hint: what is wrong, and where.
    pub fn summary(&self) -> String {
        if self.path.is_empty() {
            format!("invalid event pattern: {}", self.message)
        } else {
            format!(
                "invalid event pattern at `{}`: {}",
                self.path.join("."),
                self.message
            )
        }
    }
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.summary())?;
        if let Some(hint) = &self.hint {
            write!(f, "; {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for PatternError {}

/// The operator names, for suggestions.
const OPERATORS: [&str; 9] = [
    "prefix",
    "suffix",
    "equals-ignore-case",
    "wildcard",
    "anything-but",
    "numeric",
    "cidr",
    "exists",
    "$or",
];

impl Pattern {
    /// Compiles a pattern from JSON text.
    pub fn parse(text: &str) -> Result<Pattern, PatternError> {
        let value: Value = serde_json::from_str(text).map_err(|e| PatternError {
            path: Vec::new(),
            message: format!("not valid JSON: {e}"),
            hint: Some("write the pattern as a JSON object, such as {\"detail\": {\"state\": [\"running\"]}}".into()),
        })?;
        Pattern::from_value(&value)
    }

    /// Compiles a pattern from a JSON value.
    pub fn from_value(value: &Value) -> Result<Pattern, PatternError> {
        let mut compiler = Compiler {
            path: Vec::new(),
            in_or: 0,
            wildcards: Vec::new(),
        };
        let goals = match value {
            Value::Object(object) => compiler.conjunction(object, "")?,
            _ => {
                return Err(compiler.error(
                    "a pattern must be a JSON object",
                    "such as {\"source\": [\"orders\"]}",
                ));
            }
        };
        compiler.check_complexity()?;
        Ok(Pattern { goals })
    }

    /// Whether a parsed event matches. To match many events, a
    /// [`PatternSet`](super::PatternSet) reuses its scratch space and reads raw bytes.
    /// An event nested past [`MAX_NESTING`](tributary_core::json::MAX_NESTING)
    /// where the pattern looks matches nothing.
    pub fn matches(&self, event: &Value) -> bool {
        super::PatternSet::new([self.clone()])
            .matches_value(event)
            .unwrap_or(false)
    }
}

/// What one element of a field's list compiles to.
enum Listed {
    Operator(Operator),
    Exists(bool),
}

/// Names event-ruler refuses as field names below `$or`
/// (`Constants.RESERVED_FIELD_NAMES_IN_OR_RELATIONSHIP`): "X is Ruler
/// reserved fieldName which cannot be used inside $or".
const RESERVED_IN_OR: [&str; 24] = [
    "exactly",
    "equals-ignore-case",
    "prefix",
    "suffix",
    "anything-but",
    "exists",
    "wildcard",
    "numeric",
    "cidr",
    "=",
    "<",
    "<=",
    ">",
    ">=",
    "regex",
    "not-wildcard",
    "not-equals-ignore-case",
    "date-after",
    "date-on-or-after",
    "date-before",
    "date-on-or-before",
    "in-date-range",
    "ip-address-in-range",
    "ip-address-not-in-range",
];

struct Compiler {
    path: Vec<String>,
    /// How many `$or` the object being compiled is below.
    in_or: usize,
    /// The wildcards of each field, by dot-joined path, with where the field
    /// was first written: their complexity is checked once all are known.
    wildcards: Vec<(String, Vec<String>, FieldWildcards)>,
}

impl Compiler {
    fn error(&self, message: impl Into<String>, hint: impl Into<String>) -> PatternError {
        PatternError {
            path: self.path.clone(),
            message: message.into(),
            hint: Some(hint.into()),
        }
    }

    fn within<T>(
        &mut self,
        step: impl Into<String>,
        f: impl FnOnce(&mut Self) -> Result<T, PatternError>,
    ) -> Result<T, PatternError> {
        self.path.push(step.into());
        let result = f(self);
        self.path.pop();
        result
    }

    /// Compiles a pattern object whose keys continue the dot-joined `prefix`.
    fn conjunction(
        &mut self,
        object: &Map<String, Value>,
        prefix: &str,
    ) -> Result<Vec<PathGoal>, PatternError> {
        if object.is_empty() {
            return Err(self.error(
                "an empty object is not allowed (EventBridge refuses it)",
                "name at least one field inside, such as {\"state\": [\"running\"]}, or remove it",
            ));
        }
        let mut goals = Vec::new();
        for (key, value) in object {
            if self.in_or > 0 && RESERVED_IN_OR.contains(&key.as_str()) {
                return self.within(key, |c| {
                    Err(c.error(
                        format!("`{key}` is an operator's name, which cannot be a field below `$or` (EventBridge refuses it)"),
                        "put the operator in a field's list: \"$or\": [{\"price\": [{\"numeric\": [\">\", 10]}]}, ...]",
                    ))
                });
            }
            if key == "$or" {
                self.in_or += 1;
                let alternatives = self.within(key, |c| c.any_of(value, prefix));
                self.in_or -= 1;
                let alternatives = alternatives?;
                goals.push(PathGoal::AnyOf(alternatives));
                continue;
            }
            let path = if prefix.is_empty() {
                key.clone()
            } else {
                format!("{prefix}.{key}")
            };
            self.within(key, |c| match value {
                Value::Object(inner) => {
                    goals.extend(c.conjunction(inner, &path)?);
                    Ok(())
                }
                Value::Array(items) => {
                    goals.push(c.field(path, items)?);
                    Ok(())
                }
                _ => Err(c.error(
                    "a field's value must be an array of values and operators, or an object",
                    format!("write [{value}] to match the value {value}"),
                )),
            })?;
        }
        Ok(goals)
    }

    fn any_of(&mut self, value: &Value, prefix: &str) -> Result<Vec<Vec<PathGoal>>, PatternError> {
        let hint = "write \"$or\": [{\"a\": [1]}, {\"b\": [2]}], a list of at least two patterns";
        let items = match value {
            Value::Array(items) if items.len() >= 2 => items,
            _ => return Err(self.error("`$or` must be a list of at least two patterns", hint)),
        };
        items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                self.within(i.to_string(), |c| match item {
                    Value::Object(object) => c.conjunction(object, prefix),
                    _ => Err(c.error("each alternative of `$or` must be an object", hint)),
                })
            })
            .collect()
    }

    /// A field's list of values and operators.
    fn field(&mut self, path: String, items: &[Value]) -> Result<PathGoal, PatternError> {
        if items.is_empty() {
            return Err(self.error(
                "a field's list of values cannot be empty (EventBridge refuses it)",
                "list at least one value or operator, such as [\"x\"]; to match records without the field, write [{\"exists\": false}]",
            ));
        }
        let (mut operators, mut if_present, mut if_absent) = (Vec::new(), false, false);
        for (i, item) in items.iter().enumerate() {
            match self.within(i.to_string(), |c| c.operator(item))? {
                Listed::Operator(operator) => operators.push(operator),
                Listed::Exists(true) => if_present = true,
                Listed::Exists(false) => if_absent = true,
            }
        }
        self.note_wildcards(&path, &operators);
        Ok(PathGoal::Field {
            path,
            operators,
            if_present,
            if_absent,
        })
    }

    /// Notes the wildcards among a field's operators, for [`Self::check_complexity`].
    fn note_wildcards(&mut self, path: &str, operators: &[Operator]) {
        for operator in operators {
            let strings: Vec<Vec<String>> = match operator {
                Operator::Wildcard(wildcard) => vec![wildcard.pieces().to_vec()],
                Operator::AnythingBut(AnythingBut::Wildcards(wildcards)) => {
                    wildcards.iter().map(|w| w.pieces().to_vec()).collect()
                }
                _ => continue,
            };
            let at = match self.wildcards.iter().position(|(p, ..)| p == path) {
                Some(at) => at,
                None => {
                    let field = (
                        path.to_owned(),
                        self.path.clone(),
                        FieldWildcards::default(),
                    );
                    self.wildcards.push(field);
                    self.wildcards.len() - 1
                }
            };
            self.wildcards[at].2.add(strings);
        }
    }

    /// Refuses wildcards EventBridge finds too complex (see
    /// [`complexity`](super::complexity)), at the first field over the limit.
    fn check_complexity(&mut self) -> Result<(), PatternError> {
        for (_, at, field) in &self.wildcards {
            if field.complexity(MAX_COMPLEXITY + 1) > MAX_COMPLEXITY {
                return Err(PatternError {
                    path: at.clone(),
                    message: format!(
                        "the wildcards of this field are too complex: one value can match more than {MAX_COMPLEXITY} of their prefixes at once, and EventBridge refuses such a pattern"
                    ),
                    hint: Some("use fewer `*`, avoid repeating right after a `*` the text that follows it, and start this field's wildcards with different text".into()),
                });
            }
        }
        Ok(())
    }

    fn operator(&mut self, item: &Value) -> Result<Listed, PatternError> {
        let object = match item {
            Value::Object(object) => object,
            Value::Array(_) => {
                return Err(self.error(
                    "a value inside a field's list cannot be a list",
                    "list the values side by side",
                ));
            }
            literal => {
                if let Some(address) = literal.as_str().and_then(ip_literal) {
                    return Ok(Listed::Operator(Operator::Address(address)));
                }
                let literal = literal_of(literal).expect("scalars are literals");
                return Ok(Listed::Operator(Operator::Exact(literal)));
            }
        };
        let mut entries = object.iter();
        let (Some((name, argument)), None) = (entries.next(), entries.next()) else {
            return Err(self.error(
                "an operator is an object with exactly one key",
                "such as {\"prefix\": \"us-\"}",
            ));
        };
        self.within(name, |c| c.named_operator(name, argument))
    }

    fn named_operator(&mut self, name: &str, argument: &Value) -> Result<Listed, PatternError> {
        let c = self;
        let operator = match name {
            "prefix" => c.affix(argument, Operator::Prefix, Operator::PrefixIgnoreCase),
            "suffix" => c.affix(argument, Operator::Suffix, Operator::SuffixIgnoreCase),
            "equals-ignore-case" => match argument {
                Value::String(text) => Ok(Operator::EqualsIgnoreCase(IgnoreCase::new(text))),
                _ => Err(c.error(
                    "`equals-ignore-case` takes a string",
                    "such as {\"equals-ignore-case\": \"Running\"}",
                )),
            },
            "wildcard" => match argument {
                Value::String(text) => c.wildcard(text).map(Operator::Wildcard),
                _ => Err(c.error(
                    "`wildcard` takes a string",
                    "such as {\"wildcard\": \"arn:aws:s3:::bucket/*.png\"}",
                )),
            },
            "anything-but" => c.anything_but(argument).map(Operator::AnythingBut),
            "numeric" => c.numeric(argument).map(Operator::Numeric),
            "cidr" => match argument.as_str().and_then(Cidr::parse) {
                Some(cidr) => Ok(Operator::Cidr(cidr)),
                None => Err(c.error(
                    "`cidr` takes an IPv4 or IPv6 network with a mask shorter than the address",
                    "such as {\"cidr\": \"10.0.0.0/24\"} or {\"cidr\": \"2001:db8::/32\"}; to match one address, write it as a string: [\"10.0.0.1\"]",
                )),
            },
            "exists" => {
                return match argument {
                    Value::Bool(wanted) => Ok(Listed::Exists(*wanted)),
                    _ => Err(c.error("`exists` takes true or false", "such as {\"exists\": true}")),
                };
            }
            unknown => {
                let hint = match tributary_config::did_you_mean(&unknown.to_lowercase(), OPERATORS)
                {
                    Some(best) => format!("did you mean `{best}`? Operator names are lowercase"),
                    None => format!("the operators are {}", OPERATORS.join(", ")),
                };
                Err(c.error(format!("unknown operator `{unknown}`"), hint))
            }
        };
        operator.map(Listed::Operator)
    }

    /// `prefix` and `suffix`: a string, or `{"equals-ignore-case": "..."}`.
    fn affix(
        &mut self,
        argument: &Value,
        exact: fn(String) -> Operator,
        ignore_case: fn(IgnoreCase) -> Operator,
    ) -> Result<Operator, PatternError> {
        let hint =
            "such as {\"prefix\": \"us-\"} or {\"prefix\": {\"equals-ignore-case\": \"US-\"}}";
        match argument {
            Value::String(text) => Ok(exact(text.clone())),
            Value::Object(inner) if inner.len() == 1 => match inner.get("equals-ignore-case") {
                Some(Value::String(text)) => Ok(ignore_case(IgnoreCase::new(text))),
                _ => Err(self.error(
                    "this operator takes a string or {\"equals-ignore-case\": string}",
                    hint,
                )),
            },
            _ => Err(self.error(
                "this operator takes a string or {\"equals-ignore-case\": string}",
                hint,
            )),
        }
    }

    fn wildcard(&self, text: &str) -> Result<Wildcard, PatternError> {
        Wildcard::parse(text).map_err(|message| {
            self.error(
                message,
                "write `*` once between literal text; `\\*` is a literal star",
            )
        })
    }

    fn anything_but(&mut self, argument: &Value) -> Result<AnythingBut, PatternError> {
        let hint = "such as {\"anything-but\": \"stopped\"}, {\"anything-but\": [\"a\", \"b\"]} or {\"anything-but\": {\"prefix\": \"test-\"}}";
        match argument {
            Value::String(_) => Ok(AnythingBut::Values(vec![
                literal_of(argument).expect("a scalar"),
            ])),
            Value::Number(number) => Ok(AnythingBut::Values(vec![Literal::Number(
                self.comparable(number)?,
            )])),
            Value::Array(items) if !items.is_empty() => {
                let numbers = items.iter().filter(|item| item.is_number()).count();
                if numbers != 0 && numbers != items.len() {
                    return Err(self.error(
                        "`anything-but` lists strings or numbers, not both",
                        "write two operators: {\"anything-but\": [\"a\", \"b\"]} and {\"anything-but\": [1, 2]} in separate patterns, or list one type",
                    ));
                }
                items
                    .iter()
                    .map(|item| match item {
                        Value::String(_) => Ok(literal_of(item).expect("a scalar")),
                        Value::Number(number) => self.comparable(number).map(Literal::Number),
                        _ => Err(self.error("`anything-but` lists only strings and numbers", hint)),
                    })
                    .collect::<Result<_, _>>()
                    .map(AnythingBut::Values)
            }
            Value::Object(inner) if inner.len() == 1 => {
                let (name, value) = inner.iter().next().expect("one entry");
                self.within(name, |c| {
                    let texts = c.strings(value)?;
                    match name.as_str() {
                        "prefix" | "suffix" if texts.iter().any(String::is_empty) => {
                            Err(c.error(format!("`anything-but` `{name}` cannot be empty"), "give a non-empty string"))
                        }
                        "prefix" => Ok(AnythingBut::Prefixes(texts)),
                        "suffix" => Ok(AnythingBut::Suffixes(texts)),
                        "equals-ignore-case" => Ok(AnythingBut::IgnoreCase(texts.iter().map(|t| IgnoreCase::new(t)).collect())),
                        "wildcard" => texts.iter().map(|t| c.wildcard(t)).collect::<Result<_, _>>().map(AnythingBut::Wildcards),
                        _ => Err(c.error(
                            format!("`anything-but` cannot hold `{name}`"),
                            "it holds values, or one of prefix, suffix, equals-ignore-case, wildcard",
                        )),
                    }
                })
            }
            _ => Err(self.error(
                "`anything-but` takes a string, a number, a list of them, or one operator",
                hint,
            )),
        }
    }

    /// A string, or a non-empty list of strings.
    fn strings(&self, value: &Value) -> Result<Vec<String>, PatternError> {
        let bad = || {
            self.error(
                "this takes a string or a list of strings",
                "such as \"x\" or [\"x\", \"y\"]",
            )
        };
        match value {
            Value::String(text) => Ok(vec![text.clone()]),
            Value::Array(items) if !items.is_empty() => items
                .iter()
                .map(|item| item.as_str().map(str::to_owned).ok_or_else(bad))
                .collect(),
            _ => Err(bad()),
        }
    }

    fn numeric(&self, argument: &Value) -> Result<Range, PatternError> {
        let hint = "such as {\"numeric\": [\">\", 0, \"<=\", 5]} or {\"numeric\": [\"=\", 3.5]}";
        let bad = |message: &str| self.error(message.to_owned(), hint);
        let items = argument
            .as_array()
            .ok_or_else(|| bad("`numeric` takes a list of comparisons"))?;
        if items.is_empty() || items.len() % 2 != 0 || items.len() > 4 {
            return Err(bad(
                "`numeric` takes one or two comparisons, each an operator and a number",
            ));
        }
        let mut range = Range {
            lower: None,
            upper: None,
        };
        let mut equals = false;
        for (i, pair) in items.chunks(2).enumerate() {
            let operator = pair[0]
                .as_str()
                .ok_or_else(|| bad("a comparison starts with one of = < <= > >="))?;
            let number = match &pair[1] {
                Value::Number(number) => self.comparable(number)?,
                _ => return Err(bad("a comparison's operand must be a number")),
            };
            // As event-ruler reads a range: the lower bound first.
            if i == 1 && !matches!(operator, "<" | "<=") {
                return Err(bad(
                    "the second comparison of a range is its upper bound, `<` or `<=`",
                ));
            }
            let slot = match operator {
                "=" => {
                    equals = true;
                    range.lower = Some((number, true));
                    range.upper = Some((number, true));
                    continue;
                }
                ">" | ">=" => &mut range.lower,
                "<" | "<=" => &mut range.upper,
                _ => return Err(bad("a comparison starts with one of = < <= > >=")),
            };
            if slot.is_some() {
                return Err(bad("`numeric` takes at most one lower and one upper bound"));
            }
            *slot = Some((number, operator.ends_with('=')));
        }
        if equals && items.len() > 2 {
            return Err(bad("`=` cannot be combined with another comparison"));
        }
        if !equals
            && let (Some((low, _)), Some((high, _))) = (range.lower, range.upper)
            && low >= high
        {
            return Err(bad("the lower bound must be below the upper bound"));
        }
        Ok(range)
    }

    /// A number of `numeric` or `anything-but`, which event-ruler compares as
    /// a double: it must be one exactly as written (event-ruler's
    /// `ComparableNumber.generate`, "Cannot compare number"). An integer is
    /// checked against the shortest decimal of its double; a fraction has
    /// been rounded to a double by the JSON reader already, so its digits
    /// beyond a double's precision go unnoticed.
    fn comparable(&self, number: &serde_json::Number) -> Result<f64, PatternError> {
        let value = number.as_f64().filter(|n| n.is_finite());
        let integer = number
            .as_i64()
            .map(i128::from)
            .or_else(|| number.as_u64().map(i128::from));
        match (value, integer) {
            (Some(value), Some(integer)) if shortest_is(value, integer) => Ok(value),
            (Some(value), None) => Ok(value),
            _ => Err(self.error(
                format!(
                    "{number} is not a number a double holds exactly, so it cannot be compared"
                ),
                "write it with at most 15 significant digits",
            )),
        }
    }
}

/// Whether the shortest decimal that reads back as `value` is `integer`.
fn shortest_is(value: f64, integer: i128) -> bool {
    let text = format!("{value:e}");
    let (mantissa, exponent) = text.split_once('e').expect("`{:e}` writes an exponent");
    let exponent: i32 = exponent.parse().expect("an integer exponent");
    let (negative, mantissa) = match mantissa.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, mantissa),
    };
    let fraction = mantissa.split_once('.').map_or(0, |(_, f)| f.len() as i32);
    let digits: i128 = mantissa.replace('.', "").parse().expect("digits");
    let Ok(shift) = u32::try_from(exponent - fraction) else {
        return false;
    };
    let magnitude = 10i128
        .checked_pow(shift)
        .and_then(|p| digits.checked_mul(p));
    magnitude.map(|m| if negative { -m } else { m }) == Some(integer)
}

/// An exact number of a pattern: compared as a number when it is a double
/// as written, else by its text, as event-ruler's `JsonRuleCompiler` does
/// (the JSON reader keeps an integer's digits; a fraction has been rounded
/// to a double already).
fn number_literal(number: &serde_json::Number) -> Option<Literal> {
    let value = number.as_f64().filter(|n| n.is_finite())?;
    let integer = number
        .as_i64()
        .map(i128::from)
        .or_else(|| number.as_u64().map(i128::from));
    match integer {
        Some(integer) if !shortest_is(value, integer) => {
            Some(Literal::NumberText(number.to_string()))
        }
        _ => Some(Literal::Number(value)),
    }
}

fn literal_of(value: &Value) -> Option<Literal> {
    match value {
        Value::String(text) => Some(Literal::String(text.clone())),
        Value::Number(number) => number_literal(number),
        Value::Bool(b) => Some(Literal::Bool(*b)),
        Value::Null => Some(Literal::Null),
        _ => None,
    }
}
