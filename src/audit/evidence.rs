//! The evidence the claims are judged on: the finished simulations and the sampling
//! checks, with selectors for the series the claims read.

pub use crate::audit::plan::FinishedRun;
use crate::audit::plan::Series;
use crate::sim::controls::View;
use crate::sim::sampling::{DataPoint, DecouplingEvidence};

/// The data model at each d in one regime of d1 (e.g. d1 = d², or d1 = 8d as in the
/// trained runs).
#[derive(Debug, Clone)]
pub struct DataRegime {
    /// Its name, e.g. `d1 = d^2`.
    pub name: String,
    /// Its family of d1.
    pub d1_rule: crate::config::SizeRule,
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
    /// What a run must meet to count (from the audit file).
    pub preconditions: crate::audit::spec::PreconditionSpec,
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
    /// of the trained one).
    pub fn at_initialisation(&self) -> Evidence {
        self.seen_as(View::Untrained)
    }

    /// The same evidence with every run seen as the control network `view` in the place of
    /// the trained one (the controls of the trained-network claims,
    /// [`crate::sim::controls`]).
    pub fn seen_as(&self, view: View) -> Evidence {
        Evidence {
            runs: self
                .runs
                .iter()
                .map(|r| {
                    let output = r.output.seen_as(view);
                    let summary = match view {
                        View::Untrained => r.initial.clone(),
                        _ => output.summary(),
                    };
                    FinishedRun {
                        plan: r.plan.clone(),
                        output,
                        summary,
                        initial: r.initial.clone(),
                    }
                })
                .collect(),
            data: self.data.clone(),
            decoupling: self.decoupling.clone(),
            preconditions: self.preconditions,
        }
    }

    /// The main runs of one arm whose seeds the other arm has too (the pairs).
    pub fn paired(&self, augmented: bool) -> Vec<&FinishedRun> {
        let other: Vec<u64> = self.main(!augmented).iter().map(|r| r.plan.settings.seed).collect();
        self.main(augmented)
            .into_iter()
            .filter(|r| other.contains(&r.plan.settings.seed))
            .collect()
    }

    /// Every run of one series, in plan order.
    pub fn series(&self, series: Series) -> Vec<&FinishedRun> {
        self.runs.iter().filter(|r| r.plan.series == series).collect()
    }
}
