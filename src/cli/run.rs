//! `decouple run EXPERIMENT.toml`: train one experiment, write its tables, print a summary.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use decouple::config::Config;
use decouple::experiment;
use decouple::report;

use super::progress::TrainProgress;

/// Arguments of `decouple run`.
#[derive(clap::Args)]
pub struct RunArgs {
    /// The experiment file (TOML), e.g. experiments/theorem_aug.toml.
    pub experiment: PathBuf,
    /// Output folder; tables go to OUT/<experiment name>/.
    #[arg(long, default_value = "results")]
    pub out: PathBuf,
    /// Override the experiment's master seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

/// Run it.
pub fn main(args: &RunArgs) -> Result<()> {
    run(&args.experiment, &args.out, args.seed, args.quiet)
}

fn run(path: &Path, out: &Path, seed: Option<u64>, quiet: bool) -> Result<()> {
    let mut cfg = Config::from_file(path)?;
    if let Some(s) = seed {
        cfg.seed = s;
    }
    let settings = cfg.check().with_context(|| format!("in {}", path.display()))?;
    let mut progress = TrainProgress::new(settings.steps, quiet, &settings.name);
    let output = experiment::run(&settings, &mut progress)?;
    progress.bar.finish_and_clear();
    let dir = out.join(&settings.name);
    let command = std::env::args().collect::<Vec<_>>().join(" ");
    report::write_run(&dir, &output, Some(command))?;
    let summary = output.summary();
    let get = |k: &str| summary.iter().find(|(n, _)| n == k).map_or(f64::NAN, |(_, v)| *v);
    println!(
        "{} (seed {}), {} steps in {:.1} s -> {}",
        settings.name,
        settings.seed,
        settings.steps,
        output.wall_seconds,
        dir.display()
    );
    println!("  median alignment max_j|<w_i,M_j>|/|w_i|  {:.3}", get("align_median"));
    println!(
        "  atoms covered                           {}/{}",
        get("atoms_covered"),
        get("atoms_total")
    );
    println!(
        "  median share of |w_i|^2 on span(M)      {:.3}",
        get("sparse_share_median")
    );
    println!(
        "  final loss (chance {:.3})                {:.4}",
        get("loss_at_chance"),
        get("final_loss")
    );
    println!("  mean cos(f(x), f(xi))                   {:.3}", get("noise_cos_mean"));
    println!(
        "  probe rel. MSE  trained {:.3} | untrained {:.3} | raw x {:.3} | oracle z {:.3}",
        get("probe_regression_rel_mse"),
        get("probe_untrained_regression_rel_mse"),
        get("probe_raw_x_regression_rel_mse"),
        get("probe_oracle_z_regression_rel_mse")
    );
    println!(
        "  probe accuracy  trained {:.3} | untrained {:.3} | raw x {:.3} | oracle z {:.3}",
        get("probe_classification_acc"),
        get("probe_untrained_classification_acc"),
        get("probe_raw_x_classification_acc"),
        get("probe_oracle_z_classification_acc")
    );
    Ok(())
}
