//! The `decouple` command line: a thin edge over the library. Each subcommand lives in
//! its own file under `src/cli/`.

mod cli;

use anyhow::Result;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "decouple",
    version,
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
    /// Regenerate the report's CSV tables (one per theorem/corollary, plus the claims table).
    Report(cli::audit::ReportArgs),
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Run(args) => cli::run::main(&args),
        Command::Audit(args) => cli::audit::main(&args),
        Command::Report(args) => cli::audit::report_main(&args),
    }
}
