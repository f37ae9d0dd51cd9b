//! The claim-by-claim audit: which simulations and samples each claim needs, run side by
//! side on the cores, judged by [`claims`], written as CSV tables.
//!
//! An audit file (`experiments/audit_quick.toml`, `experiments/audit_full.toml`) names the
//! experiment files the runs start from, the seeds, the sweeps over d, the Monte Carlo
//! sizes, and, per claim, the expected verdict and the thresholds (each with a comment
//! saying why that number stands for the asymptotic statement). No threshold is in code.
//!
//! * [`spec`]: the audit file and its validation;
//! * [`plan`]: the simulations, as jobs of the launcher ([`crate::exec`]);
//! * [`evidence`]: what the claims are judged on;
//! * [`check`]: verdicts, checks and the Bonferroni confidence;
//! * [`claims`]: the registry of the paper's claims (docs/THEORY.md §3);
//! * [`tables`]: the output files.

pub mod check;
pub mod claims;
pub mod evidence;
pub mod plan;
pub mod preconditions;
pub mod scale;
pub mod spec;
pub mod tables;

pub use check::{Check, Checker, Comparison, Control, Controls, Interval, Layer, Verdict};
pub use claims::ClaimResult;
pub use evidence::{DataRegime, Evidence, FinishedRun};
pub use plan::{finished, jobs, plan, PlannedRun, Series};
pub use spec::{AuditFile, ClaimSpec, DataRegimeSpec, DataSpec, MSweepSpec, MainSpec, PreconditionSpec, SweepSpec};
pub use tables::{claim_rows, write_audit, write_report_tables, ClaimRow};

use std::path::Path;

use crate::error::Result;
use crate::exec::Launcher;
use crate::sim::sampling;

impl AuditFile {
    /// Read and validate an audit file: its sizes, and every registered claim's entry
    /// (present, known, with exactly the thresholds the claim reads), so that a typo fails
    /// before any simulation runs.
    pub fn from_file(path: &std::path::Path) -> Result<Self> {
        Self::from_file_with(path, &[])
    }

    /// [`Self::from_file`] with `--set` overrides: a key under one of the audit file's own
    /// sections ([`spec::AUDIT_KEYS`]: `seeds`, `aug_sweep.d`, `claims.<id>.<threshold>`, …)
    /// changes the audit file; any other key (`train.steps`, `model.d1`, …) changes both
    /// experiment files of `[main]`, and so every series derived from them. Every override
    /// is checked here, before any simulation runs.
    pub fn from_file_with(path: &std::path::Path, sets: &[crate::config::Override]) -> Result<Self> {
        let a = Self::parse_file(path, sets)?;
        claims::check_specs(&a)?;
        // The experiment files parse and check with the overrides applied.
        a.experiment(&a.main.aug)?.check()?;
        a.experiment(&a.main.no_aug)?.check()?;
        Ok(a)
    }
}

/// A finished audit: the claims' verdicts and the evidence behind them.
pub struct AuditReport {
    /// The audit file.
    pub audit: AuditFile,
    /// Verdicts, in registry order.
    pub results: Vec<ClaimResult>,
    /// The evidence.
    pub evidence: Evidence,
}

impl AuditReport {
    /// Claims whose verdict differs from the audit file's expectation.
    pub fn unexpected(&self) -> Vec<&ClaimResult> {
        self.results.iter().filter(|r| r.verdict != r.expected).collect()
    }
}

/// Run the whole audit: its simulations through `launcher` (kept under `store` and
/// resumed from it when given), then the sampling checks, then the verdicts.
/// Deterministic for a given audit file, whatever the launcher's jobs and whatever was
/// resumed.
pub fn run_audit(audit: AuditFile, launcher: &Launcher<'_>, store: Option<&Path>) -> Result<AuditReport> {
    let planned = plan(&audit)?;
    let outcomes = launcher.launch(&jobs(&planned, store)?)?.all()?;
    judge(audit, finished(planned, outcomes)?)
}

/// The verdicts of an audit on its finished simulations (in plan order): the sampling
/// checks are drawn here, then every claim is judged.
pub fn judge(audit: AuditFile, runs: Vec<FinishedRun>) -> Result<AuditReport> {
    let seed = audit.seeds[0];
    let data = audit
        .data
        .regimes()
        .into_iter()
        .map(|(name, sizes)| evidence::DataRegime {
            name,
            d1_rule: crate::config::SizeRule::new(sizes.d1_factor, sizes.d1_power),
            points: sampling::data_points(&sizes, seed),
        })
        .collect();
    let decoupling = sampling::decoupling(&audit.decoupling, seed);
    let evidence = Evidence {
        runs,
        data,
        decoupling,
        preconditions: audit.preconditions,
    };
    let results = claims::evaluate(&audit, &evidence)?;
    Ok(AuditReport {
        audit,
        results,
        evidence,
    })
}
