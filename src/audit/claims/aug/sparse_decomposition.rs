//! `aug.sparse_decomposition`: every neuron a sparse combination of atoms (docs/THEORY.md
//! §2.2).
//!
//! The decomposition is read literally: N_i by an absolute rule (coefficients above a
//! multiple of the noise floor √(2 ln d / d1)·‖w_i‖; neurons with N_i = ∅ are counted and
//! reported, not failed), the off-support coefficients α′ and β bounded one coordinate at
//! a time over every supported neuron, their o(1/√d) as a falling trend over d, and
//! |N_i| = O(1) as the largest |N_i| not growing with d.
//!
//! The α scale [τ/d^c, τ] is read at finite size as α ∝ τ (the slope of log α on log τ
//! over a sweep of τ at one d inside a band around 1) and a tight spread of α over the
//! aligned neurons (upper over lower decile); the constant α/τ is reported for the main
//! experiment's bias rule and weight decay and for variants of them (docs/THEORY.md §4.11).
//! The literal interval, a factor d^c ≈ 1.004 wide, is not checked: no finite run can
//! place a coefficient inside it except by the constant its bias rule happens to give.

use serde::Deserialize;

use crate::audit::check::{Check, Checker};
use crate::audit::claims::{log_points, per_seed, seeds_of, About, Claim, Kind, Outcome};
use crate::audit::evidence::{Evidence, FinishedRun};
use crate::audit::plan::Series;
use crate::error::Result;
use crate::sim::metrics::NeuronRow;
use crate::sim::summary::Metric;
use crate::stats::Direction::{AtLeast, AtMost};

use super::THEOREM;

/// `aug.sparse_decomposition`.
pub struct SparseDecomposition;

/// Thresholds of [`SparseDecomposition`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SparseDecompositionThresholds {
    /// "small α′, β" in total: the least median share of ‖w_i‖² on span(M).
    pub share_min: f64,
    /// "|N_i| = O(1)" at the main size: the most atoms in N_i (absolute rule, median over
    /// neurons with N_i ≠ ∅).
    pub support_max: f64,
    /// "|α′_ij| ≤ o(1/√d)·‖w_i‖²": the largest log-log slope against d of √d times the
    /// largest off-support coefficient over ‖w_i‖², over every neuron with N_i ≠ ∅.
    pub alpha_prime_slope_max: f64,
    /// "|β_ik| ≤ o(1/√d)·‖w_i‖²": the same for the coefficients off span(M).
    pub beta_slope_max: f64,
    /// "|N_i| = O(1)" over d: the largest log-log slope of the largest |N_i| against d.
    pub support_slope_max: f64,
    /// "α ∝ τ": the least slope of log(median α) on log τ.
    pub alpha_tau_slope_min: f64,
    /// "α ∝ τ": the largest slope.
    pub alpha_tau_slope_max: f64,
    /// "α ∈ [τ/d^c, τ]", one scale: the largest ratio of the upper to the lower decile of α
    /// over the aligned neurons.
    pub spread_max: f64,
    /// α is read on neurons aligned above this.
    pub aligned_min: f64,
}

/// |α| = |⟨w_i, M_j⟩| of the main atom of every neuron aligned above `aligned_min`.
fn aligned_alphas(r: &FinishedRun, aligned_min: f64) -> Vec<f64> {
    let mut a: Vec<f64> = r
        .output
        .final_features
        .neurons
        .iter()
        .filter(|n| n.alignment > aligned_min)
        .map(|n| n.best_coef.abs())
        .collect();
    a.sort_by(f64::total_cmp);
    a
}

/// The upper over the lower decile of α over a run's aligned neurons (NaN with fewer than
/// two aligned neurons).
fn alpha_spread(r: &FinishedRun, aligned_min: f64) -> f64 {
    let a = aligned_alphas(r, aligned_min);
    if a.len() < 2 {
        return f64::NAN;
    }
    crate::stats::quantile_sorted(&a, 0.9) / crate::stats::quantile_sorted(&a, 0.1)
}

/// The median α over a run's aligned neurons (NaN when none is aligned).
pub fn alpha_median(r: &FinishedRun, aligned_min: f64) -> f64 {
    let a = aligned_alphas(r, aligned_min);
    if a.is_empty() {
        f64::NAN
    } else {
        crate::stats::median(&a)
    }
}

/// (κ, λ) of a run.
fn variant_of(r: &FinishedRun) -> (f64, f64) {
    let s = &r.plan.settings;
    (s.network.kappa, s.train.weight_decay)
}

/// Per (κ, λ) of the τ sweep: "kappa K lambda L: alpha/tau = x at tau t, …" (means over seeds).
fn alpha_over_tau_note(runs: &[&FinishedRun], aligned_min: f64) -> String {
    // (κ, λ) → its (τ, median α) points.
    type Points = Vec<(f64, f64)>;
    let mut groups: Vec<((f64, f64), Points)> = Vec::new();
    for r in runs {
        let key = variant_of(r);
        let point = (r.plan.settings.train.tau, alpha_median(r, aligned_min));
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => v.push(point),
            None => groups.push((key, vec![point])),
        }
    }
    groups
        .iter()
        .map(|((kappa, lambda), pts)| {
            let mut taus: Vec<f64> = pts.iter().map(|p| p.0).collect();
            taus.sort_by(f64::total_cmp);
            taus.dedup();
            let per_tau = taus
                .iter()
                .map(|&t| {
                    let v: Vec<f64> = pts
                        .iter()
                        .filter(|p| p.0 == t && p.1.is_finite())
                        .map(|p| p.1 / t)
                        .collect();
                    format!("{:.2} at tau {t}", crate::stats::mean(&v))
                })
                .collect::<Vec<_>>()
                .join(", ");
            format!("kappa {kappa} lambda {lambda}: alpha/tau = {per_tau}")
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The neurons of a run with N_i ≠ ∅ (absolute rule) and a nonzero norm.
fn supported(r: &FinishedRun) -> impl Iterator<Item = &NeuronRow> {
    r.output
        .final_features
        .neurons
        .iter()
        .filter(|n| n.support_abs > 0 && n.norm > 0.0)
}

/// √d · max over supported neurons of `coef(n) / ‖w_i‖²` (NaN when none is supported).
fn scaled_off_support(r: &FinishedRun, coef: impl Fn(&NeuronRow) -> f64) -> f64 {
    let sqrt_d = (r.plan.settings.model.d as f64).sqrt();
    supported(r)
        .map(|n| sqrt_d * coef(n) / (n.norm * n.norm))
        .fold(f64::NAN, f64::max)
}

/// Per run: the fraction of neurons with N_i = ∅, and the largest |N_i|.
fn support_counts(r: &FinishedRun) -> (f64, usize) {
    let neurons = &r.output.final_features.neurons;
    let empty = neurons.iter().filter(|n| n.support_abs == 0).count();
    let largest = neurons.iter().map(|n| n.support_abs).max().unwrap_or(0);
    (empty as f64 / neurons.len().max(1) as f64, largest)
}

impl Claim for SparseDecomposition {
    type Thresholds = SparseDecompositionThresholds;
    const ABOUT: About = About {
        id: "aug.sparse_decomposition",
        kind: Kind::TrainedNetwork,
        statement: "every w_i = sum_{N_i} alpha M_j + alpha' + beta with |alpha'|, |beta| <= o(1/sqrt d) |w_i|^2 per coordinate, |N_i| = O(1), alpha in [tau/d^c, tau] (read as alpha proportional to tau, one scale)",
        section: "3.2",
        result: THEOREM,
        setting: "theorem_aug.toml (K seeds), the RandomMask sweep over d and a sweep over tau at one d",
    };
    fn evaluate(&self, ev: &Evidence, th: &Self::Thresholds, c: &mut Checker) -> Result<Outcome> {
        let aug = ev.main(true);
        let mut over_d = ev.series(Series::AugSweep);
        over_d.extend(aug.iter().copied());
        let (share, support) = share_and_support(c, &aug, &over_d, th);
        let [alpha_prime, beta, support_o1] = off_support_trends(c, &over_d, th);
        let taus = ev.series(Series::TauSweep);
        let [tau_above, tau_below, spread] = alpha_scale(c, &aug, &taus, th);
        over_d.extend(taus.iter().copied());
        Ok((
            vec![
                share,
                support,
                alpha_prime,
                beta,
                support_o1,
                tau_above,
                tau_below,
                spread,
            ],
            seeds_of(&over_d),
        ))
    }
}

/// The share of ‖w_i‖² on span(M) and |N_i| at the main size (the latter with the empty
/// N_i of every run over d in its note).
fn share_and_support(
    c: &mut Checker,
    aug: &[&FinishedRun],
    over_d: &[&FinishedRun],
    th: &SparseDecompositionThresholds,
) -> (Check, Check) {
    let share = c.t(
        "share_on_span_m",
        "median over neurons of |M^T w_i|^2/|w_i|^2",
        &per_seed(aug, Metric::SparseShareMedian),
        AtLeast,
        th.share_min,
    );
    let median_support: Vec<f64> = aug
        .iter()
        .map(|r| crate::stats::median(&supported(r).map(|n| n.support_abs as f64).collect::<Vec<_>>()))
        .collect();
    let mut support = c.t(
        "support_size",
        "median |N_i| (absolute rule) over neurons with N_i nonempty, per seed",
        &median_support,
        AtMost,
        th.support_max,
    );
    let counts: Vec<(f64, usize)> = over_d.iter().map(|r| support_counts(r)).collect();
    support.note = format!(
        "N_i = {{j : |alpha_ij| >= {} sqrt(2 ln d / d1) |w_i|}}; neurons with N_i empty (counted, not failed), per run over d: {}",
        aug[0].plan.settings.metrics.support_floor,
        over_d
            .iter()
            .zip(&counts)
            .map(|(r, (e, _))| format!("d {} seed {} {:.0}%", r.plan.settings.model.d, r.plan.settings.seed, 100.0 * e))
            .collect::<Vec<_>>()
            .join(", ")
    );
    (share, support)
}

/// The o(1/√d) of α′ and β and the O(1) of |N_i| as trends over d (log-log slopes).
fn off_support_trends(c: &mut Checker, over_d: &[&FinishedRun], th: &SparseDecompositionThresholds) -> [Check; 3] {
    // A run where no neuron has a main atom gives no point (the untrained control has
    // none at all, so it shows nothing either way).
    let trend = |c: &mut Checker, name: &str, what: &str, y: &dyn Fn(&FinishedRun) -> f64, max: f64| {
        let (x, y): (Vec<f64>, Vec<f64>) = {
            let (x, y) = log_points(over_d, y);
            x.into_iter().zip(y).filter(|(_, v)| v.is_finite()).unzip()
        };
        c.slope(name, what, &x, &y, AtMost, max)
    };
    let alpha_prime = trend(
        c,
        "alpha_prime_shrinks",
        "sqrt(d) max_i max_{j not in N_i} |alpha_ij| / |w_i|^2 against d",
        &|r| scaled_off_support(r, |n| n.off_support_max),
        th.alpha_prime_slope_max,
    );
    let beta = trend(
        c,
        "beta_shrinks",
        "sqrt(d) max_i max_k |(P_perp w_i)_k| / |w_i|^2 against d",
        &|r| scaled_off_support(r, |n| n.beta_max),
        th.beta_slope_max,
    );
    let support_o1 = trend(
        c,
        "support_bounded",
        "max_i |N_i| (absolute rule) against d, runs with some N_i nonempty",
        &|r| match support_counts(r).1 {
            0 => f64::NAN,
            n => n as f64,
        },
        th.support_slope_max,
    );
    [alpha_prime, beta, support_o1]
}

/// α ∝ τ over the τ sweep in the main experiment's (κ, λ) (the variants are reported in
/// the note) and α's spread over the aligned neurons at the main size.
fn alpha_scale(
    c: &mut Checker,
    aug: &[&FinishedRun],
    taus: &[&FinishedRun],
    th: &SparseDecompositionThresholds,
) -> [Check; 3] {
    let main_variant = variant_of(aug[0]);
    let base: Vec<&FinishedRun> = taus.iter().copied().filter(|r| variant_of(r) == main_variant).collect();
    let (x, y): (Vec<f64>, Vec<f64>) = base
        .iter()
        .map(|r| (r.plan.settings.train.tau.ln(), alpha_median(r, th.aligned_min).ln()))
        .filter(|(_, v)| v.is_finite())
        .unzip();
    let what = format!(
        "log median alpha (|<w_i, M_j>| of the main atom, neurons aligned above {}) against log tau, d = {}",
        th.aligned_min,
        base.first().map_or(0, |r| r.plan.settings.model.d)
    );
    let mut tau_above = c.slope(
        "alpha_scales_with_tau_above",
        &what,
        &x,
        &y,
        AtLeast,
        th.alpha_tau_slope_min,
    );
    let tau_below = c.slope(
        "alpha_scales_with_tau_below",
        &what,
        &x,
        &y,
        AtMost,
        th.alpha_tau_slope_max,
    );
    tau_above.note = alpha_over_tau_note(taus, th.aligned_min);
    let spreads: Vec<f64> = aug.iter().map(|r| alpha_spread(r, th.aligned_min)).collect();
    let mut spread = c.t(
        "alpha_one_scale",
        &format!(
            "upper over lower decile of alpha over the neurons aligned above {}, per seed",
            th.aligned_min
        ),
        &spreads,
        AtMost,
        th.spread_max,
    );
    spread.note = format!(
        "median alpha per seed: {}; tau = {}",
        aug.iter()
            .map(|r| format!("{:.3}", alpha_median(r, th.aligned_min)))
            .collect::<Vec<_>>()
            .join(", "),
        aug[0].plan.settings.train.tau
    );
    [tau_above, tau_below, spread]
}
