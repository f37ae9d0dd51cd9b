//! The statistics behind the audit's verdicts (statrs for the distributions).
//!
//! Every check is one-sided: a claim "statistic ≥ threshold" (or ≤) is *reproduced* when a
//! one-sided confidence bound at level 1 − α′ lies beyond the threshold, where α′ is the
//! family-wise α divided by the number of checks in the audit (Bonferroni). Equivalently the
//! p-value of H0 "the claim is false at this threshold" is below α′.

use serde::Serialize;
use statrs::distribution::{Beta, ContinuousCDF, StudentsT};

/// Which side of the threshold the claim puts the statistic on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// The claim is statistic ≥ threshold: the lower confidence bound must be ≥ it.
    AtLeast,
    /// The claim is statistic ≤ threshold: the upper confidence bound must be ≤ it.
    AtMost,
}

impl Direction {
    /// `>=` or `<=`.
    pub fn symbol(self) -> &'static str {
        match self {
            Direction::AtLeast => ">=",
            Direction::AtMost => "<=",
        }
    }
}

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

/// Quantile of Student's t with `df` degrees of freedom.
pub fn t_quantile(p: f64, df: f64) -> f64 {
    StudentsT::new(0.0, 1.0, df).expect("df > 0").inverse_cdf(p)
}

/// Mean, sample standard deviation and count.
pub fn mean_sd(values: &[f64]) -> (f64, f64, usize) {
    let n = values.len();
    let mean = values.iter().sum::<f64>() / n as f64;
    let var = if n > 1 {
        values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64
    } else {
        f64::NAN
    };
    (mean, var.sqrt(), n)
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

/// Ordinary least squares fit y = a + b·x with the slope's two-sided t interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SlopeFit {
    /// Slope b.
    pub slope: f64,
    /// Lower end of its interval.
    pub lo: f64,
    /// Upper end of its interval.
    pub hi: f64,
    /// Intercept a.
    pub intercept: f64,
    /// Number of points.
    pub n: usize,
}

/// Fit a line through (x, y) and give the slope's interval at `confidence` (two-sided; the
/// one-sided bound at (1 + confidence)/2 is either end).
pub fn slope_fit(x: &[f64], y: &[f64], confidence: f64) -> SlopeFit {
    let n = x.len();
    assert!(n >= 3 && y.len() == n, "a slope interval needs at least three points");
    let mx = x.iter().sum::<f64>() / n as f64;
    let my = y.iter().sum::<f64>() / n as f64;
    let sxx: f64 = x.iter().map(|v| (v - mx).powi(2)).sum();
    let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let slope = sxy / sxx;
    let intercept = my - slope * mx;
    let rss: f64 = x.iter().zip(y).map(|(a, b)| (b - intercept - slope * a).powi(2)).sum();
    let se = (rss / (n - 2) as f64 / sxx).sqrt();
    let half = t_quantile(0.5 + confidence / 2.0, (n - 2) as f64) * se;
    SlopeFit {
        slope,
        lo: slope - half,
        hi: slope + half,
        intercept,
        n,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn t_quantiles_match_tables() {
        // Standard t-table values.
        assert_relative_eq!(t_quantile(0.975, 4.0), 2.776445105, max_relative = 1e-8);
        assert_relative_eq!(t_quantile(0.95, 9.0), 1.833112933, max_relative = 1e-8);
        assert_relative_eq!(t_quantile(0.995, 2.0), 9.924843201, max_relative = 1e-8);
    }

    #[test]
    fn clopper_pearson_matches_known_values() {
        // scipy.stats.beta.ppf(0.05, 95, 6) and beta.ppf(0.95, 6, 95).
        assert_relative_eq!(
            clopper_pearson(95, 100, 0.95, Direction::AtLeast),
            0.8975,
            epsilon = 5e-4
        );
        assert_relative_eq!(clopper_pearson(5, 100, 0.95, Direction::AtMost), 0.1025, epsilon = 5e-4);
        // All successes: lower bound = alpha^(1/n) (the "rule of three" family).
        assert_relative_eq!(
            clopper_pearson(250, 250, 0.95, Direction::AtLeast),
            0.05f64.powf(1.0 / 250.0),
            max_relative = 1e-9
        );
        assert_eq!(clopper_pearson(0, 10, 0.95, Direction::AtLeast), 0.0);
        assert_eq!(clopper_pearson(10, 10, 0.95, Direction::AtMost), 1.0);
    }

    #[test]
    fn binomial_p_values_are_exact() {
        // P(X >= 9 | n = 10, p = 0.5) = 11/1024.
        assert_relative_eq!(
            binomial_p_value(9, 10, 0.5, Direction::AtLeast),
            11.0 / 1024.0,
            max_relative = 1e-10
        );
        // P(X <= 1 | n = 10, p = 0.5) = 11/1024.
        assert_relative_eq!(
            binomial_p_value(1, 10, 0.5, Direction::AtMost),
            11.0 / 1024.0,
            max_relative = 1e-10
        );
    }

    #[test]
    fn t_bound_and_slope() {
        let v = [1.0, 2.0, 3.0, 4.0, 5.0];
        let b = t_bound(&v, 2.0, 0.95, Direction::AtLeast);
        // mean 3, se = sqrt(2.5/5); t_{0.95,4} = 2.131847.
        assert_relative_eq!(b.bound, 3.0 - 2.131846786 * (0.5f64).sqrt(), max_relative = 1e-8);
        // t = (3 − 2)/√0.5 = 1.4142 on 4 df: one-sided p = 0.1151 (t table).
        assert!((b.p_value - 0.1151).abs() < 5e-4, "{}", b.p_value);
        let b = t_bound(&v, 1.0, 0.95, Direction::AtLeast);
        // t = 2.8284 on 4 df: one-sided p = 0.0237.
        assert!((b.p_value - 0.0237).abs() < 5e-4, "{}", b.p_value);
        let x = [1.0, 2.0, 3.0, 4.0];
        let y = [2.0, 4.1, 5.9, 8.0];
        let f = slope_fit(&x, &y, 0.95);
        assert!((f.slope - 1.98).abs() < 1e-12);
        assert!(f.lo < 1.98 && f.hi > 1.98);
    }
}
