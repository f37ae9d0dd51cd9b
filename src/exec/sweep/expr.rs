//! The derived-key expression grammar of a sweep file:
//!
//! ```text
//! expr := NUMBER | [NUMBER "*"] "d" ["^" NUMBER]       (spaces ignored)
//! ```

use std::fmt;

use crate::config::SizeRule;

/// A derived-key expression `[c*]d[^e]` or a constant (see the module doc).
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    rule: SizeRule,
    text: String,
}

pub(super) const GRAMMAR: &str =
    "expected NUMBER or [NUMBER*]d[^NUMBER], e.g. \"8*d\", \"d^1.5\", \"0.5*d^2\", \"1500\"";

fn number(s: &str) -> Option<f64> {
    let ok = !s.is_empty() && s.chars().all(|c| c.is_ascii_digit() || c == '.');
    s.parse::<f64>().ok().filter(|v| ok && v.is_finite())
}

impl Expr {
    /// Parse; the error message names the text and the grammar.
    pub fn parse(text: &str) -> std::result::Result<Self, String> {
        let s: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let bad = || format!("bad expression {text:?}: {GRAMMAR}");
        if let Some(c) = number(&s) {
            return Ok(Self {
                rule: SizeRule::new(c, 0.0),
                text: text.to_string(),
            });
        }
        let (coef, rest) = match s.split_once('*') {
            Some((c, r)) => (number(c).ok_or_else(bad)?, r),
            None => (1.0, s.as_str()),
        };
        let power = match rest.strip_prefix('d').ok_or_else(bad)? {
            "" => 1.0,
            tail => number(tail.strip_prefix('^').ok_or_else(bad)?).ok_or_else(bad)?,
        };
        Ok(Self {
            rule: SizeRule::new(coef, power),
            text: text.to_string(),
        })
    }

    /// The value at `d`, rounded to the nearest integer ([`SizeRule::at`]).
    pub fn eval(&self, d: usize) -> i64 {
        i64::try_from(self.rule.at(d)).unwrap_or(i64::MAX)
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressions_parse_and_evaluate() {
        assert_eq!(Expr::parse("8*d").unwrap().eval(16), 128);
        assert_eq!(Expr::parse(" 4 * d ").unwrap().eval(10), 40);
        assert_eq!(Expr::parse("d").unwrap().eval(7), 7);
        assert_eq!(Expr::parse("d^1.5").unwrap().eval(16), 64);
        assert_eq!(Expr::parse("0.5*d^2").unwrap().eval(10), 50);
        assert_eq!(Expr::parse("1500").unwrap().eval(3), 1500);
        for bad in ["", "8d", "d*8", "x", "d^", "8*", "ln(d)", "-2*d", "d+1", "2**d"] {
            let e = Expr::parse(bad).unwrap_err();
            assert!(e.contains("expected NUMBER"), "{bad}: {e}");
        }
    }
}
