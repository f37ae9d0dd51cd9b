//! How much memory one run needs, estimated from its [`Settings`] before anything is
//! allocated, and how much the machine has (`MemAvailable` in `/proc/meminfo`).
//!
//! The estimate counts the f64 matrices a run holds at its peak (docs/THEORY.md §1, §2):
//! the dictionary M (d1×d) and its QR, the weights W with their gradient and update
//! (3·m·d1), one batch and its two views (x, ξ, x⁺, x⁺⁺: 4·d1·B), the features of both
//! views and their gradients (4·m·B), the loss's B×B (StopGrad) or 2B×2B (NT-Xent)
//! matrices, the evaluation samples (x and ξ, 2·d1·n_eval) and their features, the probes'
//! samples (x, z and features, (n_train + n_test)·(d1 + d + m)) with the design matrices
//! and the ridge system (min(k, n_train)² with k = max(d1, m)), and α (m×d); times two
//! for faer's workspaces and temporaries. It is an order of magnitude, meant to refuse a
//! run that cannot fit (`model.d1 = 100000000`) with a clear message instead of an
//! allocation failure deep inside the linear algebra.
//!
//! With `[metrics] save_weights = "logged"` a run also keeps W and b at every logged
//! step until it writes them ([`snapshot_bytes`]); they count in the estimate, and more
//! than [`SNAPSHOT_LIMIT`] of them is refused naming the key.

use super::{SaveWeights, Settings};
use crate::error::{Error, Result};

/// Bytes of one f64.
const F64: f64 = 8.0;

/// Safety factor for workspaces and temporaries.
const OVERHEAD: f64 = 2.0;

/// The estimated peak memory of one run in bytes (an f64, so that no size overflows).
pub fn estimate_bytes(s: &Settings) -> f64 {
    let d = s.model.d as f64;
    let d1 = s.model.d1 as f64;
    let m = s.network.m as f64;
    let b = s.train.batch as f64;
    let n_eval = s.metrics.eval_samples as f64;
    let n_probe = (s.probe.n_train + s.probe.n_test) as f64;
    let k = d1.max(m);
    let gram = k.min(s.probe.n_train as f64).powi(2);
    let floats = 2.0 * d1 * d          // M and its QR
        + 3.0 * m * d1                 // W, gradient, update
        + 4.0 * d1 * b                 // x, ξ and the two views
        + 4.0 * m * b                  // features and their gradients
        + 3.0 * (2.0 * b).powi(2)      // the loss's similarity matrices
        + 2.0 * d1 * n_eval + 2.0 * m * n_eval
        + n_probe * (2.0 * d1 + d + 2.0 * m) + gram
        + m * d;
    floats * F64 * OVERHEAD + snapshot_bytes(s)
}

/// The most bytes of W and b snapshots a run may keep (`save_weights = "logged"`): also
/// what it writes to disk, so a sane size for a notebook, not only for the machine.
pub const SNAPSHOT_LIMIT: f64 = 2.0 * 1024.0 * 1024.0 * 1024.0;

/// Logged steps of a run: step 0, every `train.log_every` steps, and the last.
pub fn logged_steps(s: &Settings) -> usize {
    let (steps, every) = (s.train.steps, s.train.log_every.max(1));
    1 + steps / every + usize::from(steps % every != 0)
}

/// The bytes of the W and b snapshots a run keeps: (m·d1 + m) f64 per logged step with
/// `save_weights = "logged"`, nothing otherwise.
pub fn snapshot_bytes(s: &Settings) -> f64 {
    if s.metrics.save_weights != SaveWeights::Logged {
        return 0.0;
    }
    let per_step = (s.network.m as f64) * (s.model.d1 as f64 + 1.0) * F64;
    logged_steps(s) as f64 * per_step
}

/// Refuse `save_weights = "logged"` when its snapshots exceed [`SNAPSHOT_LIMIT`], naming
/// the key.
pub fn ensure_snapshots_fit(s: &Settings) -> Result<()> {
    let bytes = snapshot_bytes(s);
    if bytes <= SNAPSHOT_LIMIT {
        return Ok(());
    }
    Err(Error::InvalidParam {
        key: "metrics.save_weights",
        value: format!(
            "\"logged\" ({} of W and b at {} logged steps, network.m = {}, model.d1 = {}, limit {})",
            human(bytes),
            logged_steps(s),
            s.network.m,
            s.model.d1,
            human(SNAPSHOT_LIMIT)
        ),
        reason: "the snapshots at every logged step are too large: use \"final\" or a larger train.log_every",
    })
}

/// `MemAvailable` of `/proc/meminfo` in bytes, if this system has it.
pub fn available_bytes() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    parse_meminfo(&text)
}

fn parse_meminfo(text: &str) -> Option<f64> {
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024.0)
}

/// Bytes as text: `12.3 GiB`, `456 MiB`, `7.0 TiB`.
pub fn human(bytes: f64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = bytes;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    format!("{v:.1} {}", UNITS[u])
}

/// Refuse a run whose estimate exceeds `available` bytes (no check when unknown).
pub fn ensure_fits(s: &Settings, available: Option<f64>) -> Result<()> {
    ensure_snapshots_fit(s)?;
    let needed = estimate_bytes(s);
    match available {
        Some(avail) if needed > avail => Err(Error::TooLarge {
            needed: human(needed),
            available: human(avail),
            sizes: format!(
                "model.d = {}, model.d1 = {}, network.m = {}, train.batch = {}, metrics.eval_samples = {}, \
                 probe.n_train = {}, probe.n_test = {}",
                s.model.d,
                s.model.d1,
                s.network.m,
                s.train.batch,
                s.metrics.eval_samples,
                s.probe.n_train,
                s.probe.n_test
            ),
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use std::path::Path;

    fn settings(d1: usize) -> Settings {
        let text = crate::config::tests::SMALL.replace("d1 = 32", &format!("d1 = {d1}"));
        // (no memory check here: the huge one is checked below against a given size)
        let cfg = Config::from_toml_str(&text, Path::new("x.toml")).unwrap();
        cfg.check_with_memory(None).unwrap()
    }

    #[test]
    fn meminfo_is_read_in_kib() {
        let text = "MemTotal:       24000000 kB\nMemFree: 1 kB\nMemAvailable:   2048 kB\n";
        assert_eq!(parse_meminfo(text), Some(2048.0 * 1024.0));
        assert_eq!(parse_meminfo("MemTotal: 5 kB\n"), None);
    }

    #[test]
    fn small_runs_fit_and_huge_ones_are_refused_with_sizes() {
        let small = settings(32);
        assert!(estimate_bytes(&small) < 1e8, "{}", estimate_bytes(&small));
        ensure_fits(&small, Some(1e9)).unwrap();
        ensure_fits(&small, None).unwrap();
        let huge = settings(100_000_000);
        let err = ensure_fits(&huge, Some(16.0 * 1024f64.powi(3)))
            .unwrap_err()
            .to_string();
        assert!(err.contains("16.0 GiB"), "{err}");
        assert!(err.contains("model.d1 = 100000000"), "{err}");
        assert!(err.contains("TiB"), "{err}");
    }

    #[test]
    fn logged_snapshots_count_and_are_refused_when_too_large() {
        let mut s = settings(32);
        assert_eq!(snapshot_bytes(&s), 0.0);
        let base = estimate_bytes(&s);
        s.metrics.save_weights = SaveWeights::Logged;
        let per = (s.network.m * (s.model.d1 + 1) * 8) as f64;
        assert_eq!(snapshot_bytes(&s), logged_steps(&s) as f64 * per);
        assert_eq!(estimate_bytes(&s), base + snapshot_bytes(&s));
        ensure_fits(&s, None).unwrap();
        s.train.steps = 1_000_000;
        s.train.log_every = 1;
        s.model.d1 = 10_000;
        let err = ensure_fits(&s, None).unwrap_err().to_string();
        assert!(err.contains("metrics.save_weights"), "{err}");
        assert!(err.contains("train.log_every"), "{err}");
        s.metrics.save_weights = SaveWeights::Final;
        assert_eq!(snapshot_bytes(&s), 0.0);
    }

    #[test]
    fn human_sizes() {
        assert_eq!(human(512.0), "512.0 B");
        assert_eq!(human(1536.0 * 1024.0 * 1024.0), "1.5 GiB");
    }
}
