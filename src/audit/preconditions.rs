//! The preconditions a run must meet before it counts as evidence about the paper
//! (docs/THEORY.md §3.1): the data model's hypothesis for its regime (d1 = poly(d) ≫ d),
//! and, for a run that enters a trend, sweep or window check, a formed decomposition.
//! A check built on runs outside the hypotheses is reported in the layer *outside the
//! hypotheses*; unformed runs are listed beside a fit, not fitted.

use crate::audit::check::{Check, Layer};
use crate::audit::evidence::FinishedRun;
use crate::audit::spec::PreconditionSpec;
use crate::config::SizeRule;

/// Why the family d1 = `rule` is outside the data model's hypothesis, or `None` inside it.
pub fn regime_fails(rule: SizeRule, pre: &PreconditionSpec) -> Option<String> {
    (rule.power <= pre.d1_power_min).then(|| {
        format!(
            "d1 = {} d^{} grows no faster than d: |xi|^2 is about d1 sigma_xi^2 = {} sqrt(ln d) d^{}, not poly(d), so the data model's hypothesis d1 = poly(d) >> d fails",
            rule.factor,
            rule.power,
            rule.factor,
            rule.power - 1.0
        )
    })
}

/// The first reason why a run of `runs` is outside the hypotheses of its regime.
pub fn outside(runs: &[&FinishedRun], pre: &PreconditionSpec) -> Option<String> {
    runs.iter().find_map(|r| regime_fails(r.plan.d1_rule, pre))
}

/// `check` in the layer *outside the hypotheses* when any of `runs` is.
pub fn judged_on(check: Check, runs: &[&FinishedRun], pre: &PreconditionSpec) -> Check {
    match outside(runs, pre) {
        Some(why) => check.in_layer(Layer::Outside(why)),
        None => check,
    }
}

/// Whether the decomposition has formed in a run by its last logged step.
pub fn formed(r: &FinishedRun, pre: &PreconditionSpec) -> bool {
    let f = &r.output.final_features.summary;
    f.align_median > pre.formed_align_min
        && f.sparse_share_median >= pre.formed_share_min
        && f.atoms_covered == r.plan.settings.model.d
}

/// `runs` split into the formed and the unformed.
pub fn split_formed<'a>(
    runs: &[&'a FinishedRun],
    pre: &PreconditionSpec,
) -> (Vec<&'a FinishedRun>, Vec<&'a FinishedRun>) {
    runs.iter().partition(|r| formed(r, pre))
}

/// `not formed (left out of the fit): d 16 seed 1 (align 0.41, share 0.62, 14/16 atoms), …`,
/// or empty.
pub fn unformed_note(unformed: &[&FinishedRun]) -> String {
    if unformed.is_empty() {
        return String::new();
    }
    let list = unformed
        .iter()
        .map(|r| {
            let s = &r.plan.settings;
            let f = &r.output.final_features.summary;
            format!(
                "d {} d1 {} m {} tau {} seed {} (align {:.2}, share {:.2}, {}/{} atoms)",
                s.model.d,
                s.model.d1,
                s.network.m,
                s.train.tau,
                s.seed,
                f.align_median,
                f.sparse_share_median,
                f.atoms_covered,
                s.model.d
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    format!("decomposition not formed, left out of the fit: {list}")
}

/// `note` with `more` appended (`; ` between them when both are non-empty).
pub fn append(note: &mut String, more: &str) {
    if more.is_empty() {
        return;
    }
    if !note.is_empty() {
        note.push_str("; ");
    }
    note.push_str(more);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_d1_is_outside_and_a_power_above_one_inside() {
        let pre = PreconditionSpec {
            formed_align_min: 0.5,
            formed_share_min: 0.8,
            d1_power_min: 1.0,
        };
        assert!(regime_fails(SizeRule::new(8.0, 1.0), &pre).is_some());
        assert!(regime_fails(SizeRule::new(1.0, 1.5), &pre).is_none());
        assert!(regime_fails(SizeRule::new(1.0, 2.0), &pre).is_none());
    }
}
