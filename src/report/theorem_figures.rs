//! Figures of the theorem's quantities, drawn from plain data (SVG, in the style of
//! [`super::figures`]: its palette, its 1–2–5 log ticks and its legend band between the
//! title and the panels, never over the data).
//!
//! * [`alpha_vs_tau`]: the main coefficient α of the aligned neurons against the
//!   temperature τ (docs/THEORY.md §1.3, §2.2), per setting, with a slope-1 reference.
//! * [`per_atom_vs_m`]: neurons per atom against m/d (docs/THEORY.md §4.10), with a fitted
//!   power law and a slope-1 reference.
//! * [`decomposition_along_training`]: alignment, share on span(M) and atoms covered
//!   against the step, with the theorem's window (docs/THEORY.md §2.2, claim
//!   `aug.time_window`) scaled to the step where the decomposition forms.
//! * [`probe_error_vs_d`]: probe errors against d (docs/THEORY.md §1.6, §4.5), with a
//!   floor fit a + b·d^−k.
//!
//! The inputs are plain structs; this module reads no run folder and knows nothing of the
//! simulator or the audit. Every figure is rendered to a string and written with
//! [`crate::io::write_atomic`]. An input with nothing to draw (no point with positive,
//! finite coordinates on a log axis, or no run at all) is an error and writes no file.
//!
//! Colours: the k-th distinct label (in order of first appearance) takes the k-th colour
//! of [`PALETTE`] (the first is blue), skipping the palette's grey, which is kept for
//! reference lines; fits are black.

use std::collections::BTreeMap;
use std::path::Path;

use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use crate::error::{Error, Result};
use crate::report::figures::{ln_range, perr, positive, render, Area, Entry, LogAxis, PALETTE};

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

/// A straight-line fit on log-log axes: ln y = `intercept` + `slope`·ln x, with an
/// interval [`lo`, `hi`] for the slope.
///
/// [`lo`]: LineFit::lo
/// [`hi`]: LineFit::hi
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LineFit {
    /// The slope (the exponent of the power law).
    pub slope: f64,
    /// The intercept (ln of the prefactor).
    pub intercept: f64,
    /// Lower end of the slope's interval.
    pub lo: f64,
    /// Upper end of the slope's interval.
    pub hi: f64,
}

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

/// One series of a [`ProbePanel`]: a kind of probe or representation, one point per run
/// (or seed).
#[derive(Debug, Clone, PartialEq)]
pub struct ProbeSeries {
    /// The series, e.g. "trained, d1 = 8d" or "oracle z"; the same label has the same
    /// colour in every panel.
    pub label: String,
    /// (d, error) per run.
    pub points: Vec<(f64, f64)>,
}

/// A fitted floor curve: error = a + b·d^−k, with an interval [`a_lo`, `a_hi`] for the
/// floor a.
///
/// [`a_lo`]: FloorCurve::a_lo
/// [`a_hi`]: FloorCurve::a_hi
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FloorCurve {
    /// The floor a (the error as d → ∞).
    pub a: f64,
    /// The prefactor b.
    pub b: f64,
    /// The exponent k.
    pub k: f64,
    /// Lower end of a's interval.
    pub a_lo: f64,
    /// Upper end of a's interval.
    pub a_hi: f64,
}

/// One panel of [`probe_error_vs_d`]: a probe's error (e.g. the regression's relative MSE,
/// or 1 − the classification accuracy) against d.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbePanel {
    /// The panel's caption.
    pub title: String,
    /// The series; the first is the one `fit` was fitted to.
    pub series: Vec<ProbeSeries>,
    /// The floor fit of the first series, if any.
    pub fit: Option<FloorCurve>,
}

/// The title of [`alpha_vs_tau`].
const TITLE_ALPHA: &str = "Main coefficient α against τ (RandomMask)";
/// The title of [`per_atom_vs_m`].
const TITLE_PER_ATOM: &str = "Neurons per atom against m/d (RandomMask, one d)";
/// The title of [`decomposition_along_training`].
const TITLE_WINDOW: &str = "The decomposition along training, with the theorem's window (scaled)";
/// The title of [`probe_error_vs_d`].
const TITLE_PROBE: &str = "Probe error against d, with the floor fit and diagnostic probes";

/// Reference lines (a darker grey than the palette's, which no label takes).
const REFERENCE: RGBColor = RGBColor(100, 100, 100);
/// Fitted curves.
const FIT: RGBColor = BLACK;
/// The indices of [`PALETTE`] the labels take, in order: all but its grey (7).
const LABEL_COLOURS: [usize; 9] = [0, 1, 2, 3, 4, 5, 6, 8, 9];

/// The colour of the `k`-th distinct label.
fn label_colour(k: usize) -> RGBColor {
    PALETTE[LABEL_COLOURS[k % LABEL_COLOURS.len()]]
}

/// The distinct labels, in order of first appearance.
fn distinct<'a>(labels: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for l in labels {
        if !out.iter().any(|o| o == l) {
            out.push(l.to_string());
        }
    }
    out
}

/// The colour of `label` among `labels` (those of [`distinct`]).
fn colour_of(labels: &[String], label: &str) -> RGBColor {
    label_colour(labels.iter().position(|l| l == label).unwrap_or(0))
}

/// The error of an input with nothing to draw.
fn nothing(out: &Path, what: &str) -> Error {
    perr(out, format!("nothing to draw: {what}"))
}

/// The points with both coordinates positive and finite (the others cannot sit on
/// log-log axes).
fn loggable(pts: impl IntoIterator<Item = (f64, f64)>) -> Vec<(f64, f64)> {
    pts.into_iter().filter(|p| positive(p.0) && positive(p.1)).collect()
}

/// Per distinct x (ascending): (x, mean of its y).
fn means_per_x(pts: &[(f64, f64)]) -> Vec<(f64, f64)> {
    // Positive floats order as their bits do.
    let mut groups: BTreeMap<u64, (f64, usize)> = BTreeMap::new();
    for &(x, y) in pts {
        let g = groups.entry(x.to_bits()).or_insert((0.0, 0));
        g.0 += y;
        g.1 += 1;
    }
    groups
        .into_iter()
        .map(|(bits, (sum, n))| (f64::from_bits(bits), sum / n as f64))
        .collect()
}

/// A log axis over the positive values of `vals`, padded by 8% of their span in ln (at
/// least 8% of `min_span`) on each side; `None` without a positive value.
fn padded_log_axis(vals: &[f64], min_span: f64) -> Option<LogAxis> {
    let v: Vec<f64> = vals.iter().copied().filter(|&v| positive(v)).collect();
    if v.is_empty() {
        return None;
    }
    let (lo, hi) = ln_range(&v);
    let pad = 0.08 * (hi - lo).max(min_span);
    Some(LogAxis::new((lo - pad).exp(), (hi + pad).exp()))
}

/// A chart on log-log axes.
type LogLog<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<LogAxis, LogAxis>>;

/// A log-log chart on `area` over the axes `x` and `y` (ticked at 1–2–5 values), with the
/// axis descriptions `descs` and an optional caption.
fn loglog_chart<'a, 'b>(
    area: &'a Area<'b>,
    out: &Path,
    caption: Option<&str>,
    (x_desc, y_desc): (&str, &str),
    x: LogAxis,
    y: LogAxis,
) -> Result<LogLog<'a, 'b>> {
    let mut builder = ChartBuilder::on(area);
    if let Some(c) = caption {
        builder.caption(c, ("sans-serif", 16));
    }
    let mut chart = builder
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(x, y)
        .map_err(|e| perr(out, e))?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .draw()
        .map_err(|e| perr(out, e))?;
    Ok(chart)
}

/// The part of the power law y = c·x^s inside the box `[x0, x1] × [y0, y1]`, as its two
/// ends (a straight line on log-log axes); `None` when it misses the box.
fn power_segment(c: f64, s: f64, (x0, x1): (f64, f64), (y0, y1): (f64, f64)) -> Option<[(f64, f64); 2]> {
    if !(positive(c) && s.is_finite()) {
        return None;
    }
    let (mut lo, mut hi) = (x0.ln(), x1.ln());
    if s.abs() < 1e-12 {
        if c < y0 || c > y1 {
            return None;
        }
    } else {
        let (a, b) = ((y0.ln() - c.ln()) / s, (y1.ln() - c.ln()) / s);
        lo = lo.max(a.min(b));
        hi = hi.min(a.max(b));
    }
    if lo >= hi {
        return None;
    }
    let at = |t: f64| (t.exp(), c * t.exp().powf(s));
    Some([at(lo), at(hi)])
}

/// A dashed line through `pts` in `colour`.
fn dashed<'a, 'b, X, Y>(
    chart: &mut ChartContext<'a, SVGBackend<'b>, Cartesian2d<X, Y>>,
    out: &Path,
    pts: Vec<(f64, f64)>,
    style: ShapeStyle,
    (dash, gap): (i32, i32),
) -> Result<()>
where
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    chart
        .draw_series(DashedLineSeries::new(pts, dash, gap, style))
        .map_err(|e| perr(out, e))?;
    Ok(())
}

/// Dash and gap (px) of dashed lines.
const DASH: (i32, i32) = (8, 5);
/// Dash and gap (px) of dotted lines.
const DOT: (i32, i32) = (2, 4);

/// A number with at most two decimals, trailing zeros dropped ("0.5", "1", "0.37").
fn compact(v: f64) -> String {
    let s = format!("{v:.2}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// Log-log figure of the median main coefficient α of the aligned neurons against the
/// temperature τ (docs/THEORY.md §1.3 for τ, §2.2 for the decomposition α), to `out`.
///
/// One colour per label (the setting; [`PALETTE`] order, the first blue): each point
/// (one seed) a small dot, and the label's mean α per τ (arithmetic mean over the seeds)
/// joined by a line. A dashed grey line of slope 1 (α ∝ τ), labelled "alpha ∝ tau",
/// passes through the first label's mean at its middle τ (the upper middle for an even
/// count). Points with τ or α not positive and finite are left out; none left is an error
/// (no file written).
pub fn alpha_vs_tau(points: &[TauPoint], out: &Path) -> Result<()> {
    let good: Vec<&TauPoint> = points.iter().filter(|p| positive(p.tau) && positive(p.alpha)).collect();
    if good.is_empty() {
        return Err(nothing(out, "no point with positive τ and α"));
    }
    let labels = distinct(good.iter().map(|p| p.label.as_str()));
    let series: Vec<Vec<(f64, f64)>> = labels
        .iter()
        .map(|l| {
            good.iter()
                .filter(|p| &p.label == l)
                .map(|p| (p.tau, p.alpha))
                .collect()
        })
        .collect();
    let means: Vec<Vec<(f64, f64)>> = series.iter().map(|s| means_per_x(s)).collect();
    let (tm, am) = means[0][means[0].len() / 2];
    let reference = "alpha ∝ tau";
    let mut entries: Vec<Entry> = labels
        .iter()
        .enumerate()
        .map(|(k, l)| (l.clone(), label_colour(k)))
        .collect();
    entries.push((reference.to_string(), REFERENCE));
    let xs: Vec<f64> = good.iter().map(|p| p.tau).collect();
    let ys: Vec<f64> = good.iter().map(|p| p.alpha).collect();
    render(out, (760, 480), Some(TITLE_ALPHA), &entries, |root| {
        let (Some(x), Some(y)) = (padded_log_axis(&xs, 0.1), padded_log_axis(&ys, 0.2)) else {
            return Ok(());
        };
        let (xr, yr) = ((x.lo, x.hi), (y.lo, y.hi));
        let descs = (
            "temperature τ (log scale)",
            "median α of the aligned neurons (log scale)",
        );
        let mut chart = loglog_chart(root, out, None, descs, x, y)?;
        if let Some(seg) = power_segment(am / tm, 1.0, xr, yr) {
            dashed(&mut chart, out, seg.to_vec(), REFERENCE.stroke_width(2), DASH)?;
        }
        for (k, (pts, m)) in series.iter().zip(&means).enumerate() {
            let c = label_colour(k);
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

/// Log-log figure of the number of neurons per atom against m/d (docs/THEORY.md §4.10 for
/// the main atoms), to `out`: one blue dot per run (`points`: (m/d, neurons per atom)),
/// the fit ln y = intercept + slope·ln x as a solid black line over the points' range
/// (legend "fit: slope 0.37 [0.21, 0.54]"), and a dashed grey line of slope 1,
/// "∝ m/d (slope 1)", through the fit's value at the smallest m/d (without a fit, through
/// the mean of the points at the smallest m/d). Points not positive and finite are left
/// out; none left is an error (no file written). A fit with a non-finite slope or
/// intercept is not drawn.
pub fn per_atom_vs_m(points: &[(f64, f64)], fit: Option<LineFit>, out: &Path) -> Result<()> {
    let good = loggable(points.iter().copied());
    if good.is_empty() {
        return Err(nothing(out, "no point with positive m/d and neurons per atom"));
    }
    let fit = fit.filter(|f| f.slope.is_finite() && f.intercept.is_finite());
    let means = means_per_x(&good);
    let (x0, x1) = (means[0].0, means[means.len() - 1].0);
    let fit_at = |f: &LineFit, x: f64| (f.intercept + f.slope * x.ln()).exp();
    let anchor = fit.as_ref().map_or(means[0].1, |f| fit_at(f, x0));
    let mut entries: Vec<Entry> = vec![("runs".to_string(), PALETTE[0])];
    if let Some(f) = &fit {
        entries.push((fit_label(f), FIT));
    }
    entries.push(("∝ m/d (slope 1)".to_string(), REFERENCE));
    let xs: Vec<f64> = good.iter().map(|p| p.0).collect();
    let mut ys: Vec<f64> = good.iter().map(|p| p.1).collect();
    if let Some(f) = &fit {
        ys.extend([fit_at(f, x0), fit_at(f, x1)]);
    }
    render(out, (760, 480), Some(TITLE_PER_ATOM), &entries, |root| {
        let (Some(x), Some(y)) = (padded_log_axis(&xs, 0.1), padded_log_axis(&ys, 0.2)) else {
            return Ok(());
        };
        let (xr, yr) = ((x.lo, x.hi), (y.lo, y.hi));
        let descs = ("m/d (log scale)", "neurons per atom (log scale)");
        let mut chart = loglog_chart(root, out, None, descs, x, y)?;
        if let Some(seg) = power_segment(anchor / x0, 1.0, xr, yr) {
            dashed(&mut chart, out, seg.to_vec(), REFERENCE.stroke_width(2), DASH)?;
        }
        if let Some(f) = &fit {
            if let Some(seg) = power_segment(f.intercept.exp(), f.slope, (x0, x1), yr) {
                chart
                    .draw_series(LineSeries::new(seg, FIT.stroke_width(2)))
                    .map_err(|e| perr(out, e))?;
            }
        }
        chart
            .draw_series(good.iter().map(|&p| Circle::new(p, 3, PALETTE[0].filled())))
            .map_err(|e| perr(out, e))?;
        Ok(())
    })
}

/// The legend label of a [`LineFit`].
fn fit_label(f: &LineFit) -> String {
    format!("fit: slope {:.2} [{:.2}, {:.2}]", f.slope, f.lo, f.hi)
}

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
            format!("{} (window end {:.0} beyond T)", r.label, r.window_end)
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
    let labels = distinct(runs.iter().map(|r| r.label.as_str()));
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
    let (l0, l1) = ln_range(&xs);
    let pad = 0.03 * (l1 - l0).max(0.1);
    let (xlo, xhi) = ((l0 - pad).exp(), (l1 + pad).exp());
    render(out, (1380, 460), Some(TITLE_WINDOW), &entries, |root| {
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
                let v: Vec<String> = lines.iter().map(|&v| compact(v)).collect();
                format!("{name} (dashed: {})", v.join(", "))
            };
            let mut chart = ChartBuilder::on(area)
                .caption(caption, ("sans-serif", 16))
                .margin(12)
                .x_label_area_size(40)
                .y_label_area_size(55)
                .build_cartesian_2d(LogAxis::new(xlo, xhi), 0f64..ytop)
                .map_err(|e| perr(out, e))?;
            chart
                .configure_mesh()
                .y_label_formatter(&|v| format!("{v:.1}"))
                .y_max_light_lines(1)
                .x_desc("SGD step (log scale)")
                .y_desc(y_desc)
                .draw()
                .map_err(|e| perr(out, e))?;
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
    chart: &mut ChartContext<'a, SVGBackend<'b>, Cartesian2d<LogAxis, RangedCoordf64>>,
    out: &Path,
    p: usize,
    runs: &[WindowRun],
    labels: &[String],
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

/// The legend label of a [`FloorCurve`].
fn floor_label(f: &FloorCurve) -> String {
    format!(
        "fit a + b d^-k: a = {:.2} [{:.2}, {:.2}], k = {}",
        f.a,
        f.a_lo,
        f.a_hi,
        compact(f.k)
    )
}

/// The fitted floor curve a + b·d^−k at `d`.
fn floor_at(f: &FloorCurve, d: f64) -> f64 {
    f.a + f.b * d.powf(-f.k)
}

/// Number of points of a drawn floor curve.
const CURVE_POINTS: usize = 80;

/// Probe errors against d, one log-log panel per entry of `panels` side by side, to `out`
/// (docs/THEORY.md §1.6 for the probes, §4.5 for the diagnostic ones: f(Mz), the oracle
/// network, the oracle z). Each series: a small dot per point (non-positive errors left
/// out) and a line through its mean error per d; its colour follows its label, the same in
/// every panel. A panel's floor fit (of its first series) is a dashed black curve
/// a + b·d^−k over the panel's range of d, in the legend as "fit a + b d^-k: a = 0.12
/// [0.05, 0.19], k = 0.5" (prefixed by the panel's title and " — " when more than one
/// panel has a fit), with a dotted black horizontal line at a when a > 0. No panel, or no point with
/// positive d and error in any panel, is an error (no file written); a panel without one
/// shows its caption only.
pub fn probe_error_vs_d(panels: &[ProbePanel], out: &Path) -> Result<()> {
    let good: Vec<Vec<Vec<(f64, f64)>>> = panels
        .iter()
        .map(|p| p.series.iter().map(|s| loggable(s.points.iter().copied())).collect())
        .collect();
    if good.iter().flatten().all(Vec::is_empty) {
        return Err(nothing(out, "no probe point with positive d and error"));
    }
    let labels = distinct(panels.iter().flat_map(|p| p.series.iter().map(|s| s.label.as_str())));
    let mut entries: Vec<Entry> = labels
        .iter()
        .enumerate()
        .map(|(k, l)| (l.clone(), label_colour(k)))
        .collect();
    let fits: Vec<Option<FloorCurve>> = panels
        .iter()
        .map(|p| p.fit.filter(|f| f.a.is_finite() && f.b.is_finite() && f.k.is_finite()))
        .collect();
    let n_fits = fits.iter().flatten().count();
    for (p, f) in panels.iter().zip(&fits) {
        if let Some(f) = f {
            let label = floor_label(f);
            let label = if n_fits > 1 {
                format!("{} — {label}", p.title)
            } else {
                label
            };
            entries.push((label, FIT));
        }
    }
    if fits.iter().flatten().any(|f| f.a > 0.0) {
        entries.push(("floor a (dotted)".to_string(), FIT));
    }
    let w = 560 * panels.len() as u32;
    render(out, (w, 460), Some(TITLE_PROBE), &entries, |root| {
        let areas = root.split_evenly((1, panels.len()));
        for (((panel, series), fit), area) in panels.iter().zip(&good).zip(&fits).zip(areas.iter()) {
            probe_panel(area, out, panel, series, fit.as_ref(), &labels)?;
        }
        Ok(())
    })
}

/// One panel of [`probe_error_vs_d`]: `series` are the panel's series' loggable points.
fn probe_panel(
    area: &Area<'_>,
    out: &Path,
    panel: &ProbePanel,
    series: &[Vec<(f64, f64)>],
    fit: Option<&FloorCurve>,
    labels: &[String],
) -> Result<()> {
    let xs: Vec<f64> = series.iter().flatten().map(|p| p.0).collect();
    if xs.is_empty() {
        area.titled(&panel.title, ("sans-serif", 16))
            .map_err(|e| perr(out, e))?;
        return Ok(());
    }
    let (x0, x1) = ln_range(&xs);
    let curve: Vec<(f64, f64)> = match fit {
        Some(f) => (0..CURVE_POINTS)
            .map(|i| {
                let d = (x0 + (x1 - x0) * i as f64 / (CURVE_POINTS - 1) as f64).exp();
                (d, floor_at(f, d))
            })
            .filter(|p| positive(p.1))
            .collect(),
        None => Vec::new(),
    };
    let floor = fit.map(|f| f.a).filter(|&a| positive(a));
    let mut ys: Vec<f64> = series.iter().flatten().map(|p| p.1).collect();
    ys.extend(curve.iter().map(|p| p.1).chain(floor));
    let (Some(x), Some(y)) = (padded_log_axis(&xs, 0.1), padded_log_axis(&ys, 0.2)) else {
        return Ok(());
    };
    let (xlo, xhi) = (x.lo, x.hi);
    let descs = ("d (log scale)", "error (log scale)");
    let mut chart = loglog_chart(area, out, Some(&panel.title), descs, x, y)?;
    if let Some(a) = floor {
        dashed(&mut chart, out, vec![(xlo, a), (xhi, a)], FIT.stroke_width(1), DOT)?;
    }
    for (s, pts) in panel.series.iter().zip(series) {
        let c = colour_of(labels, &s.label);
        chart
            .draw_series(pts.iter().map(|&p| Circle::new(p, 2, c.mix(0.5).filled())))
            .map_err(|e| perr(out, e))?;
        let m = means_per_x(pts);
        chart
            .draw_series(LineSeries::new(m.iter().copied(), c.stroke_width(2)))
            .map_err(|e| perr(out, e))?;
        chart
            .draw_series(m.iter().map(|&p| Circle::new(p, 3, c.filled())))
            .map_err(|e| perr(out, e))?;
    }
    if curve.len() > 1 {
        dashed(&mut chart, out, curve, FIT.stroke_width(2), DASH)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic noise in [−0.5, 0.5).
    fn noise(k: usize) -> f64 {
        let v = (k as f64 * 12.9898 + 78.233).sin() * 43758.5453;
        v - v.floor() - 0.5
    }

    /// The SVG file's text with the entities plotters escapes turned back.
    fn svg_text(path: &Path) -> String {
        let s = std::fs::read_to_string(path).unwrap();
        assert!(s.trim_start().starts_with("<svg"), "{}: not an SVG", path.display());
        assert!(s.trim_end().ends_with("</svg>"), "{}: not a whole SVG", path.display());
        s.replace("&apos;", "'")
            .replace("&quot;", "\"")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&")
    }

    /// The file exists, is an SVG, and holds the title and every label.
    fn check(path: &Path, title: &str, labels: &[String]) {
        assert!(path.is_file(), "{} not written", path.display());
        let s = svg_text(path);
        assert!(s.contains(title), "title {title:?} missing");
        for l in labels {
            assert!(s.contains(l.as_str()), "legend label {l:?} missing");
        }
    }

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

    fn per_atom_points() -> (Vec<(f64, f64)>, LineFit) {
        let mut pts = Vec::new();
        for (i, x) in [2.0f64, 4.0, 8.0, 16.0].into_iter().enumerate() {
            for s in 0..3 {
                pts.push((x, 1.2 * x.powf(0.37) * (1.0 + 0.25 * noise(10 * i + s))));
            }
        }
        let fit = LineFit {
            slope: 0.37,
            intercept: 1.2f64.ln(),
            lo: 0.21,
            hi: 0.54,
        };
        (pts, fit)
    }

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

    fn probe_panels() -> Vec<ProbePanel> {
        let ds = [16.0f64, 32.0, 50.0, 64.0];
        let kinds: [(&str, f64, usize); 5] = [
            ("trained, d1 = 8d", 0.5, 3),
            ("trained, d1 = d^1.5", 0.45, 3),
            ("f(Mz) (noise-free input)", 0.3, 3),
            ("oracle network (atoms, bias rule)", 0.2, 1),
            ("oracle z", 0.12, 1),
        ];
        let mut k = 0;
        let mut panel = |title: &str, scale: f64, fit: FloorCurve| {
            let series = kinds
                .iter()
                .map(|&(label, e0, seeds)| {
                    let mut points = Vec::new();
                    for &d in &ds {
                        for _ in 0..seeds {
                            k += 1;
                            let e = scale * (e0 * 0.6 + e0 * 0.4 * (16.0 / d).sqrt()) * (1.0 + 0.2 * noise(k));
                            points.push((d, e));
                        }
                    }
                    ProbeSeries {
                        label: label.to_string(),
                        points,
                    }
                })
                .collect();
            ProbePanel {
                title: title.to_string(),
                series,
                fit: Some(fit),
            }
        };
        vec![
            panel(
                "regression: relative MSE",
                1.0,
                FloorCurve {
                    a: 0.3,
                    b: 0.8,
                    k: 0.5,
                    a_lo: 0.24,
                    a_hi: 0.36,
                },
            ),
            panel(
                "classification: error 1 − accuracy",
                0.8,
                FloorCurve {
                    a: 0.24,
                    b: 0.64,
                    k: 0.5,
                    a_lo: 0.17,
                    a_hi: 0.31,
                },
            ),
        ]
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
            "alpha ∝ tau",
        ]
        .map(String::from)
        .to_vec();
        check(&out, TITLE_ALPHA, &labels);
    }

    #[test]
    fn per_atom_vs_m_draws_the_fit_and_the_reference() {
        let tmp = tempfile::tempdir().unwrap();
        let (pts, fit) = per_atom_points();
        let out = tmp.path().join("per_atom.svg");
        per_atom_vs_m(&pts, Some(fit), &out).unwrap();
        let labels = ["runs", "fit: slope 0.37 [0.21, 0.54]", "∝ m/d (slope 1)"].map(String::from);
        check(&out, TITLE_PER_ATOM, &labels);
        // Without a fit: no fit entry, the reference still drawn.
        let out = tmp.path().join("per_atom_nofit.svg");
        per_atom_vs_m(&pts, None, &out).unwrap();
        check(&out, TITLE_PER_ATOM, &labels[2..]);
        assert!(!svg_text(&out).contains("fit:"));
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

    #[test]
    fn probe_error_vs_d_colours_labels_alike_in_every_panel() {
        let tmp = tempfile::tempdir().unwrap();
        let panels = probe_panels();
        let out = tmp.path().join("probe.svg");
        probe_error_vs_d(&panels, &out).unwrap();
        let mut labels: Vec<String> = panels[0].series.iter().map(|s| s.label.clone()).collect();
        labels.extend([
            "regression: relative MSE — fit a + b d^-k: a = 0.30 [0.24, 0.36], k = 0.5".to_string(),
            "classification: error 1 − accuracy — fit a + b d^-k: a = 0.24 [0.17, 0.31], k = 0.5".to_string(),
            "floor a (dotted)".to_string(),
        ]);
        check(&out, TITLE_PROBE, &labels);
        // One panel with a fit: the fit's label alone.
        let one = tmp.path().join("probe_one.svg");
        probe_error_vs_d(&panels[..1], &one).unwrap();
        check(
            &one,
            TITLE_PROBE,
            &["fit a + b d^-k: a = 0.30 [0.24, 0.36], k = 0.5".to_string()],
        );
        assert!(!svg_text(&one).contains("MSE — fit"));
        // The same label, the same colour: the second panel's series reversed.
        let mut swapped = panels.clone();
        swapped[1].series.reverse();
        assert_eq!(
            distinct(swapped.iter().flat_map(|p| p.series.iter().map(|s| s.label.as_str()))),
            distinct(panels.iter().flat_map(|p| p.series.iter().map(|s| s.label.as_str())))
        );
    }

    /// The documented choice: an input with nothing to draw is an error, and no file is
    /// written.
    #[test]
    fn nothing_to_draw_is_an_error_and_writes_no_file() {
        let tmp = tempfile::tempdir().unwrap();
        let out = |name: &str| tmp.path().join(name);
        assert!(alpha_vs_tau(&[], &out("a.svg")).is_err());
        let bad = TauPoint {
            label: "x".into(),
            tau: 0.0,
            alpha: 1.0,
        };
        assert!(alpha_vs_tau(&[bad], &out("a.svg")).is_err());
        assert!(per_atom_vs_m(&[], None, &out("b.svg")).is_err());
        assert!(per_atom_vs_m(&[(2.0, -1.0)], None, &out("b.svg")).is_err());
        assert!(decomposition_along_training(&[], &[(0, 0.5)], &out("c.svg")).is_err());
        assert!(probe_error_vs_d(&[], &out("d.svg")).is_err());
        let empty = ProbePanel {
            title: "t".into(),
            series: vec![ProbeSeries {
                label: "s".into(),
                points: vec![(16.0, 0.0)],
            }],
            fit: None,
        };
        assert!(probe_error_vs_d(&[empty], &out("d.svg")).is_err());
        for f in ["a.svg", "b.svg", "c.svg", "d.svg"] {
            assert!(!out(f).exists(), "{f} written");
        }
    }

    #[test]
    fn power_segments_stay_in_the_box() {
        let b = ((1.0, 100.0), (1.0, 10.0));
        // y = x through the box: from (1, 1) to (10, 10).
        let s = power_segment(1.0, 1.0, b.0, b.1).unwrap();
        assert!((s[0].0 - 1.0).abs() < 1e-9 && (s[1].0 - 10.0).abs() < 1e-9, "{s:?}");
        // A falling one: y = 10 / x from (1, 10) to (10, 1).
        let s = power_segment(10.0, -1.0, b.0, b.1).unwrap();
        assert!((s[0].1 - 10.0).abs() < 1e-9 && (s[1].1 - 1.0).abs() < 1e-9, "{s:?}");
        // Flat, inside and outside; missing the box.
        assert!(power_segment(5.0, 0.0, b.0, b.1).is_some());
        assert!(power_segment(50.0, 0.0, b.0, b.1).is_none());
        assert!(power_segment(1000.0, 1.0, b.0, b.1).is_none());
        assert_eq!(compact(0.5), "0.5");
        assert_eq!(compact(1.0), "1");
        assert_eq!(compact(0.374), "0.37");
    }
}
