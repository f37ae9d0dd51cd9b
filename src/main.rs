//! The `decouple` command line: a thin edge over the library. Each subcommand lives in
//! its own file under `src/cli/`.

mod cli;

use anyhow::Result;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "decouple",
    version = decouple::io::provenance::version_line(),
    about = "Simulate and audit Wen & Li (ICML 2021): contrastive learning on sparse coding data"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train one experiment and write its tables into OUT/<name>/.
    Run(cli::run::RunArgs),
    /// Check every claim of the paper with statistics; exit 1 if a verdict differs from its expectation.
    Audit(cli::audit::AuditArgs),
    /// Run (or resume) a sweep: a base experiment over a grid of values and seeds.
    Sweep(cli::sweep::SweepArgs),
    /// Combine the outputs of the shards of one sweep.
    Merge(cli::merge::MergeArgs),
    /// Draw the SVG figures of run folders (together in one set) or of a sweep folder.
    Plot(cli::plot::PlotArgs),
    /// Run what the report needs and write OUT/REPORT.md.
    Report(cli::report::ReportArgs),
}

fn main() -> Result<()> {
    // The manifests' and the report's start time: when the command started.
    let _ = decouple::io::provenance::started_utc();
    match Cli::parse().command {
        Command::Run(args) => cli::run::main(&args),
        Command::Audit(args) => cli::audit::main(&args),
        Command::Sweep(args) => cli::sweep::main(&args),
        Command::Merge(args) => cli::merge::main(&args),
        Command::Plot(args) => cli::plot::main(&args),
        Command::Report(args) => cli::report::main(&args),
    }
}
