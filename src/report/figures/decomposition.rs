//! [`decomposition_along_training`]: alignment, share on span(M) and atoms covered
//! against the step, with the theorem's window (docs/THEORY.md §2.2, claim
//! `aug.time_window`) scaled to the step where the decomposition forms.

use std::path::Path;

use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use super::draw::{chart, dashed, Chart, DASH, DOT};
use super::style::{colour_of, label_colours, nothing, perr, positive, render, Entry, Frame, LogAxis, REFERENCE};
use crate::error::Result;
use crate::report::format;

/// One training run of [`decomposition_along_training`]: its logged curves, the step at
/// which the decomposition formed and the end of the theorem's window scaled to it.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowRun {
    /// The run, e.g. "eta 1, seed 1".
    pub label: String,
    /// The logged steps (the first may be 0; steps ≤ 0 are not drawn on the log axis).
    pub steps: Vec<f64>,
    /// Median alignment max_j |cos(w_i, M_j)| over the neurons, per logged step.
    pub align_median: Vec<f64>,
    /// Median share of ‖w_i‖² on span(M), per logged step.
    pub share: Vec<f64>,
    /// Fraction of the atoms covered (0 to 1), per logged step.
    pub covered: Vec<f64>,
    /// The step at which the decomposition formed (`None`: it never did).
    pub formation: Option<f64>,
    /// The end of the window, formation · d^0.98 (docs/THEORY.md §2.2: the window
    /// [d^1.01/η, d^1.99/η] scaled to start at the formation); may exceed the last step.
    pub window_end: f64,
}

/// The title of [`decomposition_along_training`].
pub const TITLE_WINDOW: &str = "The decomposition along training, with the theorem's window (scaled)";

/// The panels of [`decomposition_along_training`]: caption and y description.
const WINDOW_PANELS: [(&str, &str); 3] = [
    ("median alignment", "median over neurons of max_j |cos(w_i, M_j)|"),
    ("share of ‖w_i‖² on span(M)", "median over neurons of ‖Mᵀw_i‖² / ‖w_i‖²"),
    ("atoms covered", "fraction of the d atoms covered"),
];

/// Above y = 1 in [`decomposition_along_training`], where the bars of the windows start
/// (so that a threshold at 1 shows).
const BAR_BASE: f64 = 1.03;
/// The height (in y units) of each window's bar there.
const BAR_STEP: f64 = 0.015;

/// The last finite logged step of a run (−∞ without one).
fn last_step(r: &WindowRun) -> f64 {
    r.steps
        .iter()
        .copied()
        .filter(|s| s.is_finite())
        .fold(f64::NEG_INFINITY, f64::max)
}

/// A run's legend label: its label, and "(never formed)" without a formation or "(window
/// end 4533 beyond T)" when the window ends after the last logged step T.
fn window_label(r: &WindowRun) -> String {
    match r.formation {
        None => format!("{} (never formed)", r.label),
        Some(_) if r.window_end > last_step(r) => {
            format!("{} (window end {} beyond T)", r.label, format::fixed(r.window_end, 0))
        }
        Some(_) => r.label.clone(),
    }
}

/// Three panels side by side of `runs` against the SGD step (log axis; steps ≤ 0 left
/// out), to `out`: the median alignment, the median share of ‖w_i‖² on span(M) and the
/// fraction of atoms covered (y linear from 0 to 1, plus the strip of the window bars).
/// One colour per label. For each run that formed the decomposition, a dotted vertical
/// line at the formation and a light shaded span, in the run's colour, from the formation
/// to the end of the window (docs/THEORY.md §2.2, claim `aug.time_window`: [d^1.01/η, d^1.99/η] scaled to start at
/// the formation, so it ends at formation · d^0.98), cut at the last logged step T, also
/// drawn as a bar in a strip above y = 1 (one row per run, so that overlapping windows
/// stay apart); the legend notes a window that ends beyond T, and a run that never formed.
///
/// `thresholds` are (panel index 0–2, value): a dashed grey horizontal line on that
/// panel, named in its caption (indices above 2 are ignored). No run, or no logged point
/// with a positive step, is an error (no file written).
pub fn decomposition_along_training(runs: &[WindowRun], thresholds: &[(usize, f64)], out: &Path) -> Result<()> {
    let xs: Vec<f64> = runs
        .iter()
        .flat_map(|r| r.steps.iter().copied().chain(r.formation))
        .filter(|&s| positive(s))
        .collect();
    if runs.is_empty() || xs.is_empty() {
        return Err(nothing(out, "no run with a positive logged step"));
    }
    let labels = label_colours(runs.iter().map(|r| r.label.as_str()));
    let mut entries: Vec<Entry> = runs
        .iter()
        .map(|r| (window_label(r), colour_of(&labels, &r.label)))
        .collect();
    entries.push((
        "dotted: formation; shaded and bar on top: window".to_string(),
        REFERENCE,
    ));
    let n_formed = runs.iter().filter(|r| r.formation.is_some_and(f64::is_finite)).count();
    let ytop = BAR_BASE + BAR_STEP * n_formed as f64;
    let Some(x) = LogAxis::over(&xs, 0.03, 0.1) else {
        return Err(nothing(out, "no run with a positive logged step"));
    };
    let (xlo, xhi) = (x.lo, x.hi);
    let frame = Frame {
        title: Some(TITLE_WINDOW.into()),
        entries,
        notes: Vec::new(),
    };
    render(out, (1500, 500), &frame, |root| {
        for (p, area) in root.split_evenly((1, 3)).iter().enumerate() {
            let lines: Vec<f64> = thresholds
                .iter()
                .filter(|t| t.0 == p && t.1.is_finite())
                .map(|t| t.1)
                .collect();
            let (name, y_desc) = WINDOW_PANELS[p];
            let caption = if lines.is_empty() {
                name.to_string()
            } else {
                let v: Vec<String> = lines.iter().map(|&v| format::trimmed(v, 2)).collect();
                format!("{name} (dashed: {})", v.join(", "))
            };
            let y = RangedCoordf64::from(0f64..ytop);
            let descs = ("SGD step (log scale)", y_desc);
            let mut chart = chart(area, out, Some(&caption), descs, x.clone(), y)?;
            window_panel(&mut chart, out, p, runs, &labels, &lines, ((xlo, xhi), ytop))?;
        }
        Ok(())
    })
}

/// Panel `p` of [`decomposition_along_training`] (x from `xlo` to `xhi`, y from 0 to
/// `ytop`): the windows' spans, the thresholds `lines`, the runs' curves, their formations
/// and, above y = 1, one bar per window (stacked, in the order of the runs, so that
/// overlapping windows stay apart), in that order (the spans under all).
fn window_panel<'a, 'b>(
    chart: &mut Chart<'a, 'b, LogAxis, RangedCoordf64>,
    out: &Path,
    p: usize,
    runs: &[WindowRun],
    labels: &[(String, RGBColor)],
    lines: &[f64],
    ((xlo, xhi), ytop): ((f64, f64), f64),
) -> Result<()> {
    let formed: Vec<(&WindowRun, f64)> = runs
        .iter()
        .filter_map(|r| r.formation.filter(|f| f.is_finite()).map(|f| (r, f.max(xlo))))
        .collect();
    let window = |r: &WindowRun, f: f64| Some(r.window_end.min(last_step(r)).min(xhi)).filter(|&end| end > f);
    for &(r, f) in &formed {
        if let Some(end) = window(r, f) {
            let c = colour_of(labels, &r.label);
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(f, 0.0), (end, ytop)],
                    c.mix(0.08).filled(),
                )))
                .map_err(|e| perr(out, e))?;
        }
    }
    for &v in lines {
        dashed(chart, out, vec![(xlo, v), (xhi, v)], REFERENCE.stroke_width(2), DASH)?;
    }
    for r in runs {
        let ys = [&r.align_median, &r.share, &r.covered][p];
        let pts = r
            .steps
            .iter()
            .zip(ys.iter())
            .map(|(&s, &y)| (s, y))
            .filter(|&(s, y)| positive(s) && y.is_finite());
        chart
            .draw_series(LineSeries::new(pts, colour_of(labels, &r.label).stroke_width(2)))
            .map_err(|e| perr(out, e))?;
    }
    for &(r, f) in &formed {
        let c = colour_of(labels, &r.label);
        dashed(chart, out, vec![(f, 0.0), (f, ytop)], c.stroke_width(2), DOT)?;
    }
    for (k, &(r, f)) in formed.iter().enumerate() {
        if let Some(end) = window(r, f) {
            let y = BAR_BASE + BAR_STEP * (k as f64 + 0.5);
            let c = colour_of(labels, &r.label);
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(f, y), (end, y)],
                    c.stroke_width(3),
                )))
                .map_err(|e| perr(out, e))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::figures::test_util::{check, noise, svg_text};

    fn window_runs() -> Vec<WindowRun> {
        let d: f64 = 16.0;
        let steps: Vec<f64> = (0..50).map(|i| 8000.0 * i as f64 / 49.0).collect();
        let sig = |s: f64, f: f64, sharp: f64| 1.0 / (1.0 + (-(s.max(1.0).ln() - f.ln()) * sharp).exp());
        let run = |label: &str, f: f64, k: usize| {
            let align = steps.iter().map(|&s| 0.15 + 0.75 * sig(s, f, 3.0)).collect();
            let share = steps.iter().map(|&s| 0.2 + 0.75 * sig(s, f * 0.8, 2.5)).collect();
            let covered = steps
                .iter()
                .enumerate()
                .map(|(i, &s)| (sig(s, f * 1.1, 4.0) + 0.02 * noise(k * 100 + i)).clamp(0.0, 1.0))
                .collect();
            WindowRun {
                label: label.to_string(),
                steps: steps.clone(),
                align_median: align,
                share,
                covered,
                formation: Some(f),
                window_end: f * d.powf(0.98),
            }
        };
        let mut never = run("eta 0.25, seed 1", 1e9, 4);
        never.formation = None;
        never.window_end = f64::NAN;
        vec![
            run("eta 1, seed 1", 300.0, 1),
            run("eta 1, seed 2", 340.0, 2),
            run("eta 0.5, seed 1", 600.0, 3),
            never,
        ]
    }

    #[test]
    fn decomposition_along_training_notes_windows_beyond_the_last_step() {
        let tmp = tempfile::tempdir().unwrap();
        let runs = window_runs();
        let out = tmp.path().join("window.svg");
        decomposition_along_training(&runs, &[(0, 0.5), (1, 0.8), (2, 1.0)], &out).unwrap();
        // 600 · 16^0.98 ≈ 9082 > 8000: noted; 300 · 16^0.98 ≈ 4541 < 8000: not.
        let labels = [
            "eta 1, seed 1",
            "eta 1, seed 2",
            "eta 0.5, seed 1 (window end 9082 beyond T)",
            "eta 0.25, seed 1 (never formed)",
            "dotted: formation; shaded and bar on top: window",
            "median alignment (dashed: 0.5)",
            "(dashed: 0.8)",
            "atoms covered (dashed: 1)",
        ]
        .map(String::from);
        check(&out, TITLE_WINDOW, &labels);
        let s = svg_text(&out);
        assert!(!s.contains("eta 1, seed 1 (window end"));
    }
}
