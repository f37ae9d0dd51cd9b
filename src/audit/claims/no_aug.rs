//! Training without augmentation: the theorem (docs/THEORY.md §2.1) — the loss gets
//! small while the learned features are dominated by the dense noise — and its corollary
//! that linear probes on those features fail.

use serde::Deserialize;

use super::{log_points, loss_small, metric, per_seed_t, seeds_of, About, Claim, LossThresholds, Outcome};
use crate::audit::check::Checker;
use crate::audit::evidence::Evidence;
use crate::audit::plan::Series;
use crate::error::Result;
use crate::sim::summary::Metric;
use crate::stats::Direction::{AtLeast, AtMost};

const THEOREM: &str = "theorem without augmentation (docs/THEORY.md §2.1)";
const COROLLARY: &str = "corollary of the theorem without augmentation (docs/THEORY.md §2.1)";

/// `na.loss_small`.
pub struct LossSmall;

impl Claim for LossSmall {
    type Thresholds = LossThresholds;
    const ABOUT: About = About {
        id: "na.loss_small",
        statement: "training without augmentation reaches a small loss",
        section: "2",
        result: THEOREM,
        setting: "theorem_no_aug.toml, K seeds",
    };
    fn evaluate(&self, ev: &Evidence, th: &Self::Thresholds, c: &mut Checker) -> Result<Outcome> {
        Ok(loss_small(c, &ev.main(false), th))
    }
}

/// `na.noise_dominance`.
pub struct NoiseDominance;

/// Thresholds of [`NoiseDominance`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoiseDominanceThresholds {
    /// "cos ≥ 1 − o(1)": the least cos(f(x), f(ξ)) that counts.
    pub cos_min: f64,
    /// "w.h.p.": the least fraction of test samples.
    pub frac_min: f64,
    /// "1 − cos shrinks": the largest log-log slope against d.
    pub slope_max: f64,
}

impl Claim for NoiseDominance {
    type Thresholds = NoiseDominanceThresholds;
    const ABOUT: About = About {
        id: "na.noise_dominance",
        statement: "cos(f(x), f(xi)) >= 1 - O~(1/poly d) w.h.p.; 1 - cos shrinks as d grows",
        section: "3.1",
        result: THEOREM,
        setting: "theorem_no_aug.toml (K seeds) and a sweep over d with d1 = d^2",
    };
    fn evaluate(&self, ev: &Evidence, th: &Self::Thresholds, c: &mut Checker) -> Result<Outcome> {
        let na = ev.main(false);
        let cos_min = th.cos_min;
        let (k, n) = na.iter().fold((0u64, 0u64), |(k, n), r| {
            let cs = &r.output.final_features.noise_cos;
            (
                k + cs.iter().filter(|&&v| v >= cos_min).count() as u64,
                n + cs.len() as u64,
            )
        });
        let mut first = c.proportion(
            "cos_near_one_whp",
            &format!("fraction of test samples with cos(f(x), f(xi)) >= {cos_min}, pooled over seeds"),
            k,
            n,
            AtLeast,
            th.frac_min,
        );
        first.note = "a zero representation counts as a failure".into();
        let sweep = ev.series(Series::NaSweep);
        let (x, y) = log_points(&sweep, |r| 1.0 - metric(r, Metric::NoiseCosMean));
        let trend = c.slope(
            "one_minus_cos_shrinks",
            "1 - mean cos(f(x), f(xi)) against d (d1 = d^2)",
            &x,
            &y,
            AtMost,
            th.slope_max,
        );
        let mut seeds = seeds_of(&na);
        seeds.push_str(&format!("; sweep {}", seeds_of(&sweep)));
        Ok((vec![first, trend], seeds))
    }
}

/// `na.dense_features`.
pub struct DenseFeatures;

/// Thresholds of [`DenseFeatures`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DenseFeaturesThresholds {
    /// "dominated by M⊥": the largest median share of ‖w_i‖² on span(M).
    pub share_max: f64,
}

impl Claim for DenseFeatures {
    type Thresholds = DenseFeaturesThresholds;
    const ABOUT: About = About {
        id: "na.dense_features",
        statement: "the learned w_i are dominated by M-perp",
        section: "2, 3.1",
        result: THEOREM,
        setting: "theorem_no_aug.toml, K seeds",
    };
    fn evaluate(&self, ev: &Evidence, th: &Self::Thresholds, c: &mut Checker) -> Result<Outcome> {
        Ok(per_seed_t(
            c,
            &ev.main(false),
            "share_on_span_m",
            "median over neurons of |M^T w_i|^2/|w_i|^2",
            Metric::SparseShareMedian,
            AtMost,
            th.share_max,
        ))
    }
}

/// `na.regression_fails`.
pub struct RegressionFails;

/// Thresholds of [`RegressionFails`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegressionFailsThresholds {
    /// "error Ω(1)": the least probe test MSE / Var(y).
    pub rel_mse_min: f64,
}

impl Claim for RegressionFails {
    type Thresholds = RegressionFailsThresholds;
    const ABOUT: About = About {
        id: "na.regression_fails",
        statement: "the best linear probe on f_NA has E|y - <w*, f(x)>|^2 >= Omega(1)",
        section: "3.1",
        result: COROLLARY,
        setting: "theorem_no_aug.toml, K seeds, ridge probe",
    };
    fn evaluate(&self, ev: &Evidence, th: &Self::Thresholds, c: &mut Checker) -> Result<Outcome> {
        Ok(per_seed_t(
            c,
            &ev.main(false),
            "probe_rel_mse",
            "ridge probe test MSE / Var(y)",
            Metric::ProbeRegressionRelMse,
            AtLeast,
            th.rel_mse_min,
        ))
    }
}

/// `na.classification_fails`.
pub struct ClassificationFails;

/// Thresholds of [`ClassificationFails`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassificationFailsThresholds {
    /// "bounded away from 1": the largest probe test accuracy.
    pub acc_max: f64,
}

impl Claim for ClassificationFails {
    type Thresholds = ClassificationFailsThresholds;
    const ABOUT: About = About {
        id: "na.classification_fails",
        statement:
            "probe accuracy on f_NA is bounded away from 1 (the seed's 'Pr[y = sign] = o(1)' read as error Omega(1))",
        section: "3.1",
        result: COROLLARY,
        setting: "theorem_no_aug.toml, K seeds, logistic probe",
    };
    fn evaluate(&self, ev: &Evidence, th: &Self::Thresholds, c: &mut Checker) -> Result<Outcome> {
        Ok(per_seed_t(
            c,
            &ev.main(false),
            "probe_accuracy",
            "logistic probe test accuracy",
            Metric::ProbeClassificationAcc,
            AtMost,
            th.acc_max,
        ))
    }
}
