//! The claims table: one row per claim of the audit (its primary check, the count of passed
//! checks, the verdict and the audit file's expectation), rendered as text for
//! `decouple audit` and as Markdown for REPORT.md from the same cells; and the report's
//! claims section, which runs (or reruns) the audit at the report's scale.

use crate::audit::{self, AuditFile, AuditReport, ClaimRow, Comparison};
use crate::error::Result;
use crate::report::progress::{ProgressEvent, SectionKind};
use crate::report::{Ctx, Section};

/// A check other than the primary one that failed (the text table lists it under its claim).
#[derive(Debug, Clone)]
pub struct FailedCheck {
    /// Short name.
    pub check: String,
    /// Its value.
    pub value: f64,
    /// `>=`, `<=` or `in CI`.
    pub direction: Comparison,
    /// Its threshold.
    pub threshold: f64,
    /// Its confidence bound.
    pub bound: f64,
}

/// One claim of the claims table: the audit's row (its primary check) and its other
/// failed checks.
#[derive(Debug, Clone)]
pub struct ClaimLine {
    /// The row of `claims.csv`.
    pub row: ClaimRow,
    /// The checks after the primary one that failed, in order.
    pub other_failures: Vec<FailedCheck>,
}

/// The claims table's lines of an audit, in registry order.
pub fn claim_lines(report: &AuditReport) -> Vec<ClaimLine> {
    audit::claim_rows(report)
        .into_iter()
        .zip(&report.results)
        .map(|(row, r)| ClaimLine {
            row,
            other_failures: r
                .checks
                .iter()
                .skip(1)
                .filter(|c| !c.pass)
                .map(|c| FailedCheck {
                    check: c.check.to_string(),
                    value: c.value,
                    direction: c.direction,
                    threshold: c.threshold,
                    bound: c.bound,
                })
                .collect(),
        })
        .collect()
}

/// The cells both renderings show, numbers with four decimals.
struct Cells<'a> {
    id: &'a str,
    section: &'a str,
    statistic: &'a str,
    value: String,
    direction: &'a str,
    threshold: String,
    bound: String,
    checks: &'a str,
    verdict: &'a str,
    expected: &'a str,
}

fn cells(r: &ClaimRow) -> Cells<'_> {
    Cells {
        id: &r.id,
        section: &r.section,
        statistic: &r.statistic,
        value: format!("{:.4}", r.value),
        direction: r.direction.symbol(),
        threshold: format!("{:.4}", r.threshold),
        bound: format!("{:.4}", r.bound),
        checks: &r.checks_passed,
        verdict: &r.verdict,
        expected: &r.expected,
    }
}

/// The claims table as aligned text (what `decouple audit` prints): claim, section, the
/// primary check's value, direction, threshold and bound, verdict, expectation (flagged
/// when they differ), and under each claim its other failed checks.
pub fn claims_table_text(lines: &[ClaimLine]) -> String {
    let mut s = format!(
        "{:<30} {:<9} {:>11} {:>3} {:>11} {:>11}  {:<15} expected\n",
        "claim", "section", "statistic", "", "threshold", "bound", "verdict"
    );
    for line in lines {
        let c = cells(&line.row);
        let flag = if c.verdict == c.expected { "" } else { "  <-- differs" };
        s.push_str(&format!(
            "{:<30} {:<9} {:>11} {:>3} {:>11} {:>11}  {:<15} {}{}\n",
            c.id, c.section, c.value, c.direction, c.threshold, c.bound, c.verdict, c.expected, flag
        ));
        for f in &line.other_failures {
            s.push_str(&format!(
                "{:<30}   failed: {} ({:.4} {} {:.4}, bound {:.4})\n",
                "", f.check, f.value, f.direction, f.threshold, f.bound
            ));
        }
    }
    s
}

/// The claims table as Markdown (REPORT.md): claim, section, the primary check's
/// statistic, value, threshold and bound, passed checks, verdict, expectation.
pub fn claims_table_markdown(lines: &[ClaimLine]) -> String {
    let mut md = String::from(
        "| claim | § | statistic | value | threshold | bound | checks | verdict | expected |\n\
         |---|---|---|---|---|---|---|---|---|\n",
    );
    for line in lines {
        let c = cells(&line.row);
        md.push_str(&format!(
            "| `{}` | {} | {} | {} | {} {} | {} | {} | {} | {} |\n",
            c.id,
            c.section,
            c.statistic.replace('|', "\\|"),
            c.value,
            c.direction,
            c.threshold,
            c.bound,
            c.checks,
            c.verdict,
            c.expected
        ));
    }
    md
}

/// The claim-by-claim audit at this scale (`experiments/audit_<scale>.toml`): its CSV
/// tables under `out/claims/` and the claims table as Markdown.
pub(super) fn claims_section(ctx: &Ctx<'_>) -> Result<Section> {
    let scale = ctx.scale.name();
    let file = ctx.experiments.join(format!("audit_{scale}.toml"));
    let audit = AuditFile::from_file(&file)?;
    let runs = audit::plan(&audit)?.len();
    let progress = ctx.progress;
    progress(ProgressEvent::SectionStarted {
        section: SectionKind::Claims,
        name: "audit",
        runs,
    });
    let report = audit::run_audit(audit, ctx.jobs, |done, total| {
        progress(ProgressEvent::Advanced { done, total })
    })?;
    progress(ProgressEvent::SectionFinished {
        section: SectionKind::Claims,
    });
    let dir = ctx.out.join("claims");
    let tables = audit::write_report_tables(&dir, &report)?;
    audit::write_audit(&dir.join("audit"), &report)?;
    let mut md = format!(
        "Every claim of the paper as a statistical check (`decouple audit --scale {scale}`; thresholds, \
         expectations and their reasons in `experiments/audit_{scale}.toml`). A claim is *reproduced* when \
         every one of its checks passes: a one-sided confidence bound beyond its threshold at \
         confidence 1 − α/S (α = {}, Bonferroni over the S statistical checks of the audit). The \
         columns show the claim's first check; `checks` counts the passed ones.\n\n{}",
        report.audit.alpha,
        claims_table_markdown(&claim_lines(&report))
    );
    md.push_str("\nTables behind it (one per theorem / corollary of the paper, docs/THEORY.md §2):\n\n");
    for t in tables {
        let name = t
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        md.push_str(&format!("- [`claims/{name}`](claims/{name})\n"));
    }
    md.push_str(
        "- per-claim evidence: `claims/audit/evidence/<claim>.csv`; every simulation: `claims/audit/runs.csv`\n",
    );
    Ok(Section {
        title: "Claims".into(),
        markdown: md,
    })
}
