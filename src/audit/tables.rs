//! The audit's output files: `claims.csv`, `evidence/<claim>.csv` and `runs.csv`, and the
//! report's per-result tables.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::audit::check::{Check, Comparison, Verdict};
use crate::audit::AuditReport;
use crate::error::Result;
use crate::io::finish_csv;
use crate::sim::summary::Metric;

/// A row of `claims.csv`.
#[derive(Debug, Clone, Serialize)]
pub struct ClaimRow {
    /// Claim id.
    pub id: String,
    /// What it is about: `data model`, `identity` or `trained network`.
    pub kind: String,
    /// The paper's section.
    pub section: String,
    /// The claim.
    pub statement: String,
    /// The primary check's statistic.
    pub statistic: String,
    /// Its value.
    pub value: f64,
    /// `>=`, `<=` or `in CI`.
    pub direction: Comparison,
    /// Its threshold.
    pub threshold: f64,
    /// Its interval, lower end (each end one-sided at `confidence`).
    pub ci_low: f64,
    /// Its interval, upper end.
    pub ci_high: f64,
    /// The confidence of each end (1 − α/S).
    pub confidence: f64,
    /// Its p-value (NaN where not defined).
    pub p_value: f64,
    /// The primary check on the untrained network: its value (NaN where n/a).
    pub control_value: f64,
    /// The control's verdict, or `n/a`.
    pub control_verdict: String,
    /// The checks' verdicts counted by evidence layer, e.g. `about the paper: 3
    /// reproduced, 1 inconclusive; fixed by the implementation: 2 refuted`.
    pub checks: String,
    /// The checks not reproduced, each with its verdict.
    pub not_reproduced: String,
    /// For data-model claims: the verdict in each regime of d1 (empty otherwise).
    pub regimes: String,
    /// The verdict (over the checks about the paper).
    pub verdict: Verdict,
    /// `about the paper` when some check is; else the layer of its checks.
    pub layer: String,
    /// Why, when the claim has no check about the paper.
    pub layer_reason: String,
    /// The expected verdict.
    pub expected: Verdict,
    /// Seeds used.
    pub seeds: String,
    /// The audit file's reason for an expectation other than `reproduced`.
    pub reason: String,
}

/// `3 reproduced, 1 inconclusive`: the verdicts of `checks` counted (zero counts left out).
pub fn count_verdicts<'a>(verdicts: impl IntoIterator<Item = &'a Verdict>) -> String {
    let v: Vec<Verdict> = verdicts.into_iter().copied().collect();
    Verdict::ALL
        .iter()
        .filter_map(|w| {
            let k = v.iter().filter(|x| *x == w).count();
            (k > 0).then(|| format!("{k} {}", w.as_str()))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The verdicts of `checks` counted per evidence layer:
/// `about the paper: 3 reproduced; fixed by the implementation: 1 refuted`.
pub fn count_by_layer(checks: &[Check]) -> String {
    crate::audit::check::Layer::NAMES
        .iter()
        .filter_map(|layer| {
            let in_layer: Vec<&Verdict> = checks
                .iter()
                .filter(|c| c.layer.as_str() == *layer)
                .map(|c| &c.verdict)
                .collect();
            (!in_layer.is_empty()).then(|| format!("{layer}: {}", count_verdicts(in_layer)))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// `d1 = d^2: reproduced; d1 = 8d: refuted`: the verdict of the checks of each regime.
fn regime_verdicts(checks: &[Check]) -> String {
    let mut names: Vec<&str> = Vec::new();
    for c in checks.iter().filter(|c| !c.regime.is_empty()) {
        if !names.contains(&c.regime.as_str()) {
            names.push(&c.regime);
        }
    }
    names
        .iter()
        .map(|n| {
            let v = Verdict::combine(checks.iter().filter(|c| c.regime == *n).map(|c| c.verdict));
            format!("{n}: {v}")
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The rows of `claims.csv`.
pub fn claim_rows(report: &AuditReport) -> Vec<ClaimRow> {
    report
        .results
        .iter()
        .map(|r| {
            let p = &r.checks[0];
            ClaimRow {
                id: r.claim.id().into(),
                kind: r.claim.kind().as_str().into(),
                section: r.claim.section().into(),
                statement: r.claim.statement().into(),
                statistic: p.statistic.clone(),
                value: p.value,
                direction: p.direction,
                threshold: p.threshold,
                ci_low: p.ends().0,
                ci_high: p.ends().1,
                confidence: p.interval.confidence().unwrap_or(f64::NAN),
                p_value: p.p_value.unwrap_or(f64::NAN),
                control_value: p.control_value(),
                control_verdict: p.control_verdict().into(),
                checks: count_by_layer(&r.checks),
                not_reproduced: r
                    .checks
                    .iter()
                    .filter(|c| !c.reproduced() && c.about_paper())
                    .map(|c| format!("{} ({})", c.check, c.verdict))
                    .collect::<Vec<_>>()
                    .join("; "),
                regimes: regime_verdicts(&r.checks),
                verdict: r.verdict,
                layer: r.layer.as_str().into(),
                layer_reason: r.layer.reason().into(),
                expected: r.expected,
                seeds: r.seeds.clone(),
                reason: r.reason.clone().unwrap_or_default(),
            }
        })
        .collect()
}

/// `checks.csv`: every check of every claim, in registry order, each row led by its claim's
/// id and kind, then the columns of the claim's evidence CSV.
pub fn checks_csv(report: &AuditReport) -> Result<Vec<u8>> {
    let mut w = csv::WriterBuilder::new().has_headers(false).from_writer(Vec::new());
    // The evidence CSV's header, as serde writes it for a Check.
    if let Some(first) = report.results.iter().flat_map(|r| r.checks.first()).next() {
        let mut h = csv::Writer::from_writer(Vec::new());
        h.serialize(first)?;
        let bytes = finish_csv(h)?;
        let mut r = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(bytes.as_slice());
        let header = r.records().next().transpose()?.unwrap_or_default();
        w.write_field("claim")?;
        w.write_field("kind")?;
        w.write_record(&header)?;
    }
    for r in &report.results {
        for c in &r.checks {
            w.write_field(r.claim.id())?;
            w.write_field(r.claim.kind().as_str())?;
            w.serialize(c)?;
        }
    }
    finish_csv(w)
}

/// The columns that say which simulation a row is (after `series` and `arm`).
const SETTING_COLUMNS: [&str; 9] = ["seed", "d", "d1", "m", "steps", "lr", "tau", "kappa", "weight_decay"];

/// The values of [`SETTING_COLUMNS`] for one run.
fn setting_values(s: &crate::config::Settings) -> Vec<String> {
    vec![
        s.seed.to_string(),
        s.model.d.to_string(),
        s.model.d1.to_string(),
        s.network.m.to_string(),
        s.train.steps.to_string(),
        s.train.lr.to_string(),
        s.train.tau.to_string(),
        s.network.kappa.to_string(),
        s.train.weight_decay.to_string(),
    ]
}

/// A row of `runs.csv`: one simulation's summary.
fn runs_csv(report: &AuditReport) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let first = report.evidence.runs.first().map(|r| &r.summary);
    let mut header = vec!["series".to_string(), "arm".into()];
    header.extend(SETTING_COLUMNS.iter().map(|c| c.to_string()));
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
        ];
        rec.extend(setting_values(s));
        rec.extend(r.summary.rows().iter().map(|(_, v)| v.to_string()));
        w.write_record(&rec)?;
    }
    finish_csv(w)
}

/// Write `claims.csv`, `checks.csv` (every check of every claim), `evidence/<id>.csv` (one
/// per claim: its checks) and `runs.csv` (every simulation's summary) into `dir`.
/// Deterministic: no timings.
pub fn write_audit(dir: &Path, report: &AuditReport) -> Result<()> {
    use crate::io::{csv_bytes, write_atomic};
    let claims = csv_bytes(&claim_rows(report))?;
    let checks = checks_csv(report)?;
    let mut evidence = Vec::new();
    for r in &report.results {
        evidence.push((
            dir.join("evidence").join(format!("{}.csv", r.claim.id())),
            csv_bytes(&r.checks)?,
        ));
    }
    let runs = runs_csv(report)?;
    for (path, bytes) in evidence {
        write_atomic(&path, &bytes)?;
    }
    write_atomic(&dir.join("runs.csv"), &runs)?;
    write_atomic(&dir.join("checks.csv"), &checks)?;
    write_atomic(&dir.join("claims.csv"), &claims)
}

/// The report's CSV tables, one per result of the paper plus the claims table:
/// `table_data_model.csv` (docs/THEORY.md §1.1), `table_decoupling.csv` (§1.4),
/// `table_theorem_no_aug.csv` (§2.1 theorem), `table_corollary_no_aug.csv` (§2.1 probes),
/// `table_theorem_aug.csv` (§2.2 theorem), `table_corollary_aug.csv` (§2.2 probes) and
/// `claims.csv`. Deterministic.
pub fn write_report_tables(dir: &Path, report: &AuditReport) -> Result<Vec<PathBuf>> {
    use crate::io::write_atomic;
    let mut written = Vec::new();
    let mut put = |name: &str, bytes: Vec<u8>| -> Result<()> {
        let p = dir.join(name);
        write_atomic(&p, &bytes)?;
        written.push(p);
        Ok(())
    };
    put("table_data_model.csv", data_model_table(report)?)?;
    put("table_decoupling.csv", decoupling_table(report)?)?;
    for (name, augmented, cols) in [
        ("table_theorem_no_aug.csv", false, &THEOREM_COLUMNS[..]),
        ("table_corollary_no_aug.csv", false, &COROLLARY_COLUMNS[..]),
        ("table_theorem_aug.csv", true, &THEOREM_COLUMNS[..]),
        ("table_corollary_aug.csv", true, &COROLLARY_COLUMNS[..]),
    ] {
        put(name, run_table(report, augmented, cols)?)?;
    }
    put("claims.csv", crate::io::csv_bytes(&claim_rows(report))?)?;
    Ok(written)
}

/// `table_data_model.csv`: the data model at each d (docs/THEORY.md §1.1).
fn data_model_table(report: &AuditReport) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "regime",
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
    for (regime, p) in report
        .evidence
        .data
        .iter()
        .flat_map(|r| r.points.iter().map(move |p| (&r.name, p)))
    {
        let finite: Vec<f64> = p.ratio.iter().copied().filter(|r| r.is_finite()).collect();
        let mut proj = p.noise_proj.clone();
        proj.sort_by(f64::total_cmp);
        w.write_record([
            regime.clone(),
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
    finish_csv(w)
}

/// `table_decoupling.csv`: the RandomMask identity (docs/THEORY.md §1.4).
fn decoupling_table(report: &AuditReport) -> Result<Vec<u8>> {
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
    finish_csv(w)
}

/// A table of the runs of one arm with the summary metrics `cols`.
fn run_table(report: &AuditReport, augmented: bool, cols: &[Metric]) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["series"];
    header.extend(SETTING_COLUMNS);
    header.extend(cols.iter().map(|m| m.name()));
    w.write_record(&header)?;
    for r in report.evidence.runs.iter().filter(|r| r.plan.augmented == augmented) {
        let s = &r.plan.settings;
        let summary = &r.summary;
        let mut rec = vec![format!("{:?}", r.plan.series).to_lowercase()];
        rec.extend(setting_values(s));
        for c in cols {
            rec.push(summary.get(*c).to_string());
        }
        w.write_record(&rec)?;
    }
    finish_csv(w)
}

/// The columns of the theorem tables.
const THEOREM_COLUMNS: [Metric; 24] = [
    Metric::FinalLoss,
    Metric::LossAtChance,
    Metric::EvalLoss,
    Metric::EvalLossZZero,
    Metric::EvalLossZNonzero,
    Metric::EvalLossUntrained,
    Metric::LossFloor,
    Metric::LossFloorZZero,
    Metric::LossFloorZNonzero,
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
/// The columns of the corollary tables.
const COROLLARY_COLUMNS: [Metric; 12] = [
    Metric::ProbeRegressionRelMse,
    Metric::ProbeUntrainedRegressionRelMse,
    Metric::ProbeRawXRegressionRelMse,
    Metric::ProbeOracleZRegressionRelMse,
    Metric::ProbeNoiseFreeRegressionRelMse,
    Metric::ProbeOracleNetRegressionRelMse,
    Metric::ProbeClassificationAcc,
    Metric::ProbeUntrainedClassificationAcc,
    Metric::ProbeRawXClassificationAcc,
    Metric::ProbeOracleZClassificationAcc,
    Metric::ProbeNoiseFreeClassificationAcc,
    Metric::ProbeOracleNetClassificationAcc,
];
