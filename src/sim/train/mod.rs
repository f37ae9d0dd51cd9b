//! Training, with the roles kept apart: the solver ([`solver::Trainer`], one SGD step in
//! phases), the executor ([`executor::run`]: the loop, logging, divergence guard, observer,
//! probes) and the peer variant ([`peer`]) that runs on the same executor.

pub mod executor;
pub mod peer;
pub mod solver;
