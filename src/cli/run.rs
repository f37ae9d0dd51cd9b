//! `decouple run EXPERIMENT.toml`: train one experiment, write its tables, print a summary.
//! With `--seeds K` it trains the experiment under K consecutive seeds, `--jobs` of them
//! side by side (each simulation single-threaded, so every seed's tables are the same
//! bits whatever the number of jobs).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use decouple::config::{Config, Settings};
use decouple::report::peer;
use decouple::sim::cost::CostModel;
use decouple::sim::summary::Metric;
use decouple::sim::train::executor::{self, RunOutput, Silent};
use decouple::{io, parallel};

use super::progress::{self, TrainProgress};

/// Arguments of `decouple run`.
#[derive(clap::Args)]
pub struct RunArgs {
    /// The experiment file(s) (TOML), e.g. experiments/theorem_aug.toml. A file with a
    /// `[peer]` table (experiments/peer/*.toml) is trained by the peer trainer, and the
    /// files' table over seeds is printed (with the peer's own code's numbers when
    /// `peer_code.csv` sits beside the first file).
    #[arg(required = true)]
    pub experiments: Vec<PathBuf>,
    /// Output folder; tables go to OUT/<experiment name>/ (OUT/<name>/seed_<s>/ with --seeds > 1).
    #[arg(long, default_value = "results")]
    pub out: PathBuf,
    /// Override the experiment's master seed (the first seed with --seeds).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Train under K seeds: seed, seed+1, …, seed+K−1.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..))]
    pub seeds: u64,
    /// Simulations run side by side (default: the available cores).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub jobs: Option<u64>,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

/// Does the file have a `[peer]` table?
fn is_peer_file(path: &Path) -> bool {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|t| t.parse::<toml::Table>().ok())
        .is_some_and(|t| t.contains_key("peer"))
}

/// Run it.
pub fn main(args: &RunArgs) -> Result<()> {
    let peer = args.experiments.iter().filter(|p| is_peer_file(p)).count();
    if peer > 0 {
        if peer < args.experiments.len() {
            bail!("give either peer experiment files (with a [peer] table) or ordinary ones, not both");
        }
        return run_peer(args);
    }
    for path in &args.experiments {
        run_file(args, path)?;
    }
    Ok(())
}

/// Peer experiment files over `--seeds` seeds: a summary.csv per seed and the table.
fn run_peer(args: &RunArgs) -> Result<()> {
    let first = args.seed.unwrap_or(1);
    let seeds: Vec<u64> = (0..args.seeds)
        .map(|k| {
            first
                .checked_add(k)
                .with_context(|| format!("seed {first} + {k} overflows"))
        })
        .collect::<Result<_>>()?;
    let jobs = args.jobs.map_or_else(parallel::default_jobs, |j| j as usize);
    let start = std::time::Instant::now();
    let arms = peer::run_peer_files(&args.experiments, &seeds, jobs)?;
    let mut named = Vec::new();
    for a in &arms {
        for o in &a.outs {
            let dir = args
                .out
                .join(&o.settings.name)
                .join(format!("seed_{}", o.settings.seed));
            let mut rows = o.summary();
            rows.push(Metric::WallSeconds, o.wall_seconds);
            io::write_atomic(&dir.join("summary.csv"), &io::summary_bytes(&rows)?)?;
        }
        let arm = a.outs[0].settings.augmentation.kind;
        named.push((serde_json::to_value(arm)?.as_str().unwrap_or("?").to_string(), a));
    }
    let code_csv = args.experiments[0]
        .parent()
        .unwrap_or(Path::new("."))
        .join("peer_code.csv");
    let code = peer::read_peer_code(&code_csv)?;
    print!("{}", peer::exact_table(&named, code.as_deref()));
    println!(
        "{} runs ({} files x {} seeds), {jobs} jobs, {:.1} s wall -> {}/<name>/seed_<s>/summary.csv",
        arms.len() * seeds.len(),
        arms.len(),
        seeds.len(),
        start.elapsed().as_secs_f64(),
        args.out.display()
    );
    Ok(())
}

fn run_file(args: &RunArgs, path: &Path) -> Result<()> {
    let mut cfg = Config::from_file(path)?;
    if let Some(s) = args.seed {
        cfg.seed = s;
    }
    let first = cfg.seed;
    let mut all = Vec::new();
    for k in 0..args.seeds {
        cfg.seed = first
            .checked_add(k)
            .with_context(|| format!("seed {first} + {k} overflows"))?;
        all.push(cfg.check().with_context(|| format!("in {}", path.display()))?);
    }
    if all.len() == 1 {
        return run_one(&all[0], &args.out, args.quiet);
    }
    let jobs = args.jobs.map_or_else(parallel::default_jobs, |j| j as usize);
    run_many(&all, &args.out, jobs, args.quiet)
}

fn command_line() -> String {
    std::env::args().collect::<Vec<_>>().join(" ")
}

fn run_one(settings: &Settings, out: &Path, quiet: bool) -> Result<()> {
    let estimate = CostModel::calibrate().run_seconds(settings);
    let mut progress = TrainProgress::new(settings.train.steps, quiet, &settings.name);
    let output = executor::run(settings, &mut progress)?;
    progress.bar.finish_and_clear();
    let dir = out.join(&settings.name);
    io::write_run(&dir, &output, Some(command_line()))?;
    print_summary(&output, &dir, estimate);
    Ok(())
}

fn run_many(all: &[Settings], out: &Path, jobs: usize, quiet: bool) -> Result<()> {
    let name = &all[0].name;
    let bar = progress::bar(all.len(), quiet, name, "seeds");
    let start = std::time::Instant::now();
    let results = parallel::map(
        all,
        jobs,
        |s| parallel::caught(|| s.name.clone(), s.seed, || executor::run(s, &mut Silent)),
        |done| bar.set_position(done as u64),
    );
    bar.finish_and_clear();
    let command = command_line();
    let mut failed = 0;
    for (s, r) in all.iter().zip(results) {
        let dir = out.join(name).join(format!("seed_{}", s.seed));
        match r {
            Ok(output) => {
                io::write_run(&dir, &output, Some(command.clone()))?;
                print_seed_line(&output, &dir);
            }
            Err(e) => {
                failed += 1;
                eprintln!("seed {}: error: {e}", s.seed);
            }
        }
    }
    println!(
        "{name}: {} seeds, {jobs} jobs, {:.1} s wall",
        all.len(),
        start.elapsed().as_secs_f64()
    );
    if failed > 0 {
        bail!("{failed} of {} seeds failed", all.len());
    }
    Ok(())
}

fn print_seed_line(output: &RunOutput, dir: &Path) {
    let s = output.summary();
    let g = |k: Metric| s.get(k);
    println!(
        "seed {}: align median {:.3}, atoms {}/{}, cos(f(x),f(xi)) {:.3}, probe rel MSE {:.3}, loss {:.4}, {:.1} s -> {}",
        output.settings.seed,
        g(Metric::AlignMedian),
        g(Metric::AtomsCovered),
        g(Metric::AtomsTotal),
        g(Metric::NoiseCosMean),
        g(Metric::ProbeRegressionRelMse),
        g(Metric::FinalLoss),
        output.wall_seconds,
        dir.display()
    );
}

fn print_summary(output: &RunOutput, dir: &Path, estimate: f64) {
    let settings = &output.settings;
    let summary = output.summary();
    let get = |k: Metric| summary.get(k);
    println!(
        "{} (seed {}), {} steps in {:.1} s -> {}",
        settings.name,
        settings.seed,
        settings.train.steps,
        output.wall_seconds,
        dir.display()
    );
    println!(
        "  time            SGD steps {:.1} s | metrics, probes, loss evaluation {:.1} s ({:.0}% of the run) | cost model's estimate {:.1} s",
        output.step_seconds,
        output.wall_seconds - output.step_seconds,
        100.0 * (1.0 - output.step_seconds / output.wall_seconds.max(f64::MIN_POSITIVE)),
        estimate
    );
    println!(
        "  median alignment max_j|<w_i,M_j>|/|w_i|  {:.3}",
        get(Metric::AlignMedian)
    );
    println!(
        "  atoms covered                           {}/{}",
        get(Metric::AtomsCovered),
        get(Metric::AtomsTotal)
    );
    println!(
        "  median share of |w_i|^2 on span(M)      {:.3}",
        get(Metric::SparseShareMedian)
    );
    println!(
        "  final loss (chance {:.3})                {:.4}",
        get(Metric::LossAtChance),
        get(Metric::FinalLoss)
    );
    println!(
        "  eval loss       trained {:.4} | untrained {:.4} | floor {:.4} (oracle of atoms)",
        get(Metric::EvalLoss),
        get(Metric::EvalLossUntrained),
        get(Metric::LossFloor)
    );
    println!(
        "  mean cos(f(x), f(xi))                   {:.3}",
        get(Metric::NoiseCosMean)
    );
    println!(
        "  probe rel. MSE  trained {:.3} | untrained {:.3} | raw x {:.3} | oracle z {:.3} | f(Mz) {:.3} | oracle network {:.3}",
        get(Metric::ProbeRegressionRelMse),
        get(Metric::ProbeUntrainedRegressionRelMse),
        get(Metric::ProbeRawXRegressionRelMse),
        get(Metric::ProbeOracleZRegressionRelMse),
        get(Metric::ProbeNoiseFreeRegressionRelMse),
        get(Metric::ProbeOracleNetRegressionRelMse)
    );
    println!(
        "  probe accuracy  trained {:.3} | untrained {:.3} | raw x {:.3} | oracle z {:.3} | f(Mz) {:.3} | oracle network {:.3}",
        get(Metric::ProbeClassificationAcc),
        get(Metric::ProbeUntrainedClassificationAcc),
        get(Metric::ProbeRawXClassificationAcc),
        get(Metric::ProbeOracleZClassificationAcc),
        get(Metric::ProbeNoiseFreeClassificationAcc),
        get(Metric::ProbeOracleNetClassificationAcc)
    );
}
