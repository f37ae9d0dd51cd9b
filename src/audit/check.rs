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

/// A three-valued verdict, of a check or of a claim.
///
/// A check is *reproduced* when its confidence interval lies on the claim's side of the
/// threshold, *refuted* when it lies on the other side, and *inconclusive* when it
/// straddles the threshold (docs/THEORY.md §3.1). A claim is reproduced when all its checks
/// are, refuted when any is, and inconclusive otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The statement was shown at the stated confidence.
    Reproduced,
    /// Its opposite was shown at the stated confidence.
    Refuted,
    /// The interval straddles the threshold: this audit cannot tell.
    Inconclusive,
}

impl Verdict {
    /// Every verdict, in the order tables count them.
    pub const ALL: [Verdict; 3] = [Verdict::Reproduced, Verdict::Refuted, Verdict::Inconclusive];

    /// `reproduced` / `refuted` / `inconclusive`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Reproduced => "reproduced",
            Verdict::Refuted => "refuted",
            Verdict::Inconclusive => "inconclusive",
        }
    }

    /// The verdict of a claim from the verdicts of its checks: reproduced when all are,
    /// refuted when any is, inconclusive otherwise.
    pub fn combine(checks: impl IntoIterator<Item = Verdict>) -> Verdict {
        let mut all = true;
        for v in checks {
            match v {
                Verdict::Refuted => return Verdict::Refuted,
                Verdict::Inconclusive => all = false,
                Verdict::Reproduced => {}
            }
        }
        if all {
            Verdict::Reproduced
        } else {
            Verdict::Inconclusive
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
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

/// The interval of a check's value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Interval {
    /// An exact comparison (no sampling error): the interval is the value itself and no
    /// confidence applies.
    Exact,
    /// A sampled statistic's interval: for `>=` / `<=` checks each end is a one-sided bound
    /// at `confidence` (docs/THEORY.md §3.1); for `in CI` checks the interval is two-sided
    /// at `confidence`.
    Bounds {
        /// Lower end.
        low: f64,
        /// Upper end.
        high: f64,
        /// Confidence of each end (of the interval for `in CI`).
        confidence: f64,
    },
    /// Too few points for the fit the check names: no value and no interval, though the
    /// check was built (and counted) at `confidence`.
    NoFit {
        /// The confidence the check would have had.
        confidence: f64,
    },
}

impl Interval {
    /// The confidence of its ends, if any applies (not for exact checks).
    pub fn confidence(&self) -> Option<f64> {
        match *self {
            Interval::Exact => None,
            Interval::Bounds { confidence, .. } | Interval::NoFit { confidence } => Some(confidence),
        }
    }

    /// Its ends for a check of value `value`: `(value, value)` when exact, `None` when
    /// nothing was fitted.
    pub fn ends(&self, value: f64) -> Option<(f64, f64)> {
        match *self {
            Interval::Exact => Some((value, value)),
            Interval::Bounds { low, high, .. } => Some((low, high)),
            Interval::NoFit { .. } => None,
        }
    }
}

/// The same check on the untrained network (step 0, same seeds), recorded beside a check
/// of a trained-network claim; it decides no verdict.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Control {
    /// The control's value (NaN when its interval is [`Interval::NoFit`]).
    pub value: f64,
    /// The control's interval.
    pub interval: Interval,
    /// The control's verdict.
    pub verdict: Verdict,
}

/// One check of a claim (a row of the claim's evidence CSV, written by its [`Serialize`]
/// with missing values as `NaN` and a missing control's verdict as [`NO_CONTROL`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    /// Short name.
    pub check: String,
    /// The regime it was evaluated in (data-model checks: `d1 = d^2`, `d1 = 8d`), or empty.
    pub regime: String,
    /// What is computed.
    pub statistic: String,
    /// Its value (a mean, fraction, slope, …); NaN exactly when the interval is
    /// [`Interval::NoFit`].
    pub value: f64,
    /// How the value (or its interval) is compared with the threshold.
    pub direction: Comparison,
    /// The threshold from the audit file (or the closed form).
    pub threshold: f64,
    /// The value's interval.
    pub interval: Interval,
    /// p-value of H0 "the claim fails at this threshold", where one is defined (t and
    /// Clopper–Pearson checks).
    pub p_value: Option<f64>,
    /// Sample size behind the statistic (seeds, samples, points).
    pub n: usize,
    /// Reproduced, refuted or inconclusive.
    pub verdict: Verdict,
    /// The same check on the untrained network, or `None` where a control does not apply
    /// (data-model and identity checks, and checks that compare the trained network with
    /// the untrained one).
    pub control: Option<Control>,
    /// Anything a reader must know.
    pub note: String,
    /// Whether the untrained-network control applies (false for checks that themselves
    /// compare the trained network with the untrained one).
    pub control_applies: bool,
}

/// A check as its CSV row: the columns and the text of missing values the evidence CSVs
/// and `checks.csv` have always had.
#[derive(Serialize)]
struct CheckRow<'a> {
    check: &'a str,
    regime: &'a str,
    statistic: &'a str,
    value: f64,
    direction: Comparison,
    threshold: f64,
    ci_low: f64,
    ci_high: f64,
    confidence: f64,
    p_value: f64,
    n: usize,
    verdict: Verdict,
    control_value: f64,
    control_ci_low: f64,
    control_ci_high: f64,
    control_verdict: &'a str,
    note: &'a str,
}

impl Serialize for Check {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let (ci_low, ci_high) = self.ends();
        let (control_ci_low, control_ci_high) = self
            .control
            .and_then(|c| c.interval.ends(c.value))
            .unwrap_or((f64::NAN, f64::NAN));
        CheckRow {
            check: &self.check,
            regime: &self.regime,
            statistic: &self.statistic,
            value: self.value,
            direction: self.direction,
            threshold: self.threshold,
            ci_low,
            ci_high,
            confidence: self.interval.confidence().unwrap_or(f64::NAN),
            p_value: self.p_value.unwrap_or(f64::NAN),
            n: self.n,
            verdict: self.verdict,
            control_value: self.control_value(),
            control_ci_low,
            control_ci_high,
            control_verdict: self.control_verdict(),
            note: &self.note,
        }
        .serialize(s)
    }
}

/// The verdict of a value with interval [lo, hi] against a one-sided claim.
fn judge(lo: f64, hi: f64, dir: Direction, threshold: f64) -> Verdict {
    let (ours, theirs) = match dir {
        Direction::AtLeast => (lo >= threshold, hi < threshold),
        Direction::AtMost => (hi <= threshold, lo > threshold),
    };
    if ours {
        Verdict::Reproduced
    } else if theirs {
        Verdict::Refuted
    } else {
        Verdict::Inconclusive
    }
}

/// Controls do not apply to this check (see [`Check::control_verdict`]).
pub const NO_CONTROL: &str = "n/a";

impl Check {
    #[allow(clippy::too_many_arguments)]
    fn new(
        name: &str,
        statistic: String,
        value: f64,
        interval: Interval,
        dir: Comparison,
        threshold: f64,
        p_value: Option<f64>,
        n: usize,
        verdict: Verdict,
    ) -> Check {
        Check {
            check: name.into(),
            regime: String::new(),
            statistic,
            value,
            direction: dir,
            threshold,
            interval,
            p_value,
            n,
            verdict,
            control: None,
            note: String::new(),
            control_applies: true,
        }
    }

    /// Whether the check was reproduced.
    pub fn reproduced(&self) -> bool {
        self.verdict == Verdict::Reproduced
    }

    /// The interval's ends as the tables print them: the value twice for an exact check,
    /// NaN (printed `n/a`) when nothing was fitted.
    pub fn ends(&self) -> (f64, f64) {
        self.interval.ends(self.value).unwrap_or((f64::NAN, f64::NAN))
    }

    /// The control's value as the tables print it (NaN, printed `n/a`, without one).
    pub fn control_value(&self) -> f64 {
        self.control.map_or(f64::NAN, |c| c.value)
    }

    /// The control's verdict as the tables print it, or [`NO_CONTROL`].
    pub fn control_verdict(&self) -> &'static str {
        self.control.map_or(NO_CONTROL, |c| c.verdict.as_str())
    }

    /// Record `control` (the same check on the untrained network) beside this one.
    pub fn set_control(&mut self, control: &Check) {
        self.control = Some(Control {
            value: control.value,
            interval: control.interval,
            verdict: control.verdict,
        });
    }

    /// This check in a named regime (its name gets the regime in brackets).
    pub fn in_regime(mut self, regime: &str) -> Check {
        self.check = format!("{} [{regime}]", self.check);
        self.regime = regime.into();
        self
    }
}

/// Builds checks at one confidence level and counts the statistical ones.
#[derive(Debug, Clone)]
pub struct Checker {
    confidence: f64,
    statistical: usize,
}

impl Checker {
    /// A checker at `confidence` (each end of every interval one-sided at it).
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

    /// Its confidence.
    pub fn confidence(&self) -> f64 {
        self.confidence
    }

    /// The interval [lo, hi] at this checker's confidence.
    fn bounds(&self, low: f64, high: f64) -> Interval {
        Interval::Bounds {
            low,
            high,
            confidence: self.confidence,
        }
    }

    /// How many statistical checks were built so far.
    pub fn statistical(&self) -> usize {
        self.statistical
    }

    /// A t check of the mean of `values` (one per seed: the seed is the unit).
    pub fn t(&mut self, name: &str, statistic: &str, values: &[f64], dir: Direction, threshold: f64) -> Check {
        self.statistical += 1;
        let b = stats::t_bound(values, threshold, self.confidence, dir);
        let lo = stats::t_bound(values, threshold, self.confidence, Direction::AtLeast).bound;
        let hi = stats::t_bound(values, threshold, self.confidence, Direction::AtMost).bound;
        let mut c = Check::new(
            name,
            format!("{statistic} (mean over {} seeds, t)", values.len()),
            b.mean,
            self.bounds(lo, hi),
            dir.into(),
            threshold,
            Some(b.p_value),
            values.len(),
            judge(lo, hi, dir, threshold),
        );
        if lo == hi && values.len() > 1 {
            c.note = "every seed gave the same value: the t interval has zero width".into();
        }
        c
    }

    /// A Clopper–Pearson check of the proportion k/n (independent draws only: the data
    /// model's own samples).
    pub fn proportion(&mut self, name: &str, statistic: &str, k: u64, n: u64, dir: Direction, threshold: f64) -> Check {
        self.statistical += 1;
        let lo = stats::clopper_pearson(k, n, self.confidence, Direction::AtLeast);
        let hi = stats::clopper_pearson(k, n, self.confidence, Direction::AtMost);
        Check::new(
            name,
            format!("{statistic} ({k}/{n}, Clopper-Pearson)"),
            k as f64 / n as f64,
            self.bounds(lo, hi),
            dir.into(),
            threshold,
            Some(stats::binomial_p_value(k, n, threshold, dir)),
            n as usize,
            judge(lo, hi, dir, threshold),
        )
    }

    /// An inconclusive check with no value: too few points for the fit it names.
    fn nothing_to_fit(
        &self,
        name: &str,
        statistic: String,
        n: usize,
        dir: Direction,
        threshold: f64,
        note: &str,
    ) -> Check {
        let mut c = Check::new(
            name,
            statistic,
            f64::NAN,
            Interval::NoFit {
                confidence: self.confidence,
            },
            dir.into(),
            threshold,
            None,
            n,
            Verdict::Inconclusive,
        );
        c.note = note.into();
        c
    }

    /// A check of the OLS slope of y against x.
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
        if x.len() < 3 {
            // No slope to fit (e.g. the untrained control, where no neuron has a main
            // atom): nothing is shown either way.
            return self.nothing_to_fit(
                name,
                format!("{statistic} (OLS slope over {} points: fewer than three)", x.len()),
                x.len(),
                dir,
                threshold,
                "fewer than three points: no slope",
            );
        }
        // A two-sided interval at 2c − 1 has one-sided ends at c.
        let f = stats::slope_fit(x, y, 2.0 * self.confidence - 1.0);
        Check::new(
            name,
            format!("{statistic} (OLS slope over {} points, t interval)", f.n),
            f.slope,
            self.bounds(f.lo, f.hi),
            dir.into(),
            threshold,
            None,
            f.n,
            judge(f.lo, f.hi, dir, threshold),
        )
    }

    /// The floor a of y = a + b·d^−k fitted over (d, y) ([`stats::floor_fit`], k from
    /// `ks`), against `threshold`; a's interval two-sided at 2c − 1 (each end one-sided at
    /// c), over every k the data do not reject. Inconclusive with fewer than four points.
    #[allow(clippy::too_many_arguments)]
    pub fn floor(
        &mut self,
        name: &str,
        statistic: &str,
        d: &[f64],
        y: &[f64],
        ks: &[f64],
        dir: Direction,
        threshold: f64,
    ) -> (Check, Option<stats::FloorFit>) {
        self.statistical += 1;
        let fit = stats::floor_fit(d, y, ks, 2.0 * self.confidence - 1.0);
        let Some(f) = fit else {
            let c = self.nothing_to_fit(
                name,
                format!("{statistic} (fit over {} points: fewer than four)", d.len()),
                d.len(),
                dir,
                threshold,
                "fewer than four points: no fit",
            );
            return (c, None);
        };
        let mut c = Check::new(
            name,
            format!(
                "{statistic} (floor a of a + b d^-k, least squares over {} points; interval over the k the data allow, {} to {})",
                f.n, f.k_range.0, f.k_range.1
            ),
            f.a,
            self.bounds(f.a_lo, f.a_hi),
            dir.into(),
            threshold,
            None,
            f.n,
            judge(f.a_lo, f.a_hi, dir, threshold),
        );
        c.note = format!(
            "a = {:.4}, b = {:.4} at the best k = {}; k from {} to {} not rejected",
            f.a, f.b, f.k, f.k_range.0, f.k_range.1
        );
        (c, Some(f))
    }

    /// The closed form against the two-sided t interval of the Monte Carlo mean: reproduced
    /// when it lies inside and the interval's half-width is at most `rel_precision` times
    /// the estimate's scale, refuted when it lies outside, inconclusive when inside an
    /// interval too wide to tell.
    pub fn contains(&mut self, name: &str, est: &McEstimate, rel_precision: f64) -> Check {
        self.statistical += 1;
        let (mean, lo, hi) = stats::t_interval(&est.draws, self.confidence);
        let half = (hi - lo) / 2.0;
        let inside = lo <= est.closed_form && est.closed_form <= hi;
        let precise = half <= rel_precision * est.scale;
        let verdict = match (inside, precise) {
            (false, _) => Verdict::Refuted,
            (true, true) => Verdict::Reproduced,
            (true, false) => Verdict::Inconclusive,
        };
        let mut c = Check::new(
            name,
            format!(
                "{}: Monte Carlo mean over {} draws, two-sided t interval",
                est.name,
                est.draws.len()
            ),
            mean,
            self.bounds(lo, hi),
            Comparison::InInterval,
            est.closed_form,
            None,
            est.draws.len(),
            verdict,
        );
        if !precise {
            c.note = format!(
                "interval half-width {half:.3e} exceeds {rel_precision} x the scale {:.3e}",
                est.scale
            );
        }
        c
    }

    /// An exact comparison (no sampling error; not counted as statistical): reproduced or
    /// refuted.
    pub fn exact(name: &str, statistic: &str, value: f64, dir: Direction, threshold: f64) -> Check {
        let mut c = Check::new(
            name,
            statistic.into(),
            value,
            Interval::Exact,
            dir.into(),
            threshold,
            None,
            1,
            if beyond(value, dir, threshold) {
                Verdict::Reproduced
            } else {
                Verdict::Refuted
            },
        );
        c.note = "exact (no sampling error)".into();
        c
    }
}

fn beyond(value: f64, dir: Direction, threshold: f64) -> bool {
    match dir {
        Direction::AtLeast => value >= threshold,
        Direction::AtMost => value <= threshold,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slope_over_fewer_than_three_points_is_inconclusive_and_still_counted() {
        let mut c = Checker::new(0.99);
        let k = c.slope("s", "y against x", &[0.0, 1.0], &[1.0, 2.0], Direction::AtMost, 1.0);
        assert_eq!(k.verdict, Verdict::Inconclusive);
        assert!(k.value.is_nan() && k.interval.ends(k.value).is_none());
        assert_eq!(c.statistical(), 1);
    }

    #[test]
    fn three_verdicts_from_the_interval() {
        use Direction::{AtLeast, AtMost};
        assert_eq!(judge(0.6, 0.9, AtLeast, 0.5), Verdict::Reproduced);
        assert_eq!(judge(0.1, 0.4, AtLeast, 0.5), Verdict::Refuted);
        assert_eq!(judge(0.4, 0.6, AtLeast, 0.5), Verdict::Inconclusive);
        assert_eq!(judge(0.1, 0.4, AtMost, 0.5), Verdict::Reproduced);
        assert_eq!(judge(0.6, 0.9, AtMost, 0.5), Verdict::Refuted);
        assert_eq!(judge(0.4, 0.6, AtMost, 0.5), Verdict::Inconclusive);
    }

    #[test]
    fn a_claim_is_refuted_by_any_check_and_reproduced_by_all() {
        use Verdict::*;
        assert_eq!(Verdict::combine([Reproduced, Reproduced]), Reproduced);
        assert_eq!(Verdict::combine([Reproduced, Inconclusive]), Inconclusive);
        assert_eq!(Verdict::combine([Inconclusive, Refuted, Reproduced]), Refuted);
    }

    #[test]
    fn a_t_check_can_pass_fail_or_straddle() {
        let mut c = Checker::new(0.95);
        let high = [0.9, 0.92, 0.91, 0.93];
        assert_eq!(
            c.t("x", "x", &high, Direction::AtLeast, 0.5).verdict,
            Verdict::Reproduced
        );
        assert_eq!(c.t("x", "x", &high, Direction::AtMost, 0.5).verdict, Verdict::Refuted);
        let wide = [0.1, 0.9, 0.4, 0.7];
        assert_eq!(
            c.t("x", "x", &wide, Direction::AtLeast, 0.5).verdict,
            Verdict::Inconclusive
        );
    }
}
