//! Downstream linear probes (docs/THEORY.md §1.6, §2.1, §2.2; §4.5).
//!
//! w* ~ N(0, I_d) per seed. Regression y = ⟨w*, z⟩ by ridge least squares on standardised
//! features with an intercept, the ridge strength chosen from a grid on a 20% hold-out of
//! the training set and refitted on all of it ("the best linear probe" of docs/THEORY.md §2.1 within
//! that grid); reported as the test relative MSE = MSE / Var(y). Classification
//! y = sign⟨w*, z⟩ by L2-regularised logistic regression solved by Newton's method with a
//! backtracking line search, on the samples with ⟨w*, z⟩ ≠ 0 only (those with z = 0 have no
//! label and are dropped from train and test; their count is reported); reported as test
//! accuracy. The same probes run on raw x, the oracle z and the untrained network, and, to
//! diagnose the trained probe's error floor, on the trained network's features of the
//! noise-free input f(Mz) and on the oracle network (the atoms with the bias rule).

use crate::sim::linalg::gemm;
use faer::linalg::solvers::Solve;
use faer::{Accum, Mat, MatRef, Side};
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

use crate::config::ProbeConfig;
use crate::error::{Error, Result};
use crate::sim::data::{Batch, SparseCoding};

/// Newton's method forms a (k+1)² Hessian; above this many features the logistic probe is
/// skipped (reported as NaN with a note) rather than run for minutes.
pub const MAX_LOGISTIC_FEATURES: usize = 2048;

/// The data of the probes of one seed: w*, train and test samples (from the Probes stream).
#[derive(Debug, Clone)]
pub struct ProbeData {
    /// w* ∈ R^d.
    pub w_star: Vec<f64>,
    /// Training samples.
    pub train: Batch,
    /// Test samples.
    pub test: Batch,
}

impl ProbeData {
    /// Draw w*, then the train and the test samples, in that order.
    pub fn sample<R: Rng>(model: &SparseCoding, cfg: &ProbeConfig, rng: &mut R) -> Self {
        let w_star: Vec<f64> = (0..model.dict.d()).map(|_| StandardNormal.sample(rng)).collect();
        let train = model.sample(cfg.n_train, rng);
        let test = model.sample(cfg.n_test, rng);
        Self { w_star, train, test }
    }

    /// y = ⟨w*, z⟩ for every sample of `b`.
    pub fn targets(&self, b: &Batch) -> Vec<f64> {
        (0..b.z.len()).map(|s| b.z.dot(s, &self.w_star)).collect()
    }
}

/// The dense oracle codes z (d×n) of a batch.
pub fn dense_codes(b: &Batch, d: usize) -> Mat<f64> {
    let mut z = Mat::<f64>::zeros(d, b.z.len());
    for s in 0..b.z.len() {
        for (j, v) in b.z.sample(s) {
            z[(j, s)] = v;
        }
    }
    z
}

/// Which features a probe reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProbeFeatures {
    /// The trained network's representation f(x).
    Trained,
    /// The network at initialisation.
    Untrained,
    /// The raw input x.
    RawX,
    /// The oracle code z.
    OracleZ,
    /// The trained network on the noise-free input: f(Mz) (a diagnostic of the probe's
    /// error floor: what the noise costs).
    NoiseFree,
    /// The oracle network: the atoms as neurons with the bias rule, h(⟨M_j, x⟩) (a
    /// diagnostic: what the thresholding costs when the features are exactly the atoms).
    OracleNetwork,
}

impl ProbeFeatures {
    /// Every feature set, in the order of `probes.csv`.
    pub const ALL: [ProbeFeatures; 6] = [
        ProbeFeatures::Trained,
        ProbeFeatures::Untrained,
        ProbeFeatures::RawX,
        ProbeFeatures::OracleZ,
        ProbeFeatures::NoiseFree,
        ProbeFeatures::OracleNetwork,
    ];
}

/// What a probe predicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProbeTask {
    /// y = ⟨w*, z⟩ by ridge; reported as test MSE / Var(y).
    Regression,
    /// y = sign⟨w*, z⟩ by logistic regression; reported as test accuracy.
    Classification,
}

impl ProbeTask {
    /// The reported statistic: `rel_mse` or `accuracy`.
    pub fn statistic(self) -> &'static str {
        match self {
            ProbeTask::Regression => "rel_mse",
            ProbeTask::Classification => "accuracy",
        }
    }
}

/// One probe's result (a row of `probes.csv`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ProbeRow {
    /// Which features.
    pub features: ProbeFeatures,
    /// Regression or classification.
    pub task: ProbeTask,
    /// `rel_mse` (regression) or `accuracy` (classification).
    pub metric: &'static str,
    /// Its test value.
    pub value: f64,
    /// Training samples used (classification drops unlabeled ones).
    pub n_train: usize,
    /// Test samples used.
    pub n_test: usize,
    /// Selected ridge strength (regression) or the logistic L2 strength.
    pub reg: f64,
    /// Whether the solver converged (always true for ridge).
    pub converged: bool,
    /// Anything a reader must know.
    pub note: String,
}

/// Samples-as-rows design matrices, standardised with the training statistics.
struct Design {
    train: Mat<f64>,
    test: Mat<f64>,
}

fn standardised(
    train_cols: MatRef<'_, f64>,
    test_cols: MatRef<'_, f64>,
    keep_train: &[usize],
    keep_test: &[usize],
) -> Design {
    let k = train_cols.nrows();
    let n = keep_train.len();
    let mut train = Mat::<f64>::zeros(n, k);
    let mut test = Mat::<f64>::zeros(keep_test.len(), k);
    for f in 0..k {
        let mean = keep_train.iter().map(|&s| train_cols[(f, s)]).sum::<f64>() / n as f64;
        let var = keep_train
            .iter()
            .map(|&s| (train_cols[(f, s)] - mean).powi(2))
            .sum::<f64>()
            / n as f64;
        let scale = if var > 1e-300 { 1.0 / var.sqrt() } else { 0.0 };
        for (r, &s) in keep_train.iter().enumerate() {
            train[(r, f)] = (train_cols[(f, s)] - mean) * scale;
        }
        for (r, &s) in keep_test.iter().enumerate() {
            test[(r, f)] = (test_cols[(f, s)] - mean) * scale;
        }
    }
    Design { train, test }
}

/// Ridge on centred targets: β = argmin ‖Aβ − y‖² + λ·n·‖β‖², primal or dual form
/// whichever system is smaller.
fn ridge_solve(a: MatRef<'_, f64>, y: &[f64], lambda: f64) -> Result<Vec<f64>> {
    let (n, k) = (a.nrows(), a.ncols());
    let yv = Mat::from_fn(n, 1, |i, _| y[i]);
    let shift = lambda * n as f64;
    if k <= n {
        let mut g = Mat::<f64>::zeros(k, k);
        gemm(g.as_mut(), Accum::Replace, a.transpose(), a, 1.0);
        for i in 0..k {
            g[(i, i)] += shift;
        }
        let mut rhs = Mat::<f64>::zeros(k, 1);
        gemm(rhs.as_mut(), Accum::Replace, a.transpose(), yv.as_ref(), 1.0);
        let llt = g.llt(Side::Lower).map_err(|_| Error::LinAlg {
            context: "ridge probe (primal)",
        })?;
        let beta = llt.solve(&rhs);
        crate::sim::linalg::clear_upper_avx_state();
        Ok((0..k).map(|i| beta[(i, 0)]).collect())
    } else {
        let mut g = Mat::<f64>::zeros(n, n);
        gemm(g.as_mut(), Accum::Replace, a, a.transpose(), 1.0);
        for i in 0..n {
            g[(i, i)] += shift;
        }
        let llt = g.llt(Side::Lower).map_err(|_| Error::LinAlg {
            context: "ridge probe (dual)",
        })?;
        let c = llt.solve(&yv);
        crate::sim::linalg::clear_upper_avx_state();
        let mut beta = Mat::<f64>::zeros(k, 1);
        gemm(beta.as_mut(), Accum::Replace, a.transpose(), c.as_ref(), 1.0);
        Ok((0..k).map(|i| beta[(i, 0)]).collect())
    }
}

/// intercept + A·β, as one product (A is column-major: a row-by-row loop would stride).
fn predict(a: MatRef<'_, f64>, beta: &[f64], intercept: f64) -> Vec<f64> {
    let b = Mat::from_fn(beta.len(), 1, |i, _| beta[i]);
    let mut out = Mat::<f64>::zeros(a.nrows(), 1);
    gemm(out.as_mut(), Accum::Replace, a, b.as_ref(), 1.0);
    (0..a.nrows()).map(|r| intercept + out[(r, 0)]).collect()
}

fn mse(pred: &[f64], y: &[f64]) -> f64 {
    pred.iter().zip(y).map(|(p, t)| (p - t).powi(2)).sum::<f64>() / y.len() as f64
}

/// Ridge regression probe; returns (test relative MSE, selected λ).
pub fn ridge_probe(
    train_cols: MatRef<'_, f64>,
    y_train: &[f64],
    test_cols: MatRef<'_, f64>,
    y_test: &[f64],
    grid: &[f64],
) -> Result<(f64, f64)> {
    let all_train: Vec<usize> = (0..y_train.len()).collect();
    let all_test: Vec<usize> = (0..y_test.len()).collect();
    let design = standardised(train_cols, test_cols, &all_train, &all_test);
    let n = y_train.len();
    let n_fit = (n * 4) / 5;
    let fit_a = design.train.as_ref().subrows(0, n_fit);
    let val_a = design.train.as_ref().subrows(n_fit, n - n_fit);
    let mean_fit = y_train[..n_fit].iter().sum::<f64>() / n_fit as f64;
    let yc: Vec<f64> = y_train[..n_fit].iter().map(|v| v - mean_fit).collect();
    let mut best = (f64::INFINITY, grid[0]);
    for &lambda in grid {
        let beta = ridge_solve(fit_a, &yc, lambda)?;
        let err = mse(&predict(val_a, &beta, mean_fit), &y_train[n_fit..]);
        if err < best.0 {
            best = (err, lambda);
        }
    }
    let mean_y = y_train.iter().sum::<f64>() / n as f64;
    let yc: Vec<f64> = y_train.iter().map(|v| v - mean_y).collect();
    let beta = ridge_solve(design.train.as_ref(), &yc, best.1)?;
    let pred = predict(design.test.as_ref(), &beta, mean_y);
    let mean_t = y_test.iter().sum::<f64>() / y_test.len() as f64;
    let var_t = y_test.iter().map(|v| (v - mean_t).powi(2)).sum::<f64>() / y_test.len() as f64;
    Ok((mse(&pred, y_test) / var_t, best.1))
}

/// Result of the logistic probe.
#[derive(Debug, Clone, Copy)]
pub struct LogisticFit {
    /// Test accuracy.
    pub accuracy: f64,
    /// Whether Newton's method met its tolerance within the iteration cap.
    pub converged: bool,
    /// Newton iterations used.
    pub iterations: usize,
}

fn log1p_exp(s: f64) -> f64 {
    if s > 0.0 {
        s + (-s).exp().ln_1p()
    } else {
        s.exp().ln_1p()
    }
}

fn sigmoid(s: f64) -> f64 {
    if s >= 0.0 {
        1.0 / (1.0 + (-s).exp())
    } else {
        let e = s.exp();
        e / (1.0 + e)
    }
}

/// L2-regularised logistic regression (labels in {0,1}) by Newton's method; the intercept
/// is the last parameter and is not penalised. Objective Σ log(1+e^s) − y·s + (λn/2)‖β‖².
fn logistic_fit(a: MatRef<'_, f64>, y: &[f64], l2: f64) -> Result<(Vec<f64>, bool, usize)> {
    let (n, k) = (a.nrows(), a.ncols());
    let mut aug = Mat::<f64>::zeros(n, k + 1);
    for r in 0..n {
        for f in 0..k {
            aug[(r, f)] = a[(r, f)];
        }
        aug[(r, k)] = 1.0;
    }
    let pen = l2 * n as f64;
    let objective = |theta: &[f64]| -> f64 {
        let s = predict(aug.as_ref(), theta, 0.0);
        let data: f64 = s.iter().zip(y).map(|(&s, &t)| log1p_exp(s) - t * s).sum();
        data + 0.5 * pen * theta[..k].iter().map(|v| v * v).sum::<f64>()
    };
    let mut theta = vec![0.0; k + 1];
    let mut obj = objective(&theta);
    for it in 1..=100 {
        let s = predict(aug.as_ref(), &theta, 0.0);
        let p: Vec<f64> = s.iter().map(|&v| sigmoid(v)).collect();
        let mut grad = Mat::<f64>::zeros(k + 1, 1);
        let resid = Mat::from_fn(n, 1, |r, _| p[r] - y[r]);
        gemm(grad.as_mut(), Accum::Replace, aug.transpose(), resid.as_ref(), 1.0);
        for f in 0..k {
            grad[(f, 0)] += pen * theta[f];
        }
        let gmax = (0..=k).map(|f| grad[(f, 0)].abs()).fold(0.0, f64::max);
        if gmax < 1e-8 * n as f64 {
            return Ok((theta, true, it - 1));
        }
        let weighted = Mat::from_fn(n, k + 1, |r, f| aug[(r, f)] * (p[r] * (1.0 - p[r])).max(1e-12));
        let mut h = Mat::<f64>::zeros(k + 1, k + 1);
        gemm(h.as_mut(), Accum::Replace, aug.transpose(), weighted.as_ref(), 1.0);
        for f in 0..k {
            h[(f, f)] += pen;
        }
        h[(k, k)] += 1e-10 * n as f64;
        let llt = h.llt(Side::Lower).map_err(|_| Error::LinAlg {
            context: "logistic probe (Newton)",
        })?;
        let step = llt.solve(&grad);
        crate::sim::linalg::clear_upper_avx_state();
        let mut t = 1.0;
        loop {
            let cand: Vec<f64> = (0..=k).map(|f| theta[f] - t * step[(f, 0)]).collect();
            let c = objective(&cand);
            if c <= obj || t < 1e-10 {
                let done = (obj - c).abs() <= 1e-12 * (1.0 + obj.abs());
                theta = cand;
                obj = c;
                if done {
                    return Ok((theta, true, it));
                }
                break;
            }
            t *= 0.5;
        }
    }
    Ok((theta, false, 100))
}

/// Logistic classification probe of y = sign⟨w*, z⟩ on the labelled samples.
pub fn logistic_probe(
    train_cols: MatRef<'_, f64>,
    y_train: &[f64],
    test_cols: MatRef<'_, f64>,
    y_test: &[f64],
    l2: f64,
) -> Result<(LogisticFit, usize, usize)> {
    let keep_train: Vec<usize> = (0..y_train.len()).filter(|&s| y_train[s] != 0.0).collect();
    let keep_test: Vec<usize> = (0..y_test.len()).filter(|&s| y_test[s] != 0.0).collect();
    let design = standardised(train_cols, test_cols, &keep_train, &keep_test);
    let labels: Vec<f64> = keep_train
        .iter()
        .map(|&s| if y_train[s] > 0.0 { 1.0 } else { 0.0 })
        .collect();
    let (theta, converged, iterations) = logistic_fit(design.train.as_ref(), &labels, l2)?;
    let k = train_cols.nrows();
    let scores = predict(design.test.as_ref(), &theta[..k], theta[k]);
    let correct = scores
        .iter()
        .zip(&keep_test)
        .filter(|(&sc, &s)| (sc > 0.0) == (y_test[s] > 0.0))
        .count();
    let fit = LogisticFit {
        accuracy: correct as f64 / keep_test.len().max(1) as f64,
        converged,
        iterations,
    };
    Ok((fit, keep_train.len(), keep_test.len()))
}

/// Both probes on one feature set (features as columns: k×n_train and k×n_test).
pub fn probe_features(
    name: ProbeFeatures,
    data: &ProbeData,
    train_cols: MatRef<'_, f64>,
    test_cols: MatRef<'_, f64>,
    cfg: &ProbeConfig,
) -> Result<Vec<ProbeRow>> {
    let y_train = data.targets(&data.train);
    let y_test = data.targets(&data.test);
    let (rel_mse, ridge) = ridge_probe(train_cols, &y_train, test_cols, &y_test, &cfg.ridge_grid)?;
    let mut rows = vec![ProbeRow {
        features: name,
        task: ProbeTask::Regression,
        metric: ProbeTask::Regression.statistic(),
        value: rel_mse,
        n_train: y_train.len(),
        n_test: y_test.len(),
        reg: ridge,
        converged: true,
        note: String::new(),
    }];
    if train_cols.nrows() > MAX_LOGISTIC_FEATURES {
        rows.push(ProbeRow {
            features: name,
            task: ProbeTask::Classification,
            metric: ProbeTask::Classification.statistic(),
            value: f64::NAN,
            n_train: 0,
            n_test: 0,
            reg: cfg.logistic_l2,
            converged: false,
            note: format!(
                "skipped: {} features > {MAX_LOGISTIC_FEATURES} for Newton",
                train_cols.nrows()
            ),
        });
        return Ok(rows);
    }
    let (fit, n_tr, n_te) = logistic_probe(train_cols, &y_train, test_cols, &y_test, cfg.logistic_l2)?;
    rows.push(ProbeRow {
        features: name,
        task: ProbeTask::Classification,
        metric: ProbeTask::Classification.statistic(),
        value: fit.accuracy,
        n_train: n_tr,
        n_test: n_te,
        reg: cfg.logistic_l2,
        converged: fit.converged,
        note: if fit.converged {
            format!("newton iterations: {}; samples with z = 0 dropped", fit.iterations)
        } else {
            "newton did not converge in 100 iterations".into()
        },
    });
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ProbeConfig;
    use crate::sim::data::Dictionary;
    use crate::sim::rng::{stream, Purpose};

    #[test]
    fn oracle_z_is_solved_and_pure_noise_is_not() {
        let dict = Dictionary::gaussian_qr(40, 10, &mut stream(1, Purpose::Dictionary));
        let model = SparseCoding::new(dict, 0.3, 0.2);
        let cfg = ProbeConfig {
            n_train: 400,
            n_test: 400,
            ..ProbeConfig::default()
        };
        let data = ProbeData::sample(&model, &cfg, &mut stream(1, Purpose::Probes));
        let ztr = dense_codes(&data.train, 10);
        let zte = dense_codes(&data.test, 10);
        let rows = probe_features(ProbeFeatures::OracleZ, &data, ztr.as_ref(), zte.as_ref(), &cfg).unwrap();
        assert!(rows[0].value < 0.01, "oracle regression {}", rows[0].value);
        assert!(rows[1].value > 0.95, "oracle classification {}", rows[1].value);
        assert!(rows[1].converged);
        let noise = data.train.xi.clone();
        let noise_te = data.test.xi.clone();
        let rows = probe_features(ProbeFeatures::RawX, &data, noise.as_ref(), noise_te.as_ref(), &cfg).unwrap();
        assert!(rows[0].value > 0.9, "noise regression {}", rows[0].value);
        assert!(rows[1].value < 0.65, "noise classification {}", rows[1].value);
    }

    #[test]
    fn dual_and_primal_ridge_agree() {
        let a = Mat::from_fn(6, 4, |i, j| ((i * 7 + j * 3) % 5) as f64 - 2.0 + 0.1 * j as f64);
        let y: Vec<f64> = (0..6).map(|i| i as f64 - 2.5).collect();
        let primal = ridge_solve(a.as_ref(), &y, 0.3).unwrap();
        // Same problem in the dual: widen A with zero rows is not the same; compare the
        // normal equations' residual instead.
        let mut g = Mat::<f64>::zeros(4, 4);
        gemm(g.as_mut(), Accum::Replace, a.transpose(), a.as_ref(), 1.0);
        for f in 0..4 {
            let lhs: f64 = (0..4).map(|c| g[(f, c)] * primal[c]).sum::<f64>() + 0.3 * 6.0 * primal[f];
            let rhs: f64 = (0..6).map(|r| a[(r, f)] * y[r]).sum();
            assert!((lhs - rhs).abs() < 1e-10);
        }
        let at = a.transpose().to_owned();
        let wide = ridge_solve(at.as_ref(), &[1.0, -1.0, 0.5, 2.0], 0.3).unwrap();
        // Dual solution satisfies (AᵀA... ) check via normal equations of the wide problem.
        let mut g2 = Mat::<f64>::zeros(6, 6);
        gemm(g2.as_mut(), Accum::Replace, at.transpose(), at.as_ref(), 1.0);
        let yw = [1.0, -1.0, 0.5, 2.0];
        for f in 0..6 {
            let lhs: f64 = (0..6).map(|c| g2[(f, c)] * wide[c]).sum::<f64>() + 0.3 * 4.0 * wide[f];
            let rhs: f64 = (0..4).map(|r| at[(r, f)] * yw[r]).sum();
            assert!((lhs - rhs).abs() < 1e-10);
        }
    }
}
