//! Summaries of a sample: mean (with a Student-t interval), standard deviation, median,
//! quantiles.

use super::t_quantile;

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

/// The q-quantile of sorted data by linear interpolation (q ∈ [0, 1]); NaN if empty.
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let pos = q * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// The median of unsorted data (NaN if empty).
pub fn median(values: &[f64]) -> f64 {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
    v.sort_by(f64::total_cmp);
    quantile_sorted(&v, 0.5)
}

/// The mean (NaN if empty).
pub fn mean(values: &[f64]) -> f64 {
    if values.is_empty() {
        f64::NAN
    } else {
        values.iter().sum::<f64>() / values.len() as f64
    }
}

/// Mean and 95% Student-t interval of the finite values: (n, mean, lo, hi); the interval
/// is NaN for n < 2, everything NaN for n = 0.
pub fn mean_ci95(values: &[f64]) -> (usize, f64, f64, f64) {
    let v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    let n = v.len();
    if n == 0 {
        return (0, f64::NAN, f64::NAN, f64::NAN);
    }
    let mean = v.iter().sum::<f64>() / n as f64;
    if n < 2 {
        return (n, mean, f64::NAN, f64::NAN);
    }
    let var = v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1) as f64;
    let t = t_quantile(0.975, (n - 1) as f64);
    let half = t * (var / n as f64).sqrt();
    (n, mean, mean - half, mean + half)
}
