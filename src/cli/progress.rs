//! Progress bars on stderr (hidden with `--quiet`).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use decouple::sim::train::executor::{LogRow, Observer};

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
