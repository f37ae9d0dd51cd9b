//! Training without augmentation: the theorem (docs/THEORY.md §2.1) — the loss gets
//! small while the learned features are dominated by the dense noise — and its corollary
//! that linear probes on those features fail.
//!
//! Every statement but the loss's would already hold at initialisation (a random W is
//! dense, its features follow the noise, its probes fail), so each of those claims has a
//! second check that says what training did, paired by seed: the trained network did not
//! improve on its own untrained network beyond a stated margin
//! (`cos_not_reduced_by_training`, `share_not_raised_by_training`,
//! `probe_not_improved_by_training`, `accuracy_not_improved_by_training`), while the loss
//! fell (`loss_fell_by_training`). The untrained-network control of every other check is
//! shown beside it.

use serde::Deserialize;

use super::{
    change_by_training, gap_closed, log_points, metric, per_seed, per_seed_fraction, seeds_of, About, Claim, Kind,
    Outcome,
};
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

/// Thresholds of [`LossSmall`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LossSmallThresholds {
    /// "small": the least share of the gap between chance and the floor that is closed.
    pub gap_frac_min: f64,
    /// "training made it small": the largest trained / untrained loss.
    pub fall_ratio_max: f64,
}

impl Claim for LossSmall {
    type Thresholds = LossSmallThresholds;
    const ABOUT: About = About {
        id: "na.loss_small",
        kind: Kind::TrainedNetwork,
        statement: "training without augmentation reaches a small loss",
        section: "2",
        result: THEOREM,
        setting: "theorem_no_aug.toml, K seeds",
    };
    fn evaluate(&self, ev: &Evidence, th: &Self::Thresholds, c: &mut Checker) -> Result<Outcome> {
        let na = ev.main(false);
        let first = gap_closed(c, &na, th.gap_frac_min);
        let v: Vec<f64> = na
            .iter()
            .map(|r| metric(r, Metric::EvalLoss) / metric(r, Metric::EvalLossUntrained))
            .collect();
        let mut fell = c.t(
            "loss_fell_by_training",
            "loss of the trained network / loss of the untrained network (same seed and evaluation batches)",
            &v,
            AtMost,
            th.fall_ratio_max,
        );
        fell.control_applies = false;
        Ok((vec![first, fell], seeds_of(&na)))
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
    /// "what training did": the most the mean cosine may fall below the untrained one's.
    pub train_margin: f64,
}

impl Claim for NoiseDominance {
    type Thresholds = NoiseDominanceThresholds;
    const ABOUT: About = About {
        id: "na.noise_dominance",
        kind: Kind::TrainedNetwork,
        statement: "cos(f(x), f(xi)) >= 1 - O~(1/poly d) w.h.p.; 1 - cos shrinks as d grows",
        section: "3.1",
        result: THEOREM,
        setting: "theorem_no_aug.toml (K seeds) and a sweep over d with d1 = d^2",
    };
    fn evaluate(&self, ev: &Evidence, th: &Self::Thresholds, c: &mut Checker) -> Result<Outcome> {
        let na = ev.main(false);
        let cos_min = th.cos_min;
        let fractions = per_seed_fraction(&na, |r| r.output.final_features.noise_cos.clone(), |_, &v| v >= cos_min);
        let mut first = c
            .t(
                "cos_near_one_whp",
                &format!("fraction of test samples with cos(f(x), f(xi)) >= {cos_min}, per seed"),
                &fractions,
                AtLeast,
                th.frac_min,
            )
            .within(0.0, 1.0);
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
        let trained = change_by_training(
            c,
            &na,
            "cos_not_reduced_by_training",
            "mean cos(f(x), f(xi))",
            Metric::NoiseCosMean,
            AtLeast,
            -th.train_margin,
        );
        let mut seeds = seeds_of(&na);
        seeds.push_str(&format!("; sweep {}", seeds_of(&sweep)));
        Ok((vec![first, trend, trained], seeds))
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
    /// "what training did": the most the share may rise above the untrained one's.
    pub train_margin: f64,
}

impl Claim for DenseFeatures {
    type Thresholds = DenseFeaturesThresholds;
    const ABOUT: About = About {
        id: "na.dense_features",
        kind: Kind::TrainedNetwork,
        statement: "the learned w_i are dominated by M-perp",
        section: "2, 3.1",
        result: THEOREM,
        setting: "theorem_no_aug.toml, K seeds",
    };
    fn evaluate(&self, ev: &Evidence, th: &Self::Thresholds, c: &mut Checker) -> Result<Outcome> {
        let na = ev.main(false);
        let first = c
            .t(
                "share_on_span_m",
                "median over neurons of |M^T w_i|^2/|w_i|^2",
                &per_seed(&na, Metric::SparseShareMedian),
                AtMost,
                th.share_max,
            )
            .within(0.0, 1.0);
        let trained = change_by_training(
            c,
            &na,
            "share_not_raised_by_training",
            "median share of |w_i|^2 on span(M)",
            Metric::SparseShareMedian,
            AtMost,
            th.train_margin,
        );
        Ok((vec![first, trained], seeds_of(&na)))
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
    /// "what training did": the most the error may fall below the untrained network's.
    pub train_margin: f64,
}

impl Claim for RegressionFails {
    type Thresholds = RegressionFailsThresholds;
    const ABOUT: About = About {
        id: "na.regression_fails",
        kind: Kind::TrainedNetwork,
        statement: "the best linear probe on f_NA has E|y - <w*, f(x)>|^2 >= Omega(1)",
        section: "3.1",
        result: COROLLARY,
        setting: "theorem_no_aug.toml, K seeds, ridge probe",
    };
    fn evaluate(&self, ev: &Evidence, th: &Self::Thresholds, c: &mut Checker) -> Result<Outcome> {
        let na = ev.main(false);
        let first = c
            .t(
                "probe_rel_mse",
                "ridge probe test MSE / Var(y)",
                &per_seed(&na, Metric::ProbeRegressionRelMse),
                AtLeast,
                th.rel_mse_min,
            )
            .within(0.0, f64::INFINITY);
        let trained = change_by_training(
            c,
            &na,
            "probe_not_improved_by_training",
            "ridge probe test MSE / Var(y)",
            Metric::ProbeRegressionRelMse,
            AtLeast,
            -th.train_margin,
        );
        Ok((vec![first, trained], seeds_of(&na)))
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
    /// "what training did": the most the accuracy may rise above the untrained network's.
    pub train_margin: f64,
}

impl Claim for ClassificationFails {
    type Thresholds = ClassificationFailsThresholds;
    const ABOUT: About = About {
        id: "na.classification_fails",
        kind: Kind::TrainedNetwork,
        statement:
            "probe accuracy on f_NA is bounded away from 1 (the paper's 'Pr[y = sign] = o(1)' read as error Omega(1))",
        section: "3.1",
        result: COROLLARY,
        setting: "theorem_no_aug.toml, K seeds, logistic probe",
    };
    fn evaluate(&self, ev: &Evidence, th: &Self::Thresholds, c: &mut Checker) -> Result<Outcome> {
        let na = ev.main(false);
        let first = c
            .t(
                "probe_accuracy",
                "logistic probe test accuracy",
                &per_seed(&na, Metric::ProbeClassificationAcc),
                AtMost,
                th.acc_max,
            )
            .within(0.0, 1.0);
        let trained = change_by_training(
            c,
            &na,
            "accuracy_not_improved_by_training",
            "logistic probe test accuracy",
            Metric::ProbeClassificationAcc,
            AtMost,
            th.train_margin,
        );
        Ok((vec![first, trained], seeds_of(&na)))
    }
}
