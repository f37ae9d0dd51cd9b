//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::Path;

use decouple::config::{Config, Settings};

/// A small experiment (seconds to run) with the given augmentation kind.
pub fn small_config(kind: &str) -> String {
    format!(
        r#"
name = "small_{kind}"
seed = 11
[model]
d = 10
d1 = 60
[network]
m = 30
kappa = 1.0
[augmentation]
kind = "{kind}"
[train]
steps = 40
batch = 64
lr = 1.0
weight_decay = 1e-4
tau = 0.1
log_every = 10
[metrics]
eval_samples = 200
[probe]
n_train = 200
n_test = 200
"#
    )
}

/// Parse and check a config text.
pub fn settings(text: &str) -> Settings {
    Config::from_toml_str(text, Path::new("test.toml"))
        .unwrap()
        .check()
        .unwrap()
}

/// A summary.csv's text without its `wall_seconds` row (the one value that is not
/// deterministic).
pub fn summary_without_wall_time(p: &Path) -> String {
    std::fs::read_to_string(p)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("wall_seconds"))
        .collect::<Vec<_>>()
        .join("\n")
}
