//! The RandomMask identity behind feature decoupling (docs/THEORY.md §1.4): the two
//! views' correlation loses the dense noise and keeps the sparse features.

use serde::Deserialize;

use super::{About, Claim, Kind, Outcome};
use crate::audit::check::Checker;
use crate::audit::evidence::Evidence;
use crate::error::Result;
use crate::stats::Direction::AtMost;

/// `aug.decoupling`.
pub struct Decoupling;

/// Thresholds of [`Decoupling`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecouplingThresholds {
    /// Largest relative error of the exact enumeration (rounding only).
    pub exact_tol: f64,
    /// Largest Monte Carlo half-width relative to the estimate's scale.
    pub rel_precision: f64,
}

impl Claim for Decoupling {
    type Thresholds = DecouplingThresholds;
    const ABOUT: About = About {
        id: "aug.decoupling",
        kind: Kind::Identity,
        statement: "E_D[<u,2Dx><v,2(I-D)x>] = <u,x><v,x> - sum_k u_k v_k x_k^2: dense noise correlation 0, sparse kept at 1 - |M_j|_4^4, lost for M = I",
        section: "2.4",
        result: "feature decoupling by RandomMask (docs/THEORY.md §1.4)",
        setting: "Monte Carlo over masks, exact enumeration at small d1",
    };
    fn evaluate(&self, ev: &Evidence, th: &Self::Thresholds, c: &mut Checker) -> Result<Outcome> {
        let prec = th.rel_precision;
        let d = &ev.decoupling;
        let mut checks = vec![Checker::exact(
            "exact_enumeration",
            "max relative error of the average over all 2^d1 masks vs the closed form",
            d.exact_rel_error,
            AtMost,
            th.exact_tol,
        )];
        for (k, t) in d.triples.iter().enumerate() {
            checks.push(c.contains(&format!("identity_triple_{k}"), t, prec));
        }
        checks.push(c.contains("dense_noise_correlation_zero", &d.noise, prec));
        checks.push(c.contains("dense_noise_without_augmentation", &d.noise_no_aug, prec));
        checks.push(c.contains("sparse_correlation_kept", &d.sparse, prec));
        checks.push(Checker::exact(
            "identity_dictionary_loses_it",
            "max |<e_j, 2D e_j><e_j, 2(I-D) e_j>| over draws (M = I)",
            d.identity_max_abs,
            AtMost,
            0.0,
        ));
        Ok((checks, "monte carlo".into()))
    }
}
