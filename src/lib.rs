//! # decouple
//!
//! A harness that simulates, exactly, the setting of Wen & Li, *Toward Understanding the
//! Feature Learning Process of Self-supervised Contrastive Learning* (ICML 2021), and
//! measures whether its claims hold at finite size. The theory, the claims and the choices
//! made where the paper is silent are restated in `docs/THEORY.md`.
//!
//! Layers, arrows pointing down only (tests/layers.rs keeps them true):
//!
//! * [`report`] — REPORT.md: every section planned, launched once, rendered from results;
//! * [`audit`] — the plan of runs, the evidence, one file per family of the paper's claims;
//! * [`exec`] — the execution layer: jobs, the one launcher (order, panics, records,
//!   resume, shards, locks, progress), sweeps;
//! * [`io`] — atomic writes, CSV tables of a run, the manifest, the content hash;
//! * [`sim`] — the paper's model: data, augmentations, network, losses, training, metrics,
//!   probes, the Monte Carlo that needs no training;
//! * [`stats`] — pure statistics (bounds, regression, summaries), knowing nothing above;
//! * [`config`] — experiment files → checked [`Settings`];
//! * [`error`] — typed errors.
//!
//! The library never prints; long operations report progress through observers.
#![warn(missing_docs)]

pub mod audit;
pub mod config;
pub mod error;
pub mod exec;
pub mod io;
pub mod report;
pub mod sim;
pub mod stats;

pub use config::{Config, Settings};
pub use error::{Error, Result};
