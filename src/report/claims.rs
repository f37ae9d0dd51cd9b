//! The claims table: one row per claim of the audit, grouped by kind (data model, the
//! identity, trained networks) with the verdicts counted per kind — its primary check's
//! value, interval and threshold, the untrained-network control, the verdict and the audit
//! file's expectation — rendered as text for `decouple audit` and as Markdown for REPORT.md
//! from the same cells; the evidence tables (every check, per result of the paper); and the
//! report's claims section, which runs (or reruns) the audit at the report's scale.

use crate::audit::claims::Kind;
use crate::audit::{self, AuditFile, AuditReport, Check, ClaimRow, PlannedRun, Verdict};
use crate::error::Result;
use crate::exec::progress::ProgressEvent;
use crate::exec::{Job, Outcome};
use crate::report::format;
use crate::report::{Ctx, Section};

/// One claim of the claims table: the audit's row (its primary check) and its other checks
/// that were not reproduced.
#[derive(Debug, Clone)]
pub struct ClaimLine {
    /// The claim's kind.
    pub kind: Kind,
    /// The row of `claims.csv`.
    pub row: ClaimRow,
    /// The checks after the primary one that were not reproduced, in order.
    pub other_failures: Vec<Check>,
}

/// The claims table's lines of an audit, in registry order.
pub fn claim_lines(report: &AuditReport) -> Vec<ClaimLine> {
    audit::claim_rows(report)
        .into_iter()
        .zip(&report.results)
        .map(|(row, r)| ClaimLine {
            kind: r.claim.kind(),
            row,
            other_failures: r.checks.iter().skip(1).filter(|c| !c.reproduced()).cloned().collect(),
        })
        .collect()
}

/// The control cell: `value verdict` or `n/a`.
fn control(value: f64, verdict: &str) -> String {
    if value.is_nan() {
        verdict.to_string()
    } else {
        format!("{} {verdict}", format::sig(value, 3))
    }
}

/// The claims of `lines` counted by evidence layer: `about the paper: 3 reproduced, 1
/// refuted; fixed by the implementation: 1` (a claim counts in a layer other than the
/// paper's only when none of its checks is about the paper).
pub fn count_claims(lines: &[&ClaimLine]) -> String {
    audit::Layer::NAMES
        .iter()
        .filter_map(|layer| {
            let v: Vec<Verdict> = lines
                .iter()
                .filter(|l| l.row.layer == *layer)
                .map(|l| l.row.verdict)
                .collect();
            match (v.is_empty(), *layer == audit::Layer::NAMES[0]) {
                (true, _) => None,
                (false, true) => Some(format!("{layer}: {}", audit::tables::count_verdicts(&v))),
                (false, false) => Some(format!("{layer}: {}", v.len())),
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// `kind: about the paper: 3 reproduced, 1 refuted; …` for every kind present.
pub fn counts_by_kind(lines: &[ClaimLine]) -> Vec<(Kind, String)> {
    Kind::ALL
        .iter()
        .filter(|k| lines.iter().any(|l| l.kind == **k))
        .map(|&k| {
            let of_kind: Vec<&ClaimLine> = lines.iter().filter(|l| l.kind == k).collect();
            (k, count_claims(&of_kind))
        })
        .collect()
}

/// The verdict cell of a claim: its verdict about the paper, or the layer all its checks
/// are in.
fn verdict_cell(r: &ClaimRow) -> String {
    if r.layer == audit::Layer::NAMES[0] {
        r.verdict.to_string()
    } else {
        format!("({})", r.layer)
    }
}

/// The claims table as aligned text (what `decouple audit` prints), grouped by kind: claim,
/// section, the primary check's value, direction, threshold and interval, the control,
/// verdict, expectation (flagged when they differ), and under each claim its other checks
/// that were not reproduced.
pub fn claims_table_text(lines: &[ClaimLine]) -> String {
    let mut s = String::new();
    for (kind, counts) in counts_by_kind(lines) {
        s.push_str(&format!("{} ({counts})\n", kind.heading()));
        s.push_str(&format!(
            "  {:<28} {:<7} {:>9} {:>5} {:>9} {:>22} {:>20}  {:<13} expected\n",
            "claim", "section", "statistic", "", "threshold", "interval", "untrained control", "verdict"
        ));
        for line in lines.iter().filter(|l| l.kind == kind) {
            let r = &line.row;
            let flag = if r.verdict == r.expected { "" } else { "  <-- differs" };
            s.push_str(&format!(
                "  {:<28} {:<7} {:>9} {:>5} {:>9} {:>22} {:>20}  {:<13} {}{}\n",
                r.id,
                r.section,
                format::sig(r.value, 3),
                r.direction.symbol(),
                format::sig(r.threshold, 3),
                format::interval_sig(r.ci_low, r.ci_high, 3),
                control(r.control_value, &r.control_verdict),
                verdict_cell(r),
                r.expected,
                flag
            ));
            if !r.regimes.is_empty() {
                s.push_str(&format!("  {:<28}   by regime: {}\n", "", r.regimes));
            }
            for f in &line.other_failures {
                let layer = if f.about_paper() {
                    String::new()
                } else {
                    format!(" [{}]", f.layer.as_str())
                };
                s.push_str(&format!(
                    "  {:<28}   {}{layer}: {} {} {} {}, interval {}\n",
                    "",
                    f.verdict,
                    f.check,
                    format::sig(f.value, 3),
                    f.direction.symbol(),
                    format::sig(f.threshold, 3),
                    format::interval_sig(f.ends().0, f.ends().1, 3)
                ));
            }
        }
        s.push('\n');
    }
    s
}

/// The claims table as Markdown (REPORT.md), grouped by kind: claim, section, the primary
/// check's statistic, value, interval and threshold, the untrained-network control, the
/// checks' verdicts counted, verdict, expectation.
pub fn claims_table_markdown(lines: &[ClaimLine]) -> String {
    let mut md = String::new();
    for (kind, counts) in counts_by_kind(lines) {
        md.push_str(&format!(
            "**{}** — {counts}\n\n| claim | § | statistic (first check) | value | interval | threshold | untrained control | checks | verdict | expected |\n\
             |---|---|---|---|---|---|---|---|---|---|\n",
            kind.heading()
        ));
        for line in lines.iter().filter(|l| l.kind == kind) {
            let r = &line.row;
            md.push_str(&format!(
                "| `{}` | {} | {} | {} | {} | {} {} | {} | {} | {} | {} |\n",
                r.id,
                r.section,
                r.statistic.replace('|', "\\|"),
                format::sig(r.value, 3),
                format::interval_sig(r.ci_low, r.ci_high, 3),
                r.direction.symbol(),
                format::sig(r.threshold, 3),
                control(r.control_value, &r.control_verdict),
                r.checks,
                if r.regimes.is_empty() {
                    verdict_cell(r)
                } else {
                    format!("{} ({})", verdict_cell(r), r.regimes)
                },
                r.expected
            ));
        }
        md.push('\n');
    }
    md
}

/// Every check of the audit as Markdown, one table per result of the paper (the claims
/// that restate it): claim, check, value, interval, threshold, verdict, control.
pub fn evidence_tables_markdown(report: &AuditReport) -> String {
    let mut results: Vec<&str> = Vec::new();
    for r in &report.results {
        if !results.contains(&r.claim.result()) {
            results.push(r.claim.result());
        }
    }
    let mut md = String::new();
    for result in results {
        md.push_str(&format!(
            "**{result}**\n\n| claim | check | value | interval | threshold | verdict | layer | untrained | oracle | random |\n|---|---|---|---|---|---|---|---|---|---|\n"
        ));
        for r in report.results.iter().filter(|r| r.claim.result() == result) {
            for c in &r.checks {
                let view = |k: Option<audit::Control>| {
                    k.map_or(audit::check::NO_CONTROL.to_string(), |k| {
                        control(k.value, k.verdict.as_str())
                    })
                };
                md.push_str(&format!(
                    "| `{}` | {} | {} | {} | {} {} | {} | {} | {} | {} | {} |\n",
                    r.claim.id(),
                    c.check,
                    format::sig(c.value, 3),
                    format::interval_sig(c.ends().0, c.ends().1, 3),
                    c.direction.symbol(),
                    format::sig(c.threshold, 3),
                    c.verdict,
                    c.layer.as_str(),
                    view(c.controls.untrained),
                    view(c.controls.oracle),
                    view(c.controls.random)
                ));
            }
        }
        md.push('\n');
    }
    md
}

/// The claim-by-claim audit at this scale, planned: the audit file, its runs and their
/// jobs (kept whole under `out/claims/runs/`, so an interrupted report resumes them).
pub(super) struct ClaimsPlan {
    audit: AuditFile,
    planned: Vec<PlannedRun>,
    /// One job per planned run.
    pub(super) jobs: Vec<Job>,
}

/// Plan the audit of `experiments/audit_<scale>.toml`.
pub(super) fn plan(ctx: &Ctx<'_>) -> Result<ClaimsPlan> {
    let file = ctx.experiments.join(format!("audit_{}.toml", ctx.scale.name()));
    let audit = AuditFile::from_file_with(&file, ctx.sets)?;
    let planned = audit::plan(&audit)?;
    let jobs = audit::jobs(&planned, Some(&ctx.out.join("claims")))?;
    (ctx.progress)(ProgressEvent::Planned {
        name: "audit",
        runs: jobs.len(),
    });
    Ok(ClaimsPlan { audit, planned, jobs })
}

impl ClaimsPlan {
    /// The claims section from the outcomes of [`Self::jobs`]: its CSV tables under
    /// `out/claims/` and the claims table as Markdown.
    pub(super) fn render(self, ctx: &Ctx<'_>, outcomes: Vec<Outcome>) -> Result<Section> {
        let report = audit::judge(self.audit, audit::finished(self.planned, outcomes)?)?;
        claims_section(ctx, &report)
    }
}

/// The claims section of a finished audit.
fn claims_section(ctx: &Ctx<'_>, report: &AuditReport) -> Result<Section> {
    let scale = ctx.scale.name();
    let dir = ctx.out.join("claims");
    let tables = audit::write_report_tables(&dir, report)?;
    audit::write_audit(&dir.join("audit"), report)?;
    let mut md = format!(
        "Every claim of the paper as a statistical check (`decouple audit --scale {scale}`; thresholds, \
         expectations and their reasons in `experiments/audit_{scale}.toml`). Each check's interval has \
         both ends one-sided at a confidence set by Holm's step-down over the S statistical checks of \
         the audit (family-wise α = {}; the first step at 1 − α/S = {:.5}): the check is *reproduced* \
         when the interval lies on the claim's side of the threshold, *refuted* when it lies on the other \
         side, *inconclusive* when it straddles it. Every check belongs to one evidence layer \
         (docs/THEORY.md §3.1): *about the paper*, *outside the hypotheses* (a precondition of its \
         regime fails) or *fixed by the implementation* (its outcome follows from a derivation about \
         this code); a claim's verdict combines its checks about the paper (reproduced when all are, \
         refuted when any is, inconclusive otherwise), and a claim with none shows its layer. The \
         columns show the claim's first check; *untrained control* is that check on the untrained \
         network (same seeds, step 0; `n/a` where it does not apply); the evidence tables add the \
         oracle network (the theorem's ideal features with this bias rule) and a random network of \
         the same norms.\n\n{}",
        report.audit.alpha,
        report
            .results
            .iter()
            .flat_map(|r| &r.checks)
            .filter_map(|c| c.interval.confidence())
            .fold(f64::NAN, f64::max),
        claims_table_markdown(&claim_lines(report))
    );
    md.push_str("\n### Every check, per result of the paper\n\n");
    md.push_str(&evidence_tables_markdown(report));
    md.push_str(&super::theorem::theorem_figures(report, &dir.join("figures"), &|p| {
        ctx.rel(p)
    })?);
    md.push_str("\nTables behind it (one per theorem / corollary of the paper, docs/THEORY.md §2):\n\n");
    for t in tables {
        let name = t
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        md.push_str(&format!("- [`claims/{name}`](claims/{name})\n"));
    }
    md.push_str(
        "- every check: `claims/audit/checks.csv`; per claim: `claims/audit/evidence/<claim>.csv`; every simulation: `claims/audit/runs.csv`\n",
    );
    Ok(Section {
        title: "Claims".into(),
        markdown: md,
    })
}
