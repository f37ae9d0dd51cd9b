//! Experiment configuration: what a TOML file in `experiments/` holds.
//!
//! Following linfa's pattern, a [`Config`] is what the user wrote (optional fields
//! left open); [`Config::check`] validates every value and resolves the defaults of
//! docs/THEORY.md §4.1–§4.3 into a [`Settings`], the only thing the simulation accepts. Unknown keys
//! are rejected at parse time (serde's `deny_unknown_fields`), naming the key and file.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

mod memory;
pub mod overrides;
mod sections;
mod seeds;
mod size_rule;

pub use memory::{available_bytes, estimate_bytes, human as human_bytes};
pub use overrides::{set_path, Override};
pub use seeds::Seeds;
pub use size_rule::SizeRule;

pub use sections::{
    AugmentationConfig, AugmentationKind, AugmentationSettings, CodeKind, DictionaryKind, MetricsConfig, ModelConfig,
    NetworkConfig, Precision, ProbeConfig, SaveWeights, TrainConfig,
};

/// A whole experiment file, as written.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Experiment name: the output folder is `<out>/<name>/`.
    pub name: String,
    /// Master seed; every random stream is derived from it (see [`crate::sim::rng`]).
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// The sparse coding model (docs/THEORY.md §1.1).
    pub model: ModelConfig,
    /// The network (docs/THEORY.md §1.2).
    pub network: NetworkConfig,
    /// The augmentation (docs/THEORY.md §1.4).
    pub augmentation: AugmentationConfig,
    /// SGD on the contrastive loss (docs/THEORY.md §1.3, §1.5).
    pub train: TrainConfig,
    /// Feature metrics (docs/THEORY.md §2).
    #[serde(default)]
    pub metrics: MetricsConfig,
    /// Downstream probes (docs/THEORY.md §1.6).
    #[serde(default)]
    pub probe: ProbeConfig,
}

fn default_seed() -> u64 {
    1
}

/// A checked configuration with every default resolved. Only [`Config::check`] makes one.
///
/// Nested by section; serialised flat (the model, network and train fields at the top
/// level, as in every manifest and content hash written so far).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Settings {
    /// Experiment name.
    pub name: String,
    /// Master seed.
    pub seed: u64,
    /// The data model.
    #[serde(flatten)]
    pub model: ModelSettings,
    /// The network.
    #[serde(flatten)]
    pub network: NetworkSettings,
    /// Augmentation.
    pub augmentation: AugmentationSettings,
    /// SGD.
    #[serde(flatten)]
    pub train: TrainSettings,
    /// Metrics parameters.
    pub metrics: MetricsConfig,
    /// Probe parameters.
    pub probe: ProbeConfig,
}

/// The checked data model (docs/THEORY.md §1.1, §4.1).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ModelSettings {
    /// d.
    pub d: usize,
    /// d1.
    pub d1: usize,
    /// Pr(z_j ≠ 0), resolved.
    pub p: f64,
    /// σ_ξ, resolved.
    pub sigma_xi: f64,
    /// Dictionary kind.
    pub dictionary: DictionaryKind,
    /// Values of the nonzero codes.
    pub code: CodeKind,
    /// Exactly this many nonzeros per z, if set.
    pub exact_k: Option<usize>,
}

/// The checked network (docs/THEORY.md §1.2, §4.2).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct NetworkSettings {
    /// m.
    pub m: usize,
    /// σ0, resolved.
    pub sigma0: f64,
    /// κ.
    pub kappa: f64,
    /// Zero-bias warm-up steps.
    pub warmup_steps: usize,
}

/// The checked SGD settings (docs/THEORY.md §1.5, §4.3).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TrainSettings {
    /// T.
    pub steps: usize,
    /// B.
    pub batch: usize,
    /// η.
    pub lr: f64,
    /// λ.
    pub weight_decay: f64,
    /// τ.
    pub tau: f64,
    /// Logging interval.
    pub log_every: usize,
    /// The SGD step's floating-point type (not serialised when f64: the hash of f64
    /// settings is what it was before the setting existed).
    #[serde(skip_serializing_if = "Precision::is_f64")]
    pub precision: Precision,
}

impl Config {
    /// Parse TOML text; `origin` names the file in error messages.
    pub fn from_toml_str(text: &str, origin: &Path) -> Result<Self> {
        toml::from_str(text).map_err(|e| Error::ConfigParse {
            path: origin.to_path_buf(),
            message: e.to_string(),
        })
    }

    /// Read and parse a TOML file.
    pub fn from_file(path: &Path) -> Result<Self> {
        Self::from_toml_str(&read_text(path)?, path)
    }

    /// Validate every value and resolve the defaults (docs/THEORY.md §4): each section
    /// checks itself; then the run's estimated memory ([`estimate_bytes`]) is checked
    /// against what this machine has available ([`available_bytes`]).
    pub fn check(&self) -> Result<Settings> {
        self.check_with_memory(available_bytes())
    }

    /// [`Config::check`] against `available` bytes of memory (`None`: no memory check).
    pub fn check_with_memory(&self, available: Option<f64>) -> Result<Settings> {
        check_name(&self.name, "name")?;
        let model = self.model.check()?;
        let settings = Settings {
            name: self.name.clone(),
            seed: self.seed,
            augmentation: self.augmentation.check(model.sigma_xi)?,
            network: self.network.check(model.d1)?,
            train: self.train.check()?,
            metrics: self.metrics.check()?,
            probe: self.probe.check()?,
            model,
        };
        memory::ensure_fits(&settings, available)?;
        Ok(settings)
    }

    /// Read, parse and check a file; every error names the file (and the key, where
    /// there is one).
    pub fn load(path: &Path) -> Result<Settings> {
        Self::from_file(path)?.check().map_err(|e| match e {
            Error::InvalidParam { .. } | Error::TooLarge { .. } => Error::InFile {
                path: path.to_path_buf(),
                source: Box::new(e),
            },
            other => other,
        })
    }
}

/// The text of a configuration file (experiment, sweep or audit), with the path in the error.
pub fn read_text(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|source| Error::ConfigRead {
        path: path.to_path_buf(),
        source,
    })
}

/// An experiment's or a sweep's name is the name of its output folder: one plain path
/// component.
pub fn check_name(name: &str, key: &'static str) -> Result<()> {
    let plain =
        !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\', '\0']) && !name.starts_with('.');
    ensure(
        plain,
        key,
        format!("{name:?}"),
        "must be a folder name: not empty, not starting with '.', no '/', '\\' or NUL",
    )
}

pub(crate) fn ensure(ok: bool, key: &'static str, value: impl std::fmt::Display, reason: &'static str) -> Result<()> {
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidParam {
            key,
            value: value.to_string(),
            reason,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) const SMALL: &str = r#"
name = "t"
seed = 3
[model]
d = 8
d1 = 32
[network]
m = 16
[augmentation]
kind = "random_mask"
[train]
steps = 5
batch = 16
lr = 1.0
weight_decay = 1e-4
tau = 0.1
"#;

    fn parse(text: &str) -> Result<Config> {
        Config::from_toml_str(text, Path::new("x.toml"))
    }

    #[test]
    fn defaults_resolve_as_in_spec() {
        let s = parse(SMALL).unwrap().check().unwrap();
        let d = 8f64;
        approx::assert_relative_eq!(s.model.p, d.ln().ln() / d);
        approx::assert_relative_eq!(
            s.model.sigma_xi * s.model.sigma_xi,
            d.ln().sqrt() / d,
            max_relative = 1e-12
        );
        approx::assert_relative_eq!(s.network.sigma0, 1.0 / 32f64.sqrt());
        assert_eq!(s.train.log_every, 100);
    }

    #[test]
    fn unknown_key_names_key_and_file() {
        let text = SMALL.replace("tau = 0.1", "tau = 0.1\ntemperature = 3");
        let err = parse(&text).unwrap_err().to_string();
        assert!(err.contains("temperature"), "{err}");
        assert!(err.contains("x.toml"), "{err}");
    }

    #[test]
    fn out_of_range_values_are_named() {
        let cases = [
            ("d1 = 32", "d1 = 4", "model.d1"),
            ("d = 8", "d = 8\np = 0.0", "model.p"),
            ("d = 8", "d = 8\np = 1.5", "model.p"),
            ("d = 8", "d = 8\nsigma_xi = -1.0", "model.sigma_xi"),
            ("m = 16", "m = 16\nsigma0 = 0.0", "network.sigma0"),
            ("tau = 0.1", "tau = 0.0", "train.tau"),
            ("lr = 1.0", "lr = -1.0", "train.lr"),
            ("m = 16", "m = 0", "network.m"),
            ("batch = 16", "batch = 1", "train.batch"),
            ("steps = 5", "steps = 0", "train.steps"),
            (
                "kind = \"random_mask\"",
                "kind = \"random_mask\"\nkeep_prob = 1.0",
                "augmentation.keep_prob",
            ),
            ("d = 8", "d = 8\nexact_k = 9", "model.exact_k"),
            ("name = \"t\"", "name = \"../t\"", "name"),
            ("name = \"t\"", "name = \"\"", "name"),
        ];
        for (from, to, key) in cases {
            let text = SMALL.replace(from, to);
            let err = parse(&text).unwrap().check().unwrap_err().to_string();
            assert!(err.contains(key), "{to}: {err}");
        }
    }

    #[test]
    fn missing_file_is_a_clear_error() {
        let err = Config::from_file(Path::new("/nonexistent/exp.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("/nonexistent/exp.toml"), "{err}");
    }
}
