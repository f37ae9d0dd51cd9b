//! One job: a simulation to run (its fully resolved settings, hence its seed), a label for
//! messages, and what to keep of it ([`Keep`]).

use std::path::{Path, PathBuf};

use crate::config::Settings;
use crate::error::Result;
use crate::exec::record::RunRecord;
use crate::io::hash::settings_hash;
use crate::io::ExperimentSource;
use crate::sim::cost::CostModel;
use crate::sim::train::executor::RunOutput;
use crate::sim::train::peer::{PeerOutput, PeerParams};

/// What a training job keeps, and so what it returns and how it resumes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Keep {
    /// Nothing on disk: the whole output comes back in memory ([`Outcome::Run`]).
    Memory,
    /// The run's tables and its [`RunRecord`] under `DIR/runs/<hash>/`; comes back as
    /// [`Outcome::Record`] and resumes from the record (sweeps, the report's ablations).
    Record(PathBuf),
    /// The whole output under `DIR/runs/<hash>/output.bin`; comes back as
    /// [`Outcome::Run`] and resumes from it, bit for bit (the audit).
    Full(PathBuf),
}

impl Keep {
    /// The folder whose `runs/` holds the records, if any.
    pub fn dir(&self) -> Option<&Path> {
        match self {
            Keep::Memory => None,
            Keep::Record(d) | Keep::Full(d) => Some(d),
        }
    }
}

/// What a job runs.
#[derive(Debug, Clone)]
pub enum Work {
    /// The paper's StopGrad trainer ([`crate::sim::train::executor::run`]).
    Train {
        /// What to keep.
        keep: Keep,
    },
    /// The peer variant's trainer ([`crate::sim::train::peer::run`]); kept in memory.
    Peer(PeerParams),
}

/// One simulation for the launcher.
#[derive(Debug, Clone)]
pub struct Job {
    /// For messages: a sweep cell's label, an experiment's name.
    pub label: String,
    /// The fully resolved settings (the seed among them).
    pub settings: Settings,
    /// What runs, and what is kept.
    pub work: Work,
    /// [`settings_hash`] of the settings: the run's name on disk.
    pub hash: String,
    /// The experiment files the settings were read from (for the manifest of a recorded
    /// run; empty when the settings were built in code).
    pub sources: Vec<ExperimentSource>,
}

impl Job {
    /// A training job labelled with the experiment's name.
    pub fn train(settings: Settings, keep: Keep) -> Result<Self> {
        let label = settings.name.clone();
        Self::labelled(label, settings, Work::Train { keep })
    }

    /// A peer job labelled with the experiment's name.
    pub fn peer(settings: Settings, params: PeerParams) -> Result<Self> {
        let label = settings.name.clone();
        Self::labelled(label, settings, Work::Peer(params))
    }

    /// A job with its own label.
    pub fn labelled(label: String, settings: Settings, work: Work) -> Result<Self> {
        let hash = settings_hash(&settings)?;
        Ok(Job {
            label,
            settings,
            work,
            hash,
            sources: Vec::new(),
        })
    }

    /// The job with the experiment files its settings were read from.
    pub fn with_sources(mut self, sources: Vec<ExperimentSource>) -> Self {
        self.sources = sources;
        self
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.settings.seed
    }

    /// What it keeps ([`Keep::Memory`] for peer jobs).
    pub fn keep(&self) -> &Keep {
        match &self.work {
            Work::Train { keep } => keep,
            Work::Peer(_) => &Keep::Memory,
        }
    }

    /// Its estimated seconds on the fit machine ([`CostModel::as_fitted`]): the launcher's
    /// order, longest first.
    pub fn cost(&self) -> f64 {
        CostModel::as_fitted().run_seconds(&self.settings)
    }
}

/// What a job gave.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// A training run's whole output (run now, or loaded from its `output.bin`).
    Run(Box<RunOutput>),
    /// A training run's record (run now or resumed; its tables are beside it).
    Record(RunRecord),
    /// A peer run's output.
    Peer(Box<PeerOutput>),
}

impl Outcome {
    /// The whole output of a [`Keep::Memory`] or [`Keep::Full`] training job.
    pub fn run(&self) -> Option<&RunOutput> {
        match self {
            Outcome::Run(r) => Some(r),
            _ => None,
        }
    }

    /// The record of a [`Keep::Record`] job.
    pub fn record(&self) -> Option<&RunRecord> {
        match self {
            Outcome::Record(r) => Some(r),
            _ => None,
        }
    }

    /// The output of a peer job.
    pub fn peer(&self) -> Option<&PeerOutput> {
        match self {
            Outcome::Peer(p) => Some(p),
            _ => None,
        }
    }

    /// The run's wall seconds (as measured when it ran, for a resumed one).
    pub fn wall_seconds(&self) -> f64 {
        match self {
            Outcome::Run(r) => r.wall_seconds,
            Outcome::Record(r) => r.wall_seconds,
            Outcome::Peer(p) => p.wall_seconds,
        }
    }
}
