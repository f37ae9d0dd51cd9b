//! The `decouple` command line: a thin edge over the library.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use decouple::config::Config;
use decouple::experiment::{self, LogRow, Observer};
use decouple::report;

#[derive(Parser)]
#[command(name = "decouple", version, about = "Simulate and audit Wen & Li (ICML 2021): contrastive learning on sparse coding data")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train one experiment and write its tables into OUT/<name>/.
    Run {
        /// The experiment file (TOML), e.g. experiments/theorem_aug.toml.
        experiment: PathBuf,
        /// Output folder.
        #[arg(long, default_value = "results")]
        out: PathBuf,
        /// Override the experiment's master seed.
        #[arg(long)]
        seed: Option<u64>,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
    },
}

/// A progress bar on stderr that also shows the latest logged metrics.
struct Progress {
    bar: ProgressBar,
}

impl Progress {
    fn new(total: usize, quiet: bool, label: &str) -> Self {
        let bar = if quiet {
            ProgressBar::hidden()
        } else {
            let b = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
            b.set_style(
                ProgressStyle::with_template("{prefix} [{elapsed_precise}] {bar:30} {pos}/{len} steps (eta {eta}) {msg}")
                    .expect("valid template"),
            );
            b.set_prefix(label.to_string());
            b
        };
        Self { bar }
    }
}

impl Observer for Progress {
    fn on_step(&mut self, step: usize, _total: usize, _loss: f64) {
        self.bar.set_position(step as u64);
    }
    fn on_log(&mut self, row: &LogRow) {
        self.bar.set_message(format!(
            "loss {:.4} align {:.2} atoms {} cos {:.2}",
            row.loss, row.features.align_median, row.features.atoms_covered, row.features.noise_cos_mean
        ));
    }
}

fn run(path: &Path, out: &Path, seed: Option<u64>, quiet: bool) -> Result<()> {
    let mut cfg = Config::from_file(path)?;
    if let Some(s) = seed {
        cfg.seed = s;
    }
    let settings = cfg.check().with_context(|| format!("in {}", path.display()))?;
    faer::set_global_parallelism(faer::Par::Seq);
    let mut progress = Progress::new(settings.steps, quiet, &settings.name);
    let output = experiment::run(&settings, &mut progress)?;
    progress.bar.finish_and_clear();
    let dir = out.join(&settings.name);
    let command = std::env::args().collect::<Vec<_>>().join(" ");
    report::write_run(&dir, &output, Some(command))?;
    let get = |k: &str| output.summary().into_iter().find(|(n, _)| n == k).map_or(f64::NAN, |(_, v)| v);
    println!("{} (seed {}), {} steps in {:.1} s -> {}", settings.name, settings.seed, settings.steps, output.wall_seconds, dir.display());
    println!("  median alignment max_j|<w_i,M_j>|/|w_i|  {:.3}", get("align_median"));
    println!("  atoms covered                           {}/{}", get("atoms_covered"), get("atoms_total"));
    println!("  median share of |w_i|^2 on span(M)      {:.3}", get("sparse_share_median"));
    println!("  final loss (chance {:.3})                {:.4}", get("loss_at_chance"), get("final_loss"));
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

fn main() -> Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Run { experiment, out, seed, quiet } => run(&experiment, &out, seed, quiet),
    }
}
