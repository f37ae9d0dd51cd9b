//! `decouple plot DIR...`: draw the figures of run folders (together) or of a sweep folder.

use std::path::PathBuf;

use anyhow::{bail, Result};

use decouple::exec::sweep::SweepTable;
use decouple::report::figures;
use decouple::report::scaling::SCALING_METRICS;

/// Arguments of `decouple plot`.
#[derive(clap::Args)]
pub struct PlotArgs {
    /// Run folders written by `decouple run` (alpha.csv, neurons.csv, metrics.csv), drawn
    /// together (one line or panel per run, labelled with the folder's name), or one sweep
    /// folder written by `decouple sweep` (sweep.json, sweep.csv) with a `model.d` axis.
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
    if let Some(sweep) = args.dirs.iter().find(|d| d.join("sweep.json").is_file()) {
        if args.dirs.len() > 1 {
            bail!("{}: a sweep folder is plotted alone", sweep.display());
        }
        let table = SweepTable::read(sweep)?;
        if !table.axes.iter().any(|a| a == "model.d") {
            bail!("{}: a sweep plot needs a `model.d` axis", sweep.display());
        }
        let f = out.join("sweep_vs_d.svg");
        figures::sweep_vs_d(&table, "augmentation.kind", "model.d", &SCALING_METRICS, &f)?;
        println!("{}", f.display());
        return Ok(());
    }
    for f in figures::plot_runs(&args.dirs, &out)? {
        println!("{}", f.display());
    }
    Ok(())
}
