//! `decouple plot DIR`: draw the figures of a run folder (or of a sweep folder).

use std::path::PathBuf;

use anyhow::{bail, Result};

use decouple::report::figures;
use decouple::report::scaling::SCALING_METRICS;
use decouple::report::sweep::SweepTable;

/// Arguments of `decouple plot`.
#[derive(clap::Args)]
pub struct PlotArgs {
    /// A run folder written by `decouple run` (alpha.csv, neurons.csv, metrics.csv), or a
    /// sweep folder written by `decouple sweep` (sweep.json, sweep.csv) with a `model.d` axis.
    pub dir: PathBuf,
    /// Where the SVG files go (default: DIR itself).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Run it.
pub fn main(args: &PlotArgs) -> Result<()> {
    let out = args.out.clone().unwrap_or_else(|| args.dir.clone());
    if args.dir.join("sweep.json").is_file() {
        let table = SweepTable::read(&args.dir)?;
        if !table.axes.iter().any(|a| a == "model.d") {
            bail!("{}: a sweep plot needs a `model.d` axis", args.dir.display());
        }
        let f = out.join("sweep_vs_d.svg");
        figures::sweep_vs_d(&table, "augmentation.kind", "model.d", &SCALING_METRICS, &f)?;
        println!("{}", f.display());
        return Ok(());
    }
    for f in figures::plot_run(&args.dir, &out)? {
        println!("{}", f.display());
    }
    Ok(())
}
