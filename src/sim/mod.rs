//! The paper's model and nothing above it (docs/THEORY.md §1): seeded streams, the data
//! model x = Mz + ξ, augmentations, the network with its bias rule, the losses, training,
//! the feature metrics, the downstream probes and the Monte Carlo that needs no training.
//! Nothing here knows of the audit, the report or the command line.

pub mod augment;
pub mod controls;
pub mod cost;
pub mod data;
pub mod floor;
pub mod linalg;
pub mod loss;
pub mod metrics;
pub mod network;
pub mod oracle_limit;
pub mod perf;
pub mod probes;
pub mod rng;
pub mod sampling;
pub mod summary;
pub mod train;
