//! Judging every claim: Holm's step-down over the audit's statistical checks, the three
//! controls of every trained-network check, and each check's evidence layer
//! (docs/THEORY.md §3.1).

use super::{spec_of, ClaimResult, DynClaim, Kind, Outcome, CLAIMS};
use crate::audit::check::{Check, Checker, Layer, Verdict};
use crate::audit::evidence::Evidence;
use crate::audit::spec::AuditFile;
use crate::error::Result;
use crate::sim::controls::View;

/// Judge every claim. Fails if the audit file lacks a claim, names an unknown one, or has
/// a threshold a claim does not read (a typo would otherwise go unnoticed).
///
/// The statistical checks are one family, held at family-wise error α by Holm's step-down
/// procedure written with intervals: every check is first built at 1 − α/S (S statistical
/// checks); the r checks that decide (reproduced or refuted) keep that interval, the rest
/// are built again at 1 − α/(S − r), and so on until no further check decides (each
/// decision at level α/n is Holm's rejection of p ≤ α/n with n hypotheses left). Every
/// check of a trained-network claim is also judged on the untrained, the oracle and the
/// random network of the same runs at its own confidence; then its evidence layer is set
/// ([`assign_layer`]) and the claim's verdict is combined from its checks about the paper.
pub fn evaluate(audit: &AuditFile, ev: &Evidence) -> Result<Vec<ClaimResult>> {
    super::check_specs(audit)?;
    let mut count = Checker::new(0.95);
    for claim in CLAIMS {
        claim.judge(ev, spec_of(audit, *claim)?, &audit.origin, &mut count)?;
    }
    let views: Vec<(View, Evidence)> = View::CONTROLS.iter().map(|&v| (v, ev.seen_as(v))).collect();
    // Per claim, per check: settled (decided at some level, or not statistical) and the
    // latest build of the undecided.
    let mut settled: Vec<Vec<Option<Check>>> = Vec::new();
    let mut pending: Vec<Vec<Option<Check>>> = Vec::new();
    let mut seeds = Vec::new();
    let mut remaining = count.statistical();
    loop {
        let built = judge_all(audit, ev, &views, remaining)?;
        let mut decided = 0;
        for (i, (checks, s)) in built.into_iter().enumerate() {
            if settled.len() <= i {
                settled.push(vec![None; checks.len()]);
                pending.push(vec![None; checks.len()]);
                seeds.push(s);
            }
            for (j, c) in checks.into_iter().enumerate() {
                if settled[i][j].is_some() {
                    continue;
                }
                if c.interval.confidence().is_none() {
                    settled[i][j] = Some(c);
                } else if c.verdict != Verdict::Inconclusive {
                    decided += 1;
                    settled[i][j] = Some(c);
                } else {
                    pending[i][j] = Some(c);
                }
            }
        }
        if decided == 0 || remaining <= decided {
            break;
        }
        remaining -= decided;
    }
    let settled: Vec<Vec<Option<Check>>> = settled
        .into_iter()
        .zip(pending)
        .map(|(s, p)| s.into_iter().zip(p).map(|(s, p)| s.or(p)).collect())
        .collect();
    let mut results = Vec::new();
    for ((claim, checks), seeds) in CLAIMS.iter().zip(settled).zip(seeds) {
        let spec = spec_of(audit, *claim)?;
        let checks: Vec<Check> = checks
            .into_iter()
            .map(|c| assign_layer(*claim, c.expect("every check is settled")))
            .collect();
        let paper: Vec<Verdict> = checks.iter().filter(|c| c.about_paper()).map(|c| c.verdict).collect();
        let (layer, verdict) = if paper.is_empty() {
            (checks[0].layer.clone(), Verdict::Inconclusive)
        } else {
            (Layer::Paper, Verdict::combine(paper))
        };
        results.push(ClaimResult {
            claim: *claim,
            verdict,
            layer,
            checks,
            expected: spec.expect,
            reason: spec.reason.clone(),
            seeds,
        });
    }
    Ok(results)
}

/// Every claim's checks at confidence 1 − α/`family` (Bonferroni over `family`
/// statistical checks), each trained-network check with its controls at the same
/// confidence.
fn judge_all(audit: &AuditFile, ev: &Evidence, views: &[(View, Evidence)], family: usize) -> Result<Vec<Outcome>> {
    let mut checker = Checker::bonferroni(audit.alpha, family);
    let mut out = Vec::new();
    for claim in CLAIMS {
        let spec = spec_of(audit, *claim)?;
        let (mut checks, seeds) = claim.judge(ev, spec, &audit.origin, &mut checker)?;
        if claim.kind() == Kind::TrainedNetwork {
            for (view, evidence) in views {
                let mut controls = Checker::bonferroni(audit.alpha, family);
                let (control, _) = claim.judge(evidence, spec, &audit.origin, &mut controls)?;
                for (c, k) in checks.iter_mut().zip(&control) {
                    if c.control_applies {
                        c.set_control(*view, k);
                    }
                }
            }
        }
        out.push((checks, seeds));
    }
    Ok(out)
}

/// The evidence layer of a check of `claim` once its controls are known: a layer the
/// claim set stands; a check of a RandomMask claim that the oracle network (the
/// theorem's ideal features, with this bias rule) refutes is fixed by the implementation;
/// a check the random network passes too is marked as saying nothing about learning.
fn assign_layer(claim: &dyn DynClaim, mut c: Check) -> Check {
    let ideal_is_oracle = claim.kind() == Kind::TrainedNetwork && claim.id().starts_with("aug.");
    if let Some(o) = c
        .controls
        .oracle
        .filter(|o| ideal_is_oracle && o.verdict == Verdict::Refuted)
    {
        let reason = format!(
            "the oracle network (the atoms, at the floor's scale, with this bias rule) gives {:.4} and is refuted: the theorem's ideal features cannot pass this check here",
            o.value
        );
        c = c.in_layer(Layer::Fixed(reason));
    }
    if c.controls.random.is_some_and(|r| r.verdict == Verdict::Reproduced) && c.verdict == Verdict::Reproduced {
        let flag = "the random network of the same norms passes too: this check alone says nothing about learning";
        c.note = if c.note.is_empty() {
            flag.into()
        } else {
            format!("{}; {flag}", c.note)
        };
    }
    c
}
