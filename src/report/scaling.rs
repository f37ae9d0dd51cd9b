//! The asymptotic picture: a scaling sweep's metrics per arm and d, and their fitted
//! log-log slopes against d with 95% intervals.
//!
//! The slope of metric y is the OLS slope of ln y on ln d over every (cell, seed) run of
//! the arm with a finite, positive y (seed-level points, so the interval reflects the
//! seed-to-seed spread); its interval is slope ± t_{0.975, n−2} · SE.

use std::collections::BTreeMap;

use crate::report::figures::cell_stats;
use crate::report::sweep::SweepTable;
use crate::stats::{loglog_slope, LogLogSlope};

/// The metrics of the scaling table: sweep key, short label.
pub const SCALING_METRICS: [(&str, &str); 8] = [
    ("one_minus_noise_cos", "1 - cos(f(x), f(xi))"),
    ("align_median", "median alignment"),
    ("atoms_covered", "atoms covered"),
    ("probe_regression_rel_mse", "probe rel. MSE"),
    ("probe_classification_acc", "probe accuracy"),
    ("final_loss", "final loss"),
    ("steps_to_align", "steps to median alignment > 0.5"),
    ("support_median", "median |N_i|"),
];

/// Per arm and metric, the slope over the seed-level points.
pub fn slopes(table: &SweepTable, arm_key: &str, d_key: &str) -> BTreeMap<(String, String), LogLogSlope> {
    let mut pts: BTreeMap<(String, String), Vec<(f64, f64)>> = BTreeMap::new();
    for (i, (_, _, m)) in table.rows.iter().enumerate() {
        let arm = table.axis(i, arm_key).unwrap_or("all").to_string();
        let d: f64 = table.axis(i, d_key).and_then(|v| v.parse().ok()).unwrap_or(f64::NAN);
        for (k, _) in SCALING_METRICS {
            let y = m.get(k).copied().unwrap_or(f64::NAN);
            pts.entry((arm.clone(), k.to_string())).or_default().push((d, y));
        }
    }
    pts.into_iter().map(|(k, p)| (k, loglog_slope(&p))).collect()
}

fn fmt_ci(mean: f64, lo: f64, hi: f64) -> String {
    if !mean.is_finite() {
        return "n/a".into();
    }
    let digits = if mean.abs() >= 100.0 { 0 } else { 3 };
    if lo.is_finite() {
        format!("{mean:.digits$} ± {:.digits$}", (hi - lo) / 2.0)
    } else {
        format!("{mean:.digits$}")
    }
}

/// `scaling_table.csv` (arm, d, metric, n, mean, ci95_lo, ci95_hi) and
/// `scaling_slopes.csv` (arm, metric, n, slope, ci95_lo, ci95_hi), and the markdown of both
/// tables. `lr` gives the paper's time scale d/η next to the measured steps.
pub fn tables(table: &SweepTable, arm_key: &str, d_key: &str, lr: f64) -> (String, String, String) {
    let mut csv_t = String::from("arm,d,metric,n,mean,ci95_lo,ci95_hi\n");
    let mut per: BTreeMap<(String, u64), Vec<String>> = BTreeMap::new();
    let mut ds: BTreeMap<(String, u64), usize> = BTreeMap::new();
    for (k, _) in SCALING_METRICS {
        for (arm, pts) in cell_stats(table, arm_key, d_key, k) {
            for (d, n, mean, lo, hi) in pts {
                csv_t.push_str(&format!("{arm},{d},{k},{n},{mean},{lo},{hi}\n"));
                let key = (arm.clone(), d as u64);
                ds.insert(key.clone(), n);
                per.entry(key).or_default().push(fmt_ci(mean, lo, hi));
            }
        }
    }
    let mut md = String::from("| arm | d | seeds | d/η |");
    for (_, label) in SCALING_METRICS {
        md.push_str(&format!(" {label} |"));
    }
    md.push('\n');
    md.push_str(&"|---".repeat(4 + SCALING_METRICS.len()));
    md.push_str("|\n");
    for ((arm, d), cells) in &per {
        let n = ds[&(arm.clone(), *d)];
        md.push_str(&format!(
            "| {arm} | {d} | {n} | {:.0} | {} |\n",
            *d as f64 / lr,
            cells.join(" | ")
        ));
    }
    let sl = slopes(table, arm_key, d_key);
    let arms: Vec<String> = sl
        .keys()
        .map(|k| k.0.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut csv_s = String::from("arm,metric,n,slope,ci95_lo,ci95_hi\n");
    let mut md_s = String::from("| metric |");
    for a in &arms {
        md_s.push_str(&format!(" slope vs d, {a} [95% CI] |"));
    }
    md_s.push('\n');
    md_s.push_str(&"|---".repeat(1 + arms.len()));
    md_s.push_str("|\n");
    for (k, label) in SCALING_METRICS {
        md_s.push_str(&format!("| {label} |"));
        for a in &arms {
            let s = sl[&(a.clone(), k.to_string())];
            csv_s.push_str(&format!("{a},{k},{},{},{},{}\n", s.n, s.slope, s.lo, s.hi));
            if s.slope.is_finite() {
                md_s.push_str(&format!(" {:.2} [{:.2}, {:.2}] (n={}) |", s.slope, s.lo, s.hi, s.n));
            } else {
                md_s.push_str(&format!(" n/a (n={}) |", s.n));
            }
        }
        md_s.push('\n');
    }
    (csv_t, csv_s, format!("{md}\n{md_s}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slope_of_a_power_law() {
        let pts: Vec<(f64, f64)> = [16.0, 24.0, 32.0, 48.0]
            .iter()
            .map(|&d: &f64| (d, 3.0 * d.powf(1.5)))
            .collect();
        let s = loglog_slope(&pts);
        assert!((s.slope - 1.5).abs() < 1e-12 && s.n == 4);
        assert!((s.hi - s.lo).abs() < 1e-9);
    }
}
