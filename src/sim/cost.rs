//! A cost model of a run's wall time, so that `decouple audit` and `decouple sweep` can say
//! how long they will take before they start.
//!
//! One SGD step costs its products' FLOPs at the step's effective rate plus a cost per
//! input coordinate drawn (sampling and masks); a logged row costs the metrics' forward
//! passes of the evaluation samples; the end of a run (probes, loss evaluation) a fixed
//! part plus a part in m·d1:
//!
//! ```text
//! step = F / R_p + k_p·d1·B          F = 6·m·d1·B + 4·B²·m (two views; 4·m·d1·B + 4·B²·m with one)
//! log  = 4·m·d1·n_eval / R_log
//! end  = e0 + e1·m·d1
//! run  = T·step + (T / log_every + 1)·log + end
//! ```
//!
//! The constants were fitted on an AMD EPYC (AVX-512, 2 cores) on 2026-11-29: the step
//! terms by least squares on 12 sizes per precision (d1 ∈ {400, 1024, 2048}, m ∈ {200,
//! 512}, B ∈ {256, 512}, data from `benches/compare.sh --cost-model`; largest error 6%,
//! root mean square 3%), the log and end terms from `decouple run` of
//! experiments/theorem_aug.toml at two sizes with its `time` line. On another machine every
//! term is scaled by the ratio of a 512² product's rate measured at start-up
//! ([`CostModel::calibrate`], about 0.3 s) to the rate measured at the fit (53 GFLOP/s in
//! f64, 110 in f32), so a machine twice as fast is predicted twice as fast. It is an
//! estimate: other loads on the machine, and sizes far from the fit, move it.

use crate::config::{Precision, Settings};
use crate::sim::perf::square_gflops;

/// The fitted constants, and the machine's speed relative to the fit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CostModel {
    /// This machine's 512² product rate over the fit machine's (f64).
    pub speed_f64: f64,
    /// The same in f32.
    pub speed_f32: f64,
}

/// Effective FLOP rate of the step's products at the fit (f64), FLOP/s.
const RATE_F64: f64 = 48.7e9;
/// The same in f32.
const RATE_F32: f64 = 102.6e9;
/// Seconds per input coordinate drawn (d1·B per step), f64 step.
const PER_INPUT_F64: f64 = 7.8e-9;
/// The same for the f32 step (draws in f64, then rounds).
const PER_INPUT_F32: f64 = 8.4e-9;
/// Effective rate of a logged row's metrics, FLOP/s (f64 whatever the step's precision).
const RATE_LOG: f64 = 23e9;
/// Fixed part of the end of a run (probes, loss evaluation), seconds.
const END_FIXED: f64 = 1.3;
/// Part of the end of a run per weight (m·d1), seconds.
const END_PER_WEIGHT: f64 = 3.0e-6;
/// The 512² product rates of the fit machine, FLOP/s.
const FIT_SQUARE_F64: f64 = 53.0e9;
const FIT_SQUARE_F32: f64 = 110.0e9;

impl CostModel {
    /// The model as fitted (speed 1).
    pub fn as_fitted() -> Self {
        Self {
            speed_f64: 1.0,
            speed_f32: 1.0,
        }
    }

    /// The model scaled to this machine by timing a 512² product in each precision.
    pub fn calibrate() -> Self {
        Self {
            speed_f64: square_gflops::<f64>(512, 8) * 1e9 / FIT_SQUARE_F64,
            speed_f32: square_gflops::<f32>(512, 16) * 1e9 / FIT_SQUARE_F32,
        }
    }

    /// Seconds of one SGD step of `s`.
    pub fn step_seconds(&self, s: &Settings) -> f64 {
        let (d1, m, b) = (s.model.d1 as f64, s.network.m as f64, s.train.batch as f64);
        let identity = crate::sim::augment::from_config(&s.augmentation, s.model.sigma_xi).identity_views();
        let views = if identity { 1.0 } else { 2.0 };
        let flops = 2.0 * (views + 1.0) * m * d1 * b + 4.0 * b * b * m;
        let (rate, per_input, speed) = match s.train.precision {
            Precision::F64 => (RATE_F64, PER_INPUT_F64, self.speed_f64),
            Precision::F32 => (RATE_F32, PER_INPUT_F32, self.speed_f32),
        };
        (flops / rate + per_input * d1 * b) / speed
    }

    /// Seconds of a whole run of `s` (steps, logged rows, the end).
    pub fn run_seconds(&self, s: &Settings) -> f64 {
        let (d1, m) = (s.model.d1 as f64, s.network.m as f64);
        let steps = s.train.steps as f64;
        let rows = (s.train.steps / s.train.log_every.max(1)) as f64 + 1.0;
        let log = 4.0 * m * d1 * s.metrics.eval_samples as f64 / RATE_LOG;
        let end = END_FIXED + END_PER_WEIGHT * m * d1;
        steps * self.step_seconds(s) + (rows * log + end) / self.speed_f64
    }

    /// Wall seconds of `runs` on `jobs` workers: the runs handed out longest first to the
    /// worker that frees first (how [`crate::exec::pool`] schedules them, up to order).
    pub fn plan_seconds(&self, runs: &[Settings], jobs: usize) -> f64 {
        let mut times: Vec<f64> = runs.iter().map(|s| self.run_seconds(s)).collect();
        times.sort_by(|a, b| b.total_cmp(a));
        let mut workers = vec![0.0f64; jobs.max(1)];
        for t in times {
            let w = workers
                .iter_mut()
                .min_by(|a, b| a.total_cmp(b))
                .expect("at least one worker");
            *w += t;
        }
        workers.into_iter().fold(0.0, f64::max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::perf::{LARGE, MEDIUM, SMALL};

    #[test]
    fn the_fitted_model_reproduces_its_fit_points() {
        // ms per step measured at the fit (benches/compare.sh --cost-model, RandomMask).
        let m = CostModel::as_fitted();
        for (size, want_ms) in [(SMALL, 11.0), (MEDIUM, 49.9)] {
            let got = m.step_seconds(&size.settings("random_mask", 1)) * 1e3;
            assert!(
                (got / want_ms - 1.0).abs() < 0.1,
                "{}: {got} ms vs {want_ms}",
                size.name
            );
        }
        // Outside the fit grid: the large size measured 300 ms.
        let got = m.step_seconds(&LARGE.settings("random_mask", 1)) * 1e3;
        assert!((got / 300.0 - 1.0).abs() < 0.15, "large: {got} ms");
    }

    #[test]
    fn more_workers_never_take_longer_and_one_worker_sums() {
        let m = CostModel::as_fitted();
        let runs: Vec<Settings> = (1..=5).map(|seed| SMALL.settings("random_mask", seed)).collect();
        let one = m.plan_seconds(&runs, 1);
        let sum: f64 = runs.iter().map(|s| m.run_seconds(s)).sum();
        assert!((one - sum).abs() < 1e-9);
        assert!(m.plan_seconds(&runs, 2) <= one);
        assert!(m.plan_seconds(&runs, 2) >= one / 2.0);
    }
}
