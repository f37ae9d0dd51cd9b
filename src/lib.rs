//! # decouple
//!
//! A harness that simulates, exactly, the setting of Wen & Li, *Toward Understanding the
//! Feature Learning Process of Self-supervised Contrastive Learning* (ICML 2021), as
//! summarised by the seed document, and measures whether its claims hold at finite size.
//!
//! Pieces, one concept each:
//! [`config`] (experiment files → checked [`config::Settings`]), [`rng`] (seeded streams per
//! purpose), [`data`] (x = Mz + ξ), [`augment`] (RandomMask and none), [`network`]
//! (symmetric-threshold neurons and the bias rule), [`loss`] (contrastive loss with StopGrad
//! and its gradient), [`trainer`] (online SGD), [`metrics`] (what the features are),
//! [`probes`] (downstream linear probes), [`experiment`] (one run end to end) and [`report`]
//! (CSV and manifest output); for the report (issue #4): [`sweep`] (grids of runs over seeds,
//! resumable and shardable), [`scaling`] (the asymptotic table and log-log slopes),
//! [`plot`] (SVG figures), [`peer`] (the peer simulation's SimCLR variant) and
//! [`report_md`] (the sections of REPORT.md).
#![warn(missing_docs)]

pub mod audit;
pub mod augment;
pub mod claims;
pub mod config;
pub mod data;
pub mod error;
pub mod experiment;
pub mod linalg;
pub mod loss;
pub mod metrics;
pub mod montecarlo;
pub mod network;
pub mod parallel;
pub mod peer;
pub mod perf;
pub mod plot;
pub mod probes;
pub mod report;
pub mod report_md;
pub mod rng;
pub mod scale;
pub mod scaling;
pub mod stats;
pub mod sweep;
pub mod trainer;

pub use config::{Config, Settings};
pub use error::{Error, Result};
