//! Runs over seeds, summarised and compared: the summary over the seeds of one
//! experiment (`decouple run --seeds K` writes it), and the paired-by-seed differences of
//! two experiments (`decouple compare A B`), each from the runs' `summary.csv` files.
//!
//! Runs of one seed share the dictionary, the initial weights and the data stream
//! wherever two settings allow it (docs/THEORY.md §4.7), so a difference taken seed by
//! seed removes what the seeds have in common; the interval is the two-sided 95% Student t
//! interval of the per-seed differences, as the audit's paired contrast reads them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::io::finish_csv;
use crate::sim::summary::Metric;
use crate::stats::mean_ci95;

/// One run's summary: its seed and `metric → value` as `summary.csv` has them.
#[derive(Debug, Clone, PartialEq)]
pub struct SeedSummary {
    /// The run's seed (from its `manifest.json`).
    pub seed: u64,
    /// Every row of its `summary.csv`.
    pub values: BTreeMap<String, f64>,
}

fn bad(path: &Path, m: impl std::fmt::Display) -> Error {
    Error::Sweep(format!("{}: {m}", path.display()))
}

/// Read a run folder's `summary.csv` and the seed of its `manifest.json`.
pub fn read_run(dir: &Path) -> Result<SeedSummary> {
    let manifest = dir.join("manifest.json");
    let text = std::fs::read_to_string(&manifest).map_err(|e| bad(&manifest, e))?;
    let m: serde_json::Value = serde_json::from_str(&text).map_err(|e| bad(&manifest, e))?;
    let seed = m
        .get("seed")
        .and_then(serde_json::Value::as_u64)
        .ok_or_else(|| bad(&manifest, "no seed"))?;
    let path = dir.join("summary.csv");
    let mut r = csv::Reader::from_path(&path).map_err(|e| bad(&path, e))?;
    let mut values = BTreeMap::new();
    for rec in r.records() {
        let rec = rec.map_err(|e| bad(&path, e))?;
        let v = rec.get(1).and_then(|v| v.parse::<f64>().ok()).unwrap_or(f64::NAN);
        values.insert(rec.get(0).unwrap_or_default().to_string(), v);
    }
    Ok(SeedSummary { seed, values })
}

/// The runs of an experiment folder: its `seed_*/` folders (`decouple run --seeds K`), or
/// the folder itself when it is one run; in seed order.
pub fn read_runs(dir: &Path) -> Result<Vec<SeedSummary>> {
    let mut seeds: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| bad(dir, e))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir() && p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("seed_")))
        .collect();
    if seeds.is_empty() {
        return Ok(vec![read_run(dir)?]);
    }
    seeds.sort();
    let mut runs = seeds.iter().map(|p| read_run(p)).collect::<Result<Vec<_>>>()?;
    runs.sort_by_key(|r| r.seed);
    Ok(runs)
}

/// The metric of a `summary.csv` row name, if the crate knows it.
fn metric_named(name: &str) -> Option<Metric> {
    Metric::ALL.iter().copied().find(|m| m.name() == name)
}

/// A mean and its 95% t-interval over `values`, the interval cut to the metric's range
/// ([`Metric::range`]): a fraction's interval never leaves [0, 1].
fn bounded_interval(name: &str, values: &[f64]) -> (usize, f64, f64, f64) {
    let (n, mean, lo, hi) = mean_ci95(values);
    let (a, b) = metric_named(name).map_or((f64::NEG_INFINITY, f64::INFINITY), Metric::range);
    (n, mean, lo.max(a), hi.min(b))
}

/// `summary_over_seeds.csv`: per metric, the number of seeds with a finite value, the mean,
/// the 95% t-interval inside the metric's range, and the smallest and largest value.
pub fn over_seeds_csv(runs: &[SeedSummary]) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["metric", "n", "mean", "ci95_lo", "ci95_hi", "min", "max"])?;
    let Some(first) = runs.first() else {
        return finish_csv(w);
    };
    for name in first.values.keys() {
        let v: Vec<f64> = runs
            .iter()
            .map(|r| r.values.get(name).copied().unwrap_or(f64::NAN))
            .collect();
        let (n, mean, lo, hi) = bounded_interval(name, &v);
        let finite = v.iter().copied().filter(|x| x.is_finite());
        let min = finite.clone().fold(f64::INFINITY, f64::min);
        let max = finite.fold(f64::NEG_INFINITY, f64::max);
        w.write_record([
            name.clone(),
            n.to_string(),
            mean.to_string(),
            lo.to_string(),
            hi.to_string(),
            min.to_string(),
            max.to_string(),
        ])?;
    }
    finish_csv(w)
}

/// One metric of two experiments compared seed by seed.
#[derive(Debug, Clone, PartialEq)]
pub struct PairedRow {
    /// The metric's name.
    pub metric: String,
    /// Seeds present in both with finite values.
    pub pairs: usize,
    /// Mean of A over those seeds.
    pub mean_a: f64,
    /// Mean of B over those seeds.
    pub mean_b: f64,
    /// Mean of B − A, seed by seed.
    pub diff: f64,
    /// Its 95% Student-t interval (NaN with fewer than two pairs).
    pub lo: f64,
    /// Upper end.
    pub hi: f64,
}

/// The paired differences B − A of every metric both have, over the seeds both have
/// (an error when they share none).
pub fn paired(a: &[SeedSummary], b: &[SeedSummary]) -> Result<Vec<PairedRow>> {
    let pairs: Vec<(&SeedSummary, &SeedSummary)> = a
        .iter()
        .filter_map(|x| b.iter().find(|y| y.seed == x.seed).map(|y| (x, y)))
        .collect();
    if pairs.is_empty() {
        return Err(Error::Sweep(format!(
            "no seed in common: A has {:?}, B has {:?}",
            a.iter().map(|r| r.seed).collect::<Vec<_>>(),
            b.iter().map(|r| r.seed).collect::<Vec<_>>()
        )));
    }
    let names = pairs[0].0.values.keys().filter(|k| pairs[0].1.values.contains_key(*k));
    Ok(names
        .map(|name| {
            let both: Vec<(f64, f64)> = pairs
                .iter()
                .map(|(x, y)| (x.values[name], y.values.get(name).copied().unwrap_or(f64::NAN)))
                .filter(|(u, v)| u.is_finite() && v.is_finite())
                .collect();
            let d: Vec<f64> = both.iter().map(|(u, v)| v - u).collect();
            let (n, diff, lo, hi) = mean_ci95(&d);
            let mean = |f: fn(&(f64, f64)) -> f64| mean_ci95(&both.iter().map(f).collect::<Vec<_>>()).1;
            PairedRow {
                metric: name.clone(),
                pairs: n,
                mean_a: mean(|p| p.0),
                mean_b: mean(|p| p.1),
                diff,
                lo,
                hi,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(seed: u64, align: f64, loss: f64) -> SeedSummary {
        let values = [("align_median".to_string(), align), ("final_loss".to_string(), loss)]
            .into_iter()
            .collect();
        SeedSummary { seed, values }
    }

    #[test]
    fn a_fraction_s_interval_stays_in_its_range_and_pairs_are_by_seed() {
        let runs = [run(1, 0.99, 1.0), run(2, 1.0, 2.0), run(3, 0.9, 3.0)];
        let text = String::from_utf8(over_seeds_csv(&runs).unwrap()).unwrap();
        let align = text.lines().find(|l| l.starts_with("align_median")).unwrap();
        let hi: f64 = align.split(',').nth(4).unwrap().parse().unwrap();
        assert!(hi <= 1.0, "{align}");
        let b = [run(3, 0.95, 2.0), run(1, 0.99, 0.5), run(9, 0.0, 0.0)];
        let rows = paired(&runs, &b).unwrap();
        let loss = rows.iter().find(|r| r.metric == "final_loss").unwrap();
        assert_eq!(loss.pairs, 2);
        assert!((loss.diff - (-0.5 + -1.0) / 2.0).abs() < 1e-12);
        assert!(paired(&runs, &[run(7, 0.0, 0.0)]).is_err());
    }
}
