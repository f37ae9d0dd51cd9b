//! Ordinary least squares slopes with Student-t intervals.
//!
//! Every fit here is one least-squares line, [`Ols`]: [`slope_fit`] (the audit's slope
//! checks), [`loglog_slope`] (the report's scaling slopes) and each line of [`floor_fit`]
//! (y on x^−k). They differ only in the interval they build on it.

use serde::Serialize;

use super::t_quantile;

/// The ordinary least squares line y = a + b·x through (x, y): the means, S_xx and the
/// coefficients every fit of this module starts from. S_xx may be zero (no spread in x) or
/// not finite, and then the coefficients are not finite either: callers check.
#[derive(Debug, Clone, Copy)]
struct Ols {
    /// Number of points.
    n: usize,
    /// Mean of x.
    mx: f64,
    /// Mean of y.
    my: f64,
    /// Σ (x − x̄)².
    sxx: f64,
    /// b = Σ (x − x̄)(y − ȳ) / S_xx.
    slope: f64,
    /// a = ȳ − b·x̄.
    intercept: f64,
}

impl Ols {
    /// The line through (x, y) (same lengths, at least one point).
    fn fit(x: &[f64], y: &[f64]) -> Ols {
        let n = x.len();
        let mx = x.iter().sum::<f64>() / n as f64;
        let my = y.iter().sum::<f64>() / n as f64;
        let sxx: f64 = x.iter().map(|v| (v - mx).powi(2)).sum();
        let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
        let slope = sxy / sxx;
        Ols {
            n,
            mx,
            my,
            sxx,
            slope,
            intercept: my - slope * mx,
        }
    }

    /// The residual sum of squares, Σ (y − a − b·x)².
    fn rss(&self, x: &[f64], y: &[f64]) -> f64 {
        x.iter()
            .zip(y)
            .map(|(a, b)| (b - self.intercept - self.slope * a).powi(2))
            .sum()
    }

    /// The same sum in centred form, Σ (y − ȳ − b·(x − x̄))² (the arithmetic the scaling
    /// slopes have always used; equal to [`Ols::rss`] up to rounding).
    fn rss_centred(&self, x: &[f64], y: &[f64]) -> f64 {
        x.iter()
            .zip(y)
            .map(|(a, b)| (b - self.my - self.slope * (a - self.mx)).powi(2))
            .sum()
    }

    /// The slope's standard error from the residual sum of squares `rss` (n ≥ 3).
    fn slope_se(&self, rss: f64) -> f64 {
        (rss / (self.n - 2) as f64 / self.sxx).sqrt()
    }

    /// The intercept's standard error from the residual sum of squares `rss` (n ≥ 3).
    fn intercept_se(&self, rss: f64) -> f64 {
        (rss / (self.n - 2) as f64 * (1.0 / self.n as f64 + self.mx * self.mx / self.sxx)).sqrt()
    }
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
    let line = Ols::fit(x, y);
    let se = line.slope_se(line.rss(x, y));
    let half = t_quantile(0.5 + confidence / 2.0, (n - 2) as f64) * se;
    SlopeFit {
        slope: line.slope,
        lo: line.slope - half,
        hi: line.slope + half,
        intercept: line.intercept,
        n,
    }
}

/// A fitted log-log slope.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LogLogSlope {
    /// Points used.
    pub n: usize,
    /// OLS slope of ln y on ln d.
    pub slope: f64,
    /// 95% interval.
    pub lo: f64,
    /// 95% interval.
    pub hi: f64,
}

/// OLS slope of ln y on ln x over the points with x, y finite and positive.
pub fn loglog_slope(points: &[(f64, f64)]) -> LogLogSlope {
    let (x, y): (Vec<f64>, Vec<f64>) = points
        .iter()
        .filter(|(x, y)| x.is_finite() && y.is_finite() && *x > 0.0 && *y > 0.0)
        .map(|(x, y)| (x.ln(), y.ln()))
        .unzip();
    let n = x.len();
    let nan = LogLogSlope {
        n,
        slope: f64::NAN,
        lo: f64::NAN,
        hi: f64::NAN,
    };
    if n < 2 {
        return nan;
    }
    let line = Ols::fit(&x, &y);
    if line.sxx <= 0.0 {
        return nan;
    }
    let slope = line.slope;
    if n < 3 {
        return LogLogSlope { slope, ..nan };
    }
    let se = line.slope_se(line.rss_centred(&x, &y));
    let half = t_quantile(0.975, (n - 2) as f64) * se;
    LogLogSlope {
        n,
        slope,
        lo: slope - half,
        hi: slope + half,
    }
}

/// A fit of y = a + b·x^−k: the floor a that y tends to as x grows (docs/THEORY.md §4.11).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FloorFit {
    /// The floor a (at the best k).
    pub a: f64,
    /// Lower end of a's interval (over every k the data do not reject).
    pub a_lo: f64,
    /// Upper end of a's interval.
    pub a_hi: f64,
    /// b (at the best k).
    pub b: f64,
    /// The exponent k, the grid value with the least residual sum of squares.
    pub k: f64,
    /// The smallest and largest k the data do not reject (see [`floor_fit`]).
    pub k_range: (f64, f64),
    /// Number of points.
    pub n: usize,
}

/// Fit y = a + b·x^−k by least squares over a grid of k: for each k an OLS line of y on
/// x^−k, the k with the least residual sum of squares RSS* kept as the estimate. k is not
/// known, so a's interval is the union of the lines' two-sided t intervals for a (at
/// `confidence`) over every k of the grid that the data do not reject, RSS(k) ≤ RSS*·(1 +
/// t²/(n − 3)) with t the two-sided `confidence` quantile on n − 3 degrees of freedom (the
/// profile F test of one parameter). An interval conditional on the best k alone would
/// let the grid's choice decide the verdict. None with fewer than four points (three
/// parameters and one degree of freedom) or no spread in x.
pub fn floor_fit(x: &[f64], y: &[f64], ks: &[f64], confidence: f64) -> Option<FloorFit> {
    let n = x.len();
    if n < 4 || y.len() != n {
        return None;
    }
    // (k, a, b, rss, half-width of a's interval)
    let mut fits = Vec::new();
    for &k in ks {
        let u: Vec<f64> = x.iter().map(|v| v.powf(-k)).collect();
        let line = Ols::fit(&u, y);
        if line.sxx <= 0.0 || !line.sxx.is_finite() {
            continue;
        }
        let rss = line.rss(&u, y);
        let half = t_quantile(0.5 + confidence / 2.0, (n - 2) as f64) * line.intercept_se(rss);
        fits.push((k, line.intercept, line.slope, rss, half));
    }
    let best = *fits.iter().min_by(|p, q| p.3.total_cmp(&q.3))?;
    let t = t_quantile(0.5 + confidence / 2.0, (n - 3) as f64);
    let cut = best.3 * (1.0 + t * t / (n - 3) as f64);
    let kept: Vec<_> = fits.iter().filter(|f| f.3 <= cut).collect();
    let fold = |init: f64, pick: fn(f64, f64) -> f64, end: fn(&(f64, f64, f64, f64, f64)) -> f64| {
        kept.iter().map(|f| end(f)).fold(init, pick)
    };
    Some(FloorFit {
        a: best.1,
        a_lo: fold(f64::INFINITY, f64::min, |f| f.1 - f.4),
        a_hi: fold(f64::NEG_INFINITY, f64::max, |f| f.1 + f.4),
        b: best.2,
        k: best.0,
        k_range: (
            fold(f64::INFINITY, f64::min, |f| f.0),
            fold(f64::NEG_INFINITY, f64::max, |f| f.0),
        ),
        n,
    })
}

#[cfg(test)]
mod floor_tests {
    use super::*;

    #[test]
    fn the_floor_of_an_exact_power_law_is_found() {
        let x = [16.0, 32.0, 50.0, 64.0, 128.0];
        let y: Vec<f64> = x.iter().map(|d: &f64| 0.1 + 2.0 * d.powf(-0.5)).collect();
        let f = floor_fit(&x, &y, &[0.25, 0.5, 1.0], 0.95).unwrap();
        assert_eq!(f.k, 0.5);
        assert!((f.a - 0.1).abs() < 1e-9 && (f.b - 2.0).abs() < 1e-9, "{f:?}");
        assert!(f.a_lo <= f.a && f.a <= f.a_hi);
        assert!(floor_fit(&x[..3], &y[..3], &[0.5], 0.95).is_none());
    }

    #[test]
    fn the_floors_interval_covers_every_exponent_the_data_allow() {
        // Noisy points that several k fit about equally well: the interval spans their
        // floors, wider than the best k's alone.
        let x = [16.0, 16.0, 32.0, 32.0, 50.0, 50.0, 64.0, 64.0];
        let y = [0.50, 0.52, 0.31, 0.32, 0.23, 0.24, 0.20, 0.21];
        let ks = [0.25, 0.5, 0.75, 1.0, 1.5, 2.0];
        let f = floor_fit(&x, &y, &ks, 0.95).unwrap();
        assert!(f.k_range.0 < f.k_range.1, "{f:?}");
        assert!(f.a_lo <= f.a && f.a <= f.a_hi, "{f:?}");
        let only_best = floor_fit(&x, &y, &[f.k], 0.95).unwrap();
        assert!(
            f.a_hi - f.a_lo > only_best.a_hi - only_best.a_lo,
            "{f:?} vs {only_best:?}"
        );
    }
}

#[cfg(test)]
mod one_fit_tests {
    //! The fits on one [`Ols`] give bit for bit what the three separate fits they replaced
    //! gave (copied here as they were), so no CSV moved.
    use super::*;

    fn old_slope_fit(x: &[f64], y: &[f64], confidence: f64) -> SlopeFit {
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

    fn old_loglog_slope(points: &[(f64, f64)]) -> LogLogSlope {
        let p: Vec<(f64, f64)> = points
            .iter()
            .filter(|(x, y)| x.is_finite() && y.is_finite() && *x > 0.0 && *y > 0.0)
            .map(|(x, y)| (x.ln(), y.ln()))
            .collect();
        let n = p.len();
        let nan = LogLogSlope {
            n,
            slope: f64::NAN,
            lo: f64::NAN,
            hi: f64::NAN,
        };
        if n < 2 {
            return nan;
        }
        let mx = p.iter().map(|q| q.0).sum::<f64>() / n as f64;
        let my = p.iter().map(|q| q.1).sum::<f64>() / n as f64;
        let sxx: f64 = p.iter().map(|q| (q.0 - mx).powi(2)).sum();
        if sxx <= 0.0 {
            return nan;
        }
        let sxy: f64 = p.iter().map(|q| (q.0 - mx) * (q.1 - my)).sum();
        let slope = sxy / sxx;
        if n < 3 {
            return LogLogSlope { slope, ..nan };
        }
        let ssr: f64 = p.iter().map(|q| (q.1 - my - slope * (q.0 - mx)).powi(2)).sum();
        let se = (ssr / (n - 2) as f64 / sxx).sqrt();
        let half = t_quantile(0.975, (n - 2) as f64) * se;
        LogLogSlope {
            n,
            slope,
            lo: slope - half,
            hi: slope + half,
        }
    }

    fn old_floor_fit(x: &[f64], y: &[f64], ks: &[f64], confidence: f64) -> Option<FloorFit> {
        let n = x.len();
        if n < 4 || y.len() != n {
            return None;
        }
        // (k, a, b, rss, half-width of a's interval)
        let mut fits = Vec::new();
        for &k in ks {
            let u: Vec<f64> = x.iter().map(|v| v.powf(-k)).collect();
            let mu = u.iter().sum::<f64>() / n as f64;
            let my = y.iter().sum::<f64>() / n as f64;
            let suu: f64 = u.iter().map(|v| (v - mu).powi(2)).sum();
            if suu <= 0.0 || !suu.is_finite() {
                continue;
            }
            let suy: f64 = u.iter().zip(y).map(|(a, b)| (a - mu) * (b - my)).sum();
            let b = suy / suu;
            let a = my - b * mu;
            let rss: f64 = u.iter().zip(y).map(|(p, q)| (q - a - b * p).powi(2)).sum();
            let se = (rss / (n - 2) as f64 * (1.0 / n as f64 + mu * mu / suu)).sqrt();
            let half = t_quantile(0.5 + confidence / 2.0, (n - 2) as f64) * se;
            fits.push((k, a, b, rss, half));
        }
        let best = *fits.iter().min_by(|p, q| p.3.total_cmp(&q.3))?;
        let t = t_quantile(0.5 + confidence / 2.0, (n - 3) as f64);
        let cut = best.3 * (1.0 + t * t / (n - 3) as f64);
        let kept: Vec<_> = fits.iter().filter(|f| f.3 <= cut).collect();
        let fold = |init: f64, pick: fn(f64, f64) -> f64, end: fn(&(f64, f64, f64, f64, f64)) -> f64| {
            kept.iter().map(|f| end(f)).fold(init, pick)
        };
        Some(FloorFit {
            a: best.1,
            a_lo: fold(f64::INFINITY, f64::min, |f| f.1 - f.4),
            a_hi: fold(f64::NEG_INFINITY, f64::max, |f| f.1 + f.4),
            b: best.2,
            k: best.0,
            k_range: (
                fold(f64::INFINITY, f64::min, |f| f.0),
                fold(f64::NEG_INFINITY, f64::max, |f| f.0),
            ),
            n,
        })
    }

    /// Deterministic pseudo-random points in (0, 1).
    fn points(seed: u64, n: usize) -> Vec<f64> {
        let mut s = seed;
        (0..n)
            .map(|_| {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                ((s >> 11) as f64 + 0.5) / (1u64 << 53) as f64
            })
            .collect()
    }

    fn same(a: f64, b: f64) -> bool {
        a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
    }

    #[test]
    fn the_one_least_squares_line_gives_the_old_fits_bit_for_bit() {
        let ks = [0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0];
        for seed in 0..200 {
            let n = 3 + (seed as usize % 9);
            let x: Vec<f64> = points(seed, n).iter().map(|v| 8.0 + 120.0 * v).collect();
            let y: Vec<f64> = points(seed + 1000, n)
                .iter()
                .zip(&x)
                .map(|(e, d)| 0.2 + d.powf(-0.5) + 0.1 * e)
                .collect();
            let (a, b) = (slope_fit(&x, &y, 0.98), old_slope_fit(&x, &y, 0.98));
            assert!(
                same(a.slope, b.slope) && same(a.lo, b.lo) && same(a.hi, b.hi) && same(a.intercept, b.intercept),
                "{a:?} {b:?}"
            );
            let pts: Vec<(f64, f64)> = x.iter().copied().zip(y.iter().copied()).collect();
            let (a, b) = (loglog_slope(&pts), old_loglog_slope(&pts));
            assert!(
                a.n == b.n && same(a.slope, b.slope) && same(a.lo, b.lo) && same(a.hi, b.hi),
                "{a:?} {b:?}"
            );
            match (floor_fit(&x, &y, &ks, 0.95), old_floor_fit(&x, &y, &ks, 0.95)) {
                (None, None) => {}
                (Some(a), Some(b)) => assert!(
                    same(a.a, b.a)
                        && same(a.a_lo, b.a_lo)
                        && same(a.a_hi, b.a_hi)
                        && same(a.b, b.b)
                        && a.k == b.k
                        && a.k_range == b.k_range,
                    "{a:?} {b:?}"
                ),
                (a, b) => panic!("{a:?} {b:?}"),
            }
        }
    }
}
