//! The statistics behind the audit's verdicts (statrs for the distributions).
//!
//! Every check is one-sided: a claim "statistic ≥ threshold" (or ≤) is *reproduced* when a
//! one-sided confidence bound at level 1 − α′ lies beyond the threshold, where α′ is the
//! family-wise α divided by the number of checks in the audit (Bonferroni). Equivalently the
//! p-value of H0 "the claim is false at this threshold" is below α′.
//!
//! Pure statistics on statrs, knowing nothing of the simulation: [`bounds`] (Clopper–Pearson,
//! exact binomial p-values, Student-t bounds and intervals), [`regression`] (OLS slopes) and
//! [`summaries`] (mean with interval, median, quantile). Every other module calls these.

pub mod bounds;
pub mod order;
pub mod regression;
pub mod summaries;

use serde::Serialize;
use statrs::distribution::{ContinuousCDF, StudentsT};

pub use bounds::{binomial_p_value, clopper_pearson, t_bound, t_interval, TBound};
pub use order::{best_proportion_bound, median_bounds, median_min_n, proportion_min_n, t_detectable};
pub use regression::{floor_fit, loglog_slope, slope_fit, FloorFit, LogLogSlope, SlopeFit};
pub use summaries::{mean, mean_ci95, mean_sd, median, quantile_sorted};

/// Quantile of Student's t with `df` degrees of freedom.
pub fn t_quantile(p: f64, df: f64) -> f64 {
    StudentsT::new(0.0, 1.0, df).expect("df > 0").inverse_cdf(p)
}

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

    #[test]
    fn t_interval_matches_tables() {
        assert!((t_quantile(0.975, 2.0) - 4.302_652_7).abs() < 1e-5);
        let (n, m, lo, hi) = mean_ci95(&[1.0, 2.0, 3.0, f64::NAN]);
        assert_eq!(n, 3);
        assert_eq!(m, 2.0);
        assert!((hi - m - 4.302_652_7 / 3f64.sqrt()).abs() < 1e-5 && (m - lo - (hi - m)).abs() < 1e-12);
    }
}
