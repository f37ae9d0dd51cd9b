//! A sweep's metrics against one of its numeric axes: [`sweep`] draws typed panels
//! ([`sweep_panels`] makes them from a [`SweepTable`]), [`sweep_vs_d`] is the scaling
//! section's figure (log-log against d), [`plot_sweep`] that of `decouple plot` (any
//! numeric axis, [`x_axis`]).

use std::collections::BTreeMap;
use std::path::Path;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::draw::chart;
use super::style::{positive, render, series_colours, Axis, Frame, LogAxis};
use crate::config::AugmentationKind;
use crate::error::Result;
use crate::exec::sweep::SweepTable;
use crate::sim::summary::Metric;
use crate::stats::mean_ci95;

/// Per series, per x: (x, n, mean, ci95_lo, ci95_hi).
pub type CellStats = BTreeMap<String, Vec<(f64, usize, f64, f64, f64)>>;

/// One line of a sweep panel.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepSeries {
    /// Its label (the values of the series axes, e.g. "random_mask").
    pub label: String,
    /// Its augmentation, when a series axis is `augmentation.kind`.
    pub arm: Option<AugmentationKind>,
    /// Per x, ascending: (x, n, mean, lo, hi) over the seeds.
    pub cells: Vec<(f64, usize, f64, f64, f64)>,
}

/// One panel: a metric.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepPanel {
    /// The caption (the metric's label).
    pub title: String,
    /// The lines.
    pub series: Vec<SweepSeries>,
}

/// The label of row `i`'s series: the values of `keys` joined by ", " ("all" without).
fn series_label(table: &SweepTable, i: usize, keys: &[&str]) -> String {
    let v: Vec<&str> = keys.iter().filter_map(|k| table.axis(i, k)).collect();
    if v.is_empty() {
        "all".into()
    } else {
        v.join(", ")
    }
}

/// Per series (the values of `series_keys`) and x (axis `x_key`): (x, n, mean, lo, hi) of
/// `metric` over the seeds, each group summarised by [`mean_ci95`].
fn cells(table: &SweepTable, series_keys: &[&str], x_key: &str, metric: Metric) -> CellStats {
    let mut groups: BTreeMap<String, BTreeMap<u64, Vec<f64>>> = BTreeMap::new();
    for (i, (_, _, m)) in table.rows.iter().enumerate() {
        let x: f64 = table.axis(i, x_key).and_then(|v| v.parse().ok()).unwrap_or(f64::NAN);
        groups
            .entry(series_label(table, i, series_keys))
            .or_default()
            .entry(x.to_bits())
            .or_default()
            .push(m.get(metric.name()).copied().unwrap_or(f64::NAN));
    }
    groups
        .into_iter()
        .map(|(label, by_x)| {
            let mut v: Vec<_> = by_x
                .into_iter()
                .map(|(bits, vals)| {
                    let (n, mean, lo, hi) = mean_ci95(&vals);
                    (f64::from_bits(bits), n, mean, lo, hi)
                })
                .collect();
            v.sort_by(|a, b| a.0.total_cmp(&b.0));
            (label, v)
        })
        .collect()
}

/// Per arm and d: (d, n, mean, lo, hi) of `metric` over the seeds: the rows grouped by
/// (arm, d), each group summarised by [`mean_ci95`].
pub fn cell_stats(table: &SweepTable, arm_key: &str, d_key: &str, metric: Metric) -> CellStats {
    cells(table, &[arm_key], d_key, metric)
}

/// The panels of `metrics` (metric, label): per series (the values of `series_keys`) the
/// cells against axis `x_key`; a series' arm is its `augmentation.kind` value, if that is
/// a series axis.
pub fn sweep_panels(
    table: &SweepTable,
    series_keys: &[&str],
    x_key: &str,
    metrics: &[(Metric, &str)],
) -> Vec<SweepPanel> {
    let mut arms: BTreeMap<String, Option<AugmentationKind>> = BTreeMap::new();
    for i in 0..table.rows.len() {
        let arm = table
            .axis(i, "augmentation.kind")
            .filter(|_| series_keys.contains(&"augmentation.kind"))
            .and_then(|v| serde_json::from_value(serde_json::Value::String(v.to_string())).ok());
        arms.insert(series_label(table, i, series_keys), arm);
    }
    metrics
        .iter()
        .map(|(metric, title)| SweepPanel {
            title: figure_title(*metric, title),
            series: cells(table, series_keys, x_key, *metric)
                .into_iter()
                .map(|(label, cells)| SweepSeries {
                    arm: arms.get(&label).copied().flatten(),
                    label,
                    cells,
                })
                .collect(),
        })
        .collect()
}

/// A metric's caption in a figure: `label`, with its Greek letters written as such
/// (the report's tables keep their ASCII labels).
fn figure_title(metric: Metric, label: &str) -> String {
    match metric {
        Metric::OneMinusNoiseCos => "1 − cos(f(x), f(ξ))".into(),
        _ => label.into(),
    }
}

/// The number of finite means ≤ 0 in a panel whose y axis is log (one mean is positive).
fn below_log_floor(panel: &SweepPanel) -> usize {
    let all = || panel.series.iter().flat_map(|s| s.cells.iter());
    if all().any(|c| positive(c.2)) {
        all()
            .filter(|c| c.0.is_finite() && c.2.is_finite() && c.2 <= 0.0)
            .count()
    } else {
        0
    }
}

/// The numeric axis a sweep is drawn against: `model.d` if the sweep has it, else the
/// first axis whose values are all numbers and not all equal.
pub fn x_axis(table: &SweepTable) -> Option<String> {
    let numeric = |k: &str| {
        let v: Vec<f64> = (0..table.rows.len())
            .map(|i| table.axis(i, k).and_then(|s| s.parse().ok()).unwrap_or(f64::NAN))
            .collect();
        v.iter().all(|x| x.is_finite()) && v.iter().any(|x| *x != v[0])
    };
    let axes = || table.axes.iter().filter(|k| numeric(k));
    axes().find(|k| *k == "model.d").or_else(|| axes().next()).cloned()
}

/// `decouple plot`'s figure of a sweep: `metrics` against axis `x_key` (log if all its
/// values are positive and span more than 4×, linear otherwise), one line per value of
/// the other axes.
pub fn plot_sweep(table: &SweepTable, x_key: &str, metrics: &[(Metric, &str)], out: &Path) -> Result<()> {
    let others: Vec<&str> = table.axes.iter().map(String::as_str).filter(|k| *k != x_key).collect();
    let panels = sweep_panels(table, &others, x_key, metrics);
    let xs: Vec<f64> = panels
        .iter()
        .flat_map(|p| p.series.iter().flat_map(|s| s.cells.iter().map(|c| c.0)))
        .collect();
    let (lo, hi) = xs
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |a, &x| (a.0.min(x), a.1.max(x)));
    let log = xs.iter().all(|&x| positive(x)) && hi > 4.0 * lo;
    let name = if x_key == "model.d" { "d" } else { x_key };
    sweep(&panels, name, log, out)
}

/// A sweep's `metrics` (metric, label) against d on log-log axes, one line per arm (the
/// scaling section's figure).
pub fn sweep_vs_d(
    table: &SweepTable,
    arm_key: &str,
    d_key: &str,
    metrics: &[(Metric, &str)],
    out: &Path,
) -> Result<()> {
    sweep(&sweep_panels(table, &[arm_key], d_key, metrics), "d", true, out)
}

/// The panels side by side (three a row), to `out`: per series the cell means (dots,
/// joined) with whiskers of their 95% t-intervals over seeds, dodged a little in x so
/// that the series' whiskers stay apart. The x axis (described `x_desc`) is log if
/// `x_log`; a panel's y axis is log when it has a positive mean (linear otherwise). On a
/// log y axis a mean ≤ 0 is drawn as an open triangle at the axis floor, and the caption
/// counts them; whiskers are clipped to the panel.
pub fn sweep(panels: &[SweepPanel], x_desc: &str, x_log: bool, out: &Path) -> Result<()> {
    let cols = 3usize.min(panels.len().max(1));
    let rows = panels.len().div_ceil(cols).max(1);
    let first = panels.first().map(|p| p.series.as_slice()).unwrap_or_default();
    let colours = series_colours(&first.iter().map(|s| s.arm).collect::<Vec<_>>());
    let mut frame = Frame {
        title: None,
        entries: first
            .iter()
            .map(|s| s.label.clone())
            .zip(colours.iter().copied())
            .collect(),
        notes: vec!["dots: cell means; whiskers: 95% t-intervals over seeds (series dodged in x)".into()],
    };
    if panels.iter().any(|p| below_log_floor(p) > 0) {
        frame
            .notes
            .push("△: a mean ≤ 0, drawn at the floor of a log axis".into());
    }
    render(out, (520 * cols as u32, 420 * rows as u32), &frame, |root| {
        for (panel, area) in panels.iter().zip(root.split_evenly((rows, cols)).iter()) {
            sweep_panel(area, out, panel, x_desc, x_log, &colours)?;
        }
        Ok(())
    })
}

/// The axis over `vals`: log (padded 8% of the span in ln, at least 8% of `min_span`) if
/// `log` and one is positive, linear otherwise.
fn axis_over(vals: &[f64], log: bool, min_span: f64) -> Axis {
    match LogAxis::over(vals, 0.08, min_span).filter(|_| log) {
        Some(a) => Axis::Log(a),
        None => {
            let (lo, hi) = super::style::linear_range(vals.iter().copied());
            Axis::linear(lo, hi)
        }
    }
}

/// One panel of [`sweep`].
fn sweep_panel(
    area: &super::style::Area<'_>,
    out: &Path,
    panel: &SweepPanel,
    x_desc: &str,
    x_log: bool,
    colours: &[RGBColor],
) -> Result<()> {
    let all = || panel.series.iter().flat_map(|s| s.cells.iter());
    let xs: Vec<f64> = all().map(|c| c.0).filter(|x| x.is_finite()).collect();
    let y_log = all().any(|c| positive(c.2));
    let ys: Vec<f64> = all()
        .flat_map(|c| [c.2, c.3, c.4])
        .filter(|&v| if y_log { positive(v) } else { v.is_finite() })
        .collect();
    if xs.is_empty() || ys.is_empty() {
        let map = |e: plotters::drawing::DrawingAreaErrorKind<_>| super::style::perr(out, e);
        let rest = area
            .titled(&panel.title, super::style::font(super::style::CAPTION))
            .map_err(map)?;
        let (w, h) = rest.dim_in_pixel();
        let style = super::style::font(super::style::LABEL).pos(Pos::new(HPos::Center, VPos::Center));
        rest.draw(&Text::new("no finite value", (w as i32 / 2, h as i32 / 2), &style))
            .map_err(map)?;
        return Ok(());
    }
    let x = axis_over(&xs, x_log, 0.1);
    let y = axis_over(&ys, y_log, 0.2);
    let (xlo, xhi, ylo, yhi) = (x.lo(), x.hi(), y.lo(), y.hi());
    let floor = if y_log { ylo * (yhi / ylo).powf(0.015) } else { ylo };
    let below = below_log_floor(panel);
    let caption = if below > 0 {
        format!("{} ({below} ≤ 0: △ at floor)", panel.title)
    } else {
        panel.title.clone()
    };
    let scale = |log: bool| if log { " (log scale)" } else { "" };
    let descs = (
        format!("{x_desc}{}", scale(x_log && x.is_log())),
        format!("{}{}", panel.title, scale(y_log)),
    );
    let is_log = x.is_log();
    let mut c = chart(area, out, Some(&caption), (&descs.0, &descs.1), x, y)?;
    let k = panel.series.len() as f64;
    for (i, (s, col)) in panel.series.iter().zip(colours.iter().cycle()).enumerate() {
        let t = 0.012 * (i as f64 - (k - 1.0) / 2.0);
        let dodge = |x: f64| {
            if is_log {
                x * (xhi / xlo).powf(t)
            } else {
                x + t * (xhi - xlo)
            }
        };
        let ok = |v: f64| if y_log { positive(v) } else { v.is_finite() };
        let good: Vec<_> = s.cells.iter().filter(|c| c.0.is_finite() && ok(c.2)).collect();
        let map = |e: plotters::drawing::DrawingAreaErrorKind<_>| super::style::perr(out, e);
        c.draw_series(LineSeries::new(
            good.iter().map(|p| (dodge(p.0), p.2)),
            col.stroke_width(2),
        ))
        .map_err(map)?;
        c.draw_series(good.iter().map(|p| Circle::new((dodge(p.0), p.2), 4, col.filled())))
            .map_err(map)?;
        c.draw_series(good.iter().filter(|p| p.3.is_finite()).map(|p| {
            let lo = if ok(p.3) { p.3.max(ylo) } else { ylo };
            PathElement::new(vec![(dodge(p.0), lo), (dodge(p.0), p.4.min(yhi))], col.stroke_width(1))
        }))
        .map_err(map)?;
        let zeros = s
            .cells
            .iter()
            .filter(|p| y_log && p.0.is_finite() && p.2.is_finite() && p.2 <= 0.0);
        c.draw_series(zeros.map(|p| TriangleMarker::new((dodge(p.0), floor), 7, col.stroke_width(2))))
            .map_err(map)?;
    }
    Ok(())
}
