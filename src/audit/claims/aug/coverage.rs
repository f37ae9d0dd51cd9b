//! `aug.coverage`: every atom covered (docs/THEORY.md §2.2).
//!
//! Coverage is checked in both halves: Ω(1) (every atom has a neuron: the mean fraction
//! covered, and "w.h.p." as the fraction of networks — seeds — that cover every atom, with
//! an exact binomial bound) and o(m/d) (over m = k·d at one d, the neurons per atom grow
//! slower than m/d, fitted on the runs where the decomposition formed).

use serde::Deserialize;

use crate::audit::check::Checker;
use crate::audit::claims::{metric, per_seed, seeds_of, About, Claim, Kind, Outcome};
use crate::audit::evidence::{Evidence, FinishedRun};
use crate::audit::plan::Series;
use crate::audit::preconditions::{append, judged_on, split_formed, unformed_note};
use crate::error::Result;
use crate::sim::summary::Metric;
use crate::stats::Direction::{AtLeast, AtMost};

use super::THEOREM;

/// `aug.coverage`.
pub struct Coverage;

/// Thresholds of [`Coverage`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoverageThresholds {
    /// "every atom": the least fraction of atoms covered (mean over seeds).
    pub frac_min: f64,
    /// "w.h.p." over networks: the least fraction of seeds whose network covers every
    /// atom (exact binomial bound).
    pub whp_min: f64,
    /// "o(m/d)": the largest log-log slope of the neurons per atom against m/d.
    pub per_atom_slope_max: f64,
}

/// Mean over atoms of |{i : j ∈ N_i}| (absolute rule) = Σ_i |N_i| / d.
pub fn neurons_per_atom(r: &FinishedRun) -> f64 {
    let total: usize = r.output.final_features.neurons.iter().map(|n| n.support_abs).sum();
    total as f64 / r.plan.settings.model.d as f64
}

impl Claim for Coverage {
    type Thresholds = CoverageThresholds;
    const ABOUT: About = About {
        id: "aug.coverage",
        kind: Kind::TrainedNetwork,
        statement: "every atom M_j is a main feature of Omega(1) = |{i : j in N_i}| = o(m/d) neurons",
        section: "3.2",
        result: THEOREM,
        setting: "theorem_aug.toml (K seeds) and a RandomMask sweep over m at one d",
    };
    fn evaluate(&self, ev: &Evidence, th: &Self::Thresholds, c: &mut Checker) -> Result<Outcome> {
        let aug = ev.main(true);
        let covered: Vec<f64> = aug
            .iter()
            .map(|r| metric(r, Metric::AtomsCovered) / metric(r, Metric::AtomsTotal))
            .collect();
        let mut first = c
            .t(
                "atoms_covered",
                "fraction of atoms that are the best atom of a neuron aligned above 0.5, per seed",
                &covered,
                AtLeast,
                th.frac_min,
            )
            .within(0.0, 1.0);
        let every = c.seeds_meeting(
            "every_atom_covered_whp",
            "the fraction of atoms covered",
            &covered,
            AtLeast,
            1.0,
            th.whp_min,
        );
        let mins = per_seed(&aug, Metric::NeuronsPerAtomMin);
        let medians = per_seed(&aug, Metric::NeuronsPerAtomMedian);
        let maxs = per_seed(&aug, Metric::NeuronsPerAtomMax);
        let s = &aug[0].plan.settings;
        first.note = format!(
            "neurons per atom: min {:?}, median {:?}, max {:?} over seeds; m/d = {}",
            mins,
            medians,
            maxs,
            s.network.m / s.model.d
        );
        // o(m/d): over m = k d at one d, the neurons per atom grow slower than m/d (runs
        // where no neuron has a main atom give no point).
        let pre = &ev.preconditions;
        let (formed, unformed) = split_formed(&ev.series(Series::MSweep), pre);
        let sweep: Vec<(&FinishedRun, f64)> = formed
            .into_iter()
            .map(|r| (r, neurons_per_atom(r)))
            .filter(|&(_, v)| v > 0.0)
            .collect();
        let (x, y): (Vec<f64>, Vec<f64>) = sweep
            .iter()
            .map(|&(r, v)| {
                let st = &r.plan.settings;
                ((st.network.m as f64 / st.model.d as f64).ln(), v.ln())
            })
            .unzip();
        let upper = c.slope(
            "per_atom_sublinear_in_m",
            "mean over atoms of |{i : j in N_i}| (absolute rule) against m/d at one d, runs where the decomposition formed",
            &x,
            &y,
            AtMost,
            th.per_atom_slope_max,
        );
        let mut upper = judged_on(upper, &ev.series(Series::MSweep), pre);
        upper.note = sweep
            .iter()
            .map(|&(r, v)| {
                let st = &r.plan.settings;
                format!("m = {}d seed {}: {v:.2}", st.network.m / st.model.d, st.seed)
            })
            .collect::<Vec<_>>()
            .join(", ");
        append(&mut upper.note, &unformed_note(&unformed));
        let mut all = aug.clone();
        all.extend(sweep.iter().map(|&(r, _)| r));
        Ok((vec![first, every, upper], seeds_of(&all)))
    }
}
