//! `decouple report --scale quick|full`: run (or resume) the sweeps, ablations and figures
//! and write DIR/REPORT.md.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Instant;

use anyhow::Result;

use decouple::audit::scale::Scale;
use decouple::io::write_atomic;
use decouple::report;
use decouple::report::progress::{ProgressEvent, SectionKind};

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
}

/// Progress on stderr: the audit's simulation counter on one line, a line when the
/// scaling sweep and the ablations start, a line per finished (or failed) run.
struct Printer {
    /// The section running now.
    section: Mutex<Option<SectionKind>>,
}

impl Printer {
    fn event(&self, e: ProgressEvent<'_>) {
        let mut section = self.section.lock().unwrap_or_else(|p| p.into_inner());
        match e {
            ProgressEvent::SectionStarted { section: s, name, runs } => {
                *section = Some(s);
                if matches!(s, SectionKind::Scaling | SectionKind::Ablations) {
                    eprintln!("{name} ({runs} runs)");
                }
            }
            ProgressEvent::SectionFinished { section: s } => {
                *section = None;
                if s == SectionKind::Claims {
                    eprintln!();
                }
            }
            ProgressEvent::Advanced { done, total } => {
                if *section == Some(SectionKind::Claims) {
                    eprint!("\raudit: {done}/{total} simulations");
                }
            }
            ProgressEvent::RunFinished {
                label,
                seed,
                wall_seconds,
            } => eprintln!("  {label} seed {seed} done in {wall_seconds:.1} s"),
            ProgressEvent::RunFailed { label, seed, error } => eprintln!("  {label} seed {seed} failed: {error}"),
            ProgressEvent::RecordCorrupt { path, reason } => {
                eprintln!("  {}: {reason}; running it again", path.display())
            }
        }
    }
}

/// Run it.
pub fn main(args: &ReportArgs) -> Result<()> {
    let start = Instant::now();
    report::check_experiments(&args.experiments)?;
    let jobs = args.jobs.unwrap_or_else(decouple::parallel::default_jobs);
    let printer = Printer {
        section: Mutex::new(None),
    };
    let on_event = |e: ProgressEvent<'_>| {
        if !args.quiet {
            printer.event(e);
        }
    };
    let sections = report::report_sections(args.scale, &args.experiments, &args.out, jobs, &on_event)?;
    let md = report::render(args.scale, &sections, start.elapsed().as_secs_f64());
    let path = args.out.join("REPORT.md");
    write_atomic(&path, md.as_bytes())?;
    println!("{} ({:.0} s)", path.display(), start.elapsed().as_secs_f64());
    Ok(())
}
