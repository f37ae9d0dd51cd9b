//! `decouple report --scale quick|full`: plan every section's simulations, run (or resume)
//! them in one launch, render DIR/REPORT.md, and say how busy the cores were.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;

use decouple::audit::scale::Scale;
use decouple::io::write_atomic;
use decouple::report;

use decouple::config::Override;

use super::progress::{self, duration_text, RunLines};

/// Arguments of `decouple report`.
#[derive(clap::Args)]
pub struct ReportArgs {
    /// quick (minutes on 2 cores) or full (tens of minutes).
    #[arg(long)]
    pub scale: Scale,
    /// Output folder: REPORT.md, tables, figures/ and the runs behind them.
    #[arg(long, default_value = "report")]
    pub out: PathBuf,
    /// The experiment files the report runs (the repository's experiments/ folder;
    /// relative to the current directory).
    #[arg(long, default_value = "experiments")]
    pub experiments: PathBuf,
    /// Simulations side by side (default: the available cores).
    #[arg(long)]
    pub jobs: Option<usize>,
    /// No progress output.
    #[arg(long)]
    pub quiet: bool,
    /// Change a setting of every experiment the report runs (a key of an experiment
    /// file, e.g. `--set train.precision=f32`); repeatable, checked before anything runs.
    #[arg(long = "set", value_name = "KEY=VALUE", value_parser = super::run::parse_override)]
    pub set: Vec<Override>,
    /// Print every section's simulations and the estimated time, and write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// Run it.
pub fn main(args: &ReportArgs) -> Result<()> {
    let start = Instant::now();
    report::check_experiments(&args.experiments)?;
    let jobs = args.jobs.unwrap_or_else(decouple::exec::pool::default_jobs);
    let lines = RunLines::new(args.quiet);
    let on_event = |e: decouple::exec::progress::ProgressEvent<'_>| lines.event(e);
    let plan = report::plan_report(args.scale, &args.experiments, &args.out, &args.set, &on_event)?;
    if args.dry_run {
        let settings: Vec<_> = plan.jobs().iter().map(|j| j.settings.clone()).collect();
        for j in plan.jobs() {
            println!("{} seed {}: {} steps", j.label, j.seed(), j.settings.train.steps);
        }
        progress::print_estimate("report", &settings, jobs, false);
        println!("dry run: {} simulations; nothing was run or written", settings.len());
        return Ok(());
    }
    let (sections, stats) = plan.run(jobs)?;
    let md = report::render(args.scale, &sections, start.elapsed().as_secs_f64(), &args.experiments)?;
    let path = args.out.join("REPORT.md");
    write_atomic(&path, md.as_bytes())?;
    let wall = start.elapsed().as_secs_f64();
    println!("{} ({:.0} s)", path.display(), wall);
    println!(
        "{} simulations ({} run now, {} resumed): {:.0} core-seconds in {} wall on {} job(s), \
         utilisation {:.2} (core-seconds / (wall x jobs); the simulations' launch alone {})",
        stats.simulations,
        stats.ran,
        stats.simulations - stats.ran,
        stats.core_seconds,
        duration_text(wall),
        stats.jobs,
        stats.utilisation(wall),
        duration_text(stats.launch_seconds),
    );
    Ok(())
}
