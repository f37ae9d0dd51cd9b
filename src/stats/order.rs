//! Distribution-free bounds: the median from order statistics, and what a sample of n can
//! show at all (the *power* a check states).

use super::{clopper_pearson, t_quantile, Direction};

/// Pr(Bin(n, 1/2) ≥ k).
fn half_binomial_tail(n: usize, k: usize) -> f64 {
    // Σ_{i ≥ k} C(n, i) / 2^n, with C(n, i) built up in f64 (n is a number of seeds).
    let mut c = 1.0f64;
    let mut tail = 0.0;
    for i in 0..=n {
        if i >= k {
            tail += c;
        }
        c = c * (n - i) as f64 / (i + 1) as f64;
    }
    tail / 2f64.powi(n as i32)
}

/// One-sided bounds (lower, upper) for the median of the distribution `values` were drawn
/// from, each at `confidence`, from order statistics: the lower bound is x_(k) for the
/// largest k with Pr(Bin(n, ½) ≥ k) ≥ confidence, the upper the mirror. Where no order
/// statistic reaches the confidence (n < log2(1/(1 − confidence))) the bound is infinite:
/// nothing distribution-free can be said with so few values.
pub fn median_bounds(values: &[f64], confidence: f64) -> (f64, f64) {
    let mut v: Vec<f64> = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let k = (1..=n).rev().find(|&k| half_binomial_tail(n, k) >= confidence);
    match k {
        Some(k) => (v[k - 1], v[n - k]),
        None => (f64::NEG_INFINITY, f64::INFINITY),
    }
}

/// The fewest values whose order statistics bound a median at `confidence`.
pub fn median_min_n(confidence: f64) -> usize {
    (1..10_000)
        .find(|&n| half_binomial_tail(n, 1) >= confidence)
        .unwrap_or(10_000)
}

/// The best one-sided Clopper–Pearson bound n trials can give (all succeed, or none):
/// the lower bound at n/n, or the upper at 0/n.
pub fn best_proportion_bound(n: u64, confidence: f64, dir: Direction) -> f64 {
    match dir {
        Direction::AtLeast => clopper_pearson(n, n, confidence, dir),
        Direction::AtMost => clopper_pearson(0, n, confidence, dir),
    }
}

/// The fewest trials at which a proportion can be shown beyond `threshold` at
/// `confidence` (all of them succeeding), or `None` when no number up to 10⁶ can.
pub fn proportion_min_n(threshold: f64, confidence: f64, dir: Direction) -> Option<u64> {
    let ok = |n: u64| match dir {
        Direction::AtLeast => best_proportion_bound(n, confidence, dir) >= threshold,
        Direction::AtMost => best_proportion_bound(n, confidence, dir) <= threshold,
    };
    if !ok(1_000_000) {
        return None;
    }
    let (mut lo, mut hi) = (1u64, 1_000_000u64);
    while lo < hi {
        let mid = (lo + hi) / 2;
        if ok(mid) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    Some(lo)
}

/// The one-sided t quantile at `confidence` over √n for n values: a mean over n values is
/// shown beyond a threshold only if it lies this many standard deviations of the values
/// beyond it. `None` with fewer than two values.
pub fn t_detectable(n: usize, confidence: f64) -> Option<f64> {
    (n >= 2).then(|| t_quantile(confidence, (n - 1) as f64) / (n as f64).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_bounds_need_enough_values() {
        // 5 values: Pr(all five above the median) = 1/32, so at 0.95 the extremes bound it
        // but at 0.999 nothing does.
        let v = [3.0, 1.0, 2.0, 5.0, 4.0];
        assert_eq!(median_bounds(&v, 0.95), (1.0, 5.0));
        let (lo, hi) = median_bounds(&v, 0.999);
        assert!(lo.is_infinite() && hi.is_infinite());
        assert_eq!(median_min_n(0.999), 10);
        assert_eq!(median_min_n(0.95), 5);
        // 20 values at 0.9: Pr(Bin(20, 1/2) >= k) >= 0.9 up to k = 7.
        let v: Vec<f64> = (1..=20).map(f64::from).collect();
        assert_eq!(median_bounds(&v, 0.9), (7.0, 14.0));
    }

    #[test]
    fn what_n_trials_can_show() {
        // 5 of 5 at 0.999: (1 - c)^(1/5) = 0.251.
        assert!((best_proportion_bound(5, 0.999, Direction::AtLeast) - 0.001f64.powf(0.2)).abs() < 1e-9);
        assert_eq!(proportion_min_n(0.5, 0.999, Direction::AtLeast), Some(10));
        assert_eq!(proportion_min_n(1.0, 0.999, Direction::AtLeast), None);
        assert!(t_detectable(1, 0.99).is_none());
        let k = t_detectable(5, 0.975).unwrap();
        assert!((k - 2.776 / 5f64.sqrt()).abs() < 1e-3, "{k}");
    }
}
