//! Typed reads from a spanned TOML tree that record every problem instead of stopping at the first.

use std::ops::Range;
use std::time::Duration;

use chrono::TimeDelta;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::diag::Problem;
use super::duration::{parse_duration, parse_signed_duration};

pub(super) type Value<'i> = Spanned<DeValue<'i>>;

/// A TOML table being read: what it is called in messages, and the keys it may hold.
pub(super) struct Table<'a, 'i> {
    pub table: &'a DeTable<'i>,
    pub span: Range<usize>,
    what: &'static str,
}

/// Collects problems while a runbook is read.
#[derive(Default)]
pub(super) struct Sink {
    pub problems: Vec<Problem>,
}

impl Sink {
    pub fn push(&mut self, problem: Problem) {
        self.problems.push(problem);
    }

    pub fn error(&mut self, span: Range<usize>, message: impl Into<String>) {
        self.problems.push(Problem::new(span, message));
    }

    /// A table with only the allowed keys; each unknown key is reported where it stands.
    pub fn table<'a, 'i>(
        &mut self,
        value: &'a Value<'i>,
        what: &'static str,
        allowed: &[&str],
    ) -> Option<Table<'a, 'i>> {
        let DeValue::Table(table) = value.get_ref() else {
            self.error(value.span(), format!("{what} must be a table, found {}", value.get_ref().type_str()));
            return None;
        };
        for key in table.keys() {
            if !allowed.contains(&key.get_ref().as_ref()) {
                self.push(
                    Problem::new(key.span(), format!("unknown key `{}` in {what}", key.get_ref()))
                        .help(format!("{what} takes: {}", allowed.join(", "))),
                );
            }
        }
        Some(Table { table, span: value.span(), what })
    }

    /// An array's items, or a problem when the value is not an array.
    pub fn array<'a, 'i>(&mut self, value: &'a Value<'i>, what: &str) -> &'a [Value<'i>] {
        match value.get_ref() {
            DeValue::Array(items) => items,
            other => {
                self.error(value.span(), format!("{what} must be an array, found {}", other.type_str()));
                &[]
            }
        }
    }

    pub fn string(&mut self, value: &Value<'_>, what: &str) -> Option<Spanned<String>> {
        match value.get_ref() {
            DeValue::String(s) => Some(Spanned::new(value.span(), s.to_string())),
            other => {
                self.error(value.span(), format!("{what} must be a string, found {}", other.type_str()));
                None
            }
        }
    }
}

impl<'a, 'i> Table<'a, 'i> {
    pub fn get(&self, key: &str) -> Option<&'a Value<'i>> {
        self.table.get(key)
    }

    pub fn has(&self, key: &str) -> bool {
        self.table.contains_key(key)
    }

    /// The span of a key itself, for problems about the key rather than its value.
    pub fn key_span(&self, key: &str) -> Option<Range<usize>> {
        self.table.get_key_value(key).map(|(k, _)| k.span())
    }

    fn name(&self, key: &str) -> String {
        format!("`{key}` in {}", self.what)
    }

    pub fn string(&self, key: &str, sink: &mut Sink) -> Option<Spanned<String>> {
        sink.string(self.get(key)?, &self.name(key))
    }

    pub fn required_string(&self, key: &str, sink: &mut Sink) -> Option<Spanned<String>> {
        if !self.has(key) {
            sink.error(self.span.clone(), format!("{} needs `{key}`", self.what));
            return None;
        }
        self.string(key, sink)
    }

    pub fn bool(&self, key: &str, sink: &mut Sink) -> Option<bool> {
        let value = self.get(key)?;
        match value.get_ref() {
            DeValue::Boolean(b) => Some(*b),
            other => {
                sink.error(
                    value.span(),
                    format!("{} must be true or false, found {}", self.name(key), other.type_str()),
                );
                None
            }
        }
    }

    pub fn integer(&self, key: &str, sink: &mut Sink) -> Option<i64> {
        let value = self.get(key)?;
        let parsed = match value.get_ref() {
            DeValue::Integer(i) => i64::from_str_radix(&i.as_str().replace('_', ""), i.radix()).ok(),
            _ => None,
        };
        if parsed.is_none() {
            sink.error(
                value.span(),
                format!("{} must be a whole number, found {}", self.name(key), value.get_ref().type_str()),
            );
        }
        parsed
    }

    pub fn unsigned(&self, key: &str, sink: &mut Sink) -> Option<u32> {
        let n = self.integer(key, sink)?;
        match u32::try_from(n) {
            Ok(n) => Some(n),
            Err(_) => {
                let range = if n < 0 { "0 or more".to_string() } else { format!("at most {}", u32::MAX) };
                sink.error(self.get(key)?.span(), format!("{} must be {range}, found {n}", self.name(key)));
                None
            }
        }
    }

    pub fn number(&self, key: &str, sink: &mut Sink) -> Option<f64> {
        let value = self.get(key)?;
        let parsed = match value.get_ref() {
            DeValue::Integer(_) => self.integer(key, sink).map(|i| i as f64),
            DeValue::Float(f) => f.as_str().replace('_', "").parse::<f64>().ok(),
            _ => None,
        };
        match parsed {
            None => sink.error(
                value.span(),
                format!("{} must be a number, found {}", self.name(key), value.get_ref().type_str()),
            ),
            // inf and nan compare as no limit at all, or as a limit nothing meets.
            Some(n) if !n.is_finite() => {
                sink.error(value.span(), format!("{} must be a finite number, found {n}", self.name(key)));
                return None;
            }
            Some(_) => {}
        }
        parsed
    }

    pub fn duration(&self, key: &str, sink: &mut Sink) -> Option<Duration> {
        let text = self.string(key, sink)?;
        parse_duration(text.get_ref())
            .map_err(|e| sink.error(text.span(), format!("bad duration for {}: {e}", self.name(key))))
            .ok()
    }

    /// A duration that must be longer than zero: a timeout, a monitor's round.
    pub fn positive_duration(&self, key: &str, sink: &mut Sink) -> Option<Duration> {
        let d = self.duration(key, sink)?;
        if d.is_zero() {
            let span = self.get(key).map(|v| v.span()).unwrap_or_default();
            sink.error(span, format!("{} must be longer than zero", self.name(key)));
            return None;
        }
        Some(d)
    }

    pub fn signed_duration(&self, key: &str, sink: &mut Sink) -> Option<TimeDelta> {
        let text = self.string(key, sink)?;
        parse_signed_duration(text.get_ref())
            .map_err(|e| sink.error(text.span(), format!("bad duration for {}: {e}", self.name(key))))
            .ok()
    }

    pub fn strings(&self, key: &str, sink: &mut Sink) -> Option<Vec<Spanned<String>>> {
        let value = self.get(key)?;
        let name = self.name(key);
        let items = sink.array(value, &name);
        Some(items.iter().filter_map(|item| sink.string(item, &name)).collect())
    }
}
