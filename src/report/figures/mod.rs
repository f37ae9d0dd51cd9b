//! The figures: SVG, drawn with plotters, one figure per file, each from typed data.
//!
//! * [`style`]: the one style (colours keyed by the augmentation arm, fonts, the legend
//!   band above the panels, the log axis with 1–2–5 ticks, the canvas);
//!   [`draw`]: helpers shared by the figures.
//! * [`load`]: run folders, folders of seeds and sweep folders read into typed data (the
//!   only place here that reads the disk; the figures only write their SVG).
//! * Run figures, of [`load::RunSet`]s: [`heatmap()`] (|cos(w_i, M_j)| per neuron and
//!   atom), [`curves()`] (loss, median alignment, mean cos(f(x), f(ξ)) against the step),
//!   [`alignment_histogram`].
//! * [`sweep()`]: a sweep's metrics against a numeric axis ([`sweep_vs_d`],
//!   [`plot_sweep`]); [`speed_history()`]: the benchmark's share of peak.
//! * The theorem's quantities (docs/THEORY.md §1.3, §2.2, §4.5, §4.10, §4.11):
//!   [`alpha_vs_tau()`], [`per_atom_vs_m()`], [`decomposition_along_training`],
//!   [`probe_error_vs_d`].
//!
//! Only SVG: PNG would need plotters' bitmap backend plus a font rasteriser, which this
//! crate does not take on (`rsvg-convert` turns an SVG into a PNG; see CONTRIBUTING.md).
//! An input with nothing to draw is an error and writes no file.

pub mod alignment_hist;
pub mod alpha_vs_tau;
pub mod curves;
pub mod decomposition;
pub mod draw;
pub mod heatmap;
pub mod load;
pub mod per_atom_vs_m;
pub mod probe_error;
pub mod speed_history;
pub mod style;
pub mod sweep;

use std::path::{Path, PathBuf};

pub use self::alignment_hist::alignment_histogram;
pub use self::alpha_vs_tau::{alpha_vs_tau, TauPoint};
pub use self::curves::curves;
pub use self::decomposition::{decomposition_along_training, WindowRun};
pub use self::heatmap::heatmap;
pub use self::per_atom_vs_m::{per_atom_vs_m, LineFit};
pub use self::probe_error::{probe_error_vs_d, FloorCurve, ProbePanel, ProbeSeries};
pub use self::speed_history::{speed_history, Series};
pub use self::style::{arm_colour, PALETTE};
pub use self::sweep::{cell_stats, plot_sweep, sweep, sweep_vs_d, CellStats};
use crate::error::Result;

/// The figures of one run folder (or folder of seeds) into `out`: `heatmap.svg`,
/// `curves.svg`, `alignment_hist.svg`. Returns their paths.
pub fn plot_run(run_dir: &Path, out: &Path) -> Result<Vec<PathBuf>> {
    plot_runs(&[run_dir.to_path_buf()], out)
}

/// The figures of several run folders (or folders of seeds, [`load::run_set`]) into
/// `out`, together: `heatmap.svg` (one panel per set), `curves.svg` and
/// `alignment_hist.svg` (one line per set), labelled from their manifests. Returns their
/// paths.
pub fn plot_runs(run_dirs: &[PathBuf], out: &Path) -> Result<Vec<PathBuf>> {
    let sets = load::run_sets(run_dirs)?;
    let files = [
        out.join("heatmap.svg"),
        out.join("curves.svg"),
        out.join("alignment_hist.svg"),
    ];
    heatmap(&sets, &files[0])?;
    curves(&sets, &files[1])?;
    alignment_histogram(&sets, &files[2])?;
    Ok(files.to_vec())
}

#[cfg(test)]
pub(crate) mod test_util {
    use std::path::Path;

    /// A deterministic noise in [−0.5, 0.5).
    pub fn noise(k: usize) -> f64 {
        let v = (k as f64 * 12.9898 + 78.233).sin() * 43758.5453;
        v - v.floor() - 0.5
    }

    /// The SVG file's text with the entities plotters escapes turned back.
    pub fn svg_text(path: &Path) -> String {
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
    pub fn check(path: &Path, title: &str, labels: &[String]) {
        assert!(path.is_file(), "{} not written", path.display());
        let s = svg_text(path);
        assert!(s.contains(title), "title {title:?} missing");
        for l in labels {
            assert!(s.contains(l.as_str()), "legend label {l:?} missing");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
                sets_range: true,
            }],
            fit: None,
        };
        assert!(probe_error_vs_d(&[empty], &out("d.svg")).is_err());
        for f in ["a.svg", "b.svg", "c.svg", "d.svg"] {
            assert!(!out(f).exists(), "{f} written");
        }
    }
}
