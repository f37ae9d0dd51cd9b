//! Training with RandomMask: the theorem (docs/THEORY.md §2.2) — small loss, every neuron
//! a sparse combination of atoms, every atom covered, throughout a time window — and its
//! corollary that linear probes on the learned features succeed.
//!
//! One file per claim: `loss_small.rs` (small loss), `sparse_decomposition.rs` (every neuron
//! a sparse combination of atoms, α ∝ τ), `coverage.rs` (every atom covered, Ω(1) and
//! o(m/d)), `time_window.rs` (the decomposition throughout a window from its formation) and
//! `probes.rs` (the corollary's two probe claims, one shared evaluation).
//!
//! Parts of the statements this family does not check, and why: the o(m/d) upper end of the
//! coverage is checked over m at one d only; the time window at one small d only, the one
//! where the scaled window fits in an affordable run.

mod coverage;
mod loss_small;
mod probes;
mod sparse_decomposition;
mod time_window;

pub use coverage::{neurons_per_atom, Coverage, CoverageThresholds};
pub use loss_small::{LossSmall, LossSmallThresholds};
pub use probes::{
    ClassificationSucceeds, ClassificationSucceedsThresholds, RegressionSucceeds, RegressionSucceedsThresholds,
    FLOOR_KS,
};
pub use sparse_decomposition::{alpha_median, SparseDecomposition, SparseDecompositionThresholds};
pub use time_window::{formation_step, TimeWindow, TimeWindowThresholds};

const THEOREM: &str = "theorem with RandomMask (docs/THEORY.md §2.2)";
const COROLLARY: &str = "corollary of the theorem with RandomMask (docs/THEORY.md §2.2)";
