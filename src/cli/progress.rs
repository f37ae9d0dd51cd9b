//! Progress bars on stderr (hidden with `--quiet`).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use decouple::exec::progress::ProgressEvent;
use decouple::sim::cost::CostModel;
use decouple::sim::train::executor::{LogRow, Observer};
use decouple::Settings;

/// Print, before a long job starts, the cost model's estimate of its wall time
/// (`decouple::sim::cost`, calibrated on this machine by a 0.3 s product); nothing when quiet.
/// Returns the estimate in seconds (None when quiet or nothing runs).
pub fn print_estimate(label: &str, runs: &[Settings], jobs: usize, quiet: bool) -> Option<f64> {
    if quiet || runs.is_empty() {
        return None;
    }
    let model = CostModel::calibrate();
    let secs = model.plan_seconds(runs, jobs);
    eprintln!(
        "{label}: {} simulations on {jobs} job(s), estimated {} (cost model of src/sim/cost.rs; \
         this core runs products at {:.2}x the fit machine's rate; other load slows it)",
        runs.len(),
        duration_text(secs),
        model.speed_f64
    );
    Some(secs)
}

/// After the job: its wall time beside the estimate printed before it.
pub fn print_actual(label: &str, estimate: Option<f64>, start: std::time::Instant) {
    if let Some(e) = estimate {
        eprintln!(
            "{label}: took {} (the simulations were estimated at {})",
            duration_text(start.elapsed().as_secs_f64()),
            duration_text(e)
        );
    }
}

/// "45 s", "12.5 min" or "1.6 h".
pub fn duration_text(secs: f64) -> String {
    if secs < 90.0 {
        format!("{secs:.0} s")
    } else if secs < 5400.0 {
        format!("{:.1} min", secs / 60.0)
    } else {
        format!("{:.1} h", secs / 3600.0)
    }
}

/// A bar counting `unit`s, drawn on stderr unless `quiet`.
pub fn bar(total: usize, quiet: bool, label: &str, unit: &str) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let b = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
    b.set_style(
        ProgressStyle::with_template(&format!(
            "{{prefix}} [{{elapsed_precise}}] {{bar:30}} {{pos}}/{{len}} {unit} (eta {{eta}}) {{msg}}"
        ))
        .expect("valid template"),
    );
    b.set_prefix(label.to_string());
    b
}

/// Training progress of one run: steps, and the latest logged metrics.
pub struct TrainProgress {
    /// The bar.
    pub bar: ProgressBar,
}

impl TrainProgress {
    /// A bar over `steps` steps.
    pub fn new(steps: usize, quiet: bool, label: &str) -> Self {
        Self {
            bar: bar(steps, quiet, label, "steps"),
        }
    }
}

impl Observer for TrainProgress {
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

/// The launcher's progress as lines on stderr (for long, unattended operations such as
/// `decouple report`, whose output is read in a log as often as in a terminal): a line per
/// planned part, one when the launch starts, one per finished or failed run with its count.
pub struct RunLines {
    /// Runs finished so far, and to run in all.
    count: std::sync::Mutex<(usize, usize)>,
    quiet: bool,
}

impl RunLines {
    /// Lines unless `quiet`.
    pub fn new(quiet: bool) -> Self {
        Self {
            count: std::sync::Mutex::new((0, 0)),
            quiet,
        }
    }

    /// Print what `e` says.
    pub fn event(&self, e: ProgressEvent<'_>) {
        if self.quiet {
            return;
        }
        let mut count = self.count.lock().unwrap_or_else(|p| p.into_inner());
        match e {
            ProgressEvent::Planned { name, runs } => eprintln!("{name}: {runs} simulations"),
            ProgressEvent::Launching { pending, resumed } => {
                *count = (0, pending);
                eprintln!("running {pending} simulations ({resumed} resumed from their records)");
            }
            ProgressEvent::RunFinished {
                label,
                seed,
                wall_seconds,
            } => {
                count.0 += 1;
                eprintln!("[{}/{}] {label} seed {seed}: {wall_seconds:.1} s", count.0, count.1);
            }
            ProgressEvent::RunFailed { label, seed, error } => {
                count.0 += 1;
                eprintln!("[{}/{}] {label} seed {seed} failed: {error}", count.0, count.1);
            }
            ProgressEvent::RecordCorrupt { path, reason } => {
                eprintln!("{}: {reason}; running it again", path.display())
            }
            ProgressEvent::Advanced { .. } => {}
        }
    }
}
