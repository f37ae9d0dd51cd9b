//! The audit's plan and evidence: which simulations and samples each claim needs, run
//! side by side on the cores, collected for [`crate::audit::claims`] to judge.
//!
//! An audit file (`experiments/audit_quick.toml`, `experiments/audit_full.toml`) names the
//! experiment files the runs start from, the seeds, the sweeps over d, the Monte Carlo
//! sizes, and, per claim, the expected verdict and the thresholds (each with a comment
//! saying why that number stands for the asymptotic statement). No threshold is in code.

pub mod claims;
pub mod scale;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::config::{AugmentationKind, Config, Settings};
use crate::error::{Error, Result};
use crate::parallel;
use crate::sim::summary::Metric;
use crate::sim::train::executor::{self, RunOutput, Silent};

/// The expected verdict of a claim, as recorded in the audit file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The statistic is beyond its threshold with the stated confidence.
    #[serde(rename = "reproduced")]
    Reproduced,
    /// It is not (or the setting could not show it at this size).
    #[serde(rename = "not reproduced")]
    NotReproduced,
}

impl Verdict {
    /// `reproduced` / `not reproduced`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Reproduced => "reproduced",
            Verdict::NotReproduced => "not reproduced",
        }
    }
}

/// Expected verdict and thresholds of one claim.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ClaimSpec {
    /// What the audit is expected to conclude (a changed verdict fails `cargo test`).
    pub expect: Verdict,
    /// Why, when the expectation is `not reproduced`.
    #[serde(default)]
    pub reason: Option<String>,
    /// Named thresholds (numbers), read by the claim's evaluator.
    #[serde(flatten)]
    pub thresholds: BTreeMap<String, f64>,
}

/// The paired main runs (both arms, same seeds).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MainSpec {
    /// Experiment file of the RandomMask arm (relative to the audit file).
    pub aug: PathBuf,
    /// Experiment file of the no-augmentation arm.
    pub no_aug: PathBuf,
}

/// A sweep over d of one arm, derived from that arm's main experiment.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SweepSpec {
    /// The values of d (the main experiment's d is added for the RandomMask sweep).
    pub d: Vec<usize>,
    /// d1 = round(d1_factor · d^d1_power).
    pub d1_factor: f64,
    /// See `d1_factor`.
    pub d1_power: f64,
    /// m = m_per_d · d.
    pub m_per_d: usize,
    /// SGD steps (default: the main experiment's).
    pub steps: Option<usize>,
    /// Seeds (default: the audit's).
    pub seeds: Option<Vec<u64>>,
}

/// Samples of the data model only (no training).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DataSpec {
    /// The values of d.
    pub d: Vec<usize>,
    /// d1 = round(d1_factor · d^d1_power).
    pub d1_factor: f64,
    /// See `d1_factor`.
    pub d1_power: f64,
    /// Samples per d.
    pub samples: usize,
}

/// Monte Carlo sizes of the RandomMask identity (SPEC §4).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DecouplingSpec {
    /// d of the dictionary.
    pub d: usize,
    /// d1 of the Monte Carlo checks.
    pub d1: usize,
    /// Masks (or mask-and-noise draws) per estimate.
    pub draws: usize,
    /// Random (u, v, x) triples checked against the closed form.
    pub triples: usize,
    /// d1 of the exact check over all 2^d1 masks.
    pub exact_d1: usize,
}

/// A whole audit file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AuditFile {
    /// Name (output folder).
    pub name: String,
    /// Family-wise error rate, split evenly over all statistical checks (Bonferroni).
    pub alpha: f64,
    /// Seeds of the trained-network claims.
    pub seeds: Vec<u64>,
    /// The paired main runs.
    pub main: MainSpec,
    /// RandomMask at more values of d.
    pub aug_sweep: SweepSpec,
    /// No augmentation at more values of d.
    pub na_sweep: SweepSpec,
    /// RandomMask runs long enough for the scaled time window (one d).
    pub time_window: SweepSpec,
    /// The data model alone.
    pub data: DataSpec,
    /// The RandomMask identity.
    pub decoupling: DecouplingSpec,
    /// Per claim id: expectation and thresholds.
    pub claims: BTreeMap<String, ClaimSpec>,
    /// Where the file was read from (for resolving experiment paths).
    #[serde(skip)]
    pub origin: PathBuf,
}

impl AuditFile {
    /// Read and validate an audit file.
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = crate::config::read_text(path)?;
        let mut a: AuditFile = toml::from_str(&text).map_err(|e| Error::ConfigParse {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        a.origin = path.to_path_buf();
        if !(a.alpha > 0.0 && a.alpha < 1.0) {
            return Err(invalid("alpha", a.alpha, "must be in (0, 1)"));
        }
        if a.seeds.len() < 2 {
            return Err(invalid(
                "seeds",
                a.seeds.len(),
                "at least two seeds are needed for a t test",
            ));
        }
        if a.time_window.d.len() != 1 {
            return Err(invalid(
                "time_window.d",
                a.time_window.d.len(),
                "must name exactly one d",
            ));
        }
        for (key, s) in [
            ("aug_sweep", &a.aug_sweep),
            ("na_sweep", &a.na_sweep),
            ("time_window", &a.time_window),
        ] {
            if s.d.is_empty() || s.seeds.as_ref().is_some_and(|v| v.len() < 2) {
                return Err(invalid(key, "[]", "needs values of d and at least two seeds"));
            }
        }
        if a.data.d.len() < 3 {
            return Err(invalid(
                "data.d",
                a.data.d.len(),
                "a slope needs at least three values of d",
            ));
        }
        Ok(a)
    }

    /// The seeds with `--seeds K` applied (1..=K), if given.
    pub fn with_seed_count(mut self, k: Option<usize>) -> Result<Self> {
        if let Some(k) = k {
            if k < 2 {
                return Err(invalid("--seeds", k, "at least two seeds are needed for a t test"));
            }
            self.seeds = (1..=k as u64).collect();
        }
        Ok(self)
    }

    fn experiment(&self, rel: &Path) -> Result<Config> {
        let base = self.origin.parent().unwrap_or(Path::new("."));
        Config::from_file(&base.join(rel))
    }
}

fn invalid(key: &'static str, value: impl std::fmt::Display, reason: &'static str) -> Error {
    Error::InvalidParam {
        key,
        value: value.to_string(),
        reason,
    }
}

/// Which series a run belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Series {
    /// The paired main runs.
    Main,
    /// RandomMask at other d.
    AugSweep,
    /// No augmentation at other d.
    NaSweep,
    /// RandomMask, long runs for the time window.
    TimeWindow,
}

/// One planned simulation.
#[derive(Debug, Clone)]
pub struct PlannedRun {
    /// Its series.
    pub series: Series,
    /// Whether it uses RandomMask.
    pub augmented: bool,
    /// Its checked settings (seed included).
    pub settings: Settings,
}

fn derived(cfg: &Config, d: usize, spec: &SweepSpec, name: String) -> Config {
    let mut c = cfg.clone();
    c.name = name;
    c.model.d = d;
    c.model.d1 = (spec.d1_factor * (d as f64).powf(spec.d1_power)).round() as usize;
    c.network.m = spec.m_per_d * d;
    if let Some(t) = spec.steps {
        c.train.steps = t;
    }
    c
}

/// Every simulation the audit needs, in a fixed order.
pub fn plan(a: &AuditFile) -> Result<Vec<PlannedRun>> {
    let aug = a.experiment(&a.main.aug)?;
    let na = a.experiment(&a.main.no_aug)?;
    let mut runs = Vec::new();
    let mut push = |series, augmented, cfg: &Config, seed: u64| -> Result<()> {
        let mut c = cfg.clone();
        c.seed = seed;
        let settings = c.check()?;
        runs.push(PlannedRun {
            series,
            augmented,
            settings,
        });
        Ok(())
    };
    for &seed in &a.seeds {
        push(Series::Main, true, &aug, seed)?;
        push(Series::Main, false, &na, seed)?;
    }
    for (spec, base, series, augmented) in [
        (&a.aug_sweep, &aug, Series::AugSweep, true),
        (&a.na_sweep, &na, Series::NaSweep, false),
        (&a.time_window, &aug, Series::TimeWindow, true),
    ] {
        let seeds = spec.seeds.clone().unwrap_or_else(|| a.seeds.clone());
        for &d in &spec.d {
            let cfg = derived(
                base,
                d,
                spec,
                format!("{}_{}_d{d}", base.name, format!("{series:?}").to_lowercase()),
            );
            for &seed in &seeds {
                push(series, augmented, &cfg, seed)?;
            }
        }
    }
    for r in &runs {
        let kind = r.settings.augmentation.kind;
        let want = if r.augmented {
            AugmentationKind::RandomMask
        } else {
            AugmentationKind::None
        };
        if kind != want {
            return Err(invalid(
                "main.aug / main.no_aug",
                format!("{kind:?}"),
                "the aug file must use random_mask and the no_aug file none",
            ));
        }
    }
    Ok(runs)
}

/// A finished simulation.
#[derive(Debug, Clone)]
pub struct FinishedRun {
    /// What was planned.
    pub plan: PlannedRun,
    /// What it measured.
    pub output: RunOutput,
}

/// Run every planned simulation on `jobs` threads (each single-threaded); `progress` is
/// called with the number finished. Results are in plan order and independent of `jobs`.
pub fn run_all(planned: Vec<PlannedRun>, jobs: usize, progress: impl Fn(usize) + Sync) -> Result<Vec<FinishedRun>> {
    // Longest first keeps both cores busy to the end; results are put back in plan order.
    let mut order: Vec<usize> = (0..planned.len()).collect();
    let cost = |r: &PlannedRun| {
        let s = &r.settings;
        let views = if r.augmented { 2.0 } else { 1.0 };
        s.train.steps as f64
            * (s.train.batch * s.network.m) as f64
            * ((views + 1.0) * s.model.d1 as f64 + 2.0 * s.train.batch as f64)
    };
    order.sort_by(|&a, &b| cost(&planned[b]).total_cmp(&cost(&planned[a])).then(a.cmp(&b)));
    let outputs = parallel::map(
        &order,
        jobs,
        |&k| executor::run(&planned[k].settings, &mut Silent),
        progress,
    );
    let mut slots: Vec<Option<RunOutput>> = vec![None; planned.len()];
    for (k, out) in order.into_iter().zip(outputs) {
        slots[k] = Some(out?);
    }
    Ok(planned
        .into_iter()
        .zip(slots)
        .map(|(plan, out)| FinishedRun {
            plan,
            output: out.expect("every run finished"),
        })
        .collect())
}

/// A finished audit: the claims' verdicts and the evidence behind them.
pub struct AuditReport {
    /// The audit file.
    pub audit: AuditFile,
    /// Verdicts, in registry order.
    pub results: Vec<crate::audit::claims::ClaimResult>,
    /// The evidence.
    pub evidence: crate::audit::claims::Evidence,
}

impl AuditReport {
    /// Claims whose verdict differs from the audit file's expectation.
    pub fn unexpected(&self) -> Vec<&crate::audit::claims::ClaimResult> {
        self.results.iter().filter(|r| r.verdict != r.expected).collect()
    }
}

/// Run the whole audit: simulations on `jobs` threads (`progress(done, total)`), then the
/// sampling checks, then the verdicts. Deterministic for a given audit file.
pub fn run_audit(audit: AuditFile, jobs: usize, progress: impl Fn(usize, usize) + Sync) -> Result<AuditReport> {
    let planned = plan(&audit)?;
    let total = planned.len();
    let runs = run_all(planned, jobs, |done| progress(done, total))?;
    let seed = audit.seeds[0];
    let data = crate::sim::sampling::data_points(&audit.data, seed);
    let decoupling = crate::sim::sampling::decoupling(&audit.decoupling, seed);
    let evidence = crate::audit::claims::Evidence { runs, data, decoupling };
    let results = crate::audit::claims::evaluate(&audit, &evidence)?;
    Ok(AuditReport {
        audit,
        results,
        evidence,
    })
}

/// A row of `claims.csv`.
#[derive(Debug, Clone, Serialize)]
pub struct ClaimRow {
    /// Claim id.
    pub id: String,
    /// Seed section.
    pub section: String,
    /// The claim.
    pub statement: String,
    /// The primary check's statistic.
    pub statistic: String,
    /// Its value.
    pub value: f64,
    /// `>=`, `<=` or `in CI`.
    pub direction: String,
    /// Its threshold.
    pub threshold: f64,
    /// Its confidence bound.
    pub bound: f64,
    /// Its p-value (NaN where not defined).
    pub p_value: f64,
    /// Checks passed / checks.
    pub checks_passed: String,
    /// The first failed check, if any.
    pub failed: String,
    /// The verdict.
    pub verdict: String,
    /// The expected verdict.
    pub expected: String,
    /// Seeds used.
    pub seeds: String,
    /// The audit file's reason for an expected `not reproduced`.
    pub reason: String,
}

/// The rows of `claims.csv`.
pub fn claim_rows(report: &AuditReport) -> Vec<ClaimRow> {
    report
        .results
        .iter()
        .map(|r| {
            let p = &r.checks[0];
            ClaimRow {
                id: r.claim.id.into(),
                section: r.claim.section.into(),
                statement: r.claim.statement.into(),
                statistic: p.statistic.clone(),
                value: p.value,
                direction: p.direction.clone(),
                threshold: p.threshold,
                bound: p.bound,
                p_value: p.p_value,
                checks_passed: format!("{}/{}", r.checks.iter().filter(|c| c.pass).count(), r.checks.len()),
                failed: r
                    .checks
                    .iter()
                    .filter(|c| !c.pass)
                    .map(|c| c.check.clone())
                    .collect::<Vec<_>>()
                    .join(" "),
                verdict: r.verdict.as_str().into(),
                expected: r.expected.as_str().into(),
                seeds: r.seeds.clone(),
                reason: r.reason.clone().unwrap_or_default(),
            }
        })
        .collect()
}

/// A row of `runs.csv`: one simulation's summary.
fn runs_csv(report: &AuditReport) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let first = report.evidence.runs.first().map(|r| r.output.summary());
    let mut header = vec![
        "series".to_string(),
        "arm".into(),
        "seed".into(),
        "d".into(),
        "d1".into(),
        "m".into(),
        "steps".into(),
    ];
    if let Some(f) = &first {
        header.extend(f.rows().iter().map(|(k, _)| k.name().to_string()));
    }
    w.write_record(&header)?;
    for r in &report.evidence.runs {
        let s = &r.plan.settings;
        let mut rec = vec![
            format!("{:?}", r.plan.series).to_lowercase(),
            if r.plan.augmented {
                "random_mask".into()
            } else {
                "none".into()
            },
            s.seed.to_string(),
            s.model.d.to_string(),
            s.model.d1.to_string(),
            s.network.m.to_string(),
            s.train.steps.to_string(),
        ];
        rec.extend(r.output.summary().rows().iter().map(|(_, v)| v.to_string()));
        w.write_record(&rec)?;
    }
    w.into_inner().map_err(|e| Error::Write {
        path: "runs.csv".into(),
        source: e.into_error(),
    })
}

/// Write `claims.csv`, `evidence/<id>.csv` (one per claim: its checks) and `runs.csv`
/// (every simulation's summary) into `dir`. Deterministic: no timings.
pub fn write_audit(dir: &Path, report: &AuditReport) -> Result<()> {
    use crate::io::{csv_bytes, write_atomic};
    let claims = csv_bytes(&claim_rows(report))?;
    let mut evidence = Vec::new();
    for r in &report.results {
        evidence.push((
            dir.join("evidence").join(format!("{}.csv", r.claim.id)),
            csv_bytes(&r.checks)?,
        ));
    }
    let runs = runs_csv(report)?;
    for (path, bytes) in evidence {
        write_atomic(&path, &bytes)?;
    }
    write_atomic(&dir.join("runs.csv"), &runs)?;
    write_atomic(&dir.join("claims.csv"), &claims)
}

/// The report's CSV tables, one per theorem / corollary of the seed plus the claims table:
/// `table_data_model.csv` (§2.1), `table_decoupling.csv` (§2.4), `table_theorem_no_aug.csv`
/// (§3.1 theorem), `table_corollary_no_aug.csv` (§3.1 probes), `table_theorem_aug.csv` (§3.2
/// theorem), `table_corollary_aug.csv` (§3.2 probes) and `claims.csv`. Deterministic.
pub fn write_report_tables(dir: &Path, report: &AuditReport) -> Result<Vec<PathBuf>> {
    use crate::io::write_atomic;
    let mut written = Vec::new();
    let mut put = |name: &str, bytes: Vec<u8>| -> Result<()> {
        let p = dir.join(name);
        write_atomic(&p, &bytes)?;
        written.push(p);
        Ok(())
    };

    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "d",
        "d1",
        "samples",
        "median_noise_to_signal_energy",
        "frac_z_zero",
        "min_abs_signal_corr",
        "q50_abs_noise_proj",
        "q99_abs_noise_proj",
        "sqrt_ln_d_over_d",
    ])?;
    for p in &report.evidence.data {
        let finite: Vec<f64> = p.ratio.iter().copied().filter(|r| r.is_finite()).collect();
        let mut proj = p.noise_proj.clone();
        proj.sort_by(f64::total_cmp);
        w.write_record([
            p.d.to_string(),
            p.d1.to_string(),
            p.ratio.len().to_string(),
            crate::stats::median(&finite).to_string(),
            (1.0 - finite.len() as f64 / p.ratio.len() as f64).to_string(),
            p.min_signal_corr.to_string(),
            crate::stats::quantile_sorted(&proj, 0.5).to_string(),
            crate::stats::quantile_sorted(&proj, 0.99).to_string(),
            ((p.d as f64).ln() / p.d as f64).sqrt().to_string(),
        ])?;
    }
    put("table_data_model.csv", finish(w)?)?;

    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "estimate",
        "draws",
        "monte_carlo_mean",
        "ci_low",
        "ci_high",
        "closed_form",
    ])?;
    let d = &report.evidence.decoupling;
    for e in d.triples.iter().chain([&d.noise, &d.noise_no_aug, &d.sparse]) {
        let (m, lo, hi) = crate::stats::t_interval(&e.draws, 0.95);
        w.write_record([
            e.name.clone(),
            e.draws.len().to_string(),
            m.to_string(),
            lo.to_string(),
            hi.to_string(),
            e.closed_form.to_string(),
        ])?;
    }
    w.write_record([
        "exact enumeration, max relative error".into(),
        "all masks".into(),
        d.exact_rel_error.to_string(),
        String::new(),
        String::new(),
        "0".into(),
    ])?;
    w.write_record([
        "identity dictionary, max |product|".into(),
        d.noise.draws.len().to_string(),
        d.identity_max_abs.to_string(),
        String::new(),
        String::new(),
        "0".into(),
    ])?;
    put("table_decoupling.csv", finish(w)?)?;

    let theorem = [
        Metric::FinalLoss,
        Metric::LossAtChance,
        Metric::AlignMedian,
        Metric::FracAligned,
        Metric::AtomsCovered,
        Metric::AtomsTotal,
        Metric::NeuronsPerAtomMin,
        Metric::NeuronsPerAtomMedian,
        Metric::NeuronsPerAtomMax,
        Metric::SupportMedian,
        Metric::SparseShareMedian,
        Metric::NoiseCosMean,
        Metric::NoiseCosQ10,
        Metric::ZeroReprFrac,
        Metric::AtomBestCosMin,
        Metric::AtomBestCosMedian,
        Metric::AtomBestCosMax,
    ];
    let corollary = [
        Metric::ProbeRegressionRelMse,
        Metric::ProbeUntrainedRegressionRelMse,
        Metric::ProbeRawXRegressionRelMse,
        Metric::ProbeOracleZRegressionRelMse,
        Metric::ProbeClassificationAcc,
        Metric::ProbeUntrainedClassificationAcc,
        Metric::ProbeRawXClassificationAcc,
        Metric::ProbeOracleZClassificationAcc,
    ];
    for (name, augmented, cols) in [
        ("table_theorem_no_aug.csv", false, &theorem[..]),
        ("table_corollary_no_aug.csv", false, &corollary[..]),
        ("table_theorem_aug.csv", true, &theorem[..]),
        ("table_corollary_aug.csv", true, &corollary[..]),
    ] {
        let mut w = csv::Writer::from_writer(Vec::new());
        let mut header = vec!["series", "seed", "d", "d1", "m", "steps"];
        header.extend(cols.iter().map(|m| m.name()));
        w.write_record(&header)?;
        for r in report.evidence.runs.iter().filter(|r| r.plan.augmented == augmented) {
            let s = &r.plan.settings;
            let summary = r.output.summary();
            let mut rec = vec![
                format!("{:?}", r.plan.series).to_lowercase(),
                s.seed.to_string(),
                s.model.d.to_string(),
                s.model.d1.to_string(),
                s.network.m.to_string(),
                s.train.steps.to_string(),
            ];
            for c in cols {
                rec.push(summary.get(*c).to_string());
            }
            w.write_record(&rec)?;
        }
        put(name, finish(w)?)?;
    }
    put("claims.csv", crate::io::csv_bytes(&claim_rows(report))?)?;
    Ok(written)
}

fn finish(w: csv::Writer<Vec<u8>>) -> Result<Vec<u8>> {
    w.into_inner().map_err(|e| Error::Write {
        path: "<csv buffer>".into(),
        source: e.into_error(),
    })
}
