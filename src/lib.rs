//! # decouple
//!
//! A harness that simulates, exactly, the setting of Wen & Li, *Toward Understanding the
//! Feature Learning Process of Self-supervised Contrastive Learning* (ICML 2021), and
//! measures whether its claims hold at finite size. The theory, the claims and the choices
//! made where the paper is silent are restated in `docs/THEORY.md`.
//!
//! Layers, arrows pointing down only (tests/layers.rs keeps them true):
//!
//! * [`report`] — REPORT.md, sweeps, scaling tables, figures, ablations, the peer section;
//! * [`audit`] — the plan of runs, the evidence, one file per family of the paper's claims;
//! * [`io`] — atomic writes, CSV tables of a run, the manifest, the content hash;
//! * [`sim`] — the paper's model: data, augmentations, network, losses, training, metrics,
//!   probes, the Monte Carlo that needs no training;
//! * [`stats`] — pure statistics (bounds, regression, summaries), knowing nothing above;
//! * [`config`] — experiment files → checked [`Settings`];
//! * [`parallel`], [`error`] — independent simulations side by side; typed errors.
//!
//! The library never prints; long operations report progress through observers.
#![warn(missing_docs)]

pub mod audit;
pub mod config;
pub mod error;
pub mod io;
pub mod parallel;
pub mod report;
pub mod sim;
pub mod stats;

pub use config::{Config, Settings};
pub use error::{Error, Result};
