//! [`per_atom_vs_m`]: neurons per atom against m/d (docs/THEORY.md §4.10), with a fitted
//! power law and a slope-1 reference.

use std::path::Path;

use plotters::prelude::*;

use super::draw::{chart, dashed, loggable, means_per_x, power_segment, DASH};
use super::style::{arm_colour, nothing, perr, render, Entry, Frame, LogAxis, FIT, REFERENCE};
use crate::config::AugmentationKind;
use crate::error::Result;
use crate::report::format;

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

/// The title of [`per_atom_vs_m`].
pub const TITLE_PER_ATOM: &str = "Neurons per atom against m/d (RandomMask, one d)";

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
    let mut entries: Vec<Entry> = vec![("runs".to_string(), arm_colour(AugmentationKind::RandomMask))];
    if let Some(f) = &fit {
        entries.push((fit_label(f), FIT));
    }
    entries.push(("∝ m/d (slope 1)".to_string(), REFERENCE));
    let xs: Vec<f64> = good.iter().map(|p| p.0).collect();
    let mut ys: Vec<f64> = good.iter().map(|p| p.1).collect();
    if let Some(f) = &fit {
        ys.extend([fit_at(f, x0), fit_at(f, x1)]);
    }
    let frame = Frame {
        title: Some(TITLE_PER_ATOM.into()),
        entries,
        notes: Vec::new(),
    };
    render(out, (800, 520), &frame, |root| {
        let (Some(x), Some(y)) = (LogAxis::over(&xs, 0.08, 0.1), LogAxis::over(&ys, 0.08, 0.2)) else {
            return Ok(());
        };
        let (xr, yr) = ((x.lo, x.hi), (y.lo, y.hi));
        let descs = ("m/d (log scale)", "neurons per atom (log scale)");
        let mut chart = chart(root, out, None, descs, x, y)?;
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
            .draw_series(
                good.iter()
                    .map(|&p| Circle::new(p, 3, arm_colour(AugmentationKind::RandomMask).filled())),
            )
            .map_err(|e| perr(out, e))?;
        Ok(())
    })
}

/// The legend label of a [`LineFit`].
fn fit_label(f: &LineFit) -> String {
    let n = |v: f64| format::fixed(v, 2);
    format!("fit: slope {} [{}, {}]", n(f.slope), n(f.lo), n(f.hi))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::figures::test_util::{check, noise, svg_text};

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
}
