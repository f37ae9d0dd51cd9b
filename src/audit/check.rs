//! Verdicts and checks: each claim turns the evidence into [`Check`]s built by a
//! [`Checker`], which holds the audit-wide confidence level.
//!
//! Statistical checks are one-sided at confidence 1 − α/S, where S is the number of
//! statistical checks in the whole audit (Bonferroni: the probability that any reproduced
//! verdict is a false positive is at most α). The statistics themselves come from
//! [`crate::stats`].

use serde::{Deserialize, Serialize};

use crate::sim::sampling::McEstimate;
use crate::stats::{self, Direction};

/// The expected verdict of a claim, as recorded in the audit file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The statistic is beyond its threshold with the stated confidence.
    #[serde(rename = "reproduced")]
    Reproduced,
    /// It is not (or the setting could not show it at this size).
    #[serde(rename = "not reproduced")]
    NotReproduced,
}

impl Verdict {
    /// `reproduced` / `not reproduced`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Reproduced => "reproduced",
            Verdict::NotReproduced => "not reproduced",
        }
    }
}

/// How a check compares its statistic with its threshold; written as `>=`, `<=` or
/// `in CI` in the CSV files and tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Comparison {
    /// The statistic (its lower bound) must be at least the threshold.
    #[serde(rename = ">=")]
    AtLeast,
    /// The statistic (its upper bound) must be at most the threshold.
    #[serde(rename = "<=")]
    AtMost,
    /// The closed form must lie in the two-sided confidence interval of a Monte Carlo mean.
    #[serde(rename = "in CI")]
    InInterval,
}

impl Comparison {
    /// `>=`, `<=` or `in CI`.
    pub fn symbol(self) -> &'static str {
        match self {
            Comparison::AtLeast => Direction::AtLeast.symbol(),
            Comparison::AtMost => Direction::AtMost.symbol(),
            Comparison::InInterval => "in CI",
        }
    }
}

impl From<Direction> for Comparison {
    fn from(d: Direction) -> Self {
        match d {
            Direction::AtLeast => Comparison::AtLeast,
            Direction::AtMost => Comparison::AtMost,
        }
    }
}

impl std::fmt::Display for Comparison {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // `pad` honours width and alignment (`{:>3}` in the CLI's table).
        f.pad(self.symbol())
    }
}

/// One check of a claim (a row of the claim's evidence CSV).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Check {
    /// Short name.
    pub check: String,
    /// What is computed.
    pub statistic: String,
    /// Its value (a mean, fraction, slope, …).
    pub value: f64,
    /// How the value (or its bound) is compared with the threshold.
    pub direction: Comparison,
    /// The threshold from the audit file (or the closed form).
    pub threshold: f64,
    /// The confidence bound compared with the threshold (NaN for exact checks).
    pub bound: f64,
    /// Its confidence (NaN for exact checks).
    pub confidence: f64,
    /// p-value of H0 "the claim fails at this threshold" (NaN where not defined).
    pub p_value: f64,
    /// Sample size behind the statistic (seeds, samples, points).
    pub n: usize,
    /// Whether the check passed.
    pub pass: bool,
    /// Anything a reader must know.
    pub note: String,
}

fn beyond(value: f64, dir: Direction, threshold: f64) -> bool {
    match dir {
        Direction::AtLeast => value >= threshold,
        Direction::AtMost => value <= threshold,
    }
}

/// Builds checks at one confidence level and counts the statistical ones.
#[derive(Debug, Clone)]
pub struct Checker {
    confidence: f64,
    statistical: usize,
}

impl Checker {
    /// A checker at `confidence` (one-sided for t, proportion and slope checks).
    pub fn new(confidence: f64) -> Self {
        Checker {
            confidence,
            statistical: 0,
        }
    }

    /// The Bonferroni checker of an audit: confidence 1 − α/S for S statistical checks.
    pub fn bonferroni(alpha: f64, statistical: usize) -> Self {
        Checker::new(1.0 - alpha / statistical.max(1) as f64)
    }

    /// How many statistical checks were built so far.
    pub fn statistical(&self) -> usize {
        self.statistical
    }

    /// A one-sided t check of the mean of `values` (one per seed).
    pub fn t(&mut self, name: &str, statistic: &str, values: &[f64], dir: Direction, threshold: f64) -> Check {
        self.statistical += 1;
        let b = stats::t_bound(values, threshold, self.confidence, dir);
        Check {
            check: name.into(),
            statistic: format!("{statistic} (mean over {} seeds, one-sided t)", values.len()),
            value: b.mean,
            direction: dir.into(),
            threshold,
            bound: b.bound,
            confidence: self.confidence,
            p_value: b.p_value,
            n: values.len(),
            pass: beyond(b.bound, dir, threshold),
            note: String::new(),
        }
    }

    /// A one-sided Clopper–Pearson check of the proportion k/n.
    pub fn proportion(&mut self, name: &str, statistic: &str, k: u64, n: u64, dir: Direction, threshold: f64) -> Check {
        self.statistical += 1;
        let bound = stats::clopper_pearson(k, n, self.confidence, dir);
        Check {
            check: name.into(),
            statistic: format!("{statistic} ({k}/{n}, Clopper-Pearson)"),
            value: k as f64 / n as f64,
            direction: dir.into(),
            threshold,
            bound,
            confidence: self.confidence,
            p_value: stats::binomial_p_value(k, n, threshold, dir),
            n: n as usize,
            pass: beyond(bound, dir, threshold),
            note: String::new(),
        }
    }

    /// A one-sided check of the OLS slope of y against x.
    pub fn slope(
        &mut self,
        name: &str,
        statistic: &str,
        x: &[f64],
        y: &[f64],
        dir: Direction,
        threshold: f64,
    ) -> Check {
        self.statistical += 1;
        // A two-sided interval at 2c − 1 has one-sided ends at c.
        let f = stats::slope_fit(x, y, 2.0 * self.confidence - 1.0);
        let bound = match dir {
            Direction::AtLeast => f.lo,
            Direction::AtMost => f.hi,
        };
        Check {
            check: name.into(),
            statistic: format!("{statistic} (OLS slope over {} points, t interval)", f.n),
            value: f.slope,
            direction: dir.into(),
            threshold,
            bound,
            confidence: self.confidence,
            p_value: f64::NAN,
            n: f.n,
            pass: beyond(bound, dir, threshold),
            note: String::new(),
        }
    }

    /// The closed form lies in the two-sided t interval of the Monte Carlo mean, and the
    /// interval's half-width is at most `rel_precision` times the estimate's scale.
    pub fn contains(&mut self, name: &str, est: &McEstimate, rel_precision: f64) -> Check {
        self.statistical += 1;
        let (mean, lo, hi) = stats::t_interval(&est.draws, self.confidence);
        let half = (hi - lo) / 2.0;
        let inside = lo <= est.closed_form && est.closed_form <= hi;
        let precise = half <= rel_precision * est.scale;
        Check {
            check: name.into(),
            statistic: format!(
                "{}: Monte Carlo mean over {} draws, two-sided t interval [{lo:.4e}, {hi:.4e}]",
                est.name,
                est.draws.len()
            ),
            value: mean,
            direction: Comparison::InInterval,
            threshold: est.closed_form,
            bound: half,
            confidence: self.confidence,
            p_value: f64::NAN,
            n: est.draws.len(),
            pass: inside && precise,
            note: if precise {
                String::new()
            } else {
                format!(
                    "interval half-width {half:.3e} exceeds {rel_precision} x the scale {:.3e}",
                    est.scale
                )
            },
        }
    }

    /// An exact comparison (no sampling error; not counted as statistical).
    pub fn exact(name: &str, statistic: &str, value: f64, dir: Direction, threshold: f64) -> Check {
        Check {
            check: name.into(),
            statistic: statistic.into(),
            value,
            direction: dir.into(),
            threshold,
            bound: f64::NAN,
            confidence: f64::NAN,
            p_value: f64::NAN,
            n: 1,
            pass: beyond(value, dir, threshold),
            note: "exact (no sampling error)".into(),
        }
    }
}
