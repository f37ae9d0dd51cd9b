//! `decouple sweep SWEEP.toml`: run (or resume) a grid of experiments over seeds.

use std::path::PathBuf;

use anyhow::Result;

use decouple::config::Override;
use decouple::exec::progress::ProgressEvent;
use decouple::exec::sweep::{self, Shard, SweepOptions, SweepSpec};

use super::progress::{self, bar};

/// Arguments of `decouple sweep`.
#[derive(clap::Args)]
pub struct SweepArgs {
    /// The sweep file (TOML), e.g. experiments/scaling_d_quick.toml.
    pub sweep: PathBuf,
    /// Simulations side by side (default: the available cores).
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Output folder; tables go to OUT/<sweep name>/.
    #[arg(long, default_value = "results")]
    pub out: PathBuf,
    /// Run only the k-th of n disjoint slices of the (cell, seed) runs, e.g. 2/4.
    #[arg(long, value_parser = parse_shard)]
    pub shard: Option<Shard>,
    /// No progress output.
    #[arg(long)]
    pub quiet: bool,
    /// Change a setting: `name` or `seeds` of the sweep, or any key of the base
    /// experiment (e.g. `--set train.steps=100`); repeatable, checked before anything runs.
    #[arg(long = "set", value_name = "KEY=VALUE", value_parser = super::run::parse_override)]
    pub set: Vec<Override>,
    /// Replace the tables of another sweep of the same name in the output folder (without
    /// it that is refused); its run records are kept and reused where the settings match.
    #[arg(long)]
    pub force: bool,
    /// Print the sweep's runs and their estimated time, and write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// `--shard k/n` as a [`Shard`] (a bad one is a usage error).
pub fn parse_shard(text: &str) -> std::result::Result<Shard, String> {
    text.parse::<Shard>().map_err(|e| e.to_string())
}

/// Run it.
pub fn main(args: &SweepArgs) -> Result<()> {
    let shard = args.shard;
    let spec = SweepSpec::from_file(&args.sweep)?.with_overrides(&args.set)?;
    let jobs = args.jobs.unwrap_or_else(decouple::exec::pool::default_jobs);
    let all = spec.tasks()?;
    let tasks = all.len();
    let mine: Vec<_> = all
        .into_iter()
        .filter(|t| shard.is_none_or(|s| s.selects(t.index)))
        .map(|t| t.settings)
        .collect();
    if args.dry_run {
        let cells = spec.cells();
        for t in spec
            .tasks()?
            .iter()
            .filter(|t| shard.is_none_or(|s| s.selects(t.index)))
        {
            println!("{} seed {} -> {}", cells[t.cell].label(), t.seed, t.hash);
        }
        if let Some(first) = mine.first() {
            println!("{}", serde_json::to_string_pretty(first)?);
        }
        progress::print_estimate(&spec.name, &mine, jobs, false);
        println!("dry run: {} of {tasks} runs; nothing was run or written", mine.len());
        return Ok(());
    }
    let start = std::time::Instant::now();
    let estimate = progress::print_estimate(&spec.name, &mine, jobs, args.quiet);
    let pb = bar(tasks, args.quiet, &spec.name, "runs");
    let opts = SweepOptions {
        jobs,
        shard,
        replace: args.force,
    };
    // The bar counts finished simulations; the per-run lines stay off under the bar.
    let on_event = |e: ProgressEvent<'_>| match e {
        ProgressEvent::Advanced { done, .. } => pb.set_position(done as u64),
        ProgressEvent::RecordCorrupt { path, reason } => {
            pb.suspend(|| eprintln!("{}: {reason}; running it again", path.display()))
        }
        ProgressEvent::RunFailed { label, seed, error } => {
            pb.suspend(|| eprintln!("{label} seed {seed} failed: {error}"))
        }
        _ => {}
    };
    let outcome = sweep::run_sweep(&spec, &args.out, &opts, &on_event)?;
    pb.finish_and_clear();
    progress::print_actual(&spec.name, estimate, start);
    if let Some(h) = &outcome.replaced_lock {
        eprintln!(
            "removed the stale lock of pid {} on {} (that process is gone) from {}",
            h.pid,
            h.host,
            outcome.dir.display()
        );
    }
    println!(
        "{}: {} runs ({} simulated, {} resumed){} -> {}",
        spec.name,
        outcome.rows,
        outcome.ran,
        outcome.skipped,
        shard.map(|s| format!(" [shard {s}]")).unwrap_or_default(),
        outcome.dir.display()
    );
    Ok(())
}
