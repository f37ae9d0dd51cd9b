//! `aug.loss_small`: training with RandomMask reaches a small loss, measured against the
//! floor RandomMask allows (docs/THEORY.md §2.2, §4.8).

use serde::Deserialize;

use crate::audit::check::Checker;
use crate::audit::claims::{gap_closed, seeds_of, About, Claim, Kind, Outcome};
use crate::audit::evidence::Evidence;
use crate::error::Result;

use super::THEOREM;

/// `aug.loss_small`.
pub struct LossSmall;

/// Thresholds of [`LossSmall`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LossSmallThresholds {
    /// "small": the least share of the gap between chance and the floor that is closed
    /// (the same reading as `na.loss_small`'s).
    pub gap_frac_min: f64,
}

impl Claim for LossSmall {
    type Thresholds = LossSmallThresholds;
    const ABOUT: About = About {
        id: "aug.loss_small",
        kind: Kind::TrainedNetwork,
        statement: "training with RandomMask reaches a small loss (measured against the floor RandomMask allows)",
        section: "2",
        result: THEOREM,
        setting: "theorem_aug.toml, K seeds",
    };
    fn evaluate(&self, ev: &Evidence, th: &Self::Thresholds, c: &mut Checker) -> Result<Outcome> {
        let aug = ev.main(true);
        Ok((vec![gap_closed(c, &aug, th.gap_frac_min)], seeds_of(&aug)))
    }
}
