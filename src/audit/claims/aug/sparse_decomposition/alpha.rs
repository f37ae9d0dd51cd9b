//! The α scale of `aug.sparse_decomposition`: α ∝ τ under the homogeneous bias rule (an
//! integrity test: docs/THEORY.md §4.11) and "one scale" per neuron and per atom.

use crate::audit::check::{Check, Checker, Layer};
use crate::audit::evidence::{Evidence, FinishedRun};
use crate::audit::preconditions::{append, split_formed, unformed_note};
use crate::stats::Direction::{AtLeast, AtMost};

use super::SparseDecompositionThresholds;

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

/// Per atom j covered by aligned neurons: √(Σ_i α_ij²) over the aligned neurons whose
/// main atom it is (the atom's budget, which the loss fixes), and how many share it.
fn atom_budgets(r: &FinishedRun, aligned_min: f64) -> Vec<(f64, usize)> {
    let d = r.plan.settings.model.d;
    let mut sum = vec![(0.0f64, 0usize); d];
    for n in r
        .output
        .final_features
        .neurons
        .iter()
        .filter(|n| n.alignment > aligned_min)
    {
        sum[n.best_atom].0 += n.best_coef * n.best_coef;
        sum[n.best_atom].1 += 1;
    }
    sum.into_iter()
        .filter(|&(_, k)| k > 0)
        .map(|(s, k)| (s.sqrt(), k))
        .collect()
}

/// The upper over the lower decile of `v` (NaN with fewer than two values).
fn decile_ratio(mut v: Vec<f64>) -> f64 {
    if v.len() < 2 {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    crate::stats::quantile_sorted(&v, 0.9) / crate::stats::quantile_sorted(&v, 0.1)
}

/// The per-neuron spread a run would have if every atom's budget were the same and split
/// evenly among the k neurons sharing it: the decile ratio of 1/√k over the aligned
/// neurons (what the budget split alone predicts).
fn split_spread(r: &FinishedRun, aligned_min: f64) -> f64 {
    let budgets = atom_budgets(r, aligned_min);
    decile_ratio(
        budgets
            .iter()
            .flat_map(|&(_, k)| std::iter::repeat_n(1.0 / (k as f64).sqrt(), k))
            .collect(),
    )
}

/// The least-squares slope of y on x.
fn ols_slope(x: &[f64], y: &[f64]) -> f64 {
    let (mx, my) = (crate::stats::mean(x), crate::stats::mean(y));
    let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let sxx: f64 = x.iter().map(|a| (a - mx) * (a - mx)).sum();
    sxy / sxx
}

/// The prediction the homogeneity makes for the α-on-τ checks.
const HOMOGENEITY: &str = "b = kappa s |w_i| makes the features homogeneous of degree 1 and the loss tau l(S/tau), so Obj(W; tau) = tau Obj(W/sqrt(tau); 1): alpha scales as sqrt(tau) (slope 1/2) whatever the paper's rule, and the band around 1 is out of reach by construction (docs/THEORY.md §4.11); alpha proportional to tau can only be tested under a rule that breaks the homogeneity";

/// α ∝ τ over the τ sweep (fixed by the implementation: the exact transform is the
/// integrity test, per seed) and α's spread per neuron and per atom at the main size.
pub(super) fn alpha_scale(
    c: &mut Checker,
    ev: &Evidence,
    aug: &[&FinishedRun],
    taus: &[&FinishedRun],
    th: &SparseDecompositionThresholds,
) -> Vec<Check> {
    let main_variant = variant_of(aug[0]);
    let base: Vec<&FinishedRun> = taus.iter().copied().filter(|r| variant_of(r) == main_variant).collect();
    let (formed, unformed) = split_formed(&base, &ev.preconditions);
    let point = |r: &&FinishedRun| (r.plan.settings.train.tau.ln(), alpha_median(r, th.aligned_min).ln());
    let (x, y): (Vec<f64>, Vec<f64>) = formed.iter().map(point).filter(|(_, v)| v.is_finite()).unzip();
    let what = format!(
        "log median alpha (|<w_i, M_j>| of the main atom, neurons aligned above {}) against log tau, d = {}",
        th.aligned_min,
        base.first().map_or(0, |r| r.plan.settings.model.d)
    );
    let fixed = || Layer::Fixed(HOMOGENEITY.into());
    let mut above = c
        .slope(
            "alpha_scales_with_tau_above",
            &what,
            &x,
            &y,
            AtLeast,
            th.alpha_tau_slope_min,
        )
        .in_layer(fixed());
    let below = c
        .slope(
            "alpha_scales_with_tau_below",
            &what,
            &x,
            &y,
            AtMost,
            th.alpha_tau_slope_max,
        )
        .in_layer(fixed());
    above.note = alpha_over_tau_note(taus, th.aligned_min);
    append(&mut above.note, &unformed_note(&unformed));
    // Every coefficient scales under the transform: the integrity test reads the median
    // |alpha| of the main atom over every neuron (defined whether or not any is aligned).
    let homogeneity = tau_homogeneity(&base, -1.0);
    let (per_neuron, per_atom) = spreads(c, aug, th);
    vec![above, below, homogeneity, per_neuron, per_atom]
}

/// The integrity test: per seed, the slope of log median α on log τ over the sweep's runs
/// (σ0 ∝ √τ: exact transforms of each other) is 1/2 to rounding; the largest deviation
/// over seeds must be below 1e-6 (α over the neurons aligned above `aligned_min`).
fn tau_homogeneity(base: &[&FinishedRun], aligned_min: f64) -> Check {
    let mut seeds: Vec<u64> = base.iter().map(|r| r.plan.settings.seed).collect();
    seeds.sort_unstable();
    seeds.dedup();
    let deviation = seeds
        .iter()
        .map(|&seed| {
            let (x, y): (Vec<f64>, Vec<f64>) = base
                .iter()
                .filter(|r| r.plan.settings.seed == seed)
                .map(|r| (r.plan.settings.train.tau.ln(), alpha_median(r, aligned_min).ln()))
                .unzip();
            if x.len() < 2 {
                return f64::NAN;
            }
            (ols_slope(&x, &y) - 0.5).abs()
        })
        .fold(
            0.0f64,
            |a, v| if v.is_nan() || a.is_nan() { f64::NAN } else { a.max(v) },
        );
    let mut check = Checker::exact(
        "tau_homogeneity",
        "largest over seeds of |slope of log median |alpha| (main atom, every neuron) on log tau - 1/2| (sigma0 scaled with sqrt(tau): exact transforms)",
        deviation,
        AtMost,
        1e-6,
    )
    .in_layer(Layer::Fixed(
        "an integrity test of the implementation: with sigma0 proportional to sqrt(tau) every run of the sweep is the transform W -> sqrt(tau/tau0) W of another (docs/THEORY.md §4.11)".into(),
    ));
    check.control_applies = false;
    check
}

/// "One scale": the decile ratio of α over the aligned neurons (the statement's unit, with
/// what the budget split alone predicts in the note) and over the atoms' budgets.
fn spreads(c: &mut Checker, aug: &[&FinishedRun], th: &SparseDecompositionThresholds) -> (Check, Check) {
    let per_neuron: Vec<f64> = aug.iter().map(|r| alpha_spread(r, th.aligned_min)).collect();
    let mut neuron = c
        .t(
            "alpha_one_scale",
            &format!(
                "upper over lower decile of alpha over the neurons aligned above {}, per seed",
                th.aligned_min
            ),
            &per_neuron,
            AtMost,
            th.spread_max,
        )
        .within(1.0, f64::INFINITY);
    let split: Vec<f64> = aug.iter().map(|r| split_spread(r, th.aligned_min)).collect();
    neuron.note = format!(
        "median alpha per seed: {}; tau = {}; the budget split alone (every atom's sum of alpha^2 the same, split evenly among the k neurons sharing it) predicts {} per seed",
        aug.iter()
            .map(|r| format!("{:.3}", alpha_median(r, th.aligned_min)))
            .collect::<Vec<_>>()
            .join(", "),
        aug[0].plan.settings.train.tau,
        split.iter().map(|v| format!("{v:.2}")).collect::<Vec<_>>().join(", ")
    );
    let per_atom: Vec<f64> = aug
        .iter()
        .map(|r| decile_ratio(atom_budgets(r, th.aligned_min).iter().map(|b| b.0).collect()))
        .collect();
    let mut atom = c
        .t(
            "alpha_per_atom_one_scale",
            &format!(
                "upper over lower decile over atoms of sqrt(sum of alpha^2 over the neurons aligned above {} on the atom), per seed",
                th.aligned_min
            ),
            &per_atom,
            AtMost,
            th.spread_max,
        )
        .within(1.0, f64::INFINITY);
    atom.note = format!(
        "neurons sharing an atom, per seed (min-max): {}",
        aug.iter()
            .map(|r| {
                let k: Vec<usize> = atom_budgets(r, th.aligned_min).iter().map(|b| b.1).collect();
                format!("{}-{}", k.iter().min().unwrap_or(&0), k.iter().max().unwrap_or(&0))
            })
            .collect::<Vec<_>>()
            .join(", ")
    );
    (neuron, atom)
}
