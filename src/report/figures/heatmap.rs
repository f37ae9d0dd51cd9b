//! [`heatmap`]: |cos(w_i, M_j)| = |⟨w_i, M_j⟩| / ‖w_i‖ per neuron (rows, sorted by best
//! atom, then by alignment) and atom (columns), one panel per run, with a colour bar.

use std::path::Path;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::load::RunSet;
use super::style::{font, nothing, perr, render, Area, Frame, CAPTION, DESC, LABEL};
use crate::error::Result;
use crate::report::format;

/// Width of a panel and of the colour bar's strip (px).
const PANEL: u32 = 440;
const BAR: u32 = 150;

/// White → dark blue.
fn colour(v: f64) -> RGBColor {
    let t = v.clamp(0.0, 1.0);
    let lerp = |a: f64, b: f64| (a + (b - a) * t).round() as u8;
    RGBColor(lerp(255.0, 8.0), lerp(255.0, 48.0), lerp(255.0, 107.0))
}

/// A tick label at whole numbers only (cell centres), empty elsewhere.
fn whole(v: &f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format::tick(v.round())
    } else {
        String::new()
    }
}

/// Side-by-side heatmaps of |cos(w_i, M_j)|, one panel per set (its first run, captioned
/// with that run's label when the set has several), to `out`. The ticks label the cells'
/// centres (atom 0 … d−1, neuron 0 … m−1).
pub fn heatmap(sets: &[RunSet], out: &Path) -> Result<()> {
    let panels: Vec<(&str, &[Vec<f64>])> = sets
        .iter()
        .filter_map(|s| {
            let r = s.runs.first()?;
            let label = if s.runs.len() > 1 { &r.label } else { &s.label };
            Some((label.as_str(), r.cosines.as_slice()))
        })
        .collect();
    if panels.is_empty() {
        return Err(nothing(out, "no run"));
    }
    let w = PANEL * panels.len() as u32 + BAR;
    render(out, (w, 560), &Frame::default(), |root| {
        let (main, bar) = root.split_horizontally(w - BAR);
        let areas = main.split_evenly((1, panels.len()));
        for ((label, mat), area) in panels.iter().zip(areas.iter()) {
            heatmap_panel(area, out, label, mat)?;
        }
        colour_bar(&bar, out)
    })
}

/// One heatmap panel: `mat[neuron][atom]`, captioned `label`; cell (i, j) is centred on
/// (j, i).
fn heatmap_panel(area: &Area<'_>, out: &Path, label: &str, mat: &[Vec<f64>]) -> Result<()> {
    let (m, d) = (mat.len(), mat.first().map_or(0, Vec::len));
    let mut chart = ChartBuilder::on(area)
        .caption(label, font(CAPTION))
        .margin(12)
        .x_label_area_size(58)
        .y_label_area_size(78)
        .build_cartesian_2d(-0.5f64..d as f64 - 0.5, -0.5f64..m as f64 - 0.5)
        .map_err(|e| perr(out, e))?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_labels(d.min(11))
        .y_labels(m.min(9))
        .x_label_formatter(&whole)
        .y_label_formatter(&whole)
        .label_style(font(LABEL))
        .axis_desc_style(font(DESC))
        .x_desc("atom j")
        .y_desc("neuron i (sorted by best atom)")
        .draw()
        .map_err(|e| perr(out, e))?;
    chart
        .draw_series(mat.iter().enumerate().flat_map(|(r, row)| {
            row.iter().enumerate().map(move |(j, &v)| {
                let (x, y) = (j as f64, r as f64);
                Rectangle::new([(x - 0.5, y - 0.5), (x + 0.5, y + 0.5)], colour(v).filled())
            })
        }))
        .map_err(|e| perr(out, e))?;
    Ok(())
}

/// The heatmaps' colour bar, |cos| from 0 to 1: the title above the bar, the tick labels
/// to its right, apart from both.
fn colour_bar(bar: &Area<'_>, out: &Path) -> Result<()> {
    // The title in a strip of its own, so that the top tick label (at the bar's top edge,
    // half its height above it) keeps clear of it.
    let (head, body) = bar.split_vertically(44);
    let centred = font(CAPTION).pos(Pos::new(HPos::Center, VPos::Center));
    let (w, _) = head.dim_in_pixel();
    head.draw(&Text::new("|cos|", (w as i32 / 2, 28), &centred))
        .map_err(|e| perr(out, e))?;
    let mut cb = ChartBuilder::on(&body)
        .margin_top(16)
        .margin_bottom(70)
        .margin_left(12)
        .margin_right(12)
        .right_y_label_area_size(60)
        .build_cartesian_2d(0f64..1f64, 0f64..1f64)
        .map_err(|e| perr(out, e))?;
    cb.configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .y_labels(6)
        .label_style(font(LABEL))
        .y_label_formatter(&|v| format::fixed(*v, 1))
        .draw()
        .map_err(|e| perr(out, e))?;
    cb.draw_series((0..100).map(|k| {
        let v = k as f64 / 100.0;
        Rectangle::new([(0.0, v), (1.0, v + 0.011)], colour(v + 0.005).filled())
    }))
    .map_err(|e| perr(out, e))?;
    Ok(())
}
