//! [`curves`]: loss, median alignment and mean cos(f(x), f(ξ)) against the SGD step, one
//! line per run set (the mean over its seeds, with a min–max band when it has several).

use std::path::Path;

use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use super::draw::{band, chart, lines};
use super::load::{Curves, RunSet};
use super::style::{linear_range, nothing, render, series_colours, Frame};
use crate::error::Result;

/// The note of a figure whose sets have several seeds.
pub const BAND_NOTE: &str = "line: mean over seeds; band: min–max over seeds";

/// Per step index: (step, mean, min, max) over the runs of one curve `pick`, up to the
/// shortest run (the seeds of one experiment log at the same steps).
pub fn seed_summary(runs: &[&Curves], pick: Pick) -> Vec<(f64, f64, f64, f64)> {
    let n = runs.iter().map(|c| c.step.len().min(pick(c).len())).min().unwrap_or(0);
    (0..n)
        .map(|i| {
            let v: Vec<f64> = runs.iter().map(|c| pick(c)[i]).filter(|v| v.is_finite()).collect();
            let mean = v.iter().sum::<f64>() / v.len() as f64;
            let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            (runs[0].step[i], mean, lo, hi)
        })
        .collect()
}

/// Picks one curve of a run.
type Pick = fn(&Curves) -> &[f64];

/// The three panels: caption and curve.
const PANELS: [(&str, Pick); 3] = [
    ("loss (mean over the logging window)", |c| &c.loss),
    ("median alignment max_j |cos(w_i, M_j)|", |c| &c.align_median),
    ("mean cos(f(x), f(ξ))", |c| &c.noise_cos),
];

/// Training curves of `sets`, three panels side by side, to `out`: one colour per set (its
/// arm's), the mean over its seeds and, with several seeds, a min–max band (noted in the
/// legend band).
pub fn curves(sets: &[RunSet], out: &Path) -> Result<()> {
    if sets.is_empty() {
        return Err(nothing(out, "no run"));
    }
    let colours = series_colours(&sets.iter().map(|s| s.arm).collect::<Vec<_>>());
    let mut frame = Frame {
        entries: sets
            .iter()
            .map(|s| s.label.clone())
            .zip(colours.iter().copied())
            .collect(),
        ..Frame::default()
    };
    if sets.iter().any(|s| s.runs.len() > 1) {
        frame.notes.push(BAND_NOTE.to_string());
    }
    render(out, (1500, 480), &frame, |root| {
        for ((title, pick), area) in PANELS.iter().zip(root.split_evenly((1, 3)).iter()) {
            let summaries: Vec<Vec<(f64, f64, f64, f64)>> = sets
                .iter()
                .map(|s| seed_summary(&s.runs.iter().map(|r| &r.curves).collect::<Vec<_>>(), *pick))
                .collect();
            let all = || summaries.iter().flatten();
            let x = linear_range(all().map(|p| p.0));
            let y = linear_range(all().flat_map(|p| [p.2, p.3]));
            let (xr, yr) = (RangedCoordf64::from(x.0..x.1), RangedCoordf64::from(y.0..y.1));
            let mut c = chart(area, out, Some(title), ("SGD step", title), xr, yr)?;
            for ((s, pts), col) in sets.iter().zip(&summaries).zip(&colours) {
                if s.runs.len() > 1 {
                    let lo: Vec<(f64, f64)> = pts.iter().map(|p| (p.0, p.2)).collect();
                    let hi: Vec<(f64, f64)> = pts.iter().map(|p| (p.0, p.3)).collect();
                    band(&mut c, out, &lo, &hi, *col)?;
                }
            }
            let means: Vec<Vec<(f64, f64)>> = summaries
                .iter()
                .map(|s| s.iter().map(|p| (p.0, p.1)).collect())
                .collect();
            let series: Vec<(&[(f64, f64)], RGBColor)> =
                means.iter().map(Vec::as_slice).zip(colours.iter().copied()).collect();
            lines(&mut c, out, &series)?;
        }
        Ok(())
    })
}
