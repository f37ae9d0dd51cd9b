//! `decouple audit`: the claim-by-claim audit.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};

use decouple::audit::scale::Scale;
use decouple::audit::{self, AuditFile, AuditReport};
use decouple::config::{Override, Precision};
use decouple::exec::pool as parallel;
use decouple::exec::progress::ProgressEvent;
use decouple::exec::Launcher;
use decouple::report::claims;

use super::progress;
use super::{exit, Exit};

/// Arguments of `decouple audit`.
#[derive(clap::Args)]
pub struct AuditArgs {
    /// quick (minutes, what `cargo test` runs) or full.
    #[arg(long, default_value = "quick")]
    pub scale: Scale,
    /// Use seeds 1..=K instead of the audit file's seeds.
    #[arg(long)]
    pub seeds: Option<usize>,
    /// Output folder (default: results/audit_<scale>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Simulations run side by side (default: the available cores).
    #[arg(long)]
    pub jobs: Option<usize>,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
    /// Audit file (default: experiments/audit_<scale>.toml).
    #[arg(long)]
    pub file: Option<PathBuf>,
    /// Run every simulation's SGD step in this precision (f64 or f32), whatever the
    /// experiment files say (docs/THEORY.md §4.9).
    #[arg(long, value_parser = parse_precision)]
    pub precision: Option<Precision>,
    /// Change a setting: a key of the audit file (`seeds=[1,2,3]`, `aug_sweep.d=[16,32]`,
    /// `claims.<id>.<threshold>=…`) or of the experiment files its runs start from
    /// (`train.steps=500` changes both [main] files and every series derived from them).
    /// Repeatable; checked before any simulation runs.
    #[arg(long = "set", value_name = "KEY=VALUE", value_parser = super::run::parse_override)]
    pub set: Vec<Override>,
    /// Print the plan (every simulation, its size and the estimated time) and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Explore: print the verdicts without comparing them to the audit file's expectations
    /// and exit 0 (without it, a verdict that differs from its expectation exits 3).
    #[arg(long)]
    pub no_expect: bool,
}

fn parse_precision(text: &str) -> std::result::Result<Precision, String> {
    match text {
        "f64" => Ok(Precision::F64),
        "f32" => Ok(Precision::F32),
        other => Err(format!("precision is f64 or f32, not {other}")),
    }
}

fn audit_file(scale: Scale, file: Option<&Path>) -> PathBuf {
    file.map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(format!("experiments/audit_{}.toml", scale.name())))
}

/// Run the audit with a progress bar, its simulations kept under `store` (resumed from
/// there when present).
pub fn run(
    path: &Path,
    seeds: Option<usize>,
    precision: Option<Precision>,
    jobs: Option<usize>,
    quiet: bool,
    store: Option<&Path>,
    sets: &[Override],
) -> Result<AuditReport> {
    let audit = AuditFile::from_file_with(path, sets)?
        .with_seed_count(seeds)?
        .with_precision(precision);
    let jobs = jobs.unwrap_or_else(parallel::default_jobs);
    let planned = audit::plan(&audit)?;
    let total = planned.len();
    let settings: Vec<_> = planned.into_iter().map(|p| p.settings).collect();
    let start = Instant::now();
    let estimate = progress::print_estimate(&audit.name, &settings, jobs, quiet);
    let name = audit.name.clone();
    let bar = progress::bar(total, quiet, &name, "simulations");
    let on_event = |e: ProgressEvent<'_>| match e {
        ProgressEvent::Launching { resumed, .. } if resumed > 0 => {
            bar.suspend(|| eprintln!("{name}: {resumed} simulations resumed from their records"));
            bar.set_position(resumed as u64);
        }
        ProgressEvent::RunFinished { .. } => bar.inc(1),
        ProgressEvent::RunFailed { label, seed, error } => {
            bar.suspend(|| eprintln!("{label} seed {seed} failed: {error}"))
        }
        ProgressEvent::RecordCorrupt { path, reason } => {
            bar.suspend(|| eprintln!("{}: {reason}; running it again", path.display()))
        }
        _ => {}
    };
    let launcher = Launcher::new(jobs).observe(&on_event);
    let report = audit::run_audit(audit, &launcher, store).with_context(|| format!("audit {}", path.display()))?;
    bar.finish_and_clear();
    progress::print_actual(&name, estimate, start);
    Ok(report)
}

/// The claims table, as text (the same rows the report shows as Markdown).
fn print_table(report: &AuditReport) {
    print!("{}", claims::claims_table_text(&claims::claim_lines(report)));
}

/// `decouple audit`.
pub fn main(args: &AuditArgs) -> Result<()> {
    let start = Instant::now();
    let path = audit_file(args.scale, args.file.as_deref());
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("results/audit_{}", args.scale.name())));
    if args.dry_run {
        return dry_run(args, &path);
    }
    let report = run(
        &path,
        args.seeds,
        args.precision,
        args.jobs,
        args.quiet,
        Some(&out),
        &args.set,
    )?;
    audit::write_audit(&out, &report)?;
    print_table(&report);
    println!(
        "\nclaims.csv, checks.csv, runs.csv and evidence/<claim>.csv in {} ({:.0} s)",
        out.display(),
        start.elapsed().as_secs_f64()
    );
    let unexpected = report.unexpected();
    if !unexpected.is_empty() && !args.no_expect {
        let ids: Vec<&str> = unexpected.iter().map(|r| r.claim.id()).collect();
        return Err(Exit {
            code: exit::VERDICTS_DIFFER,
            message: format!(
                "{} verdict(s) differ from the audit file's expectation: {} (exit {}; \
                 --no-expect reports verdicts without comparing them)",
                ids.len(),
                ids.join(", "),
                exit::VERDICTS_DIFFER
            ),
        }
        .into());
    }
    Ok(())
}

/// `--dry-run`: the audit's plan, every simulation's size and the estimated wall time.
fn dry_run(args: &AuditArgs, path: &Path) -> Result<()> {
    let audit = AuditFile::from_file_with(path, &args.set)?
        .with_seed_count(args.seeds)?
        .with_precision(args.precision);
    let planned = audit::plan(&audit)?;
    let model = decouple::sim::cost::CostModel::calibrate();
    for p in &planned {
        let s = &p.settings;
        println!(
            "{:<11} {} seed {}: d = {}, d1 = {}, m = {}, {} steps; memory {}, estimated {}",
            format!("{:?}", p.series),
            s.name,
            s.seed,
            s.model.d,
            s.model.d1,
            s.network.m,
            s.train.steps,
            decouple::config::human_bytes(decouple::config::estimate_bytes(s)),
            progress::duration_text(model.run_seconds(s)),
        );
    }
    let jobs = args.jobs.unwrap_or_else(parallel::default_jobs);
    let settings: Vec<_> = planned.iter().map(|p| p.settings.clone()).collect();
    println!(
        "dry run: {} simulations on {jobs} job(s), estimated {}; nothing was run or written",
        planned.len(),
        progress::duration_text(model.plan_seconds(&settings, jobs))
    );
    Ok(())
}
