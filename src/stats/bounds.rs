//! Confidence bounds: Clopper–Pearson for proportions, exact binomial p-values, and
//! Student-t bounds and intervals for means.

use serde::Serialize;
use statrs::distribution::{Beta, ContinuousCDF, StudentsT};

use super::summaries::mean_sd;
use super::{t_quantile, Direction};

/// The one-sided Clopper–Pearson bound for a binomial proportion k/n at `confidence`
/// (lower bound for [`Direction::AtLeast`], upper for [`Direction::AtMost`]).
pub fn clopper_pearson(k: u64, n: u64, confidence: f64, dir: Direction) -> f64 {
    assert!(n > 0 && k <= n, "need 0 <= k <= n, n > 0");
    let alpha = 1.0 - confidence;
    let (k, n) = (k as f64, n as f64);
    match dir {
        Direction::AtLeast => {
            if k == 0.0 {
                0.0
            } else {
                Beta::new(k, n - k + 1.0).expect("positive shapes").inverse_cdf(alpha)
            }
        }
        Direction::AtMost => {
            if k == n {
                1.0
            } else {
                Beta::new(k + 1.0, n - k)
                    .expect("positive shapes")
                    .inverse_cdf(1.0 - alpha)
            }
        }
    }
}

/// The exact one-sided binomial p-value of H0 "p ≤ p0" (AtLeast) or "p ≥ p0" (AtMost)
/// given k successes out of n, via the Beta–binomial identity.
pub fn binomial_p_value(k: u64, n: u64, p0: f64, dir: Direction) -> f64 {
    let (kf, nf) = (k as f64, n as f64);
    match dir {
        // P(X ≥ k | p0) = I_{p0}(k, n − k + 1).
        Direction::AtLeast => {
            if k == 0 {
                1.0
            } else if p0 <= 0.0 {
                0.0
            } else if p0 >= 1.0 {
                1.0
            } else {
                Beta::new(kf, nf - kf + 1.0).expect("shapes").cdf(p0)
            }
        }
        // P(X ≤ k | p0) = 1 − I_{p0}(k + 1, n − k).
        Direction::AtMost => {
            if k == n || p0 <= 0.0 {
                1.0
            } else if p0 >= 1.0 {
                0.0
            } else {
                1.0 - Beta::new(kf + 1.0, nf - kf).expect("shapes").cdf(p0)
            }
        }
    }
}

/// A one-sided t bound on a mean and the p-value of H0 "the claim is false".
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TBound {
    /// Sample mean.
    pub mean: f64,
    /// The one-sided bound at the requested confidence.
    pub bound: f64,
    /// p-value of H0: mean on the wrong side of (or at) the threshold.
    pub p_value: f64,
}

/// One-sample one-sided t test of `values` against `threshold`. With zero spread the
/// bound is the mean itself and the p-value 0 or 1.
pub fn t_bound(values: &[f64], threshold: f64, confidence: f64, dir: Direction) -> TBound {
    let (mean, sd, n) = mean_sd(values);
    assert!(n >= 2, "a t test needs at least two values");
    let se = sd / (n as f64).sqrt();
    let df = (n - 1) as f64;
    if se == 0.0 || !se.is_finite() {
        let holds = match dir {
            Direction::AtLeast => mean > threshold,
            Direction::AtMost => mean < threshold,
        };
        return TBound {
            mean,
            bound: mean,
            p_value: if holds { 0.0 } else { 1.0 },
        };
    }
    let q = t_quantile(confidence, df);
    let t = StudentsT::new(0.0, 1.0, df).expect("df > 0");
    match dir {
        Direction::AtLeast => TBound {
            mean,
            bound: mean - q * se,
            p_value: 1.0 - t.cdf((mean - threshold) / se),
        },
        Direction::AtMost => TBound {
            mean,
            bound: mean + q * se,
            p_value: t.cdf((mean - threshold) / se),
        },
    }
}

/// A two-sided t interval for a mean at `confidence`.
pub fn t_interval(values: &[f64], confidence: f64) -> (f64, f64, f64) {
    let (mean, sd, n) = mean_sd(values);
    if n < 2 {
        return (mean, f64::NAN, f64::NAN);
    }
    let half = t_quantile(0.5 + confidence / 2.0, (n - 1) as f64) * sd / (n as f64).sqrt();
    (mean, mean - half, mean + half)
}
