//! The `decouple` command line: a thin edge over the library. Each subcommand lives in
//! its own file under `src/cli/`.

mod cli;

use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "decouple",
    version = decouple::io::provenance::version_line(),
    about = "Simulate and audit Wen & Li (ICML 2021): contrastive learning on sparse coding data",
    after_help = "Exit codes: 0 success; 1 an input or runtime error (bad file or override, missing \
                  file, diverged run, locked folder); 2 a usage error (bad flags, bad --shard); 3 `decouple \
                  audit` ran but a verdict differs from the audit file's expectation (--no-expect: exit 0)."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train one experiment and write its tables into OUT/<name>/.
    Run(cli::run::RunArgs),
    /// Check every claim of the paper with statistics; exit 3 if a verdict differs from its expectation.
    Audit(cli::audit::AuditArgs),
    /// Run (or resume) a sweep: a base experiment over a grid of values and seeds.
    Sweep(cli::sweep::SweepArgs),
    /// Combine the outputs of the shards of one sweep.
    Merge(cli::merge::MergeArgs),
    /// Draw the SVG figures of run folders (together in one set) or of a sweep folder.
    Plot(cli::plot::PlotArgs),
    /// Run what the report needs and write OUT/REPORT.md.
    Report(cli::report::ReportArgs),
    /// Compare two experiments' runs seed by seed (B − A, with 95% intervals).
    Compare(cli::compare::CompareArgs),
}

fn main() -> ExitCode {
    // The manifests' and the report's start time: when the command started.
    let _ = decouple::io::provenance::started_utc();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version print to stdout and succeed; usage errors exit 2.
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                cli::exit::USAGE
            } else {
                cli::exit::OK
            });
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::from(cli::exit::OK),
        Err(e) => {
            // The cause chain, never a backtrace: every error here is an outcome the user
            // can act on, and its message says how.
            eprintln!("error: {e:#}");
            let code = e.downcast_ref::<cli::Exit>().map_or(cli::exit::ERROR, |x| x.code);
            ExitCode::from(code)
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Run(args) => cli::run::main(&args),
        Command::Audit(args) => cli::audit::main(&args),
        Command::Sweep(args) => cli::sweep::main(&args),
        Command::Merge(args) => cli::merge::main(&args),
        Command::Plot(args) => cli::plot::main(&args),
        Command::Report(args) => cli::report::main(&args),
        Command::Compare(args) => cli::compare::main(&args),
    }
}
