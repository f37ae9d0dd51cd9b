//! `decouple report --scale quick|full`: run (or resume) the sweeps, ablations and figures
//! and write DIR/REPORT.md.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;

use decouple::audit::scale::Scale;
use decouple::io::write_atomic;
use decouple::report;

/// Arguments of `decouple report`.
#[derive(clap::Args)]
pub struct ReportArgs {
    /// quick (minutes on 2 cores) or full (tens of minutes).
    #[arg(long)]
    pub scale: Scale,
    /// Output folder: REPORT.md, tables, figures/ and the runs behind them.
    #[arg(long, default_value = "report")]
    pub out: PathBuf,
    /// Simulations side by side (default: the available cores).
    #[arg(long)]
    pub jobs: Option<usize>,
    /// No progress output.
    #[arg(long)]
    pub quiet: bool,
}

/// Run it.
pub fn main(args: &ReportArgs) -> Result<()> {
    let start = Instant::now();
    report::check_experiments()?;
    let jobs = args.jobs.unwrap_or_else(decouple::parallel::default_jobs);
    let sections = report::report_sections(args.scale, &args.out, jobs, args.quiet)?;
    let md = report::render(args.scale, &sections, start.elapsed().as_secs_f64());
    let path = args.out.join("REPORT.md");
    write_atomic(&path, md.as_bytes())?;
    println!("{} ({:.0} s)", path.display(), start.elapsed().as_secs_f64());
    Ok(())
}
