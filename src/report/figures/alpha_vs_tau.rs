//! [`alpha_vs_tau`]: the main coefficient α of the aligned neurons against the
//! temperature τ (docs/THEORY.md §1.3, §2.2), per setting, with a slope-1 reference.

use std::path::Path;

use plotters::prelude::*;

use super::draw::{chart, dashed, means_per_x, power_segment, DASH};
use super::style::{label_colours, nothing, perr, positive, render, Entry, Frame, LogAxis, REFERENCE};
use crate::error::Result;

/// One point of [`alpha_vs_tau`]: one run (a setting and a seed).
#[derive(Debug, Clone, PartialEq)]
pub struct TauPoint {
    /// The setting, e.g. "kappa 1, lambda 1e-4"; points with the same label form a series.
    pub label: String,
    /// The temperature τ of the contrastive loss (docs/THEORY.md §1.3).
    pub tau: f64,
    /// The median main coefficient α of the run's aligned neurons.
    pub alpha: f64,
}

/// The title of [`alpha_vs_tau`].
pub const TITLE_ALPHA: &str = "Main coefficient α against τ (RandomMask)";

/// Log-log figure of the median main coefficient α of the aligned neurons against the
/// temperature τ (docs/THEORY.md §1.3 for τ, §2.2 for the decomposition α), to `out`.
///
/// One colour per label (the setting; palette order, [`super::style::series_colours`]): each point
/// (one seed) a small dot, and the label's mean α per τ (arithmetic mean over the seeds)
/// joined by a line. A dashed grey line of slope 1 (α ∝ τ), labelled "α ∝ τ",
/// passes through the first label's mean at its middle τ (the upper middle for an even
/// count). Points with τ or α not positive and finite are left out; none left is an error
/// (no file written).
pub fn alpha_vs_tau(points: &[TauPoint], out: &Path) -> Result<()> {
    let good: Vec<&TauPoint> = points.iter().filter(|p| positive(p.tau) && positive(p.alpha)).collect();
    if good.is_empty() {
        return Err(nothing(out, "no point with positive τ and α"));
    }
    let labels = label_colours(good.iter().map(|p| p.label.as_str()));
    let series: Vec<Vec<(f64, f64)>> = labels
        .iter()
        .map(|(l, _)| {
            good.iter()
                .filter(|p| &p.label == l)
                .map(|p| (p.tau, p.alpha))
                .collect()
        })
        .collect();
    let means: Vec<Vec<(f64, f64)>> = series.iter().map(|s| means_per_x(s)).collect();
    let (tm, am) = means[0][means[0].len() / 2];
    let mut entries: Vec<Entry> = labels.clone();
    entries.push(("α ∝ τ".to_string(), REFERENCE));
    let xs: Vec<f64> = good.iter().map(|p| p.tau).collect();
    let ys: Vec<f64> = good.iter().map(|p| p.alpha).collect();
    let frame = Frame {
        title: Some(TITLE_ALPHA.into()),
        entries,
        notes: Vec::new(),
    };
    render(out, (800, 520), &frame, |root| {
        let (Some(x), Some(y)) = (LogAxis::over(&xs, 0.08, 0.1), LogAxis::over(&ys, 0.08, 0.2)) else {
            return Ok(());
        };
        let (xr, yr) = ((x.lo, x.hi), (y.lo, y.hi));
        let descs = (
            "temperature τ (log scale)",
            "median α of the aligned neurons (log scale)",
        );
        let mut chart = chart(root, out, None, descs, x, y)?;
        if let Some(seg) = power_segment(am / tm, 1.0, xr, yr) {
            dashed(&mut chart, out, seg.to_vec(), REFERENCE.stroke_width(2), DASH)?;
        }
        for ((pts, m), (_, c)) in series.iter().zip(&means).zip(&labels) {
            chart
                .draw_series(pts.iter().map(|&p| Circle::new(p, 2, c.mix(0.6).filled())))
                .map_err(|e| perr(out, e))?;
            chart
                .draw_series(LineSeries::new(m.iter().copied(), c.stroke_width(2)))
                .map_err(|e| perr(out, e))?;
            chart
                .draw_series(m.iter().map(|&p| Circle::new(p, 4, c.filled())))
                .map_err(|e| perr(out, e))?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::figures::test_util::{check, noise};

    fn tau_points() -> Vec<TauPoint> {
        let settings = ["kappa 1, lambda 1e-4", "kappa 2, lambda 1e-4", "kappa 1, lambda 1e-3"];
        let mut pts = Vec::new();
        let mut k = 0;
        for (i, s) in settings.iter().enumerate() {
            for tau in [0.05, 0.1, 0.2] {
                for _seed in 0..3 {
                    k += 1;
                    let alpha = 2.0 * tau * (1.0 + 0.15 * i as f64) * (1.0 + 0.3 * noise(k));
                    pts.push(TauPoint {
                        label: s.to_string(),
                        tau,
                        alpha,
                    });
                }
            }
        }
        pts
    }

    #[test]
    fn alpha_vs_tau_draws_every_setting_and_the_reference() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("alpha_tau.svg");
        alpha_vs_tau(&tau_points(), &out).unwrap();
        let labels: Vec<String> = [
            "kappa 1, lambda 1e-4",
            "kappa 2, lambda 1e-4",
            "kappa 1, lambda 1e-3",
            "α ∝ τ",
        ]
        .map(String::from)
        .to_vec();
        check(&out, TITLE_ALPHA, &labels);
    }
}
