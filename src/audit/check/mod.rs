//! Verdicts and checks: each claim turns the evidence into [`Check`]s built by a
//! [`Checker`], which holds the audit-wide confidence level.
//!
//! Statistical checks are one-sided at confidence 1 − α/S, where S is the number of
//! statistical checks in the whole audit (Bonferroni: the probability that any reproduced
//! verdict is a false positive is at most α). The statistics themselves come from
//! [`crate::stats`].

use serde::{Deserialize, Serialize};

use crate::stats::Direction;

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

impl TryFrom<Comparison> for Direction {
    type Error = ();
    fn try_from(c: Comparison) -> std::result::Result<Direction, ()> {
        match c {
            Comparison::AtLeast => Ok(Direction::AtLeast),
            Comparison::AtMost => Ok(Direction::AtMost),
            Comparison::InInterval => Err(()),
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

/// The same check on a control network (the untrained, the oracle or the random network
/// of the same runs, [`crate::sim::controls`]), recorded beside a check of a
/// trained-network claim; it decides no verdict.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Control {
    /// The control's value (NaN when its interval is [`Interval::NoFit`]).
    pub value: f64,
    /// The control's interval.
    pub interval: Interval,
    /// The control's verdict.
    pub verdict: Verdict,
}

/// The three controls of a check (`None` where a control does not apply).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Controls {
    /// The untrained network (step 0, same seeds).
    pub untrained: Option<Control>,
    /// The oracle network: the theorem's ideal features with the run's bias rule.
    pub oracle: Option<Control>,
    /// A random network of the trained network's norms.
    pub random: Option<Control>,
}

/// Which body of evidence a check belongs to (docs/THEORY.md §3.1): only checks *about the
/// paper* decide a claim's verdict; the others are reported with their reason.
#[derive(Debug, Clone, PartialEq)]
pub enum Layer {
    /// A test of the paper's statement inside its hypotheses.
    Paper,
    /// A precondition of the statement's regime fails in these runs (the reason names it):
    /// reported, never counted for or against the paper.
    Outside(String),
    /// The outcome follows from a derivation about this implementation (the reason gives
    /// the prediction): an integrity test, not a finding about the paper.
    Fixed(String),
}

impl Layer {
    /// `about the paper`, `outside the hypotheses`, `fixed by the implementation`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Layer::Paper => "about the paper",
            Layer::Outside(_) => "outside the hypotheses",
            Layer::Fixed(_) => "fixed by the implementation",
        }
    }

    /// Its reason (empty for [`Layer::Paper`]).
    pub fn reason(&self) -> &str {
        match self {
            Layer::Paper => "",
            Layer::Outside(r) | Layer::Fixed(r) => r,
        }
    }

    /// The three layers' names, in the order tables count them.
    pub const NAMES: [&'static str; 3] = [
        "about the paper",
        "outside the hypotheses",
        "fixed by the implementation",
    ];
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
    /// The same check on the untrained, the oracle and the random network (`None` where
    /// a control does not apply: data-model and identity checks, and checks that compare
    /// the trained network with the untrained one).
    pub controls: Controls,
    /// Which body of evidence it belongs to.
    pub layer: Layer,
    /// The interval the statistic lies in by definition (a fraction's [0, 1]), if bounded:
    /// its interval never leaves it.
    pub support: Option<(f64, f64)>,
    /// Whether "reproduced" is reachable with the sample the check has, and what it needs.
    pub power: String,
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
    oracle_value: f64,
    oracle_verdict: &'a str,
    random_value: f64,
    random_verdict: &'a str,
    layer: &'a str,
    layer_reason: &'a str,
    power: &'a str,
    note: &'a str,
}

impl Serialize for Check {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let (ci_low, ci_high) = self.ends();
        let (control_ci_low, control_ci_high) = self
            .controls
            .untrained
            .and_then(|c| c.interval.ends(c.value))
            .unwrap_or((f64::NAN, f64::NAN));
        let value = |c: Option<Control>| c.map_or(f64::NAN, |c| c.value);
        let verdict = |c: Option<Control>| c.map_or(NO_CONTROL, |c| c.verdict.as_str());
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
            oracle_value: value(self.controls.oracle),
            oracle_verdict: verdict(self.controls.oracle),
            random_value: value(self.controls.random),
            random_verdict: verdict(self.controls.random),
            layer: self.layer.as_str(),
            layer_reason: self.layer.reason(),
            power: &self.power,
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
            controls: Controls::default(),
            layer: Layer::Paper,
            support: None,
            power: String::new(),
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

    /// The untrained control's value as the tables print it (NaN, printed `n/a`, without
    /// one).
    pub fn control_value(&self) -> f64 {
        self.controls.untrained.map_or(f64::NAN, |c| c.value)
    }

    /// The untrained control's verdict as the tables print it, or [`NO_CONTROL`].
    pub fn control_verdict(&self) -> &'static str {
        self.controls.untrained.map_or(NO_CONTROL, |c| c.verdict.as_str())
    }

    /// Record `control` (the same check on the control network `view`) beside this one.
    pub fn set_control(&mut self, view: crate::sim::controls::View, control: &Check) {
        use crate::sim::controls::View;
        let c = Some(Control {
            value: control.value,
            interval: control.interval,
            verdict: control.verdict,
        });
        match view {
            View::Untrained => self.controls.untrained = c,
            View::Oracle => self.controls.oracle = c,
            View::Random => self.controls.random = c,
            View::Trained => {}
        }
    }

    /// Whether it decides its claim's verdict (it is about the paper).
    pub fn about_paper(&self) -> bool {
        self.layer == Layer::Paper
    }

    /// This check in another layer, with its reason (the first reason given stands).
    pub fn in_layer(mut self, layer: Layer) -> Check {
        if self.layer == Layer::Paper {
            self.layer = layer;
        }
        self
    }

    /// Its interval cut to the statistic's support [lo, hi] (the true value lies in it, so
    /// the cut interval covers it whenever the uncut one does), and the verdict judged on
    /// the cut interval.
    pub fn within(mut self, lo: f64, hi: f64) -> Check {
        if self.support.is_some() {
            // Already a fraction (a sign test in place of a degenerate t interval).
            return self;
        }
        self.support = Some((lo, hi));
        if let Interval::Bounds { low, high, confidence } = self.interval {
            let (l, h) = (low.clamp(lo, hi), high.clamp(lo, hi));
            self.interval = Interval::Bounds {
                low: l,
                high: h,
                confidence,
            };
            if let Ok(dir) = Direction::try_from(self.direction) {
                self.verdict = judge(l, h, dir, self.threshold);
            }
        }
        self
    }

    /// This check in a named regime (its name gets the regime in brackets).
    pub fn in_regime(mut self, regime: &str) -> Check {
        self.check = format!("{} [{regime}]", self.check);
        self.regime = regime.into();
        self
    }
}

mod checker;

pub use self::checker::Checker;
