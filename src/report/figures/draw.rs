//! Drawing helpers shared by the figures: a chart in the house style on any pair of
//! axes, lines, bands, dashed lines, and the geometry of points on log axes.

use std::collections::BTreeMap;
use std::path::Path;

use plotters::coord::ranged1d::ValueFormatter;
use plotters::prelude::*;

use super::style::{font, perr, positive, Area, CAPTION, DESC, LABEL};
use crate::error::Result;
use crate::report::format;

/// A chart on the SVG backend over the axes `X`, `Y`.
pub type Chart<'a, 'b, X, Y> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<X, Y>>;

/// Dash and gap (px) of dashed lines.
pub const DASH: (i32, i32) = (8, 5);
/// Dash and gap (px) of dotted lines.
pub const DOT: (i32, i32) = (2, 4);

/// A chart on `area` over `x` and `y` in the house style: the caption (if any), tick
/// labels by [`format::tick`], the axis descriptions `descs`, fonts of [`super::style`].
pub fn chart<'a, 'b, X, Y>(
    area: &'a Area<'b>,
    out: &Path,
    caption: Option<&str>,
    (x_desc, y_desc): (&str, &str),
    x: X,
    y: Y,
) -> Result<Chart<'a, 'b, X, Y>>
where
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let mut builder = ChartBuilder::on(area);
    if let Some(c) = caption {
        builder.caption(c, font(CAPTION));
    }
    let mut chart = builder
        .margin(14)
        .x_label_area_size(58)
        .y_label_area_size(78)
        .build_cartesian_2d(x, y)
        .map_err(|e| perr(out, e))?;
    chart
        .configure_mesh()
        .x_labels(6)
        .y_labels(6)
        .max_light_lines(1)
        .x_label_formatter(&|v| format::tick(*v))
        .y_label_formatter(&|v| format::tick(*v))
        .label_style(font(LABEL))
        .axis_desc_style(font(DESC))
        .x_desc(x_desc)
        .y_desc(y_desc)
        .draw()
        .map_err(|e| perr(out, e))?;
    Ok(chart)
}

/// Each series a line in its colour (non-finite points left out); a series of one point
/// (the speed history's first record) is a dot.
pub fn lines<X, Y>(chart: &mut Chart<'_, '_, X, Y>, out: &Path, series: &[(&[(f64, f64)], RGBColor)]) -> Result<()>
where
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    for (pts, c) in series {
        let dots = if pts.len() == 1 { 4 } else { 0 };
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

/// A band between `lo` and `hi` (the same x, ascending), filled lightly in `c`.
pub fn band<X, Y>(
    chart: &mut Chart<'_, '_, X, Y>,
    out: &Path,
    lo: &[(f64, f64)],
    hi: &[(f64, f64)],
    c: RGBColor,
) -> Result<()>
where
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    let ok = |p: &&(f64, f64)| p.0.is_finite() && p.1.is_finite();
    let mut poly: Vec<(f64, f64)> = lo.iter().filter(ok).copied().collect();
    poly.extend(hi.iter().rev().filter(ok).copied());
    if poly.len() < 3 {
        return Ok(());
    }
    chart
        .draw_series(std::iter::once(Polygon::new(poly, c.mix(0.2).filled())))
        .map_err(|e| perr(out, e))?;
    Ok(())
}

/// A dashed line through `pts` in `style`, with (dash, gap) px.
pub fn dashed<X, Y>(
    chart: &mut Chart<'_, '_, X, Y>,
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

/// The points with both coordinates positive and finite (the others cannot sit on
/// log-log axes).
pub fn loggable(pts: impl IntoIterator<Item = (f64, f64)>) -> Vec<(f64, f64)> {
    pts.into_iter().filter(|p| positive(p.0) && positive(p.1)).collect()
}

/// Per distinct x (ascending): (x, mean of its y).
pub fn means_per_x(pts: &[(f64, f64)]) -> Vec<(f64, f64)> {
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

/// The part of the power law y = c·x^s inside the box `[x0, x1] × [y0, y1]`, as its two
/// ends (a straight line on log-log axes); `None` when it misses the box.
pub fn power_segment(c: f64, s: f64, (x0, x1): (f64, f64), (y0, y1): (f64, f64)) -> Option<[(f64, f64); 2]> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(format::trimmed(0.5, 2), "0.5");
        assert_eq!(format::trimmed(1.0, 2), "1");
        assert_eq!(format::trimmed(0.374, 2), "0.37");
    }
}
