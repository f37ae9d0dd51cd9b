//! The typed summary of a run: each number of `summary.csv` is a [`Metric`], never a
//! string spelt at the call site. The names (and the order of [`Metric::SUMMARY`]) are
//! those of the files every run has written.

use std::fmt;

use serde::Serialize;

use crate::sim::probes::{ProbeFeatures, ProbeTask};

macro_rules! metrics {
    ($($(#[$doc:meta])* $variant:ident => $name:literal,)+) => {
        /// One named number measured on a run.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Metric {
            $($(#[$doc])* $variant,)+
        }

        impl Metric {
            /// Every metric, in declaration order.
            pub const ALL: &'static [Metric] = &[$(Metric::$variant,)+];

            /// The metric's name in the CSV tables.
            pub fn name(self) -> &'static str {
                match self {
                    $(Metric::$variant => $name,)+
                }
            }
        }
    };
}

metrics! {
    /// Median over neurons of max_j |⟨w_i, M_j⟩| / ‖w_i‖.
    AlignMedian => "align_median",
    /// Mean over neurons of the alignment.
    AlignMean => "align_mean",
    /// Fraction of neurons aligned above the coverage alignment.
    FracAligned => "frac_aligned",
    /// Atoms that are the best atom of some aligned neuron.
    AtomsCovered => "atoms_covered",
    /// d.
    AtomsTotal => "atoms_total",
    /// Fewest aligned neurons on one atom.
    NeuronsPerAtomMin => "neurons_per_atom_min",
    /// Median over atoms of the aligned neurons on it.
    NeuronsPerAtomMedian => "neurons_per_atom_median",
    /// Most aligned neurons on one atom.
    NeuronsPerAtomMax => "neurons_per_atom_max",
    /// Median over neurons of |N_i|.
    SupportMedian => "support_median",
    /// Median over neurons of ‖Mᵀw_i‖² / ‖w_i‖².
    SparseShareMedian => "sparse_share_median",
    /// Mean batch loss over the last logging window.
    FinalLoss => "final_loss",
    /// τ ln B, the loss of a representation that tells nothing apart.
    LossAtChance => "loss_at_chance",
    /// The trained network's loss on the run's evaluation batches (docs/THEORY.md §4.8).
    EvalLoss => "eval_loss",
    /// Its mean over anchors with z = 0.
    EvalLossZZero => "eval_loss_z_zero",
    /// Its mean over anchors with z ≠ 0.
    EvalLossZNonzero => "eval_loss_z_nonzero",
    /// The untrained network's loss on the same batches.
    EvalLossUntrained => "eval_loss_untrained",
    /// The oracle network's loss at its best scale: the floor the augmentation allows.
    LossFloor => "loss_floor",
    /// The floor over anchors with z = 0.
    LossFloorZZero => "loss_floor_z_zero",
    /// The floor over anchors with z ≠ 0.
    LossFloorZNonzero => "loss_floor_z_nonzero",
    /// The oracle's best common scale ‖w_i‖.
    LossFloorScale => "loss_floor_scale",
    /// Fraction of evaluation anchors with z = 0.
    FracZZero => "frac_z_zero",
    /// Mean cos(f(x), f(ξ)) over test samples where both are nonzero.
    NoiseCosMean => "noise_cos_mean",
    /// Its 10% quantile.
    NoiseCosQ10 => "noise_cos_q10",
    /// Fraction of test samples with f(x) = 0 or f(ξ) = 0.
    ZeroReprFrac => "zero_repr_frac",
    /// Per atom the best |cos(w_i, M_j)| over neurons: the minimum over atoms.
    AtomBestCosMin => "atom_best_cos_min",
    /// The median over atoms.
    AtomBestCosMedian => "atom_best_cos_median",
    /// The maximum over atoms.
    AtomBestCosMax => "atom_best_cos_max",
    /// Ridge probe on the trained features: test MSE / Var(y).
    ProbeRegressionRelMse => "probe_regression_rel_mse",
    /// Logistic probe on the trained features: test accuracy.
    ProbeClassificationAcc => "probe_classification_acc",
    /// Ridge probe on the untrained network.
    ProbeUntrainedRegressionRelMse => "probe_untrained_regression_rel_mse",
    /// Logistic probe on the untrained network.
    ProbeUntrainedClassificationAcc => "probe_untrained_classification_acc",
    /// Ridge probe on raw x.
    ProbeRawXRegressionRelMse => "probe_raw_x_regression_rel_mse",
    /// Logistic probe on raw x.
    ProbeRawXClassificationAcc => "probe_raw_x_classification_acc",
    /// Ridge probe on the oracle z.
    ProbeOracleZRegressionRelMse => "probe_oracle_z_regression_rel_mse",
    /// Logistic probe on the oracle z.
    ProbeOracleZClassificationAcc => "probe_oracle_z_classification_acc",
    /// Ridge probe on the trained network's features of the noise-free input f(Mz).
    ProbeNoiseFreeRegressionRelMse => "probe_noise_free_regression_rel_mse",
    /// Logistic probe on f(Mz).
    ProbeNoiseFreeClassificationAcc => "probe_noise_free_classification_acc",
    /// Ridge probe on the oracle network (the atoms as neurons, with the bias rule).
    ProbeOracleNetRegressionRelMse => "probe_oracle_net_regression_rel_mse",
    /// Logistic probe on the oracle network.
    ProbeOracleNetClassificationAcc => "probe_oracle_net_classification_acc",
    /// Mean bias b_i (the peer variant trains it).
    BiasMean => "bias_mean",
    /// 1 − mean cos(f(x), f(ξ)) (sweeps).
    OneMinusNoiseCos => "one_minus_noise_cos",
    /// First logged step with median alignment above the sweep's threshold (sweeps).
    StepsToAlign => "steps_to_align",
    /// Wall time of the run in seconds (the one number that is not deterministic).
    WallSeconds => "wall_seconds",
}

impl Metric {
    /// The interval a value of the metric lies in: a summary over seeds (a mean and its
    /// interval) is kept inside it. Every metric is named, so a new one does not compile
    /// until its range is given.
    pub fn range(self) -> (f64, f64) {
        use Metric::*;
        const UNIT: (f64, f64) = (0.0, 1.0);
        const NONNEGATIVE: (f64, f64) = (0.0, f64::INFINITY);
        match self {
            AlignMedian | AlignMean | FracAligned | SparseShareMedian | FracZZero | ZeroReprFrac | AtomBestCosMin
            | AtomBestCosMedian | AtomBestCosMax => UNIT,
            ProbeClassificationAcc
            | ProbeUntrainedClassificationAcc
            | ProbeRawXClassificationAcc
            | ProbeOracleZClassificationAcc
            | ProbeNoiseFreeClassificationAcc
            | ProbeOracleNetClassificationAcc => UNIT,
            NoiseCosMean | NoiseCosQ10 => (-1.0, 1.0),
            OneMinusNoiseCos => (0.0, 2.0),
            AtomsCovered | AtomsTotal | NeuronsPerAtomMin | NeuronsPerAtomMedian | NeuronsPerAtomMax
            | SupportMedian | FinalLoss | LossAtChance | EvalLoss | EvalLossZZero | EvalLossZNonzero
            | EvalLossUntrained | LossFloor | LossFloorZZero | LossFloorZNonzero | LossFloorScale | StepsToAlign
            | WallSeconds => NONNEGATIVE,
            ProbeRegressionRelMse
            | ProbeUntrainedRegressionRelMse
            | ProbeRawXRegressionRelMse
            | ProbeOracleZRegressionRelMse
            | ProbeNoiseFreeRegressionRelMse
            | ProbeOracleNetRegressionRelMse => NONNEGATIVE,
            BiasMean => (f64::NEG_INFINITY, f64::INFINITY),
        }
    }
}

impl Metric {
    /// The rows of `summary.csv`, in order.
    pub const SUMMARY: [Metric; 39] = [
        Metric::AlignMedian,
        Metric::AlignMean,
        Metric::FracAligned,
        Metric::AtomsCovered,
        Metric::AtomsTotal,
        Metric::NeuronsPerAtomMin,
        Metric::NeuronsPerAtomMedian,
        Metric::NeuronsPerAtomMax,
        Metric::SupportMedian,
        Metric::SparseShareMedian,
        Metric::FinalLoss,
        Metric::LossAtChance,
        Metric::NoiseCosMean,
        Metric::NoiseCosQ10,
        Metric::ZeroReprFrac,
        Metric::AtomBestCosMin,
        Metric::AtomBestCosMedian,
        Metric::AtomBestCosMax,
        Metric::ProbeRegressionRelMse,
        Metric::ProbeClassificationAcc,
        Metric::ProbeUntrainedRegressionRelMse,
        Metric::ProbeUntrainedClassificationAcc,
        Metric::ProbeRawXRegressionRelMse,
        Metric::ProbeRawXClassificationAcc,
        Metric::ProbeOracleZRegressionRelMse,
        Metric::ProbeOracleZClassificationAcc,
        Metric::ProbeNoiseFreeRegressionRelMse,
        Metric::ProbeNoiseFreeClassificationAcc,
        Metric::ProbeOracleNetRegressionRelMse,
        Metric::ProbeOracleNetClassificationAcc,
        Metric::EvalLoss,
        Metric::EvalLossZZero,
        Metric::EvalLossZNonzero,
        Metric::EvalLossUntrained,
        Metric::LossFloor,
        Metric::LossFloorZZero,
        Metric::LossFloorZNonzero,
        Metric::LossFloorScale,
        Metric::FracZZero,
    ];

    /// The metric a name stands for.
    pub fn from_name(name: &str) -> Option<Metric> {
        Metric::ALL.iter().copied().find(|m| m.name() == name)
    }

    /// The summary metric of one probe.
    pub fn probe(features: ProbeFeatures, task: ProbeTask) -> Metric {
        PROBES
            .iter()
            .find(|&&(_, f, t)| f == features && t == task)
            .map(|&(m, _, _)| m)
            .expect("every (features, task) pair has a metric")
    }

    /// The probe this metric reports, if it is a probe's.
    pub fn as_probe(self) -> Option<(ProbeFeatures, ProbeTask)> {
        PROBES.iter().find(|&&(m, _, _)| m == self).map(|&(_, f, t)| (f, t))
    }
}

/// The twelve probe metrics and the probe each reports.
const PROBES: [(Metric, ProbeFeatures, ProbeTask); 12] = [
    (
        Metric::ProbeNoiseFreeRegressionRelMse,
        ProbeFeatures::NoiseFree,
        ProbeTask::Regression,
    ),
    (
        Metric::ProbeNoiseFreeClassificationAcc,
        ProbeFeatures::NoiseFree,
        ProbeTask::Classification,
    ),
    (
        Metric::ProbeOracleNetRegressionRelMse,
        ProbeFeatures::OracleNetwork,
        ProbeTask::Regression,
    ),
    (
        Metric::ProbeOracleNetClassificationAcc,
        ProbeFeatures::OracleNetwork,
        ProbeTask::Classification,
    ),
    (
        Metric::ProbeRegressionRelMse,
        ProbeFeatures::Trained,
        ProbeTask::Regression,
    ),
    (
        Metric::ProbeClassificationAcc,
        ProbeFeatures::Trained,
        ProbeTask::Classification,
    ),
    (
        Metric::ProbeUntrainedRegressionRelMse,
        ProbeFeatures::Untrained,
        ProbeTask::Regression,
    ),
    (
        Metric::ProbeUntrainedClassificationAcc,
        ProbeFeatures::Untrained,
        ProbeTask::Classification,
    ),
    (
        Metric::ProbeRawXRegressionRelMse,
        ProbeFeatures::RawX,
        ProbeTask::Regression,
    ),
    (
        Metric::ProbeRawXClassificationAcc,
        ProbeFeatures::RawX,
        ProbeTask::Classification,
    ),
    (
        Metric::ProbeOracleZRegressionRelMse,
        ProbeFeatures::OracleZ,
        ProbeTask::Regression,
    ),
    (
        Metric::ProbeOracleZClassificationAcc,
        ProbeFeatures::OracleZ,
        ProbeTask::Classification,
    ),
];

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for Metric {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// Named numbers of one run, in the order they are written.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Summary {
    rows: Vec<(Metric, f64)>,
}

impl Summary {
    /// A summary of these rows.
    pub fn new(rows: Vec<(Metric, f64)>) -> Self {
        Self { rows }
    }

    /// The value of `metric` (NaN when the run did not measure it).
    pub fn get(&self, metric: Metric) -> f64 {
        self.rows
            .iter()
            .find(|(m, _)| *m == metric)
            .map_or(f64::NAN, |(_, v)| *v)
    }

    /// Add a row at the end.
    pub fn push(&mut self, metric: Metric, value: f64) {
        self.rows.push((metric, value));
    }

    /// The rows, in order.
    pub fn rows(&self) -> &[(Metric, f64)] {
        &self.rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_round_trip() {
        for &m in Metric::ALL {
            assert_eq!(Metric::from_name(m.name()), Some(m));
        }
        let mut names: Vec<_> = Metric::ALL.iter().map(|m| m.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Metric::ALL.len());
    }

    #[test]
    fn every_metric_is_a_summary_row_or_one_of_the_four_that_are_not() {
        // `RunOutput::summary_value` returns None for exactly these; none may be a row.
        let not_rows = [
            Metric::BiasMean,
            Metric::OneMinusNoiseCos,
            Metric::StepsToAlign,
            Metric::WallSeconds,
        ];
        for &m in Metric::ALL {
            assert!(
                Metric::SUMMARY.contains(&m) != not_rows.contains(&m),
                "{m} must be exactly one of a summary row and a non-row"
            );
        }
        // Every probe metric (the arm of `summary_value` that names them) reports a probe.
        for &m in Metric::ALL {
            assert_eq!(m.name().starts_with("probe_"), m.as_probe().is_some(), "{m}");
        }
        assert_eq!(
            Metric::ALL.iter().filter(|m| m.as_probe().is_some()).count(),
            PROBES.len()
        );
    }
}
