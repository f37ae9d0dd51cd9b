//! [`probe_error_vs_d`]: probe errors against d (docs/THEORY.md §1.6, §4.5), with a
//! floor fit a + b·d^−k.

use std::path::Path;

use plotters::prelude::*;

use super::draw::{chart, dashed, loggable, means_per_x, DASH, DOT};
use super::style::{
    colour_of, font, label_colours, nothing, perr, positive, render, Area, Entry, Frame, LogAxis, CAPTION, FIT,
};
use crate::error::Result;
use crate::report::format;

/// One series of a [`ProbePanel`]: a kind of probe or representation, one point per run
/// (or seed).
#[derive(Debug, Clone, PartialEq)]
pub struct ProbeSeries {
    /// The series, e.g. "trained, d1 = 8d" or "oracle z"; the same label has the same
    /// colour in every panel.
    pub label: String,
    /// (d, error) per run.
    pub points: Vec<(f64, f64)>,
    /// Whether the series sets the panel's y range. A diagnostic whose errors may lie
    /// decades below the others (the oracle z) does not: the axis floor is a third of the
    /// smallest error of the series that do, and its points below the floor are drawn on
    /// it as open triangles (said in the legend band).
    pub sets_range: bool,
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

/// The title of [`probe_error_vs_d`].
pub const TITLE_PROBE: &str = "Probe error against d, with the floor fit and diagnostic probes";

/// The legend label of a [`FloorCurve`].
fn floor_label(f: &FloorCurve) -> String {
    let n = |v: f64| format::fixed(v, 2);
    format!(
        "fit a + b d^-k: a = {} [{}, {}], k = {}",
        n(f.a),
        n(f.a_lo),
        n(f.a_hi),
        format::trimmed(f.k, 2)
    )
}

/// The fitted floor curve a + b·d^−k at `d`.
fn floor_at(f: &FloorCurve, d: f64) -> f64 {
    f.a + f.b * d.powf(-f.k)
}

/// Number of points of a drawn floor curve.
const CURVE_POINTS: usize = 80;

/// What one panel draws: per series its loggable points, the fit's curve and floor, the
/// axes, and the labels of the series clipped at the axis floor.
struct Layout {
    series: Vec<Vec<(f64, f64)>>,
    curve: Vec<(f64, f64)>,
    floor: Option<f64>,
    axes: Option<(LogAxis, LogAxis)>,
    clipped: Vec<String>,
}

/// The [`Layout`] of `panel` with its checked `fit`.
fn layout(panel: &ProbePanel, fit: Option<&FloorCurve>) -> Layout {
    let series: Vec<Vec<(f64, f64)>> = panel
        .series
        .iter()
        .map(|s| loggable(s.points.iter().copied()))
        .collect();
    let xs: Vec<f64> = series.iter().flatten().map(|p| p.0).collect();
    let (x0, x1) = xs.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |a, &x| {
        (a.0.min(x.ln()), a.1.max(x.ln()))
    });
    let curve: Vec<(f64, f64)> = match fit.filter(|_| x0.is_finite()) {
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
    let setting = |s: &ProbeSeries| s.sets_range || panel.series.iter().all(|s| !s.sets_range);
    let mut ys: Vec<f64> = panel
        .series
        .iter()
        .zip(&series)
        .filter(|(s, _)| setting(s))
        .flat_map(|(_, p)| p.iter().map(|q| q.1))
        .collect();
    ys.extend(curve.iter().map(|p| p.1).chain(floor));
    let least = ys.iter().copied().fold(f64::INFINITY, f64::min) / 3.0;
    ys.extend(series.iter().flatten().map(|p| p.1).filter(|&v| v >= least));
    let axes = LogAxis::over(&xs, 0.08, 0.1).zip(LogAxis::over(&ys, 0.08, 0.2));
    let clipped = match &axes {
        Some((_, y)) => panel
            .series
            .iter()
            .zip(&series)
            .filter(|(_, p)| p.iter().any(|q| q.1 < y.lo))
            .map(|(s, _)| s.label.clone())
            .collect(),
        None => Vec::new(),
    };
    Layout {
        series,
        curve,
        floor,
        axes,
        clipped,
    }
}

/// Probe errors against d, one log-log panel per entry of `panels` side by side, to `out`
/// (docs/THEORY.md §1.6 for the probes, §4.5 for the diagnostic ones: f(Mz), the oracle
/// network, the oracle z). Each series: a small dot per point (non-positive errors left
/// out) and a line through its mean error per d; its colour follows its label, the same in
/// every panel. A panel's floor fit (of its first series) is a dashed black curve
/// a + b·d^−k over the panel's range of d, in the legend as "fit a + b d^-k: a = 0.12
/// [0.05, 0.19], k = 0.5" (prefixed by the panel's title and " — " when more than one
/// panel has a fit), with a dotted black horizontal line at a when a > 0. The y range is
/// set by the series that set it ([`ProbeSeries::sets_range`]); the others' points below
/// it sit on the axis floor as open triangles, and the legend band says which. No panel,
/// or no point with positive d and error in any panel, is an error (no file written); a
/// panel without one shows its caption only.
pub fn probe_error_vs_d(panels: &[ProbePanel], out: &Path) -> Result<()> {
    let fits: Vec<Option<FloorCurve>> = panels
        .iter()
        .map(|p| p.fit.filter(|f| f.a.is_finite() && f.b.is_finite() && f.k.is_finite()))
        .collect();
    let layouts: Vec<Layout> = panels.iter().zip(&fits).map(|(p, f)| layout(p, f.as_ref())).collect();
    if layouts.iter().all(|l| l.series.iter().all(Vec::is_empty)) {
        return Err(nothing(out, "no probe point with positive d and error"));
    }
    let labels = label_colours(panels.iter().flat_map(|p| p.series.iter().map(|s| s.label.as_str())));
    let mut entries: Vec<Entry> = labels.clone();
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
    let mut clipped: Vec<String> = Vec::new();
    for l in layouts.iter().flat_map(|l| l.clipped.iter()) {
        if !clipped.contains(l) {
            clipped.push(l.clone());
        }
    }
    let mut frame = Frame {
        title: Some(TITLE_PROBE.into()),
        entries,
        notes: Vec::new(),
    };
    if !clipped.is_empty() {
        frame.notes.push(format!(
            "△ on the axis floor: {} (below it, clipped)",
            clipped.join(", ")
        ));
    }
    let w = 640 * panels.len() as u32;
    render(out, (w, 520), &frame, |root| {
        let areas = root.split_evenly((1, panels.len()));
        for ((panel, lay), area) in panels.iter().zip(&layouts).zip(areas.iter()) {
            probe_panel(area, out, panel, lay, &labels)?;
        }
        Ok(())
    })
}

/// One panel of [`probe_error_vs_d`], as `lay` lays it out.
fn probe_panel(area: &Area<'_>, out: &Path, panel: &ProbePanel, lay: &Layout, labels: &[Entry]) -> Result<()> {
    let Some((x, y)) = lay.axes.clone() else {
        area.titled(&panel.title, font(CAPTION)).map_err(|e| perr(out, e))?;
        return Ok(());
    };
    let (xlo, xhi, ylo) = (x.lo, x.hi, y.lo);
    let at_floor = ylo * (y.hi / ylo).powf(0.015);
    let clip = |p: (f64, f64)| (p.0, p.1.max(at_floor));
    let descs = ("d (log scale)", "error (log scale)");
    let mut chart = chart(area, out, Some(&panel.title), descs, x, y)?;
    if let Some(a) = lay.floor {
        dashed(&mut chart, out, vec![(xlo, a), (xhi, a)], FIT.stroke_width(1), DOT)?;
    }
    for (s, pts) in panel.series.iter().zip(&lay.series) {
        let c = colour_of(labels, &s.label);
        let inside: Vec<(f64, f64)> = pts.iter().copied().filter(|p| p.1 >= ylo).collect();
        let below: Vec<(f64, f64)> = pts.iter().copied().filter(|p| p.1 < ylo).collect();
        chart
            .draw_series(inside.iter().map(|&p| Circle::new(p, 3, c.mix(0.5).filled())))
            .map_err(|e| perr(out, e))?;
        chart
            .draw_series(
                below
                    .iter()
                    .map(|&p| TriangleMarker::new(clip(p), 7, c.stroke_width(2))),
            )
            .map_err(|e| perr(out, e))?;
        let m: Vec<(f64, f64)> = means_per_x(pts).into_iter().map(clip).collect();
        chart
            .draw_series(LineSeries::new(m.iter().copied(), c.stroke_width(2)))
            .map_err(|e| perr(out, e))?;
        chart
            .draw_series(m.iter().map(|&p| Circle::new(p, 4, c.filled())))
            .map_err(|e| perr(out, e))?;
    }
    if lay.curve.len() > 1 {
        dashed(&mut chart, out, lay.curve.clone(), FIT.stroke_width(2), DASH)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::figures::test_util::{check, noise, svg_text};

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
                        sets_range: label != "oracle z",
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
            label_colours(swapped.iter().flat_map(|p| p.series.iter().map(|s| s.label.as_str()))),
            label_colours(panels.iter().flat_map(|p| p.series.iter().map(|s| s.label.as_str())))
        );
    }
}
