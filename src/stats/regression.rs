//! Ordinary least squares slopes with Student-t intervals.

use serde::Serialize;

use super::t_quantile;

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
