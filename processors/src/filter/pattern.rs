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

use std::fmt;

use serde_json::{Map, Value};

use super::operator::{AnythingBut, Cidr, Literal, Operator, Range, Wildcard, lowercase};

/// A compiled event pattern.
#[derive(Debug, Clone)]
pub struct Pattern {
    root: Conjunction,
    /// Every path the pattern tests, for flattening only what it needs.
    paths: Vec<String>,
}

/// Goals that must all hold together.
#[derive(Debug, Clone, Default)]
struct Conjunction {
    goals: Vec<Goal>,
}

#[derive(Debug, Clone)]
enum Goal {
    /// The field at this dot-joined path matches one of the operators.
    Field {
        path: String,
        operators: Vec<Operator>,
    },
    /// One of the alternatives holds (`$or`).
    AnyOf(Vec<Conjunction>),
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
        let mut compiler = Compiler { path: Vec::new() };
        let root = match value {
            Value::Object(object) => compiler.conjunction(object, "")?,
            _ => {
                return Err(compiler.error(
                    "a pattern must be a JSON object",
                    "such as {\"source\": [\"orders\"]}",
                ));
            }
        };
        let mut paths = Vec::new();
        root.collect_paths(&mut paths);
        paths.sort();
        paths.dedup();
        Ok(Pattern { root, paths })
    }

    /// Whether the event matches.
    pub fn matches(&self, event: &Value) -> bool {
        let fields = Fields::flatten(event, &self.paths);
        let goals: Vec<&Goal> = self.root.goals.iter().collect();
        solve(&goals, &fields, &mut Vec::new())
    }
}

impl Conjunction {
    fn collect_paths(&self, out: &mut Vec<String>) {
        for goal in &self.goals {
            match goal {
                Goal::Field { path, .. } => out.push(path.clone()),
                Goal::AnyOf(alternatives) => alternatives.iter().for_each(|a| a.collect_paths(out)),
            }
        }
    }
}

/// Which element of which array a value was taken from: `(array, index)`
/// pairs, from the outermost array in.
type Trail = Vec<(u32, u32)>;

/// The event's leaf values at the paths a pattern tests, each with its trail.
struct Fields<'e> {
    values: Vec<(&'e str, &'e Value, Trail)>,
}

impl<'e> Fields<'e> {
    fn flatten(event: &'e Value, paths: &'e [String]) -> Self {
        let mut fields = Fields { values: Vec::new() };
        let mut arrays = 0;
        let mut path = String::new();
        fields.walk(event, paths, &mut path, &mut Vec::new(), &mut arrays);
        fields
    }

    fn walk(
        &mut self,
        value: &'e Value,
        paths: &'e [String],
        path: &mut String,
        trail: &mut Trail,
        arrays: &mut u32,
    ) {
        match value {
            Value::Object(object) => {
                for (key, child) in object {
                    let length = path.len();
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(key);
                    if paths.iter().any(|p| {
                        p == path
                            || (p.starts_with(path.as_str()) && p.as_bytes()[path.len()] == b'.')
                    }) {
                        self.walk(child, paths, path, trail, arrays);
                    }
                    path.truncate(length);
                }
            }
            Value::Array(items) => {
                let id = *arrays;
                *arrays += 1;
                for (index, item) in items.iter().enumerate() {
                    trail.push((id, index as u32));
                    self.walk(item, paths, path, trail, arrays);
                    trail.pop();
                }
            }
            leaf => {
                if let Some(known) = paths.iter().find(|p| *p == path) {
                    self.values.push((known.as_str(), leaf, trail.clone()));
                }
            }
        }
    }

    fn at<'a>(&'a self, path: &'a str) -> impl Iterator<Item = (&'e Value, &'a Trail)> + 'a {
        self.values
            .iter()
            .filter(move |(p, _, _)| *p == path)
            .map(|(_, value, trail)| (*value, trail))
    }
}

/// Whether a trail agrees with the array elements chosen so far.
fn consistent(bound: &Trail, trail: &Trail) -> bool {
    trail
        .iter()
        .all(|(array, index)| bound.iter().all(|(a, i)| a != array || i == index))
}

/// Finds values for every goal, all from consistent array elements.
/// `exists: false` holds when no value at its path agrees with the elements
/// chosen for the other goals, so negative goals are decided last.
fn solve(goals: &[&Goal], fields: &Fields<'_>, bound: &mut Trail) -> bool {
    let Some(position) = goals
        .iter()
        .position(|goal| !is_negative_only(goal))
        .or((!goals.is_empty()).then_some(0))
    else {
        return true;
    };
    let goal = goals[position];
    let rest: Vec<&Goal> = goals
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != position)
        .map(|(_, g)| *g)
        .collect();
    match goal {
        Goal::AnyOf(alternatives) => alternatives.iter().any(|alternative| {
            let mut next: Vec<&Goal> = alternative.goals.iter().collect();
            next.extend(&rest);
            solve(&next, fields, bound)
        }),
        Goal::Field { path, operators } => {
            let wanted_present = operators
                .iter()
                .any(|op| matches!(op, Operator::Exists(true)));
            let wanted_absent = operators
                .iter()
                .any(|op| matches!(op, Operator::Exists(false)));
            let mut exists = false;
            for (value, trail) in fields.at(path) {
                if !consistent(bound, trail) {
                    continue;
                }
                exists = true;
                if wanted_present || operators.iter().any(|op| op.matches(value)) {
                    let length = bound.len();
                    for entry in trail {
                        if !bound.contains(entry) {
                            bound.push(*entry);
                        }
                    }
                    let solved = solve(&rest, fields, bound);
                    bound.truncate(length);
                    if solved {
                        return true;
                    }
                }
            }
            wanted_absent && !exists && solve(&rest, fields, bound)
        }
    }
}

/// A goal that only asks for a field's absence: decided once the others are bound.
fn is_negative_only(goal: &Goal) -> bool {
    matches!(goal, Goal::Field { operators, .. } if operators.iter().all(|op| matches!(op, Operator::Exists(false))))
}

struct Compiler {
    path: Vec<String>,
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
    ) -> Result<Conjunction, PatternError> {
        let mut conjunction = Conjunction::default();
        for (key, value) in object {
            if key == "$or" {
                let alternatives = self.within(key, |c| c.any_of(value, prefix))?;
                conjunction.goals.push(Goal::AnyOf(alternatives));
                continue;
            }
            let path = if prefix.is_empty() {
                key.clone()
            } else {
                format!("{prefix}.{key}")
            };
            self.within(key, |c| match value {
                Value::Object(inner) => {
                    let nested = c.conjunction(inner, &path)?;
                    conjunction.goals.extend(nested.goals);
                    Ok(())
                }
                Value::Array(items) => {
                    let operators = c.leaf(items)?;
                    conjunction.goals.push(Goal::Field { path, operators });
                    Ok(())
                }
                _ => Err(c.error(
                    "a field's value must be an array of values and operators, or an object",
                    format!("write [{value}] to match the value {value}"),
                )),
            })?;
        }
        Ok(conjunction)
    }

    fn any_of(&mut self, value: &Value, prefix: &str) -> Result<Vec<Conjunction>, PatternError> {
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

    fn leaf(&mut self, items: &[Value]) -> Result<Vec<Operator>, PatternError> {
        items
            .iter()
            .enumerate()
            .map(|(i, item)| self.within(i.to_string(), |c| c.operator(item)))
            .collect()
    }

    fn operator(&mut self, item: &Value) -> Result<Operator, PatternError> {
        let object = match item {
            Value::Object(object) => object,
            Value::Array(_) => {
                return Err(self.error(
                    "a value inside a field's list cannot be a list",
                    "list the values side by side",
                ));
            }
            literal => {
                return Ok(Operator::Exact(
                    literal_of(literal).expect("scalars are literals"),
                ));
            }
        };
        let mut entries = object.iter();
        let (Some((name, argument)), None) = (entries.next(), entries.next()) else {
            return Err(self.error(
                "an operator is an object with exactly one key",
                "such as {\"prefix\": \"us-\"}",
            ));
        };
        self.within(name, |c| match name.as_str() {
            "prefix" => c.affix(argument, Operator::Prefix, Operator::PrefixIgnoreCase),
            "suffix" => c.affix(argument, Operator::Suffix, Operator::SuffixIgnoreCase),
            "equals-ignore-case" => match argument {
                Value::String(text) => Ok(Operator::EqualsIgnoreCase(lowercase(text).into_owned())),
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
                    "`cidr` takes an IPv4 or IPv6 network",
                    "such as {\"cidr\": \"10.0.0.0/24\"} or {\"cidr\": \"2001:db8::/32\"}",
                )),
            },
            "exists" => match argument {
                Value::Bool(wanted) => Ok(Operator::Exists(*wanted)),
                _ => Err(c.error("`exists` takes true or false", "such as {\"exists\": true}")),
            },
            unknown => {
                let hint = match tributary_config::did_you_mean(&unknown.to_lowercase(), OPERATORS)
                {
                    Some(best) => format!("did you mean `{best}`? Operator names are lowercase"),
                    None => format!("the operators are {}", OPERATORS.join(", ")),
                };
                Err(c.error(format!("unknown operator `{unknown}`"), hint))
            }
        })
    }

    /// `prefix` and `suffix`: a string, or `{"equals-ignore-case": "..."}`.
    fn affix(
        &mut self,
        argument: &Value,
        exact: fn(String) -> Operator,
        ignore_case: fn(String) -> Operator,
    ) -> Result<Operator, PatternError> {
        let hint =
            "such as {\"prefix\": \"us-\"} or {\"prefix\": {\"equals-ignore-case\": \"US-\"}}";
        match argument {
            Value::String(text) => Ok(exact(text.clone())),
            Value::Object(inner) if inner.len() == 1 => match inner.get("equals-ignore-case") {
                Some(Value::String(text)) => Ok(ignore_case(lowercase(text).into_owned())),
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
        let hint = "such as {\"anything-but\": \"stopped\"}, {\"anything-but\": [\"a\", 1]} or {\"anything-but\": {\"prefix\": \"test-\"}}";
        match argument {
            Value::String(_) | Value::Number(_) => Ok(AnythingBut::Values(vec![
                literal_of(argument).expect("a scalar"),
            ])),
            Value::Array(items) if !items.is_empty() => items
                .iter()
                .map(|item| match item {
                    Value::String(_) | Value::Number(_) => Ok(literal_of(item).expect("a scalar")),
                    _ => Err(self.error("`anything-but` lists only strings and numbers", hint)),
                })
                .collect::<Result<_, _>>()
                .map(AnythingBut::Values),
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
                        "equals-ignore-case" => Ok(AnythingBut::IgnoreCase(texts.iter().map(|t| lowercase(t).into_owned()).collect())),
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
        for pair in items.chunks(2) {
            let operator = pair[0]
                .as_str()
                .ok_or_else(|| bad("a comparison starts with one of = < <= > >="))?;
            let number = pair[1]
                .as_f64()
                .filter(|n| n.is_finite())
                .ok_or_else(|| bad("a comparison's operand must be a number"))?;
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
        if let (Some((low, _)), Some((high, _))) = (range.lower, range.upper)
            && low > high
        {
            return Err(bad("the lower bound is above the upper bound"));
        }
        Ok(range)
    }
}

fn literal_of(value: &Value) -> Option<Literal> {
    match value {
        Value::String(text) => Some(Literal::String(text.clone())),
        Value::Number(number) => number.as_f64().map(Literal::Number),
        Value::Bool(b) => Some(Literal::Bool(*b)),
        Value::Null => Some(Literal::Null),
        _ => None,
    }
}
