//! `decouple plot DIR...`: draw the figures of run folders, folders of seeds (together) or
//! of a sweep folder.

use std::path::PathBuf;

use anyhow::{bail, Result};

use decouple::report::figures::{self, load};
use decouple::report::scaling::SCALING_METRICS;

/// Arguments of `decouple plot`.
#[derive(clap::Args)]
pub struct PlotArgs {
    /// Run folders written by `decouple run` (alpha.csv, neurons.csv, metrics.csv,
    /// manifest.json), or folders of `seed_<s>/` run folders (`decouple run --seeds K`;
    /// drawn as the mean over seeds with a min–max band), drawn together (one line or panel
    /// per folder, labelled from its manifest); or one sweep folder written by `decouple
    /// sweep` (sweep.json, sweep.csv), drawn against its numeric axis (`model.d` if it has
    /// one), one line per value of its other axes.
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    /// Where the SVG files go (default: DIR itself; required with several folders).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Run it.
pub fn main(args: &PlotArgs) -> Result<()> {
    let out = match (&args.out, args.dirs.as_slice()) {
        (Some(out), _) => out.clone(),
        (None, [dir]) => dir.clone(),
        (None, _) => bail!("several folders to plot: say where the figures go with --out"),
    };
    if let Some(sweep) = args.dirs.iter().find(|d| load::is_sweep(d)) {
        if args.dirs.len() > 1 {
            bail!("{}: a sweep folder is plotted alone", sweep.display());
        }
        let table = load::sweep(sweep)?;
        let Some(x) = figures::sweep::x_axis(&table) else {
            bail!(
                "{}: no numeric axis with more than one value to plot against (axes: {})",
                sweep.display(),
                table.axes.join(", ")
            );
        };
        let name = if x == "model.d" {
            "d".to_string()
        } else {
            x.replace('.', "_")
        };
        let f = out.join(format!("sweep_vs_{name}.svg"));
        figures::plot_sweep(&table, &x, &SCALING_METRICS, &f)?;
        println!("{}", f.display());
        return Ok(());
    }
    for f in figures::plot_runs(&args.dirs, &out)? {
        println!("{}", f.display());
    }
    Ok(())
}
