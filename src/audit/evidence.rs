//! The evidence the claims are judged on: the finished simulations and the sampling
//! checks, with selectors for the series the claims read.

pub use crate::audit::plan::FinishedRun;
use crate::audit::plan::Series;
use crate::sim::sampling::{DataPoint, DecouplingEvidence};

/// Everything the claims are judged on.
pub struct Evidence {
    /// All finished simulations.
    pub runs: Vec<FinishedRun>,
    /// The data model at each d.
    pub data: Vec<DataPoint>,
    /// The RandomMask identity.
    pub decoupling: DecouplingEvidence,
}

impl Evidence {
    /// The main runs of one arm (RandomMask if `augmented`), in plan (seed) order.
    pub fn main(&self, augmented: bool) -> Vec<&FinishedRun> {
        self.runs
            .iter()
            .filter(|r| r.plan.series == Series::Main && r.plan.augmented == augmented)
            .collect()
    }

    /// Every run of one series, in plan order.
    pub fn series(&self, series: Series) -> Vec<&FinishedRun> {
        self.runs.iter().filter(|r| r.plan.series == series).collect()
    }
}
