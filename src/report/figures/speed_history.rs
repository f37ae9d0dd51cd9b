//! [`speed_history`]: the share of the core's peak per benchmark series against the
//! record's index (`benches/history.csv`, one record per run of `benches/compare.sh`).

use std::path::Path;

use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use super::draw::{chart, lines};
use super::style::{linear_range, nothing, render, series_colours, Frame};
use crate::error::Result;

/// Named line series: (label, points).
pub type Series = Vec<(String, Vec<(f64, f64)>)>;

/// The speed history: one line per series (a size and precision; no arm, so palette
/// colours in order), the share of the core's peak against the record's index (oldest
/// first), to `out`. A history of one record is a dot per series on an x range padded to
/// [−1, 1].
pub fn speed_history(series: &Series, out: &Path) -> Result<()> {
    if series.is_empty() {
        return Err(nothing(out, "no series"));
    }
    let colours = series_colours(&vec![None; series.len()]);
    let frame = Frame {
        title: Some("SGD step: share of the core's peak (benches/compare.sh)".into()),
        entries: series
            .iter()
            .map(|s| s.0.clone())
            .zip(colours.iter().copied())
            .collect(),
        notes: Vec::new(),
    };
    render(out, (800, 480), &frame, |root| {
        let x = linear_range(series.iter().flat_map(|(_, p)| p.iter().map(|q| q.0)));
        let y = linear_range(series.iter().flat_map(|(_, p)| p.iter().map(|q| q.1)));
        let (xr, yr) = (RangedCoordf64::from(x.0..x.1), RangedCoordf64::from(y.0..y.1));
        let descs = ("record (oldest first)", "share of the core's peak");
        let mut c = chart(root, out, None, descs, xr, yr)?;
        let s: Vec<(&[(f64, f64)], RGBColor)> = series
            .iter()
            .map(|s| s.1.as_slice())
            .zip(colours.iter().copied())
            .collect();
        lines(&mut c, out, &s)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One record: a dot per series, and x tick labels that read as distinct numbers (not
    /// "-0 … 0").
    #[test]
    fn a_history_of_one_record_has_distinct_x_labels() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("speed_history.svg");
        let series: Series = vec![
            ("f64 small".into(), vec![(0.0, 0.41)]),
            ("f32 small".into(), vec![(0.0, 0.62)]),
        ];
        speed_history(&series, &out).unwrap();
        crate::report::figures::test_util::check(&out, "share of the core's peak", &["f64 small".into()]);
        let s = std::fs::read_to_string(&out).unwrap();
        assert!(!s.contains("\n-0\n"), "a label -0");
        assert!(s.contains("\n-1\n") && s.contains("\n1\n"), "the padded range's ends");
    }
}
