//! The asymptotic picture: a scaling sweep's metrics per arm and d, and their fitted
//! log-log slopes against d with 95% intervals.
//!
//! The slope of metric y is the OLS slope of ln y on ln d over every (cell, seed) run of
//! the arm with a finite, positive y (seed-level points, so the interval reflects the
//! seed-to-seed spread); its interval is slope ± t_{0.975, n−2} · SE.
//!
//! Also the report's scaling section, which runs (or resumes) the scaling sweep.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::audit::scale::Scale;
use crate::error::Result;
use crate::exec::progress::ProgressEvent;
use crate::exec::sweep::{self, PreparedSweep, SweepOutcome, SweepSpec, SweepTable};
use crate::exec::{Job, Outcome};
use crate::io::write_atomic;
use crate::report::figures::{self, cell_stats};
use crate::report::format;
use crate::report::{Ctx, Section};
use crate::sim::summary::Metric;
use crate::stats::{loglog_slope, LogLogSlope};

/// The metrics of the scaling table: metric (its name is the sweep's column), short label.
pub const SCALING_METRICS: [(Metric, &str); 8] = [
    (Metric::OneMinusNoiseCos, "1 - cos(f(x), f(xi))"),
    (Metric::AlignMedian, "median alignment"),
    (Metric::AtomsCovered, "atoms covered"),
    (Metric::ProbeRegressionRelMse, "probe rel. MSE"),
    (Metric::ProbeClassificationAcc, "probe accuracy"),
    (Metric::FinalLoss, "final loss"),
    (Metric::StepsToAlign, "steps to median alignment > 0.5"),
    (Metric::SupportMedian, "median |N_i|"),
];

/// Per arm and metric, the slope over the seed-level points.
pub fn slopes(table: &SweepTable, arm_key: &str, d_key: &str) -> BTreeMap<(String, String), LogLogSlope> {
    let mut pts: BTreeMap<(String, String), Vec<(f64, f64)>> = BTreeMap::new();
    for (i, (_, _, m)) in table.rows.iter().enumerate() {
        let arm = table.axis(i, arm_key).unwrap_or("all").to_string();
        let d: f64 = table.axis(i, d_key).and_then(|v| v.parse().ok()).unwrap_or(f64::NAN);
        for (k, _) in SCALING_METRICS {
            let y = m.get(k.name()).copied().unwrap_or(f64::NAN);
            pts.entry((arm.clone(), k.name().to_string())).or_default().push((d, y));
        }
    }
    pts.into_iter().map(|(k, p)| (k, loglog_slope(&p))).collect()
}

/// `scaling_table.csv` (arm, d, metric, n, mean, ci95_lo, ci95_hi) and
/// `scaling_slopes.csv` (arm, metric, n, slope, ci95_lo, ci95_hi), and the markdown of both
/// tables. `lr` gives the paper's time scale d/η next to the measured steps.
pub fn tables(table: &SweepTable, arm_key: &str, d_key: &str, lr: f64) -> (String, String, String) {
    let mut csv_t = String::from("arm,d,metric,n,mean,ci95_lo,ci95_hi\n");
    let mut per: BTreeMap<(String, u64), Vec<String>> = BTreeMap::new();
    let mut ds: BTreeMap<(String, u64), usize> = BTreeMap::new();
    for (k, _) in SCALING_METRICS {
        for (arm, pts) in cell_stats(table, arm_key, d_key, k) {
            for (d, n, mean, lo, hi) in pts {
                csv_t.push_str(&format!("{arm},{d},{k},{n},{mean},{lo},{hi}\n"));
                let key = (arm.clone(), d as u64);
                ds.insert(key.clone(), n);
                per.entry(key).or_default().push(format::mean_pm(mean, lo, hi));
            }
        }
    }
    let mut md = String::from("| arm | d | seeds | d/η |");
    for (_, label) in SCALING_METRICS {
        md.push_str(&format!(" {label} |"));
    }
    md.push('\n');
    md.push_str(&"|---".repeat(4 + SCALING_METRICS.len()));
    md.push_str("|\n");
    for ((arm, d), cells) in &per {
        let n = ds[&(arm.clone(), *d)];
        md.push_str(&format!(
            "| {arm} | {d} | {n} | {:.0} | {} |\n",
            *d as f64 / lr,
            cells.join(" | ")
        ));
    }
    let sl = slopes(table, arm_key, d_key);
    let arms: Vec<String> = sl
        .keys()
        .map(|k| k.0.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut csv_s = String::from("arm,metric,n,slope,ci95_lo,ci95_hi\n");
    let mut md_s = String::from("| metric |");
    for a in &arms {
        md_s.push_str(&format!(" slope vs d, {a} [95% CI] |"));
    }
    md_s.push('\n');
    md_s.push_str(&"|---".repeat(1 + arms.len()));
    md_s.push_str("|\n");
    for (k, label) in SCALING_METRICS {
        md_s.push_str(&format!("| {label} |"));
        for a in &arms {
            let s = sl[&(a.clone(), k.name().to_string())];
            csv_s.push_str(&format!("{a},{k},{},{},{},{}\n", s.n, s.slope, s.lo, s.hi));
            if s.slope.is_finite() {
                md_s.push_str(&format!(" {:.2} [{:.2}, {:.2}] (n={}) |", s.slope, s.lo, s.hi, s.n));
            } else {
                md_s.push_str(&format!(" n/a (n={}) |", s.n));
            }
        }
        md_s.push('\n');
    }
    (csv_t, csv_s, format!("{md}\n{md_s}"))
}

/// The scaling sweep of this scale (`experiments/scaling_d[_quick].toml`), planned: its
/// jobs, recorded under `out/sweeps/<name>/` (nothing is written until it is prepared).
pub(super) struct ScalingPlan {
    file: &'static str,
    spec: SweepSpec,
    out: PathBuf,
    /// The sweep's jobs.
    pub(super) jobs: Vec<Job>,
}

/// Plan the scaling sweep of this scale.
pub(super) fn plan(ctx: &Ctx<'_>) -> Result<ScalingPlan> {
    let file = match ctx.scale {
        Scale::Quick => "scaling_d_quick.toml",
        Scale::Full => "scaling_d.toml",
    };
    let spec = SweepSpec::from_file(&ctx.experiments.join(file))?.with_overrides(ctx.sets)?;
    let out = ctx.out.join("sweeps");
    let jobs = sweep::sweep_jobs(&spec, &spec.tasks()?, &out.join(&spec.name));
    (ctx.progress)(ProgressEvent::Planned {
        name: &format!("scaling sweep {}", spec.name),
        runs: jobs.len(),
    });
    Ok(ScalingPlan { file, spec, out, jobs })
}

impl ScalingPlan {
    /// Lock the sweep's folder and write its `sweep.json`: just before the launch. The
    /// report owns its sweep folder and rewrites every table from the records each time,
    /// so an older sweep's tables there are replaced.
    pub(super) fn prepare(&self) -> Result<PreparedSweep> {
        sweep::prepare(&self.spec, &self.out, None, true)
    }

    /// The scaling section from the launcher's outcomes of the sweep's jobs (`fresh`: which
    /// were simulated now): the sweep's tables, slopes and figure.
    pub(super) fn render(
        self,
        ctx: &Ctx<'_>,
        sweep: PreparedSweep,
        outcomes: &[Option<Outcome>],
        fresh: &[bool],
    ) -> Result<Section> {
        let outcome = sweep.finish(outcomes, fresh, 0)?;
        scaling_section(ctx, self.file, &self.spec, &outcome)
    }
}

/// The scaling section of a finished sweep.
fn scaling_section(ctx: &Ctx<'_>, file: &str, spec: &SweepSpec, outcome: &SweepOutcome) -> Result<Section> {
    let out = ctx.out;
    let table = SweepTable::read(&outcome.dir)?;
    let first = spec.cells();
    let lr = spec.resolve(&first[0], 1)?.train.lr;
    let (csv_t, csv_s, md) = tables(&table, "augmentation.kind", "model.d", lr);
    write_atomic(&out.join("scaling_table.csv"), csv_t.as_bytes())?;
    write_atomic(&out.join("scaling_slopes.csv"), csv_s.as_bytes())?;
    let fig = out.join("figures").join("scaling_vs_d.svg");
    figures::sweep_vs_d(&table, "augmentation.kind", "model.d", &SCALING_METRICS, &fig)?;
    Ok(Section {
        title: "The asymptotic picture: metrics against d".into(),
        markdown: section_markdown(ctx, file, spec, outcome, &md)?,
    })
}

/// The scaling section's text around its tables.
fn section_markdown(ctx: &Ctx<'_>, file: &str, spec: &SweepSpec, outcome: &SweepOutcome, md: &str) -> Result<String> {
    let s0 = spec.resolve(&spec.cells()[0], 1)?;
    let lr = s0.train.lr;
    Ok(format!(
        "Sweep `experiments/{file}`: d over {ds:?}, d1 and m proportional to d (see the file), \
         {seeds} seeds per cell, both arms paired by seed (same M, W0 and data stream). \
         B = {b}, η = {lr}, τ = {tau}, T as in the file. Cells show the mean ± the half-width of a 95% \
         t-interval over seeds. `1 - cos(f(x), f(xi))` is one minus the mean cosine between the \
         representation of x and of its noise part alone (large = the features ignore the noise); \
         `steps to median alignment > 0.5` is the first logged step at which it happens (n/a = never \
         within T), next to the paper's time scale d/η; `atoms covered` counts atoms that are the best \
         atom of some neuron aligned above 0.5. Slopes are OLS fits of ln(metric) on ln(d) over the \
         seed-level runs, with 95% t-intervals.\n\n{md}\n\n\
         ![metrics against d](figures/scaling_vs_d.svg)\n\n\
         *Each metric against d, log-log, cell means with 95% t-interval whiskers, one line per arm.*\n\n\
         Tables: `scaling_table.csv`, `scaling_slopes.csv`; per-run rows: `{sweep_csv}`.\n\n\
         Regenerate: `{cmd}` (or `decouple sweep experiments/{file} --out DIR/sweeps`). \
         Runs behind it: {n} records under `{runs}/<config hash>/` (manifest.json, record.json each); \
         this invocation simulated {ran} and resumed {skipped}.\n",
        ds = spec
            .axes
            .iter()
            .find(|(k, _)| k == "model.d")
            .map(|(_, v)| v.iter().map(sweep::value_text).collect::<Vec<_>>())
            .unwrap_or_default(),
        seeds = spec.seeds,
        b = s0.train.batch,
        tau = s0.train.tau,
        sweep_csv = ctx.rel(&outcome.dir.join("sweep.csv")),
        cmd = ctx.command(),
        n = outcome.rows,
        runs = ctx.rel(&outcome.dir.join("runs")),
        ran = outcome.ran,
        skipped = outcome.skipped,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slope_of_a_power_law() {
        let pts: Vec<(f64, f64)> = [16.0, 24.0, 32.0, 48.0]
            .iter()
            .map(|&d: &f64| (d, 3.0 * d.powf(1.5)))
            .collect();
        let s = loglog_slope(&pts);
        assert!((s.slope - 1.5).abs() < 1e-12 && s.n == 4);
        assert!((s.hi - s.lo).abs() < 1e-9);
    }
}
