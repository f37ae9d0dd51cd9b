//! The one style of every figure: colours (keyed by the augmentation arm, never by a
//! label's text), fonts, the legend band above the panels, the axes (one log axis with
//! 1–2–5 ticks, linear axes padded when degenerate) and the SVG canvas.
//!
//! Fonts: plotters writes an SVG `font-size` of the requested size / 1.24, so the sizes
//! here are ≥ 18 (≥ 14.5 px in the file), readable when a 640–800 px wide panel is
//! printed one column wide (≈ 3.3 in).

use std::fmt::Display;
use std::path::Path;

use plotters::coord::ranged1d::{KeyPointHint, NoDefaultFormatting, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::config::AugmentationKind;
use crate::error::{Error, Result};
use crate::io::write_atomic;
use crate::report::format;

/// Line colours (the ten of Tableau's categorical palette). Blue is RandomMask's and red
/// no augmentation's in every figure ([`arm_colour`]); grey is kept for references.
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

/// Reference lines (a darker grey than the palette's, which no series takes).
pub const REFERENCE: RGBColor = RGBColor(100, 100, 100);
/// Fitted curves.
pub const FIT: RGBColor = BLACK;

/// Font sizes (plotters units; the SVG's px are these / 1.24): the figure's title.
pub const TITLE: u32 = 24;
/// A panel's caption.
pub const CAPTION: u32 = 20;
/// Tick labels.
pub const LABEL: u32 = 18;
/// Axis descriptions.
pub const DESC: u32 = 18;
/// Legend entries and notes.
pub const LEGEND: u32 = 20;
/// The font family.
pub const FONT: &str = "sans-serif";

/// A text style of the family at `size`.
pub fn font(size: u32) -> TextStyle<'static> {
    (FONT, size).into_font().into()
}

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

/// The colours of a figure's series, in order, from their arms: a series with an arm has
/// its arm's colour ([`arm_colour`]); the others, in order, take the palette's colours
/// that are neither RandomMask's nor no augmentation's nor grey nor used by another series
/// of the figure (cycling through those seven once they run out).
pub fn series_colours(arms: &[Option<AugmentationKind>]) -> Vec<RGBColor> {
    let reserved = [
        arm_colour(AugmentationKind::RandomMask),
        arm_colour(AugmentationKind::None),
        PALETTE[7],
    ];
    let others: Vec<RGBColor> = PALETTE.into_iter().filter(|c| !reserved.contains(c)).collect();
    let mut used: Vec<RGBColor> = arms.iter().flatten().map(|&k| arm_colour(k)).collect();
    let mut k = 0;
    arms.iter()
        .map(|a| match a {
            Some(kind) => arm_colour(*kind),
            None => {
                let c = others
                    .iter()
                    .find(|c| !used.contains(c))
                    .copied()
                    .unwrap_or(others[k % others.len()]);
                k += 1;
                used.push(c);
                c
            }
        })
        .collect()
}

/// The colours of labelled series without arms (palette order, see [`series_colours`]):
/// the distinct labels in order of first appearance, each with its colour.
pub fn label_colours<'a>(labels: impl Iterator<Item = &'a str>) -> Vec<(String, RGBColor)> {
    let mut out: Vec<String> = Vec::new();
    for l in labels {
        if !out.iter().any(|o| o == l) {
            out.push(l.to_string());
        }
    }
    let colours = series_colours(&vec![None; out.len()]);
    out.into_iter().zip(colours).collect()
}

/// The colour of `label` among `labels` (those of [`label_colours`]).
pub fn colour_of(labels: &[(String, RGBColor)], label: &str) -> RGBColor {
    labels.iter().find(|l| l.0 == label).map_or(PALETTE[1], |l| l.1)
}

/// The error of a figure (`path`) that could not be drawn.
pub fn perr(path: &Path, e: impl Display) -> Error {
    Error::Plot {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// The error of an input with nothing to draw.
pub fn nothing(out: &Path, what: &str) -> Error {
    perr(out, format!("nothing to draw: {what}"))
}

/// A drawing area of a figure (pixel coordinates).
pub type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

/// A legend entry: a label and its line colour.
pub type Entry = (String, RGBColor);

/// The legend's row height, line sample length and space between entries (px).
const LEGEND_ROW: u32 = 26;
const LEGEND_SAMPLE: i32 = 28;
const LEGEND_GAP: i32 = 30;

/// Text width (px) at the legend's size: the viewer sets SVG text in its own font, so a
/// character is counted at 0.6 em, a little over the common sans-serif fonts' average.
fn text_width(s: &str) -> i32 {
    (0.6 * f64::from(LEGEND) / 1.24 * s.chars().count() as f64).ceil() as i32
}

/// An entry's width (px): line sample, space, label.
fn entry_width(label: &str) -> i32 {
    LEGEND_SAMPLE + 8 + text_width(label)
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

/// The height (px) of the legend band of `entries` and `notes` across `width` px.
fn legend_height(entries: &[Entry], notes: &[String], width: u32) -> u32 {
    if entries.is_empty() && notes.is_empty() {
        return 0;
    }
    (legend_rows(entries, width as i32 - 20).len() + notes.len()) as u32 * LEGEND_ROW + 8
}

/// The legend: `entries` (a line sample in the series' colour and its label) in centred
/// rows on `band`, a strip of the figure outside the panels, then `notes` centred, one a
/// row.
fn draw_legend(band: &Area<'_>, entries: &[Entry], notes: &[String], out: &Path) -> Result<()> {
    let width = band.dim_in_pixel().0 as i32;
    let style = font(LEGEND).pos(Pos::new(HPos::Left, VPos::Center));
    let rows = legend_rows(entries, width - 20);
    let row_y = |r: usize| (r as u32 * LEGEND_ROW + LEGEND_ROW / 2 + 4) as i32;
    for (r, row) in rows.iter().enumerate() {
        let total = row
            .iter()
            .map(|&i| entry_width(&entries[i].0) + LEGEND_GAP)
            .sum::<i32>()
            - LEGEND_GAP;
        let mut x = (width - total) / 2;
        let y = row_y(r);
        for &i in row {
            let (label, c) = &entries[i];
            band.draw(&PathElement::new(
                vec![(x, y), (x + LEGEND_SAMPLE, y)],
                c.stroke_width(3),
            ))
            .map_err(|e| perr(out, e))?;
            band.draw(&Text::new(label.as_str(), (x + LEGEND_SAMPLE + 8, y), &style))
                .map_err(|e| perr(out, e))?;
            x += entry_width(label) + LEGEND_GAP;
        }
    }
    let centred = font(LEGEND).pos(Pos::new(HPos::Center, VPos::Center));
    for (k, note) in notes.iter().enumerate() {
        band.draw(&Text::new(note.as_str(), (width / 2, row_y(rows.len() + k)), &centred))
            .map_err(|e| perr(out, e))?;
    }
    Ok(())
}

/// What frames a figure's panels: its title, the legend's entries and notes (a band of
/// their own between the title and the panels, never over the data).
#[derive(Debug, Clone, Default)]
pub struct Frame {
    /// The figure's title.
    pub title: Option<String>,
    /// Legend entries.
    pub entries: Vec<Entry>,
    /// Lines of text under the entries (what a band or a marker means, what was not drawn).
    pub notes: Vec<String>,
}

/// Render a figure into `out`: on white, `size` px for the title (if any) and the panels,
/// which `draw` draws on its area; between them the legend band of `frame` (none without
/// entries and notes). Written with [`write_atomic`].
pub fn render(out: &Path, (w, h): (u32, u32), frame: &Frame, draw: impl FnOnce(&Area<'_>) -> Result<()>) -> Result<()> {
    let band = legend_height(&frame.entries, &frame.notes, w);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (w, h + band)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| perr(out, e))?;
        let below = match &frame.title {
            Some(t) => root.titled(t, font(TITLE)).map_err(|e| perr(out, e))?,
            None => root.clone(),
        };
        let (legend, panels) = below.split_vertically(band);
        draw_legend(&legend, &frame.entries, &frame.notes, out)?;
        draw(&panels)?;
        root.present().map_err(|e| perr(out, e))?;
    }
    write_atomic(out, svg.as_bytes())
}

/// True for a finite, positive value (one a log axis can show).
pub fn positive(v: f64) -> bool {
    v.is_finite() && v > 0.0
}

/// At most this many ticks on a log axis.
pub const MAX_LOG_TICKS: usize = 7;

/// Tick values for a log axis over [lo, hi] (0 < lo < hi; nothing otherwise), ascending:
///
/// 1. the values 1, 2, 5 × 10^k inside the range, when there are 3 to [`MAX_LOG_TICKS`];
/// 2. more than that (a wide range): the first of 1, 3 × 10^k; 1 × 10^k; every 2nd, 3rd, …
///    power of ten that gives at most [`MAX_LOG_TICKS`];
/// 3. fewer than 3 (a range under about a decade): 1, 1.5, 2, 3, 5, 7 × 10^k, when that gives
///    at least 3;
/// 4. otherwise (a narrow range) round values: the multiples of the largest step 1, 2 or
///    5 × 10^k that puts at least 3 in the range.
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

/// The one log axis: over [lo, hi] (0 < lo < hi), ticked, gridded and labelled at
/// [`ticks_125`] with [`format::tick`] (plotters' own log axis puts no tick inside a range
/// narrower than a decade).
#[derive(Debug, Clone)]
pub struct LogAxis {
    /// Lower end.
    pub lo: f64,
    /// Upper end.
    pub hi: f64,
    ticks: Vec<f64>,
}

impl LogAxis {
    /// The axis over [lo, hi].
    pub fn new(lo: f64, hi: f64) -> Self {
        Self {
            lo,
            hi,
            ticks: ticks_125(lo, hi),
        }
    }

    /// The axis over the positive values of `vals`, padded on each side by `pad` of their
    /// span in ln (at least `pad` of `min_span`); `None` without a positive value.
    pub fn over(vals: &[f64], pad: f64, min_span: f64) -> Option<Self> {
        let (lo, hi) = vals
            .iter()
            .filter(|&&v| positive(v))
            .fold((f64::INFINITY, f64::NEG_INFINITY), |a, &v| {
                (a.0.min(v.ln()), a.1.max(v.ln()))
            });
        if !lo.is_finite() {
            return None;
        }
        let p = pad * (hi - lo).max(min_span);
        Some(Self::new((lo - p).exp(), (hi + p).exp()))
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
        format::tick(*v)
    }
}

/// An axis that is either the log axis or a linear one (labelled by [`format::tick`]),
/// chosen at run time (a sweep's axis, a panel whose values may not all be positive).
#[derive(Clone)]
pub enum Axis {
    /// Logarithmic.
    Log(LogAxis),
    /// Linear.
    Linear(RangedCoordf64),
}

impl Axis {
    /// A linear axis over [lo, hi].
    pub fn linear(lo: f64, hi: f64) -> Self {
        Self::Linear((lo..hi).into())
    }

    /// The lower end.
    pub fn lo(&self) -> f64 {
        self.range().start
    }

    /// The upper end.
    pub fn hi(&self) -> f64 {
        self.range().end
    }

    /// True for the log axis.
    pub fn is_log(&self) -> bool {
        matches!(self, Self::Log(_))
    }
}

impl Ranged for Axis {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        match self {
            Self::Log(a) => a.map(v, limit),
            Self::Linear(a) => a.map(v, limit),
        }
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        match self {
            Self::Log(a) => a.key_points(hint),
            Self::Linear(a) => a.key_points(hint),
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        match self {
            Self::Log(a) => a.range(),
            Self::Linear(a) => a.range(),
        }
    }
}

impl ValueFormatter<f64> for Axis {
    fn format(v: &f64) -> String {
        format::tick(*v)
    }
}

/// A linear range over the finite values, padded by 5% of its span; a degenerate range
/// (one value, or none) is padded to a width of 2 around its value (0 to 1 without one),
/// so that its ticks read as distinct numbers.
pub fn linear_range(vals: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in vals.filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    if hi - lo < 1e-12 * hi.abs().max(1.0) {
        return (lo - 1.0, hi + 1.0);
    }
    let pad = 0.05 * (hi - lo);
    (lo - pad, hi + pad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_arms_keep_their_colours_whatever_the_order() {
        use AugmentationKind::{BlockMask, GaussianNoise, IndependentMask, None as NoAug, RandomMask};
        let (rm, none) = (arm_colour(RandomMask), arm_colour(NoAug));
        assert_ne!(rm, none);
        assert_eq!(series_colours(&[Some(RandomMask), Some(NoAug)]), vec![rm, none]);
        assert_eq!(series_colours(&[Some(NoAug), Some(RandomMask)]), vec![none, rm]);
        let c = series_colours(&[None, Some(NoAug), None, Some(RandomMask)]);
        assert_eq!((c[1], c[3]), (none, rm), "among other series");
        // The other augmentations have their own fixed colours.
        let c = series_colours(&[Some(IndependentMask), Some(GaussianNoise), Some(BlockMask)]);
        assert!(c.iter().all(|x| *x != rm && *x != none));
        // Series without an arm: distinct colours, never the two arms' nor grey, none
        // shared with an arm of the same figure, the same for the same arms in order.
        let arms = [None, Some(IndependentMask), None, None, None, Some(NoAug), None];
        let c = series_colours(&arms);
        for (i, a) in c.iter().enumerate() {
            assert!(c[i + 1..].iter().all(|b| b != a), "{c:?}");
        }
        assert_eq!(c[5], none);
        assert!(!c.contains(&rm) && !c.contains(&PALETTE[7]));
        assert_eq!(c, series_colours(&arms));
        // More series than colours: they cycle, still never the arms' colours.
        assert!(series_colours(&[None; 20]).iter().all(|x| *x != rm && *x != none));
        // Labels: the same label, the same colour.
        let l = label_colours(["a", "b", "a", "c"].into_iter());
        assert_eq!(l.len(), 3);
        assert_eq!(colour_of(&l, "a"), l[0].1);
    }

    #[test]
    fn log_ticks_sit_at_1_2_5_values_or_say_why_not() {
        let close =
            |a: &[f64], b: &[f64]| a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x / y - 1.0).abs() < 1e-12);
        let cases: [((f64, f64), &[f64]); 8] = [
            ((0.01, 1.0), &[0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0]),
            ((3.0, 120.0), &[5.0, 10.0, 20.0, 50.0, 100.0]),
            ((14.7, 52.4), &[15.0, 20.0, 30.0, 50.0]),
            ((0.13, 0.6), &[0.15, 0.2, 0.3, 0.5]),
            ((0.82, 0.95), &[0.85, 0.9, 0.95]),
            ((15.9, 16.1), &[15.9, 16.0, 16.1]),
            ((0.2, 50.0), &[0.3, 1.0, 3.0, 10.0, 30.0]),
            ((1e-6, 1e3), &[1e-6, 1e-4, 1e-2, 1.0, 100.0]),
        ];
        for ((lo, hi), want) in cases {
            let t = ticks_125(lo, hi);
            assert!(close(&t, want), "{lo}..{hi}: {t:?}, want {want:?}");
        }
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
    fn degenerate_linear_ranges_are_padded() {
        assert_eq!(linear_range([0.0].into_iter()), (-1.0, 1.0));
        assert_eq!(linear_range([3.0, 3.0].into_iter()), (2.0, 4.0));
        assert_eq!(linear_range(std::iter::empty()), (0.0, 1.0));
        let (lo, hi) = linear_range([0.0, 10.0].into_iter());
        assert!((lo + 0.5).abs() < 1e-12 && (hi - 10.5).abs() < 1e-12);
    }
}
