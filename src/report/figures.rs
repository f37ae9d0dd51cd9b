//! Figures (SVG, drawn with plotters from the CSV tables a run or a sweep wrote).
//!
//! * [`heatmap`]: |cos(w_i, M_j)| = |⟨w_i, M_j⟩| / ‖w_i‖ per neuron (rows, sorted by best
//!   atom, then by alignment) and atom (columns), from `alpha.csv` and `neurons.csv`; one
//!   panel per run, side by side, with a colour bar.
//! * [`curves`]: loss, median alignment and mean cos(f(x), f(ξ)) against the step, from
//!   `metrics.csv`; one line per run.
//! * [`alignment_histogram`]: the neurons' alignments, from `neurons.csv`; one outline per run.
//! * [`sweep_vs_d`]: a sweep's metrics (cell means and 95% t-intervals over seeds) against d
//!   on log-log axes ticked at 1, 2, 5 × 10^k ([`ticks_125`]), one line per arm.
//!
//! A series' colour is that of the arm its label names ([`series_colours`]): RandomMask is
//! blue and no augmentation red in every figure, whatever the order of the series. The
//! legend sits in a band of its own between a figure's title and its panels, never over
//! the data.
//!
//! Only SVG: PNG would need plotters' bitmap backend plus a font rasteriser (ttf/ab_glyph
//! and their system-font dependencies), which this crate does not take on. Every file is
//! rendered to a string and written with [`write_atomic`].

use std::collections::BTreeMap;
use std::fmt::Display;
use std::path::{Path, PathBuf};

use plotters::coord::ranged1d::{KeyPointHint, NoDefaultFormatting, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::config::AugmentationKind;
use crate::error::{Error, Result};
use crate::exec::sweep::SweepTable;
use crate::io::write_atomic;
use crate::sim::summary::Metric;
use crate::stats::mean_ci95;

/// Line colours (the ten of Tableau's categorical palette). Blue is RandomMask's and red
/// no augmentation's in every figure; see [`series_colours`].
pub const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// The fixed colour of an augmentation arm, the same in every figure.
pub fn arm_colour(kind: AugmentationKind) -> RGBColor {
    match kind {
        AugmentationKind::RandomMask => PALETTE[0],
        AugmentationKind::None => PALETTE[3],
        AugmentationKind::IndependentMask => PALETTE[2],
        AugmentationKind::GaussianNoise => PALETTE[4],
        AugmentationKind::BlockMask => PALETTE[5],
    }
}

/// The lower-case words of a label: split at every character that is not a letter or a
/// digit and where a lower-case letter meets an upper-case one ("RandomMask (baseline)" →
/// random, mask, baseline; "theorem_no_aug" → theorem, no, aug).
fn words(label: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in label.chars() {
        if (!c.is_alphanumeric() || (c.is_uppercase() && prev_lower)) && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        if c.is_alphanumeric() {
            cur.extend(c.to_lowercase());
        }
        prev_lower = c.is_lowercase();
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// The augmentation arm a series label names, if any. The figures' labels are sweep values
/// (`none`, `random_mask`, `independent_mask`, …), the report's names ("RandomMask
/// (baseline)", "no augmentation") and run folders (`theorem_aug`, `theorem_no_aug`,
/// `abl_baseline`, `abl_none`, `peer_random_mask`, …). By words (see [`words`]), first match:
/// no augmentation for `none` or `no` followed by `aug`/`augmentation`/`augmented`; then
/// `random mask`, `independent mask`, `gaussian noise`, `block mask`; then RandomMask for
/// `baseline` or a lone `aug`/`augmentation`/`augmented` (the project's baseline and its
/// `*_aug` experiments are RandomMask). Anything else (`keep_prob_0_1`, a config hash, a
/// speed series) names no arm.
pub fn arm_of(label: &str) -> Option<AugmentationKind> {
    let w = words(label);
    let aug = |x: &str| matches!(x, "aug" | "augmentation" | "augmented");
    let pair = |a: &str, b: &str| w.windows(2).any(|p| p[0] == a && p[1] == b);
    if w.iter().any(|x| x == "none") || w.windows(2).any(|p| p[0] == "no" && aug(&p[1])) {
        Some(AugmentationKind::None)
    } else if pair("random", "mask") || w.iter().any(|x| x == "randommask") {
        Some(AugmentationKind::RandomMask)
    } else if pair("independent", "mask") {
        Some(AugmentationKind::IndependentMask)
    } else if pair("gaussian", "noise") {
        Some(AugmentationKind::GaussianNoise)
    } else if pair("block", "mask") {
        Some(AugmentationKind::BlockMask)
    } else if w.iter().any(|x| x == "baseline" || aug(x)) {
        Some(AugmentationKind::RandomMask)
    } else {
        None
    }
}

/// The colours of a figure's series, in order: an arm's own colour ([`arm_colour`]) for a
/// label that names one ([`arm_of`]); the other labels, in order, take the palette's
/// colours that are neither RandomMask's nor no augmentation's nor used by another series
/// of the figure (and cycle through those two-less eight once they run out).
pub fn series_colours<S: AsRef<str>>(labels: &[S]) -> Vec<RGBColor> {
    let fixed: Vec<Option<RGBColor>> = labels.iter().map(|l| arm_of(l.as_ref()).map(arm_colour)).collect();
    let reserved = [
        arm_colour(AugmentationKind::RandomMask),
        arm_colour(AugmentationKind::None),
    ];
    let others: Vec<RGBColor> = PALETTE.into_iter().filter(|c| !reserved.contains(c)).collect();
    let mut used: Vec<RGBColor> = fixed.iter().flatten().copied().collect();
    let mut k = 0;
    fixed
        .into_iter()
        .map(|f| {
            f.unwrap_or_else(|| {
                let c = others
                    .iter()
                    .find(|c| !used.contains(c))
                    .copied()
                    .unwrap_or(others[k % others.len()]);
                k += 1;
                used.push(c);
                c
            })
        })
        .collect()
}

/// Named line series: (label, points).
pub type Series = Vec<(String, Vec<(f64, f64)>)>;

/// Per arm, per d: (d, n, mean, ci95_lo, ci95_hi).
pub type CellStats = BTreeMap<String, Vec<(f64, usize, f64, f64, f64)>>;

pub(crate) fn perr(path: &Path, e: impl Display) -> Error {
    Error::Plot {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// A numeric CSV: header and rows (non-numbers read as NaN).
#[derive(Debug, Clone)]
pub struct Table {
    /// Column names.
    pub header: Vec<String>,
    /// Rows.
    pub rows: Vec<Vec<f64>>,
}

impl Table {
    /// Read a CSV file.
    pub fn read(path: &Path) -> Result<Self> {
        let mut r = csv::Reader::from_path(path).map_err(|e| perr(path, e))?;
        let header = r
            .headers()
            .map_err(|e| perr(path, e))?
            .iter()
            .map(String::from)
            .collect();
        let mut rows = Vec::new();
        for rec in r.records() {
            let rec = rec.map_err(|e| perr(path, e))?;
            rows.push(rec.iter().map(|v| v.parse::<f64>().unwrap_or(f64::NAN)).collect());
        }
        if rows.is_empty() {
            return Err(perr(path, "no rows"));
        }
        Ok(Self { header, rows })
    }

    /// A column by name.
    pub fn col(&self, name: &str, path: &Path) -> Result<Vec<f64>> {
        let k = self
            .header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| perr(path, format!("no column `{name}`")))?;
        Ok(self.rows.iter().map(|r| r[k]).collect())
    }
}

fn save(path: &Path, svg: String) -> Result<()> {
    write_atomic(path, svg.as_bytes())
}

/// A drawing area of a figure (pixel coordinates).
pub(crate) type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

/// A legend entry: a series' label and line colour.
pub(crate) type Entry = (String, RGBColor);

/// The legend entries of a figure's series labels, in their [`series_colours`].
fn legend_entries<S: AsRef<str>>(labels: &[S]) -> Vec<Entry> {
    let names = labels.iter().map(|l| l.as_ref().to_string());
    names.zip(series_colours(labels)).collect()
}

/// The legend's text size, row height, line sample length and space between entries (px).
const LEGEND_FONT: u32 = 14;
const LEGEND_ROW: u32 = 22;
const LEGEND_SAMPLE: i32 = 24;
const LEGEND_GAP: i32 = 28;

/// An entry's width (px): line sample, space, label. The viewer sets SVG text in its own
/// font, so the label is counted at 0.6 em a character, a little over the average of the
/// common sans-serif fonts.
fn entry_width(label: &str) -> i32 {
    LEGEND_SAMPLE + 8 + (0.6 * f64::from(LEGEND_FONT) * label.chars().count() as f64).ceil() as i32
}

/// The legend's rows (entry indices, in order), each filled up to `width` px.
fn legend_rows(entries: &[Entry], width: i32) -> Vec<Vec<usize>> {
    let mut rows: Vec<Vec<usize>> = Vec::new();
    let mut used = 0;
    for (i, (label, _)) in entries.iter().enumerate() {
        let w = entry_width(label);
        match rows.last_mut() {
            Some(row) if used + LEGEND_GAP + w <= width => {
                row.push(i);
                used += LEGEND_GAP + w;
            }
            _ => {
                rows.push(vec![i]);
                used = w;
            }
        }
    }
    rows
}

/// The height (px) of the legend band of `entries` across a figure `width` px wide.
fn legend_height(entries: &[Entry], width: u32) -> u32 {
    if entries.is_empty() {
        return 0;
    }
    legend_rows(entries, width as i32 - 20).len() as u32 * LEGEND_ROW + 8
}

/// The legend: `entries` (a line sample in the series' colour and its label) in centred
/// rows on `band`, a strip of the figure outside the panels.
fn draw_legend(band: &Area<'_>, entries: &[Entry], out: &Path) -> Result<()> {
    let width = band.dim_in_pixel().0 as i32;
    let style = TextStyle::from(("sans-serif", LEGEND_FONT).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
    for (r, row) in legend_rows(entries, width - 20).iter().enumerate() {
        let total = row
            .iter()
            .map(|&i| entry_width(&entries[i].0) + LEGEND_GAP)
            .sum::<i32>()
            - LEGEND_GAP;
        let mut x = (width - total) / 2;
        let y = (r as u32 * LEGEND_ROW + LEGEND_ROW / 2 + 4) as i32;
        for &i in row {
            let (label, c) = &entries[i];
            band.draw(&PathElement::new(
                vec![(x, y), (x + LEGEND_SAMPLE, y)],
                c.stroke_width(2),
            ))
            .map_err(|e| perr(out, e))?;
            band.draw(&Text::new(label.as_str(), (x + LEGEND_SAMPLE + 8, y), &style))
                .map_err(|e| perr(out, e))?;
            x += entry_width(label) + LEGEND_GAP;
        }
    }
    Ok(())
}

/// Render a figure into `out`: on white, `size` px for the title (if any) and the panels,
/// which `draw` draws on its area; between them a band for the legend of `entries` (none
/// without entries), so that no legend covers data.
pub(crate) fn render(
    out: &Path,
    (w, h): (u32, u32),
    title: Option<&str>,
    entries: &[Entry],
    draw: impl FnOnce(&Area<'_>) -> Result<()>,
) -> Result<()> {
    let band = legend_height(entries, w);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (w, h + band)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| perr(out, e))?;
        let below = match title {
            Some(t) => root.titled(t, ("sans-serif", 18)).map_err(|e| perr(out, e))?,
            None => root.clone(),
        };
        let (legend, panels) = below.split_vertically(band);
        draw_legend(&legend, entries, out)?;
        draw(&panels)?;
        root.present().map_err(|e| perr(out, e))?;
    }
    save(out, svg)
}

/// White → dark blue.
fn colour(v: f64) -> RGBColor {
    let t = v.clamp(0.0, 1.0);
    let lerp = |a: f64, b: f64| (a + (b - a) * t).round() as u8;
    RGBColor(lerp(255.0, 8.0), lerp(255.0, 48.0), lerp(255.0, 107.0))
}

/// |cos(w_i, M_j)| of a run, rows sorted by (best atom, −alignment).
pub fn sorted_cosines(run_dir: &Path) -> Result<Vec<Vec<f64>>> {
    let ap = run_dir.join("alpha.csv");
    let np = run_dir.join("neurons.csv");
    let alpha = Table::read(&ap)?;
    let neurons = Table::read(&np)?;
    let norms = neurons.col("norm", &np)?;
    let best = neurons.col("best_atom", &np)?;
    let align = neurons.col("alignment", &np)?;
    if norms.len() != alpha.rows.len() {
        return Err(perr(&ap, "alpha.csv and neurons.csv disagree on the number of neurons"));
    }
    let mut order: Vec<usize> = (0..norms.len()).collect();
    order.sort_by(|&a, &b| best[a].total_cmp(&best[b]).then(align[b].total_cmp(&align[a])));
    Ok(order
        .into_iter()
        .map(|i| {
            alpha.rows[i][1..]
                .iter()
                .map(|v| if norms[i] > 0.0 { v.abs() / norms[i] } else { 0.0 })
                .collect()
        })
        .collect())
}

/// Side-by-side heatmaps of |cos(w_i, M_j)| for `runs` (label, run folder), to `out`.
pub fn heatmap(runs: &[(String, PathBuf)], out: &Path) -> Result<()> {
    let mats = runs
        .iter()
        .map(|(_, d)| sorted_cosines(d))
        .collect::<Result<Vec<_>>>()?;
    let w = 420 * runs.len() as u32 + 110;
    render(out, (w, 520), None, &[], |root| {
        let (main, bar) = root.split_horizontally(w - 110);
        let panels = main.split_evenly((1, runs.len()));
        for ((label, _), (mat, area)) in runs.iter().zip(mats.iter().zip(panels.iter())) {
            heatmap_panel(area, out, label, mat)?;
        }
        colour_bar(&bar, out)
    })
}

/// One heatmap panel: `mat[neuron][atom]`, captioned `label`.
fn heatmap_panel(area: &Area<'_>, out: &Path, label: &str, mat: &[Vec<f64>]) -> Result<()> {
    let (m, d) = (mat.len(), mat.first().map_or(0, Vec::len));
    let mut chart = ChartBuilder::on(area)
        .caption(label, ("sans-serif", 18))
        .margin(8)
        .x_label_area_size(40)
        .y_label_area_size(55)
        .build_cartesian_2d(0f64..d as f64, 0f64..m as f64)
        .map_err(|e| perr(out, e))?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_label_formatter(&|v| format!("{v:.0}"))
        .x_desc("atom j (dictionary column)")
        .y_desc("neuron i (sorted by best atom)")
        .draw()
        .map_err(|e| perr(out, e))?;
    chart
        .draw_series(mat.iter().enumerate().flat_map(|(r, row)| {
            row.iter().enumerate().map(move |(j, &v)| {
                Rectangle::new(
                    [(j as f64, r as f64), (j as f64 + 1.0, r as f64 + 1.0)],
                    colour(v).filled(),
                )
            })
        }))
        .map_err(|e| perr(out, e))?;
    Ok(())
}

/// The heatmaps' colour bar, |cos| from 0 to 1.
fn colour_bar(bar: &Area<'_>, out: &Path) -> Result<()> {
    let mut cb = ChartBuilder::on(bar)
        .caption("|cos|", ("sans-serif", 14))
        .margin_top(8)
        .margin_bottom(48)
        .margin_right(40)
        .y_label_area_size(45)
        .build_cartesian_2d(0f64..1f64, 0f64..1f64)
        .map_err(|e| perr(out, e))?;
    cb.configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .y_labels(6)
        .y_label_style(("sans-serif", 14))
        .y_label_formatter(&|v| format!("{v:.1}"))
        .draw()
        .map_err(|e| perr(out, e))?;
    cb.draw_series((0..100).map(|k| {
        let v = k as f64 / 100.0;
        Rectangle::new([(0.0, v), (1.0, v + 0.01)], colour(v + 0.005).filled())
    }))
    .map_err(|e| perr(out, e))?;
    Ok(())
}

fn finite_range(vals: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in vals.filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    if hi - lo < 1e-12 {
        return (lo - 0.5, hi + 0.5);
    }
    let pad = 0.05 * (hi - lo);
    (lo - pad, hi + pad)
}

/// One panel of line series (`entries` give their colours, in order) on linear axes fitted
/// to the data, captioned `caption` if given.
fn line_panel(
    area: &Area<'_>,
    out: &Path,
    caption: Option<&str>,
    (x_desc, y_desc): (&str, &str),
    series: &[(String, Vec<(f64, f64)>)],
    entries: &[Entry],
) -> Result<()> {
    let (x0, x1) = finite_range(series.iter().flat_map(|(_, p)| p.iter().map(|q| q.0)));
    let (y0, y1) = finite_range(series.iter().flat_map(|(_, p)| p.iter().map(|q| q.1)));
    let mut builder = ChartBuilder::on(area);
    if let Some(c) = caption {
        builder.caption(c, ("sans-serif", 18));
    }
    let mut chart = builder
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(55)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(|e| perr(out, e))?;
    chart
        .configure_mesh()
        .x_label_formatter(&|v| format!("{v:.0}"))
        .x_desc(x_desc)
        .y_desc(y_desc)
        .draw()
        .map_err(|e| perr(out, e))?;
    draw_lines(&mut chart, series, entries, out)
}

/// Draw each series as a line in its entry's colour (non-finite points left out).
fn draw_lines<'a, 'b: 'a>(
    chart: &mut ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    series: &[(String, Vec<(f64, f64)>)],
    entries: &[Entry],
    out: &Path,
) -> Result<()> {
    for ((_, pts), (_, c)) in series.iter().zip(entries) {
        // A series of one point (the speed history's first record) draws no line: a dot.
        let dots = if pts.len() == 1 { 3 } else { 0 };
        chart
            .draw_series(
                LineSeries::new(
                    pts.iter().copied().filter(|p| p.0.is_finite() && p.1.is_finite()),
                    c.stroke_width(2),
                )
                .point_size(dots),
            )
            .map_err(|e| perr(out, e))?;
    }
    Ok(())
}

/// Training curves (loss, median alignment, mean cos(f(x), f(ξ)) against step) of `runs`.
pub fn curves(runs: &[(String, PathBuf)], out: &Path) -> Result<()> {
    let mut cols: Vec<(&str, &str, Series)> = vec![
        ("loss", "loss (mean over the logging window)", vec![]),
        (
            Metric::AlignMedian.name(),
            "median alignment max_j |cos(w_i, M_j)|",
            vec![],
        ),
        (Metric::NoiseCosMean.name(), "mean cos(f(x), f(xi))", vec![]),
    ];
    for (label, dir) in runs {
        let p = dir.join("metrics.csv");
        let t = Table::read(&p)?;
        let step = t.col("step", &p)?;
        for (name, _, series) in cols.iter_mut() {
            let y = t.col(name, &p)?;
            series.push((label.clone(), step.iter().copied().zip(y).collect()));
        }
    }
    let entries = legend_entries(&runs.iter().map(|(l, _)| l).collect::<Vec<_>>());
    render(out, (1380, 440), None, &entries, |root| {
        for ((_, title, series), area) in cols.iter().zip(root.split_evenly((1, 3)).iter()) {
            line_panel(area, out, Some(title), ("SGD step", title), series, &entries)?;
        }
        Ok(())
    })
}

/// Histogram (20 bins on [0, 1], fraction of neurons) of the alignments of `runs`.
pub fn alignment_histogram(runs: &[(String, PathBuf)], out: &Path) -> Result<()> {
    let bins = 20usize;
    let mut series = Vec::new();
    for (label, dir) in runs {
        let p = dir.join("neurons.csv");
        let a = Table::read(&p)?.col("alignment", &p)?;
        let mut h = vec![0.0; bins];
        for v in &a {
            h[((v * bins as f64) as usize).min(bins - 1)] += 1.0 / a.len() as f64;
        }
        // A step outline: (left, h), (right, h) per bin.
        let mut pts = vec![(0.0, 0.0)];
        for (k, &c) in h.iter().enumerate() {
            pts.push((k as f64 / bins as f64, c));
            pts.push(((k + 1) as f64 / bins as f64, c));
        }
        pts.push((1.0, 0.0));
        series.push((label.clone(), pts));
    }
    let ymax = series
        .iter()
        .flat_map(|(_, p)| p.iter().map(|q| q.1))
        .fold(0.0f64, f64::max)
        * 1.1;
    let entries = legend_entries(&runs.iter().map(|(l, _)| l).collect::<Vec<_>>());
    render(out, (640, 440), Some("alignment of the neurons"), &entries, |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(55)
            .build_cartesian_2d(0f64..1f64, 0f64..ymax.max(0.01))
            .map_err(|e| perr(out, e))?;
        chart
            .configure_mesh()
            .x_desc("alignment max_j |cos(w_i, M_j)|")
            .y_desc("fraction of neurons")
            .draw()
            .map_err(|e| perr(out, e))?;
        draw_lines(&mut chart, &series, &entries, out)
    })
}

/// Per arm and d: (d, n, mean, lo, hi) of `metric` over the seeds: the rows grouped by
/// (arm, d), each group summarised by [`mean_ci95`].
pub fn cell_stats(table: &SweepTable, arm_key: &str, d_key: &str, metric: Metric) -> CellStats {
    let mut groups: BTreeMap<String, BTreeMap<u64, Vec<f64>>> = BTreeMap::new();
    for (i, (_, _, m)) in table.rows.iter().enumerate() {
        let arm = table.axis(i, arm_key).unwrap_or("all").to_string();
        let d: f64 = table.axis(i, d_key).and_then(|v| v.parse().ok()).unwrap_or(f64::NAN);
        groups
            .entry(arm)
            .or_default()
            .entry(d.to_bits())
            .or_default()
            .push(m.get(metric.name()).copied().unwrap_or(f64::NAN));
    }
    groups
        .into_iter()
        .map(|(arm, by_d)| {
            let mut v: Vec<_> = by_d
                .into_iter()
                .map(|(bits, vals)| {
                    let (n, mean, lo, hi) = mean_ci95(&vals);
                    (f64::from_bits(bits), n, mean, lo, hi)
                })
                .collect();
            v.sort_by(|a, b| a.0.total_cmp(&b.0));
            (arm, v)
        })
        .collect()
}

/// A sweep's `metrics` (metric, axis label) against d on log-log axes, one line per arm
/// (cell means; whiskers: 95% t-intervals over seeds, clipped to positive values).
pub fn sweep_vs_d(
    table: &SweepTable,
    arm_key: &str,
    d_key: &str,
    metrics: &[(Metric, &str)],
    out: &Path,
) -> Result<()> {
    let cols = 3usize;
    let rows = metrics.len().div_ceil(cols);
    let stats: Vec<CellStats> = metrics
        .iter()
        .map(|(metric, _)| cell_stats(table, arm_key, d_key, *metric))
        .collect();
    // Every metric's cells group the same rows, so every panel has the same arms.
    let entries = legend_entries(&stats.first().map(|s| s.keys().collect::<Vec<_>>()).unwrap_or_default());
    render(out, (460 * cols as u32, 380 * rows as u32), None, &entries, |root| {
        let panels = root.split_evenly((rows, cols));
        for (((_, label), stats), area) in metrics.iter().zip(&stats).zip(panels.iter()) {
            loglog_panel(area, out, label, stats, &entries)?;
        }
        Ok(())
    })
}

/// At most this many ticks on a log axis.
const MAX_LOG_TICKS: usize = 7;

/// Tick values for a log axis over [lo, hi] (0 < lo < hi; nothing otherwise), ascending:
///
/// 1. the values 1, 2, 5 × 10^k inside the range, when there are 3 to [`MAX_LOG_TICKS`];
/// 2. more than that (a wide range): the first of 1, 3 × 10^k; 1 × 10^k; every 2nd, 3rd, …
///    power of ten (10^k with k a multiple of n) that gives at most [`MAX_LOG_TICKS`];
/// 3. fewer than 3 (a range under about a decade): 1, 1.5, 2, 3, 5, 7 × 10^k, when that gives
///    at least 3;
/// 4. otherwise (a narrow range) round values: the multiples of the largest step 1, 2 or
///    5 × 10^k that puts at least 3 in the range.
///
/// Three rather than two as the least: two ticks (e.g. 20 and 50 for d from 16 to 48) hardly
/// show the scale.
pub fn ticks_125(lo: f64, hi: f64) -> Vec<f64> {
    if !(lo > 0.0 && lo < hi && hi.is_finite()) {
        return Vec::new();
    }
    let (k0, k1) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
    let inside = |v: &f64| *v >= lo * (1.0 - 1e-9) && *v <= hi * (1.0 + 1e-9);
    // m × 10^k for the mantissas `ms` and the k that are multiples of `every`.
    let decades = |ms: &[f64], every: i32| -> Vec<f64> {
        (k0..=k1)
            .filter(|k| k.rem_euclid(every) == 0)
            .flat_map(|k| ms.iter().map(move |&m| pow10(m, k)))
            .filter(inside)
            .collect()
    };
    let t = decades(&[1.0, 2.0, 5.0], 1);
    if t.len() > MAX_LOG_TICKS {
        let sparser = [decades(&[1.0, 3.0], 1), decades(&[1.0], 1)];
        return sparser
            .into_iter()
            .chain((2..).map(|n| decades(&[1.0], n)))
            .find(|t| t.len() <= MAX_LOG_TICKS)
            .unwrap_or_default();
    }
    if t.len() >= 3 {
        return t;
    }
    let t = decades(&[1.0, 1.5, 2.0, 3.0, 5.0, 7.0], 1);
    if t.len() >= 3 {
        return t;
    }
    round_ticks(lo, hi)
}

/// m × 10^k, correctly rounded for negative k too (0.02 is 2 / 100, not 2 × 0.01).
fn pow10(m: f64, k: i32) -> f64 {
    if k >= 0 {
        m * 10f64.powi(k)
    } else {
        m / 10f64.powi(-k)
    }
}

/// The multiples in [lo, hi] of the largest step 1, 2 or 5 × 10^k that gives at least 3.
fn round_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let top = (hi - lo).log10().ceil() as i32;
    let steps = (0..60).map(|i| pow10([1.0, 5.0, 2.0][(i % 3) as usize], top - (i + 2) / 3));
    for step in steps {
        let (n0, n1) = ((lo / step - 1e-9).ceil() as i64, (hi / step + 1e-9).floor() as i64);
        if n1 - n0 >= 2 {
            return (n0..=n1).map(|n| n as f64 * step).collect();
        }
    }
    vec![lo, hi]
}

/// A tick's label, compact: at most 6 significant digits, no trailing zeros ("0.02", "0.5",
/// "10", "200", "1.5"); "1e-5", "2e6" outside [10^-4, 10^6).
pub fn tick_label(v: f64) -> String {
    let a = v.abs();
    let trim = |s: String| -> String {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    };
    if a == 0.0 || !a.is_finite() {
        format!("{v}")
    } else if (1e-4..1e6).contains(&a) {
        let decimals = (5 - a.log10().floor() as i32).max(0) as usize;
        trim(format!("{v:.decimals$}"))
    } else {
        let s = format!("{v:.5e}");
        let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
        format!("{}e{e}", trim(m.to_string()))
    }
}

/// A log axis over [lo, hi] (0 < lo < hi), ticked, gridded and labelled at [`ticks_125`]
/// with [`tick_label`]: plotters' own log axis puts no tick inside a range narrower than a
/// decade.
pub(crate) struct LogAxis {
    pub(crate) lo: f64,
    pub(crate) hi: f64,
    ticks: Vec<f64>,
}

impl LogAxis {
    pub(crate) fn new(lo: f64, hi: f64) -> Self {
        Self {
            lo,
            hi,
            ticks: ticks_125(lo, hi),
        }
    }
}

impl Ranged for LogAxis {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let t = (v.ln() - self.lo.ln()) / (self.hi.ln() - self.lo.ln());
        limit.0 + (t * f64::from(limit.1 - limit.0)).round() as i32
    }

    /// The ticks as the bold key points (grid lines and labels); no light ones.
    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.lo..self.hi
    }
}

impl ValueFormatter<f64> for LogAxis {
    fn format(v: &f64) -> String {
        tick_label(*v)
    }
}

pub(crate) fn positive(v: f64) -> bool {
    v.is_finite() && v > 0.0
}

/// (min, max) of the logarithms.
pub(crate) fn ln_range(vals: &[f64]) -> (f64, f64) {
    vals.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |a, &v| {
        (a.0.min(v.ln()), a.1.max(v.ln()))
    })
}

/// One panel of [`sweep_vs_d`]: the arms' cell means of one metric against d, log-log, in
/// the colours of `entries` (the arms, in order; nothing drawn when no value is positive).
fn loglog_panel(area: &Area<'_>, out: &Path, label: &str, stats: &CellStats, entries: &[Entry]) -> Result<()> {
    let xs: Vec<f64> = stats.values().flatten().map(|s| s.0).filter(|&v| positive(v)).collect();
    let ys: Vec<f64> = stats
        .values()
        .flatten()
        .flat_map(|s| [s.2, s.3, s.4])
        .filter(|&v| positive(v))
        .collect();
    if xs.is_empty() || ys.is_empty() {
        return Ok(());
    }
    let (x0, x1) = ln_range(&xs);
    let (y0, y1) = ln_range(&ys);
    let xpad = 0.08 * (x1 - x0).max(0.1);
    let ypad = 0.08 * (y1 - y0).max(0.2);
    let x = LogAxis::new((x0 - xpad).exp(), (x1 + xpad).exp());
    let y = LogAxis::new((y0 - ypad).exp(), (y1 + ypad).exp());
    let (ylo, yhi) = (y.lo, y.hi);
    let mut chart = ChartBuilder::on(area)
        .caption(label, ("sans-serif", 16))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(x, y)
        .map_err(|e| perr(out, e))?;
    chart
        .configure_mesh()
        .x_desc("d (log scale)")
        .y_desc(format!("{label} (log scale)"))
        .draw()
        .map_err(|e| perr(out, e))?;
    for (pts, (_, c)) in stats.values().zip(entries) {
        draw_arm(&mut chart, out, *c, pts, (ylo, yhi))?;
    }
    Ok(())
}

/// One arm of a log-log panel, in colour `c`: line and dots through the positive cell
/// means, whiskers clipped to the panel's y range `(ylo, yhi)`.
fn draw_arm<'a, 'b: 'a>(
    chart: &mut ChartContext<'a, SVGBackend<'b>, Cartesian2d<LogAxis, LogAxis>>,
    out: &Path,
    c: RGBColor,
    pts: &[(f64, usize, f64, f64, f64)],
    (ylo, yhi): (f64, f64),
) -> Result<()> {
    let good: Vec<_> = pts.iter().filter(|s| positive(s.0) && positive(s.2)).collect();
    chart
        .draw_series(LineSeries::new(good.iter().map(|s| (s.0, s.2)), c.stroke_width(2)))
        .map_err(|e| perr(out, e))?;
    chart
        .draw_series(good.iter().map(|s| Circle::new((s.0, s.2), 3, c.filled())))
        .map_err(|e| perr(out, e))?;
    chart
        .draw_series(good.iter().filter(|s| s.3.is_finite()).map(|s| {
            let lo = if s.3 > 0.0 { s.3.max(ylo) } else { ylo };
            PathElement::new(vec![(s.0, lo), (s.0, s.4.min(yhi))], c.stroke_width(1))
        }))
        .map_err(|e| perr(out, e))?;
    Ok(())
}

/// The figures of one run folder into `out`: `heatmap.svg`, `curves.svg`,
/// `alignment_hist.svg`, labelled with the folder's name. Returns their paths.
pub fn plot_run(run_dir: &Path, out: &Path) -> Result<Vec<PathBuf>> {
    plot_runs(&[run_dir.to_path_buf()], out)
}

/// The figures of several run folders into `out`, together: `heatmap.svg` (one panel per
/// run), `curves.svg` and `alignment_hist.svg` (one line per run), each run labelled with
/// its folder's name. Returns their paths.
pub fn plot_runs(run_dirs: &[PathBuf], out: &Path) -> Result<Vec<PathBuf>> {
    let runs: Vec<(String, PathBuf)> = run_dirs
        .iter()
        .map(|d| {
            let label = d
                .file_name()
                .map_or_else(|| "run".to_string(), |n| n.to_string_lossy().into_owned());
            (label, d.clone())
        })
        .collect();
    let files = [
        out.join("heatmap.svg"),
        out.join("curves.svg"),
        out.join("alignment_hist.svg"),
    ];
    heatmap(&runs, &files[0])?;
    curves(&runs, &files[1])?;
    alignment_histogram(&runs, &files[2])?;
    Ok(files.to_vec())
}

/// The speed history of `benches/history.csv`: one line per series (a size and precision),
/// the share of the core's peak against the record's index (one record per run of
/// `benches/compare.sh`, oldest first).
pub fn speed_history(series: &Series, out: &Path) -> Result<()> {
    let entries = legend_entries(&series.iter().map(|(l, _)| l).collect::<Vec<_>>());
    let title = "SGD step: share of the core's peak (benches/compare.sh)";
    render(out, (760, 440), Some(title), &entries, |root| {
        let descs = ("record (oldest first)", "share of the core's peak");
        line_panel(root, out, None, descs, series, &entries)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_two_arms_keep_their_colours_whatever_the_order_and_label_style() {
        let rm = arm_colour(AugmentationKind::RandomMask);
        let none = arm_colour(AugmentationKind::None);
        assert_ne!(rm, none);
        // Sweep values, the report's names, run folders, CamelCase; both orders.
        let pairs = [
            ("random_mask", "none"),
            ("RandomMask (baseline)", "no augmentation"),
            ("theorem_aug", "theorem_no_aug"),
            ("abl_baseline", "abl_none"),
            ("peer_exact_random_mask", "peer_exact_none"),
            ("RandomMask", "NoAug"),
            ("tiny_aug", "tiny_no_aug"),
        ];
        for (a, b) in pairs {
            assert_eq!(series_colours(&[a, b]), vec![rm, none], "{a} / {b}");
            assert_eq!(series_colours(&[b, a]), vec![none, rm], "{b} / {a}");
            let c = series_colours(&["other", b, "x", a]);
            assert_eq!((c[1], c[3]), (none, rm), "among other series: {b} / {a}");
        }
        // The other augmentations have their own fixed colours.
        let kinds = ["independent_mask", "gaussian_noise", "block_mask"];
        let c = series_colours(&kinds);
        assert_eq!(
            c,
            series_colours(&["abl_independent_mask", "abl_gaussian_noise", "BlockMask"])
        );
        assert!(c.iter().all(|x| *x != rm && *x != none));
        // Labels that name no arm: distinct colours, never the two arms', none shared with
        // an arm of the same figure, the same for the same labels in the same order.
        for l in ["keep_prob_0_1", "f64 small", "3fa9c1d2", "all", "abl_gaussian_code"] {
            assert_eq!(arm_of(l), None, "{l}");
        }
        let labels = [
            "f32 small",
            "independent_mask",
            "f64 small",
            "f32 large",
            "f64 large",
            "none",
            "x",
        ];
        let c = series_colours(&labels);
        for (i, a) in c.iter().enumerate() {
            assert!(c[i + 1..].iter().all(|b| b != a), "{labels:?}: {c:?}");
        }
        assert_eq!(c[5], none);
        assert!(!c.contains(&rm));
        assert_eq!(c, series_colours(&labels));
        // More labels than colours: they cycle, still never the arms' colours.
        let many: Vec<String> = (0..20).map(|k| format!("series {k}")).collect();
        assert!(series_colours(&many).iter().all(|x| *x != rm && *x != none));
    }

    #[test]
    fn log_ticks_sit_at_1_2_5_values_or_say_why_not() {
        let close =
            |a: &[f64], b: &[f64]| a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x / y - 1.0).abs() < 1e-12);
        let cases: [((f64, f64), &[f64]); 8] = [
            // 1-2-5 values.
            ((0.01, 1.0), &[0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0]),
            ((3.0, 120.0), &[5.0, 10.0, 20.0, 50.0, 100.0]),
            // Fewer than 3 (20, 50; 0.2, 0.5): 1, 1.5, 2, 3, 5, 7 × 10^k.
            ((14.7, 52.4), &[15.0, 20.0, 30.0, 50.0]),
            ((0.13, 0.6), &[0.15, 0.2, 0.3, 0.5]),
            // Under 3 of those either: round values.
            ((0.82, 0.95), &[0.85, 0.9, 0.95]),
            ((15.9, 16.1), &[15.9, 16.0, 16.1]),
            // Wide ranges thinned: 1, 3 × 10^k; then powers of ten; then every n-th.
            ((0.2, 50.0), &[0.3, 1.0, 3.0, 10.0, 30.0]),
            ((1e-6, 1e3), &[1e-6, 1e-4, 1e-2, 1.0, 100.0]),
        ];
        for ((lo, hi), want) in cases {
            let t = ticks_125(lo, hi);
            assert!(close(&t, want), "{lo}..{hi}: {t:?}, want {want:?}");
        }
        // Any range: 3 to 7 ascending values inside it.
        for (lo, hi) in [
            (1e-9, 1e9),
            (0.5, 0.51),
            (7.0, 9.0),
            (0.011, 0.099),
            (1.0, 1e12),
            (123.0, 124.0),
        ] {
            let t = ticks_125(lo, hi);
            assert!((3..=MAX_LOG_TICKS).contains(&t.len()), "{lo}..{hi}: {t:?}");
            assert!(t.windows(2).all(|w| w[0] < w[1]), "{t:?}");
            assert!(
                t.iter().all(|v| *v >= lo * (1.0 - 1e-9) && *v <= hi * (1.0 + 1e-9)),
                "{t:?}"
            );
        }
        assert!(ticks_125(1.0, 1.0).is_empty() && ticks_125(0.0, 1.0).is_empty() && ticks_125(2.0, 1.0).is_empty());
    }

    #[test]
    fn tick_labels_are_compact() {
        for (v, want) in [
            (0.02, "0.02"),
            (0.5, "0.5"),
            (10.0, "10"),
            (200.0, "200"),
            (1.5, "1.5"),
            (0.02f64.ln().exp(), "0.02"),
            (0.85 + 1e-15, "0.85"),
            (1e-5, "1e-5"),
            (2e6, "2e6"),
            (0.0001, "0.0001"),
            (123456.0, "123456"),
        ] {
            assert_eq!(tick_label(v), want, "{v}");
        }
    }
}
