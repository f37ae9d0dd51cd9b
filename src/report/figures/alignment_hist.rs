//! [`alignment_histogram`]: the neurons' final alignments max_j |cos(w_i, M_j)|, 20 bins
//! on [0, 1], one outline per run set (its seeds' neurons pooled).

use std::path::Path;

use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use super::draw::{chart, lines};
use super::load::RunSet;
use super::style::{nothing, render, series_colours, Frame};
use crate::error::Result;

/// Number of bins on [0, 1].
const BINS: usize = 20;

/// The step outline of the histogram (fraction of the values per bin) of `a`: (left, h),
/// (right, h) per bin, from (0, 0) to (1, 0).
pub fn outline(a: &[f64]) -> Vec<(f64, f64)> {
    let mut h = [0.0; BINS];
    for v in a {
        h[((v * BINS as f64) as usize).min(BINS - 1)] += 1.0 / a.len() as f64;
    }
    let mut pts = vec![(0.0, 0.0)];
    for (k, &c) in h.iter().enumerate() {
        pts.push((k as f64 / BINS as f64, c));
        pts.push(((k + 1) as f64 / BINS as f64, c));
    }
    pts.push((1.0, 0.0));
    pts
}

/// Histogram (fraction of neurons) of the alignments of `sets`, to `out`; a set of several
/// seeds pools their neurons (noted in the legend band).
pub fn alignment_histogram(sets: &[RunSet], out: &Path) -> Result<()> {
    if sets.is_empty() {
        return Err(nothing(out, "no run"));
    }
    let outlines: Vec<Vec<(f64, f64)>> = sets
        .iter()
        .map(|s| {
            outline(
                &s.runs
                    .iter()
                    .flat_map(|r| r.alignments.iter().copied())
                    .collect::<Vec<_>>(),
            )
        })
        .collect();
    let ymax = outlines.iter().flatten().map(|q| q.1).fold(0.0f64, f64::max) * 1.1;
    let colours = series_colours(&sets.iter().map(|s| s.arm).collect::<Vec<_>>());
    let mut frame = Frame {
        title: Some("alignment of the neurons".into()),
        entries: sets
            .iter()
            .map(|s| s.label.clone())
            .zip(colours.iter().copied())
            .collect(),
        notes: Vec::new(),
    };
    if sets.iter().any(|s| s.runs.len() > 1) {
        frame.notes.push("several seeds: their neurons pooled".into());
    }
    render(out, (700, 480), &frame, |root| {
        let (x, y) = (
            RangedCoordf64::from(0f64..1f64),
            RangedCoordf64::from(0f64..ymax.max(0.01)),
        );
        let descs = ("alignment max_j |cos(w_i, M_j)|", "fraction of neurons");
        let mut c = chart(root, out, None, descs, x, y)?;
        let series: Vec<(&[(f64, f64)], RGBColor)> = outlines
            .iter()
            .map(Vec::as_slice)
            .zip(colours.iter().copied())
            .collect();
        lines(&mut c, out, &series)
    })
}
