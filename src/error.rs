//! Typed errors of the library. The binary wraps them with `anyhow` at its edge.

use std::any::Any;
use std::path::PathBuf;
use std::sync::Arc;

/// What a computation had measured when it failed, carried by its error. Type-erased so
/// that this module names no layer of the crate; the layer that made it reads it back
/// (`sim::train::executor::diverged_run` for a diverged run's log).
#[derive(Clone)]
pub struct Partial(Arc<dyn Any + Send + Sync>);

impl Partial {
    /// Wrap what was measured.
    pub fn new<T: Any + Send + Sync>(value: T) -> Self {
        Partial(Arc::new(value))
    }

    /// What was measured, if it is a `T`.
    pub fn get<T: Any>(&self) -> Option<&T> {
        self.0.downcast_ref()
    }
}

impl std::fmt::Debug for Partial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Partial(..)")
    }
}

/// Everything that can go wrong inside the library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A configuration file could not be read.
    #[error("cannot read config file {path}: {source}")]
    ConfigRead {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A configuration file is not valid TOML or has unknown / mistyped keys.
    #[error("invalid config file {path}: {message}")]
    ConfigParse {
        /// The file.
        path: PathBuf,
        /// The parser's message (names the key and the line).
        message: String,
    },
    /// A configuration value is out of its valid range.
    #[error("invalid parameter `{key}` = {value}: {reason}")]
    InvalidParam {
        /// The dotted key, e.g. `model.d1`.
        key: &'static str,
        /// The offending value, as text.
        value: String,
        /// What the valid range is.
        reason: &'static str,
    },
    /// A value of a configuration file is invalid (the inner error names the key).
    #[error("{path}: {source}")]
    InFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        source: Box<Error>,
    },
    /// A run would need more memory than the machine has available.
    #[error(
        "this run needs about {needed} of memory but only {available} is available (MemAvailable in /proc/meminfo); \
         its sizes: {sizes}; make them smaller"
    )]
    TooLarge {
        /// Estimated need (docs in `config::memory`).
        needed: String,
        /// What the machine has available.
        available: String,
        /// The keys that set the size, with their values.
        sizes: String,
    },
    /// One simulation of a batch panicked (the others ran on).
    #[error("run {label} seed {seed} panicked: {message}")]
    Panicked {
        /// The run: a sweep cell's label, or an experiment's name.
        label: String,
        /// Its seed.
        seed: u64,
        /// The panic's message.
        message: String,
    },
    /// Another process holds the lock on an output folder.
    #[error(
        "output folder {dir} is in use by pid {pid} on host {host} (since {since}); if that process is gone, \
         delete {lock} (on the same host a stale lock is removed automatically)"
    )]
    Locked {
        /// The folder.
        dir: PathBuf,
        /// The lock file.
        lock: PathBuf,
        /// The holder's process id.
        pid: u32,
        /// The holder's host name.
        host: String,
        /// When it took the lock (seconds since the Unix epoch).
        since: u64,
    },
    /// Merging shards that do not cover the whole sweep (without asking for a partial merge).
    #[error("merge: {missing} of {total} runs are missing (pass --partial to merge what is there): {cells}")]
    Incomplete {
        /// Runs missing.
        missing: usize,
        /// Runs in the sweep.
        total: usize,
        /// The missing cells and seeds.
        cells: String,
    },
    /// Training produced a non-finite loss or weight.
    #[error("training diverged at step {step}: {what} is not finite (try a smaller train.lr)")]
    Diverged {
        /// The SGD step (1-based) at which it happened.
        step: usize,
        /// What was non-finite (`loss` or `weights`).
        what: &'static str,
        /// What the run had logged before it diverged, where the executor kept it.
        partial: Option<Partial>,
    },
    /// A linear algebra routine failed (e.g. a singular system in a probe).
    #[error("linear algebra failure in {context}")]
    LinAlg {
        /// Where it happened.
        context: &'static str,
    },
    /// Writing an output file failed.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A sweep file (or a sweep's outputs, or a shard spec) is invalid.
    #[error("{0}")]
    Sweep(String),

    /// A `--set key=value` override is malformed or not a valid setting.
    #[error("--set {text}: {message}")]
    Override {
        /// The override as given.
        text: String,
        /// What is wrong.
        message: String,
    },

    /// A run record could not be encoded.
    #[error("cannot encode a run record: {0}")]
    Record(String),
    /// Drawing a figure or reading its input tables failed.
    #[error("plot {path}: {message}")]
    Plot {
        /// The figure or input file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// Serialising a CSV row failed.
    #[error("cannot serialise CSV: {0}")]
    Csv(#[from] csv::Error),
    /// Serialising JSON failed.
    #[error("cannot serialise JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
