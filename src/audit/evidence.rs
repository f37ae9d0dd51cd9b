//! The evidence the claims are judged on: the finished simulations and the sampling
//! checks, with selectors for the series the claims read.

pub use crate::audit::plan::FinishedRun;
use crate::audit::plan::Series;
use crate::sim::sampling::{DataPoint, DecouplingEvidence};

/// The data model at each d in one regime of d1 (e.g. d1 = d², or d1 = 8d as in the
/// trained runs).
#[derive(Debug, Clone)]
pub struct DataRegime {
    /// Its name, e.g. `d1 = d^2`.
    pub name: String,
    /// One point per d, ascending.
    pub points: Vec<DataPoint>,
}

/// Everything the claims are judged on.
pub struct Evidence {
    /// All finished simulations.
    pub runs: Vec<FinishedRun>,
    /// The data model at each d, in each regime of d1.
    pub data: Vec<DataRegime>,
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

    /// The same evidence with every run seen at step 0 (the untrained network in the place
    /// of the trained one; the controls of the trained-network claims).
    pub fn at_initialisation(&self) -> Evidence {
        Evidence {
            runs: self
                .runs
                .iter()
                .map(|r| FinishedRun {
                    plan: r.plan.clone(),
                    output: r.output.at_initialisation(),
                    summary: r.initial.clone(),
                    initial: r.initial.clone(),
                })
                .collect(),
            data: self.data.clone(),
            decoupling: self.decoupling.clone(),
        }
    }

    /// Every run of one series, in plan order.
    pub fn series(&self, series: Series) -> Vec<&FinishedRun> {
        self.runs.iter().filter(|r| r.plan.series == series).collect()
    }
}
