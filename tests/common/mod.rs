//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::Path;

use decouple::config::{Config, Settings};

/// A small experiment (seconds to run) with the given augmentation kind.
pub fn small_config(kind: &str) -> String {
    format!(
        r#"
name = "small_{kind}"
seed = 11
[model]
d = 10
d1 = 60
[network]
m = 30
kappa = 1.0
[augmentation]
kind = "{kind}"
[train]
steps = 40
batch = 64
lr = 1.0
weight_decay = 1e-4
tau = 0.1
log_every = 10
[metrics]
eval_samples = 200
[probe]
n_train = 200
n_test = 200
"#
    )
}

/// Parse and check a config text.
pub fn settings(text: &str) -> Settings {
    Config::from_toml_str(text, Path::new("test.toml"))
        .unwrap()
        .check()
        .unwrap()
}

/// A summary.csv's text without its `wall_seconds` row (the one value that is not
/// deterministic).
pub fn summary_without_wall_time(p: &Path) -> String {
    std::fs::read_to_string(p)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("wall_seconds"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A line on the terminal even while the test harness captures the test's output (it
/// captures `print!`/`eprint!`, not writes to the stderr handle): an audit takes minutes
/// and its progress should show.
pub fn say(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// The quick audit (`experiments/audit_quick.toml`) with every SGD step in `precision`
/// (None: as the experiment files say), in memory — records of an earlier build are never
/// reused here — its progress on the terminal, its tables kept under the target folder in
/// `folder` (where a failing CI run can be read).
pub fn quick_audit(precision: Option<decouple::config::Precision>, folder: &str) -> decouple::audit::AuditReport {
    use decouple::audit::{self, AuditFile};
    use decouple::exec::progress::ProgressEvent;
    if cfg!(debug_assertions) {
        panic!(
            "the claim-by-claim audit runs about 80 simulations: unoptimised that takes hours. \
             Run the tests optimised: `cargo test --release`"
        );
    }
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/experiments/audit_quick.toml");
    let a = AuditFile::from_file(path.as_ref())
        .expect("audit_quick.toml parses")
        .with_precision(precision);
    let jobs = decouple::exec::pool::default_jobs();
    let total = audit::plan(&a).expect("the quick audit plans").len();
    say(&format!(
        "{folder}: running the quick audit ({total} simulations) on {jobs} core(s); about 10 minutes on 2 cores"
    ));
    let start = std::time::Instant::now();
    let on_event = |e: ProgressEvent<'_>| {
        if let ProgressEvent::Advanced { done, total } = e {
            if done % 10 == 0 || done == total {
                say(&format!(
                    "  {folder}: {done}/{total} simulations ({:.0} s)",
                    start.elapsed().as_secs_f64()
                ));
            }
        }
    };
    let launcher = decouple::exec::Launcher::new(jobs).observe(&on_event);
    let report = audit::run_audit(a, &launcher, None).expect("the quick audit runs");
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(folder);
    audit::write_audit(&dir, &report).expect("audit tables are written");
    say(&format!("{folder}: audit tables in {}", dir.display()));
    report
}
