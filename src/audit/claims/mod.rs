//! The claims registry: every claim of the seed (SPEC §6) as a statistical check.
//!
//! Each claim has an id, its statement and seed section, the setting it runs on, and an
//! evaluator that turns the audit's evidence into one or more [`Check`]s. A claim is
//! *reproduced* when all its checks pass. Statistical checks are one-sided at confidence
//! 1 − α/S, where S is the number of statistical checks in the whole audit (Bonferroni:
//! the probability that any reproduced verdict is a false positive is at most α).
//! Thresholds come from the audit file, never from code.

use std::cell::RefCell;
use std::collections::BTreeSet;

use serde::Serialize;

use crate::audit::{AuditFile, ClaimSpec, FinishedRun, Series, Verdict};
use crate::error::{Error, Result};
use crate::sim::sampling::{DataPoint, DecouplingEvidence, McEstimate};
use crate::sim::summary::Metric;
use crate::stats::{self, Direction};

/// A claim of the seed.
#[derive(Debug, Clone, Copy)]
pub struct Claim {
    /// Stable id (SPEC §6).
    pub id: &'static str,
    /// Seed section.
    pub section: &'static str,
    /// The claim in words.
    pub statement: &'static str,
    /// What it runs on.
    pub setting: &'static str,
}

/// All 15 claims of SPEC §6, in audit order.
pub const CLAIMS: [Claim; 15] = [
    Claim { id: "data.noise_dominates", section: "2.1", statement: "the dense noise dominates the norm: |xi|^2 >> |Mz|^2 w.h.p., and |xi|^2 grows as poly(d)", setting: "data model alone, sweep over d (d1 = d^2)" },
    Claim { id: "data.feature_correlation", section: "2.1", statement: "z_j != 0 => |<Mz, M_j>| >= Omega(1), while |<xi, M_j>| <= O~(1/sqrt d) w.h.p.", setting: "data model alone, sweep over d (d1 = d^2)" },
    Claim { id: "aug.decoupling", section: "2.4", statement: "E_D[<u,2Dx><v,2(I-D)x>] = <u,x><v,x> - sum_k u_k v_k x_k^2: dense noise correlation 0, sparse kept at 1 - |M_j|_4^4, lost for M = I", setting: "Monte Carlo over masks, exact enumeration at small d1" },
    Claim { id: "na.loss_small", section: "2", statement: "training without augmentation reaches a small loss", setting: "theorem_no_aug.toml, K seeds" },
    Claim { id: "na.noise_dominance", section: "3.1", statement: "cos(f(x), f(xi)) >= 1 - O~(1/poly d) w.h.p.; 1 - cos shrinks as d grows", setting: "theorem_no_aug.toml (K seeds) and a sweep over d with d1 = d^2" },
    Claim { id: "na.dense_features", section: "2, 3.1", statement: "the learned w_i are dominated by M-perp", setting: "theorem_no_aug.toml, K seeds" },
    Claim { id: "na.regression_fails", section: "3.1", statement: "the best linear probe on f_NA has E|y - <w*, f(x)>|^2 >= Omega(1)", setting: "theorem_no_aug.toml, K seeds, ridge probe" },
    Claim { id: "na.classification_fails", section: "3.1", statement: "probe accuracy on f_NA is bounded away from 1 (the seed's 'Pr[y = sign] = o(1)' read as error Omega(1))", setting: "theorem_no_aug.toml, K seeds, logistic probe" },
    Claim { id: "aug.loss_small", section: "2", statement: "training with RandomMask reaches a small loss", setting: "theorem_aug.toml, K seeds" },
    Claim { id: "aug.sparse_decomposition", section: "3.2", statement: "every w_i = sum_{N_i} alpha M_j + small alpha' + small beta, |N_i| = O(1), alpha in [tau/d^c, tau]", setting: "theorem_aug.toml, K seeds" },
    Claim { id: "aug.coverage", section: "3.2", statement: "every atom M_j is a main feature of at least Omega(1) neurons (count o(m/d): spread reported)", setting: "theorem_aug.toml, K seeds" },
    Claim { id: "aug.time_window", section: "3.2", statement: "the decomposition holds throughout t in [d^1.01/eta, d^1.99/eta] (scaled: from the step it forms, for a factor d^0.98 longer)", setting: "long RandomMask runs at small d, K seeds" },
    Claim { id: "aug.regression_succeeds", section: "3.2", statement: "probe error o(1) with O~(d^1.001) samples", setting: "theorem_aug.toml (K seeds) and a sweep over d" },
    Claim { id: "aug.classification_succeeds", section: "3.2", statement: "probe accuracy 1 - o(1)", setting: "theorem_aug.toml (K seeds) and a sweep over d" },
    Claim { id: "contrast.aug_beats_na", section: "4.2", statement: "paired on the same M, init and data, RandomMask beats no augmentation on every feature and probe metric", setting: "theorem_aug.toml vs theorem_no_aug.toml, same seeds" },
];

/// One check of a claim (a row of the claim's evidence CSV).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Check {
    /// Short name.
    pub check: String,
    /// What is computed.
    pub statistic: String,
    /// Its value (a mean, fraction, slope, …).
    pub value: f64,
    /// `>=` or `<=` (or `=` for identities, `in CI` for Monte Carlo checks).
    pub direction: String,
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

/// The verdict of one claim with its evidence.
#[derive(Debug, Clone)]
pub struct ClaimResult {
    /// The claim.
    pub claim: Claim,
    /// Its checks; the first is the primary one shown in the claims table.
    pub checks: Vec<Check>,
    /// Reproduced iff every check passed.
    pub verdict: Verdict,
    /// From the audit file.
    pub expected: Verdict,
    /// The audit file's reason for an expected `not reproduced`.
    pub reason: Option<String>,
    /// Seeds used.
    pub seeds: String,
}

/// Reads thresholds of one claim, remembering which were used.
struct Thresholds<'a> {
    id: &'static str,
    spec: &'a ClaimSpec,
    used: RefCell<BTreeSet<String>>,
}

impl Thresholds<'_> {
    fn get(&self, key: &str) -> Result<f64> {
        self.used.borrow_mut().insert(key.to_string());
        self.spec
            .thresholds
            .get(key)
            .copied()
            .ok_or_else(|| Error::ConfigParse {
                path: "audit file".into(),
                message: format!("claims.\"{}\" lacks the threshold `{key}`", self.id),
            })
    }

    fn unused(&self) -> Vec<String> {
        let used = self.used.borrow();
        self.spec
            .thresholds
            .keys()
            .filter(|k| !used.contains(*k))
            .cloned()
            .collect()
    }
}

/// Builds checks at one confidence level.
struct Checker {
    confidence: f64,
    statistical: usize,
}

impl Checker {
    fn t(&mut self, name: &str, statistic: &str, values: &[f64], dir: Direction, threshold: f64) -> Check {
        self.statistical += 1;
        let b = stats::t_bound(values, threshold, self.confidence, dir);
        let pass = match dir {
            Direction::AtLeast => b.bound >= threshold,
            Direction::AtMost => b.bound <= threshold,
        };
        Check {
            check: name.into(),
            statistic: format!("{statistic} (mean over {} seeds, one-sided t)", values.len()),
            value: b.mean,
            direction: dir.symbol().into(),
            threshold,
            bound: b.bound,
            confidence: self.confidence,
            p_value: b.p_value,
            n: values.len(),
            pass,
            note: String::new(),
        }
    }

    /// A t check of one summary metric over the seeds of `runs`, with their seeds.
    fn per_seed_t(
        &mut self,
        runs: &[&FinishedRun],
        name: &str,
        statistic: &str,
        key: Metric,
        dir: Direction,
        threshold: f64,
    ) -> (Vec<Check>, String) {
        (
            vec![self.t(name, statistic, &per_seed(runs, key), dir, threshold)],
            seeds_of(runs),
        )
    }

    fn proportion(&mut self, name: &str, statistic: &str, k: u64, n: u64, dir: Direction, threshold: f64) -> Check {
        self.statistical += 1;
        let bound = stats::clopper_pearson(k, n, self.confidence, dir);
        let pass = match dir {
            Direction::AtLeast => bound >= threshold,
            Direction::AtMost => bound <= threshold,
        };
        Check {
            check: name.into(),
            statistic: format!("{statistic} ({k}/{n}, Clopper-Pearson)"),
            value: k as f64 / n as f64,
            direction: dir.symbol().into(),
            threshold,
            bound,
            confidence: self.confidence,
            p_value: stats::binomial_p_value(k, n, threshold, dir),
            n: n as usize,
            pass,
            note: String::new(),
        }
    }

    fn slope(&mut self, name: &str, statistic: &str, x: &[f64], y: &[f64], dir: Direction, threshold: f64) -> Check {
        self.statistical += 1;
        // A two-sided interval at 2c − 1 has one-sided ends at c.
        let f = stats::slope_fit(x, y, 2.0 * self.confidence - 1.0);
        let (bound, pass) = match dir {
            Direction::AtLeast => (f.lo, f.lo >= threshold),
            Direction::AtMost => (f.hi, f.hi <= threshold),
        };
        Check {
            check: name.into(),
            statistic: format!("{statistic} (OLS slope over {} points, t interval)", f.n),
            value: f.slope,
            direction: dir.symbol().into(),
            threshold,
            bound,
            confidence: self.confidence,
            p_value: f64::NAN,
            n: f.n,
            pass,
            note: String::new(),
        }
    }

    fn contains(&mut self, name: &str, est: &McEstimate, rel_precision: f64) -> Check {
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
            direction: "in CI".into(),
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

    fn exact(name: &str, statistic: &str, value: f64, dir: Direction, threshold: f64) -> Check {
        let pass = match dir {
            Direction::AtLeast => value >= threshold,
            Direction::AtMost => value <= threshold,
        };
        Check {
            check: name.into(),
            statistic: statistic.into(),
            value,
            direction: dir.symbol().into(),
            threshold,
            bound: f64::NAN,
            confidence: f64::NAN,
            p_value: f64::NAN,
            n: 1,
            pass,
            note: "exact (no sampling error)".into(),
        }
    }
}

/// Everything the claims are judged on.
pub struct Evidence {
    /// All finished simulations.
    pub runs: Vec<FinishedRun>,
    /// The data model at each d.
    pub data: Vec<DataPoint>,
    /// The RandomMask identity.
    pub decoupling: DecouplingEvidence,
}

impl Evidence {
    fn main(&self, augmented: bool) -> Vec<&FinishedRun> {
        self.runs
            .iter()
            .filter(|r| r.plan.series == Series::Main && r.plan.augmented == augmented)
            .collect()
    }

    fn series(&self, series: Series) -> Vec<&FinishedRun> {
        self.runs.iter().filter(|r| r.plan.series == series).collect()
    }
}

fn metric(run: &FinishedRun, key: Metric) -> f64 {
    run.output.summary().get(key)
}

fn per_seed(runs: &[&FinishedRun], key: Metric) -> Vec<f64> {
    runs.iter().map(|r| metric(r, key)).collect()
}

fn seeds_of(runs: &[&FinishedRun]) -> String {
    let mut s: Vec<u64> = runs.iter().map(|r| r.plan.settings.seed).collect();
    s.sort_unstable();
    s.dedup();
    s.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(" ")
}

fn loss_ratio(r: &FinishedRun) -> f64 {
    metric(r, Metric::FinalLoss) / metric(r, Metric::LossAtChance)
}

/// (ln d, ln v) for every positive, finite value v of every data point (samples with z = 0
/// have an infinite ratio and zero projections have no logarithm: both are left out).
fn data_log_points(data: &[DataPoint], values: impl Fn(&DataPoint) -> &[f64]) -> (Vec<f64>, Vec<f64>) {
    data.iter()
        .flat_map(|p| {
            let ln_d = (p.d as f64).ln();
            values(p)
                .iter()
                .filter(|v| v.is_finite() && **v > 0.0)
                .map(move |v| (ln_d, v.ln()))
        })
        .unzip()
}

/// (log d, log y) points of a series, one per run.
fn log_points(runs: &[&FinishedRun], y: impl Fn(&FinishedRun) -> f64) -> (Vec<f64>, Vec<f64>) {
    runs.iter()
        .map(|r| ((r.plan.settings.model.d as f64).ln(), y(r).ln()))
        .unzip()
}

fn evaluate_claim(id: &str, ev: &Evidence, th: &Thresholds, c: &mut Checker) -> Result<(Vec<Check>, String)> {
    use Direction::{AtLeast, AtMost};
    let aug = ev.main(true);
    let na = ev.main(false);
    let checks = match id {
        "data.noise_dominates" => {
            let last = ev.data.last().expect("data sweep has points");
            let ratio_min = th.get("ratio_min")?;
            let k = last.ratio.iter().filter(|&&r| r >= ratio_min).count() as u64;
            let first = c.proportion(
                "dominates_at_largest_d",
                &format!(
                    "fraction of samples with |xi|^2 >= {ratio_min} |Mz|^2 at d = {}, d1 = {}",
                    last.d, last.d1
                ),
                k,
                last.ratio.len() as u64,
                AtLeast,
                th.get("frac_min")?,
            );
            let (x, y) = data_log_points(&ev.data, |p| &p.ratio);
            let trend = c.slope(
                "ratio_grows",
                "log |xi|^2/|Mz|^2 of every sample with z != 0 against log d",
                &x,
                &y,
                AtLeast,
                th.get("ratio_slope_min")?,
            );
            (vec![first, trend], "data".into())
        }
        "data.feature_correlation" => {
            let signal = ev.data.iter().map(|p| p.min_signal_corr).fold(f64::INFINITY, f64::min);
            let first = Checker::exact(
                "signal_is_order_one",
                "min over samples, d and j in supp(z) of |<Mz, M_j>|",
                signal,
                AtLeast,
                th.get("signal_min")?,
            );
            let last = ev.data.last().expect("data sweep has points");
            let c_noise = th.get("noise_c")?;
            let bound = c_noise * ((last.d as f64).ln() / last.d as f64).sqrt();
            let k = last.noise_proj.iter().filter(|&&v| v <= bound).count() as u64;
            let whp = c.proportion(
                "noise_projection_small",
                &format!("fraction of (sample, atom) pairs with |<xi, M_j>| <= {c_noise} sqrt(ln d / d) = {bound:.3} at d = {}", last.d),
                k,
                last.noise_proj.len() as u64,
                AtLeast,
                th.get("frac_min")?,
            );
            let (x, y) = data_log_points(&ev.data, |p| &p.noise_proj);
            let trend = c.slope(
                "noise_projection_shrinks",
                "log |<xi, M_j>| of every (sample, atom) pair against log d",
                &x,
                &y,
                AtMost,
                th.get("slope_max")?,
            );
            (vec![first, whp, trend], "data".into())
        }
        "aug.decoupling" => {
            let prec = th.get("rel_precision")?;
            let d = &ev.decoupling;
            let mut checks = vec![Checker::exact(
                "exact_enumeration",
                "max relative error of the average over all 2^d1 masks vs the closed form",
                d.exact_rel_error,
                AtMost,
                th.get("exact_tol")?,
            )];
            for (k, t) in d.triples.iter().enumerate() {
                checks.push(c.contains(&format!("identity_triple_{k}"), t, prec));
            }
            checks.push(c.contains("dense_noise_correlation_zero", &d.noise, prec));
            checks.push(c.contains("dense_noise_without_augmentation", &d.noise_no_aug, prec));
            checks.push(c.contains("sparse_correlation_kept", &d.sparse, prec));
            checks.push(Checker::exact(
                "identity_dictionary_loses_it",
                "max |<e_j, 2D e_j><e_j, 2(I-D) e_j>| over draws (M = I)",
                d.identity_max_abs,
                AtMost,
                0.0,
            ));
            (checks, "monte carlo".into())
        }
        "na.loss_small" | "aug.loss_small" => {
            let runs = if id == "na.loss_small" { &na } else { &aug };
            let v: Vec<f64> = runs.iter().map(|r| loss_ratio(r)).collect();
            (
                vec![c.t(
                    "loss_over_chance",
                    "final loss / (tau ln B)",
                    &v,
                    AtMost,
                    th.get("ratio_max")?,
                )],
                seeds_of(runs),
            )
        }
        "na.noise_dominance" => {
            let cos_min = th.get("cos_min")?;
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
                th.get("frac_min")?,
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
                th.get("slope_max")?,
            );
            let mut seeds = seeds_of(&na);
            seeds.push_str(&format!("; sweep {}", seeds_of(&sweep)));
            (vec![first, trend], seeds)
        }
        "na.dense_features" => c.per_seed_t(
            &na,
            "share_on_span_m",
            "median over neurons of |M^T w_i|^2/|w_i|^2",
            Metric::SparseShareMedian,
            AtMost,
            th.get("share_max")?,
        ),
        "na.regression_fails" => c.per_seed_t(
            &na,
            "probe_rel_mse",
            "ridge probe test MSE / Var(y)",
            Metric::ProbeRegressionRelMse,
            AtLeast,
            th.get("rel_mse_min")?,
        ),
        "na.classification_fails" => c.per_seed_t(
            &na,
            "probe_accuracy",
            "logistic probe test accuracy",
            Metric::ProbeClassificationAcc,
            AtMost,
            th.get("acc_max")?,
        ),
        "aug.sparse_decomposition" => {
            let share_min = th.get("share_min")?;
            let support_max = th.get("support_max")?;
            let c_exp = th.get("alpha_c")?;
            let coverage_align = th.get("aligned_min")?;
            let a = c.t(
                "share_on_span_m",
                "median over neurons of |M^T w_i|^2/|w_i|^2",
                &per_seed(&aug, Metric::SparseShareMedian),
                AtLeast,
                share_min,
            );
            let b = c.t(
                "support_size",
                "median over neurons of |N_i|",
                &per_seed(&aug, Metric::SupportMedian),
                AtMost,
                support_max,
            );
            let (mut k, mut n, mut ka, mut na_) = (0u64, 0u64, 0u64, 0u64);
            for r in &aug {
                let s = &r.plan.settings;
                let lo = s.train.tau / (s.model.d as f64).powf(c_exp);
                for nr in &r.output.final_features.neurons {
                    n += 1;
                    if nr.sparse_share >= share_min && nr.support_size as f64 <= support_max {
                        k += 1;
                    }
                    if nr.alignment > coverage_align {
                        na_ += 1;
                        let a = nr.best_coef.abs();
                        if a >= lo && a <= s.train.tau {
                            ka += 1;
                        }
                    }
                }
            }
            let every = c.proportion(
                "every_neuron",
                &format!(
                    "fraction of neurons (pooled over seeds) with share >= {share_min} and |N_i| <= {support_max}"
                ),
                k,
                n,
                AtLeast,
                th.get("neuron_frac_min")?,
            );
            let scale = c.proportion(
                "alpha_in_range",
                &format!("fraction of aligned neurons (alignment > {coverage_align}) whose main coefficient lies in [tau/d^{c_exp}, tau]"),
                ka,
                na_.max(1),
                AtLeast,
                th.get("neuron_frac_min")?,
            );
            (vec![a, b, every, scale], seeds_of(&aug))
        }
        "aug.coverage" => {
            let (mut k, mut n) = (0u64, 0u64);
            for r in &aug {
                k += metric(r, Metric::AtomsCovered) as u64;
                n += metric(r, Metric::AtomsTotal) as u64;
            }
            let mut first = c.proportion(
                "atoms_covered",
                "fraction of (seed, atom) pairs where the atom is the best atom of a neuron aligned above 0.5",
                k,
                n,
                AtLeast,
                th.get("frac_min")?,
            );
            let mins = per_seed(&aug, Metric::NeuronsPerAtomMin);
            let medians = per_seed(&aug, Metric::NeuronsPerAtomMedian);
            let maxs = per_seed(&aug, Metric::NeuronsPerAtomMax);
            let s = &aug[0].plan.settings;
            first.note = format!(
                "neurons per atom: min {:?}, median {:?}, max {:?} over seeds; m/d = {}",
                mins,
                medians,
                maxs,
                s.network.m / s.model.d
            );
            (vec![first], seeds_of(&aug))
        }
        "aug.time_window" => {
            let runs = ev.series(Series::TimeWindow);
            let align_min = th.get("align_min")?;
            let mut worst = Vec::new();
            let mut detail = Vec::new();
            let mut reached = true;
            for r in &runs {
                let s = &r.plan.settings;
                let width = (s.model.d as f64).powf(th.get("window_exponent")?);
                let log = &r.output.log;
                let holds = |row: &crate::sim::train::executor::LogRow| {
                    row.features.align_median > align_min && row.features.atoms_covered == s.model.d
                };
                match log.iter().find(|row| holds(row)) {
                    None => {
                        worst.push(0.0);
                        reached = false;
                        detail.push(format!("seed {}: never formed", s.seed));
                    }
                    Some(start) => {
                        let t0 = start.step.max(1) as f64;
                        let end = t0 * width;
                        let last = log.last().map_or(0, |l| l.step) as f64;
                        let in_window = log.iter().filter(|row| row.step as f64 >= t0 && row.step as f64 <= end);
                        let (m, at) = in_window
                            .map(|row| {
                                (
                                    if row.features.atoms_covered == s.model.d {
                                        row.features.align_median
                                    } else {
                                        0.0
                                    },
                                    row.step,
                                )
                            })
                            .fold((f64::INFINITY, 0), |a, b| if b.0 < a.0 { b } else { a });
                        worst.push(m);
                        reached &= end <= last;
                        detail.push(format!(
                            "seed {}: formed at {t0}, window end {end:.0} (T = {last}), min {m:.3} at step {at}",
                            s.seed
                        ));
                    }
                }
            }
            let d = runs.first().map_or(0, |r| r.plan.settings.model.d);
            let mut first = c.t("holds_in_window", &format!("min over logged steps in [t_form, t_form d^0.98] of the median alignment (0 where an atom is uncovered), d = {d}"), &worst, AtLeast, align_min);
            first.pass &= reached;
            first.note = format!(
                "{}{}",
                if reached { "" } else { "window not reached; " },
                detail.join("; ")
            );
            (vec![first], seeds_of(&runs))
        }
        "aug.regression_succeeds" | "aug.classification_succeeds" => {
            let regression = id == "aug.regression_succeeds";
            let (key, stat, dir, thr_key) = if regression {
                (
                    Metric::ProbeRegressionRelMse,
                    "ridge probe test MSE / Var(y)",
                    AtMost,
                    "rel_mse_max",
                )
            } else {
                (
                    Metric::ProbeClassificationAcc,
                    "logistic probe test accuracy",
                    AtLeast,
                    "acc_min",
                )
            };
            let mut first = c.t("at_main_size", stat, &per_seed(&aug, key), dir, th.get(thr_key)?);
            let s = &aug[0].plan.settings;
            first.note = format!(
                "{} probe training samples = {:.1} d at d = {}",
                s.probe.n_train,
                s.probe.n_train as f64 / s.model.d as f64,
                s.model.d
            );
            let mut sweep = ev.series(Series::AugSweep);
            sweep.extend(aug.iter().copied());
            let err = |r: &FinishedRun| {
                if regression {
                    metric(r, key)
                } else {
                    1.0 - metric(r, key)
                }
            };
            let (x, y) = log_points(&sweep, err);
            let trend = c.slope(
                "error_shrinks_with_d",
                if regression {
                    "probe relative MSE against d"
                } else {
                    "probe error 1 - accuracy against d"
                },
                &x,
                &y,
                AtMost,
                th.get("slope_max")?,
            );
            (vec![first, trend], seeds_of(&sweep))
        }
        "contrast.aug_beats_na" => {
            let mut checks = Vec::new();
            let margin = th.get("margin")?;
            for (key, name, higher_is_better) in [
                (Metric::AlignMedian, "median alignment", true),
                (Metric::AtomsCovered, "atoms covered", true),
                (Metric::SparseShareMedian, "median share on span(M)", true),
                (Metric::NoiseCosMean, "mean cos(f(x), f(xi))", false),
                (Metric::ProbeRegressionRelMse, "probe relative MSE", false),
                (Metric::ProbeClassificationAcc, "probe accuracy", true),
            ] {
                let mut diffs = Vec::new();
                for a in &aug {
                    let seed = a.plan.settings.seed;
                    let n = na.iter().find(|r| r.plan.settings.seed == seed).expect("paired seed");
                    let d = metric(a, key) - metric(n, key);
                    diffs.push(if higher_is_better { d } else { -d });
                }
                let what = format!(
                    "paired difference in {name} ({})",
                    if higher_is_better {
                        "aug - no aug"
                    } else {
                        "no aug - aug"
                    }
                );
                checks.push(c.t(&format!("{key}_better"), &what, &diffs, AtLeast, margin));
            }
            (checks, seeds_of(&aug))
        }
        other => {
            return Err(Error::ConfigParse {
                path: "claims registry".into(),
                message: format!("no evaluator for claim {other}"),
            })
        }
    };
    Ok(checks)
}

/// Judge every claim. Fails if the audit file lacks a claim, names an unknown one, or has
/// a threshold no evaluator reads (a typo would otherwise go unnoticed).
pub fn evaluate(audit: &AuditFile, ev: &Evidence) -> Result<Vec<ClaimResult>> {
    for key in audit.claims.keys() {
        if !CLAIMS.iter().any(|c| c.id == key) {
            return Err(Error::ConfigParse {
                path: audit.origin.clone(),
                message: format!("unknown claim id `{key}`"),
            });
        }
    }
    // First pass counts the statistical checks, second computes them at 1 − α/S.
    let mut count = Checker {
        confidence: 0.95,
        statistical: 0,
    };
    for claim in &CLAIMS {
        let spec = audit.claims.get(claim.id).ok_or_else(|| Error::ConfigParse {
            path: audit.origin.clone(),
            message: format!("claims.\"{}\" is missing", claim.id),
        })?;
        let th = Thresholds {
            id: claim.id,
            spec,
            used: RefCell::new(BTreeSet::new()),
        };
        evaluate_claim(claim.id, ev, &th, &mut count)?;
        if let Some(k) = th.unused().first() {
            return Err(Error::ConfigParse {
                path: audit.origin.clone(),
                message: format!("claims.\"{}\" has the threshold `{k}`, which no check reads", claim.id),
            });
        }
    }
    let mut checker = Checker {
        confidence: 1.0 - audit.alpha / count.statistical.max(1) as f64,
        statistical: 0,
    };
    let mut results = Vec::new();
    for claim in &CLAIMS {
        let spec = &audit.claims[claim.id];
        let th = Thresholds {
            id: claim.id,
            spec,
            used: RefCell::new(BTreeSet::new()),
        };
        let (checks, seeds) = evaluate_claim(claim.id, ev, &th, &mut checker)?;
        let verdict = if checks.iter().all(|c| c.pass) {
            Verdict::Reproduced
        } else {
            Verdict::NotReproduced
        };
        results.push(ClaimResult {
            claim: *claim,
            checks,
            verdict,
            expected: spec.expect,
            reason: spec.reason.clone(),
            seeds,
        });
    }
    Ok(results)
}
