//! What a SQL check's answer must be: `= 75`, `>= 1`, `!= 0`, `between 1 and 5`, or a string.

use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub enum Expectation {
    Compare(Op, f64),
    Between(f64, f64),
    /// Anything else is compared as text, exactly.
    Text(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Expectation {
    pub fn parse(text: &str) -> Result<Self, String> {
        let t = text.trim();
        let number = |s: &str, what: &str| {
            s.trim()
                .replace('_', "")
                .parse::<f64>()
                .map_err(|_| format!("`{text}`: `{}` after {what} is not a number", s.trim()))
        };
        if let Some(rest) = t.strip_prefix("between ") {
            let (low, high) = rest
                .split_once(" and ")
                .ok_or_else(|| format!("`{text}`: write it like \"between 1 and 5\""))?;
            let (low, high) = (number(low, "between")?, number(high, "and")?);
            if low > high {
                return Err(format!("`{text}`: the lower bound is above the upper one"));
            }
            return Ok(Expectation::Between(low, high));
        }
        for (symbol, op) in [
            ("==", Op::Eq),
            ("!=", Op::Ne),
            ("<=", Op::Le),
            (">=", Op::Ge),
            ("=", Op::Eq),
            ("<", Op::Lt),
            (">", Op::Gt),
        ] {
            if let Some(rest) = t.strip_prefix(symbol) {
                return Ok(Expectation::Compare(op, number(rest, symbol)?));
            }
        }
        Ok(Expectation::Text(text.to_string()))
    }

    /// Whether a value read from the database meets the expectation.
    pub fn met_by(&self, value: &str) -> bool {
        match self {
            Expectation::Text(expected) => value == expected,
            numeric => match value.trim().parse::<f64>() {
                Ok(v) => match *numeric {
                    Expectation::Between(low, high) => low <= v && v <= high,
                    Expectation::Compare(op, x) => match op {
                        Op::Eq => v == x,
                        Op::Ne => v != x,
                        Op::Lt => v < x,
                        Op::Le => v <= x,
                        Op::Gt => v > x,
                        Op::Ge => v >= x,
                    },
                    Expectation::Text(_) => unreachable!("matched above"),
                },
                Err(_) => false,
            },
        }
    }
}

impl fmt::Display for Expectation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expectation::Text(t) => write!(f, "= \"{t}\""),
            Expectation::Between(a, b) => write!(f, "between {a} and {b}"),
            Expectation::Compare(op, x) => {
                let symbol = match op {
                    Op::Eq => "=",
                    Op::Ne => "≠",
                    Op::Lt => "<",
                    Op::Le => "≤",
                    Op::Gt => ">",
                    Op::Ge => "≥",
                };
                write!(f, "{symbol} {x}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_a_runbook_writes() {
        assert_eq!(Expectation::parse("= 75").unwrap(), Expectation::Compare(Op::Eq, 75.0));
        assert_eq!(Expectation::parse(">=1").unwrap(), Expectation::Compare(Op::Ge, 1.0));
        assert_eq!(Expectation::parse("between 1 and 5").unwrap(), Expectation::Between(1.0, 5.0));
        assert_eq!(Expectation::parse("ok").unwrap(), Expectation::Text("ok".into()));
        assert!(Expectation::parse(">= lots").unwrap_err().contains("not a number"));
        assert!(Expectation::parse("between 5 and 1").is_err());
    }

    #[test]
    fn values_meet_or_miss() {
        let e = |s| Expectation::parse(s).unwrap();
        assert!(e("= 75").met_by("75"));
        assert!(!e("= 75").met_by("74"));
        assert!(e("!= 0").met_by("3"));
        assert!(e("between 1 and 5").met_by("5"));
        assert!(!e("between 1 and 5").met_by("6"));
        assert!(!e(">= 1").met_by("none"));
        assert!(e("GN_CONAKRY").met_by("GN_CONAKRY"));
        assert_eq!(e(">= 1").to_string(), "≥ 1");
    }
}
