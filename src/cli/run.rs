//! `decouple run EXPERIMENT.toml...`: train experiments, write their tables, print a summary.
//! With `--seeds K` each file runs under K consecutive seeds (the seed policy of
//! `decouple::config::Seeds`); every file × seed is a job of the one launcher, `--jobs` of
//! them side by side (each simulation single-threaded, so every run's tables are the same
//! bits whatever the number of jobs). Every file is read and checked before the first
//! simulation starts.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use decouple::config::{Config, Override, Seeds, Settings};
use decouple::exec::launch::{self, Launched, Launcher};
use decouple::exec::pool as parallel;
use decouple::exec::progress::ProgressEvent;
use decouple::exec::{Job, Keep, Outcome, Work};
use decouple::io;
use decouple::report::peer;
use decouple::sim::cost::CostModel;
use decouple::sim::summary::Metric;
use decouple::sim::train::executor::{self, RunOutput};

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
    /// Change a setting of every experiment file: a dotted key and a TOML value, e.g.
    /// `--set train.steps=50 --set augmentation.kind=none` (repeatable; checked like the
    /// file, before anything runs; `peer.*` keys go to a peer file's [peer] table).
    #[arg(long = "set", value_name = "KEY=VALUE", value_parser = parse_override)]
    pub set: Vec<Override>,
    /// Print the resolved settings, the memory and the time each run would need, and
    /// write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Clear a run folder that holds another run (other settings or seed, or the other
    /// layout of --seeds) before writing; without it that is refused.
    #[arg(long)]
    pub force: bool,
}

/// `--set KEY=VALUE` as an [`Override`].
pub fn parse_override(text: &str) -> std::result::Result<Override, String> {
    text.parse::<Override>().map_err(|e| e.to_string())
}

/// Does the file have a `[peer]` table?
fn is_peer_file(path: &Path) -> bool {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|t| t.parse::<toml::Table>().ok())
        .is_some_and(|t| t.contains_key("peer"))
}

/// The seeds of one file under the seed policy (`decouple::config::Seeds`): `--seeds K`
/// from `--seed` or the file's own seed.
fn seeds_of(args: &RunArgs, file_seed: u64) -> Result<Seeds> {
    Ok(Seeds::consecutive(
        args.seed.unwrap_or(file_seed),
        args.seeds as usize,
        "--seeds",
    )?)
}

/// Every file's jobs (files outer, seeds inner), each file checked before anything runs.
fn plan(args: &RunArgs) -> Result<(Vec<Job>, Vec<PathBuf>)> {
    let mut jobs = Vec::new();
    let mut peer_files = Vec::new();
    for path in &args.experiments {
        let in_file = || format!("in {}", path.display());
        let source = vec![io::ExperimentSource::of(path)?];
        if is_peer_file(path) {
            let (s, p) = decouple::sim::train::peer::from_file_with(path, &args.set)?;
            for &seed in seeds_of(args, s.seed)?.as_slice() {
                let mut s2 = s.clone();
                s2.seed = seed;
                jobs.push(Job::peer(s2, p.clone())?.with_sources(source.clone()));
            }
            peer_files.push(path.clone());
            continue;
        }
        let mut cfg = Config::from_file_with(path, &args.set)?;
        for &seed in seeds_of(args, cfg.seed)?.as_slice() {
            cfg.seed = seed;
            jobs.push(Job::train(cfg.check().with_context(in_file)?, Keep::Memory)?.with_sources(source.clone()));
        }
    }
    Ok((jobs, peer_files))
}

/// Run it: every file × seed through the launcher, `--jobs` side by side.
pub fn main(args: &RunArgs) -> Result<()> {
    let (jobs, peer_files) = plan(args)?;
    let workers = args.jobs.map_or_else(parallel::default_jobs, |j| j as usize);
    if args.dry_run {
        return dry_run(&jobs, workers);
    }
    for job in &jobs {
        claim_folder(args, &job.settings)?;
    }
    let start = std::time::Instant::now();
    let estimate =
        CostModel::calibrate().plan_seconds(&jobs.iter().map(|j| j.settings.clone()).collect::<Vec<_>>(), workers);
    let launched = if let [job] = jobs.as_slice() {
        one_with_bar(job, args.quiet)
    } else {
        let bar = progress::bar(jobs.len(), args.quiet, "decouple run", "runs");
        let on_event = |e: ProgressEvent<'_>| match e {
            ProgressEvent::RunFinished { .. } => bar.inc(1),
            ProgressEvent::RunFailed { label, seed, error } => {
                bar.suspend(|| eprintln!("{label} seed {seed} failed: {error}"))
            }
            _ => {}
        };
        let l = Launcher::new(workers).observe(&on_event).launch(&jobs);
        bar.finish_and_clear();
        l.map_err(anyhow::Error::from)
    };
    let outcomes = launched.map_err(|e| keep_diverged(args, e))?.all()?;
    write_outputs(args, &jobs, &outcomes, estimate)?;
    if args.seeds > 1 {
        write_over_seeds(args, &jobs)?;
    }
    if !peer_files.is_empty() {
        print_peer_table(args, &peer_files, &jobs, &outcomes)?;
    }
    if jobs.len() > 1 {
        println!(
            "{} runs ({} file(s) x {} seed(s)), {workers} jobs, {:.1} s wall (estimated {:.1} s)",
            jobs.len(),
            args.experiments.len(),
            args.seeds,
            start.elapsed().as_secs_f64(),
            estimate
        );
    }
    Ok(())
}

/// `--dry-run`: every job's settings, memory and estimated time; nothing is written.
fn dry_run(jobs: &[Job], workers: usize) -> Result<()> {
    let model = CostModel::calibrate();
    for (k, job) in jobs.iter().enumerate() {
        let s = &job.settings;
        println!(
            "{} seed {} ({}): {} steps, d = {}, d1 = {}, m = {}, B = {}; memory {}, estimated {}",
            s.name,
            s.seed,
            if matches!(job.work, Work::Peer(_)) {
                "peer trainer"
            } else {
                "StopGrad trainer"
            },
            s.train.steps,
            s.model.d,
            s.model.d1,
            s.network.m,
            s.train.batch,
            decouple::config::human_bytes(decouple::config::estimate_bytes(s)),
            progress::duration_text(model.run_seconds(s)),
        );
        if k == 0 || jobs[k - 1].settings.name != s.name {
            println!("{}", serde_json::to_string_pretty(s)?);
        }
    }
    let all: Vec<Settings> = jobs.iter().map(|j| j.settings.clone()).collect();
    println!(
        "dry run: {} run(s) on {workers} job(s), estimated {} in all; nothing was run or written",
        jobs.len(),
        progress::duration_text(model.plan_seconds(&all, workers))
    );
    Ok(())
}

/// If `error` is a run's divergence, write what it had logged (`metrics.csv`,
/// `manifest.json`, `DIVERGED`) into its folder and say so in the error.
fn keep_diverged(args: &RunArgs, error: anyhow::Error) -> anyhow::Error {
    let Some(d) = error.downcast_ref().and_then(executor::diverged_run) else {
        return error;
    };
    let dir = run_folder(args, &d.settings);
    let kept = match io::write_diverged(&dir, d, Some(command_line())) {
        Ok(()) => format!(
            "the {} rows logged before step {} are in {}, with DIVERGED",
            d.log.len(),
            d.step,
            dir.join("metrics.csv").display()
        ),
        Err(e) => format!("could not keep the rows logged before the divergence: {e}"),
    };
    error.context(kept)
}

/// One training job through the launcher, with a progress bar over its steps.
fn one_with_bar(job: &Job, quiet: bool) -> Result<Launched> {
    let runner = |j: &Job| -> decouple::Result<Outcome> {
        if !matches!(j.work, Work::Train { .. }) {
            return launch::run_job(j);
        }
        let mut progress = TrainProgress::new(j.settings.train.steps, quiet, &j.settings.name);
        let out = executor::run(&j.settings, &mut progress);
        progress.bar.finish_and_clear();
        Ok(Outcome::Run(Box::new(out?)))
    };
    Ok(Launcher::new(1).launch_with(std::slice::from_ref(job), &runner)?)
}

/// What a run folder holds: the settings of the run whose manifest is there, and whether
/// it holds `seed_*/` folders of a `--seeds` run.
fn folder_contents(dir: &Path) -> (Option<serde_json::Value>, bool) {
    let settings = std::fs::read_to_string(dir.join("manifest.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|m| m.get("settings").cloned());
    let seeds = std::fs::read_dir(dir).is_ok_and(|rd| {
        rd.flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with("seed_") && e.path().is_dir())
    });
    (settings, seeds)
}

/// Make sure a run's folder holds no other run before anything runs: a folder with the
/// same run (same settings and seed) is rewritten with the same bytes; one with another run,
/// or with the other layout (`seed_*/` folders against one run's files), is refused naming
/// what is there, unless `--force` clears it.
fn claim_folder(args: &RunArgs, settings: &Settings) -> Result<()> {
    let top = args.out.join(&settings.name);
    let dir = run_folder(args, settings);
    let (top_run, top_seeds) = folder_contents(&top);
    let mine = serde_json::to_value(settings)?;
    let (here, _) = folder_contents(&dir);
    // What clashes, and the folder --force clears.
    let clash = if args.seeds > 1 && top_run.is_some() {
        Some((
            format!("{} holds a single run's files (not seed_*/ folders)", top.display()),
            &top,
        ))
    } else if args.seeds == 1 && top_seeds {
        Some((
            format!("{} holds seed_*/ folders of a --seeds run", top.display()),
            &top,
        ))
    } else {
        here.filter(|s| *s != mine).map(|s| (describe(&dir, &s), &dir))
    };
    let Some((what, clear)) = clash else { return Ok(()) };
    if !args.force {
        bail!(
            "{what}; this run ({} seed {}) would mix with it. Write elsewhere (--out DIR, or \
             --set name=NEW), or pass --force to clear that folder first",
            settings.name,
            settings.seed
        );
    }
    std::fs::remove_dir_all(clear).with_context(|| format!("--force: cannot clear {}", clear.display()))?;
    eprintln!("--force: cleared {} ({what})", clear.display());
    Ok(())
}

/// "DIR holds the run of seed S (steps T, …)" for a refused folder.
fn describe(dir: &Path, s: &serde_json::Value) -> String {
    format!(
        "{} holds another run: seed {}, {} steps, d = {}, d1 = {}, m = {}",
        dir.display(),
        s.get("seed").map_or("?".into(), ToString::to_string),
        s.get("steps").map_or("?".into(), ToString::to_string),
        s.get("d").map_or("?".into(), ToString::to_string),
        s.get("d1").map_or("?".into(), ToString::to_string),
        s.get("m").map_or("?".into(), ToString::to_string),
    )
}

/// Where a run's tables go: OUT/<name>/, or OUT/<name>/seed_<s>/ with `--seeds` > 1.
fn run_folder(args: &RunArgs, settings: &Settings) -> PathBuf {
    let dir = args.out.join(&settings.name);
    if args.seeds > 1 {
        dir.join(format!("seed_{}", settings.seed))
    } else {
        dir
    }
}

/// Write every run's tables (a peer run's summary.csv and manifest.json) and print a line or a summary each.
fn write_outputs(args: &RunArgs, jobs: &[Job], outcomes: &[Outcome], estimate: f64) -> Result<()> {
    let command = command_line();
    for (job, o) in jobs.iter().zip(outcomes) {
        let dir = run_folder(args, &job.settings);
        match o {
            Outcome::Run(out) => {
                io::write_run(&dir, out, Some(command.clone()), &job.sources)?;
                if jobs.len() == 1 {
                    print_summary(out, &dir, estimate);
                } else {
                    print_seed_line(out, &dir);
                }
            }
            Outcome::Peer(p) => io::write_peer_run(&dir, p, Some(command.clone()), &job.sources)?,
            Outcome::Record(_) => bail!("a run of `decouple run` came back as a record"),
        }
    }
    Ok(())
}

/// `OUT/<name>/summary_over_seeds.csv` of every training experiment run under K seeds.
fn write_over_seeds(args: &RunArgs, jobs: &[Job]) -> Result<()> {
    let mut names: Vec<&str> = jobs
        .iter()
        .filter(|j| matches!(j.work, Work::Train { .. }))
        .map(|j| j.settings.name.as_str())
        .collect();
    names.dedup();
    for name in names {
        let dir = args.out.join(name);
        let runs = decouple::report::compare::read_runs(&dir)?;
        let path = dir.join("summary_over_seeds.csv");
        io::write_atomic(&path, &decouple::report::compare::over_seeds_csv(&runs)?)?;
        println!("{name}: summary over {} seeds -> {}", runs.len(), path.display());
    }
    Ok(())
}

/// The peer files' table over seeds (with the peer's own code's numbers when
/// `peer_code.csv` sits beside the first peer file).
fn print_peer_table(args: &RunArgs, files: &[PathBuf], jobs: &[Job], outcomes: &[Outcome]) -> Result<()> {
    let peer_outcomes: Vec<Outcome> = jobs
        .iter()
        .zip(outcomes)
        .filter(|(j, _)| matches!(j.work, Work::Peer(_)))
        .map(|(_, o)| o.clone())
        .collect();
    let arms = peer::peer_arms(files, &vec![0; args.seeds as usize], &peer_outcomes);
    let mut named = Vec::new();
    for a in &arms {
        let arm = a.outs[0].settings.augmentation.kind;
        named.push((serde_json::to_value(arm)?.as_str().unwrap_or("?").to_string(), a));
    }
    let code_csv = files[0].parent().unwrap_or(Path::new(".")).join("peer_code.csv");
    let code = peer::read_peer_code(&code_csv)?;
    print!("{}", peer::exact_table(&named, code.as_deref()));
    println!(
        "{} peer runs -> {}/<name>/{}summary.csv",
        peer_outcomes.len(),
        args.out.display(),
        if args.seeds > 1 { "seed_<s>/" } else { "" }
    );
    Ok(())
}

fn command_line() -> String {
    std::env::args().collect::<Vec<_>>().join(" ")
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
