//! Reading what the figures draw: run folders (`alpha.csv`, `neurons.csv`, `metrics.csv`,
//! `manifest.json`), folders of seeds (`seed_<s>/` run folders, as `decouple run --seeds K`
//! writes them) and sweep folders, into typed data. The only place of the figures that
//! touches the disk, besides writing the SVG.
//!
//! A run's label and arm come from its `manifest.json`: the experiment's name and seed
//! ("theorem_aug seed 1"; "theorem_aug, seeds 1–3" for a folder of seeds), and
//! `settings.augmentation.kind`; never the folder's name.

use std::path::{Path, PathBuf};

use crate::config::AugmentationKind;
use crate::error::Result;
use crate::exec::sweep::SweepTable;
use crate::sim::summary::Metric;

use super::style::perr;

/// A run's logged curves (one value per logged step).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Curves {
    /// The SGD steps.
    pub step: Vec<f64>,
    /// The loss (mean over the logging window).
    pub loss: Vec<f64>,
    /// The median alignment max_j |cos(w_i, M_j)|.
    pub align_median: Vec<f64>,
    /// The mean cos(f(x), f(ξ)).
    pub noise_cos: Vec<f64>,
}

/// One run, as the run figures draw it.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    /// Its label ("tiny_aug seed 1").
    pub label: String,
    /// Its augmentation.
    pub arm: Option<AugmentationKind>,
    /// |cos(w_i, M_j)| per neuron (rows sorted by best atom, then by −alignment) and atom.
    pub cosines: Vec<Vec<f64>>,
    /// The logged curves.
    pub curves: Curves,
    /// The neurons' final alignments.
    pub alignments: Vec<f64>,
}

/// The runs of one experiment: one run, or its seeds (drawn as a mean and a band).
#[derive(Debug, Clone, PartialEq)]
pub struct RunSet {
    /// The set's label (that of its run, or "name, seeds 1–3").
    pub label: String,
    /// The runs' augmentation (that of the first run).
    pub arm: Option<AugmentationKind>,
    /// The runs, by seed.
    pub runs: Vec<Run>,
}

/// A numeric CSV: header and rows (non-numbers read as NaN).
struct Table {
    header: Vec<String>,
    rows: Vec<Vec<f64>>,
    path: PathBuf,
}

impl Table {
    fn read(path: &Path) -> Result<Self> {
        let mut r = csv::Reader::from_path(path).map_err(|e| perr(path, e))?;
        let header = r
            .headers()
            .map_err(|e| perr(path, e))?
            .iter()
            .map(String::from)
            .collect();
        let mut rows = Vec::new();
        for rec in r.records() {
            let rec = rec.map_err(|e| perr(path, e))?;
            rows.push(rec.iter().map(|v| v.parse::<f64>().unwrap_or(f64::NAN)).collect());
        }
        if rows.is_empty() {
            return Err(perr(path, "no rows"));
        }
        Ok(Self {
            header,
            rows,
            path: path.to_path_buf(),
        })
    }

    fn col(&self, name: &str) -> Result<Vec<f64>> {
        let k = self
            .header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| perr(&self.path, format!("no column `{name}`")))?;
        Ok(self.rows.iter().map(|r| r[k]).collect())
    }
}

/// |cos(w_i, M_j)| of a run folder, rows sorted by (best atom, −alignment).
fn sorted_cosines(alpha: &Table, neurons: &Table) -> Result<Vec<Vec<f64>>> {
    let norms = neurons.col("norm")?;
    let best = neurons.col("best_atom")?;
    let align = neurons.col("alignment")?;
    if norms.len() != alpha.rows.len() {
        return Err(perr(
            &alpha.path,
            "alpha.csv and neurons.csv disagree on the number of neurons",
        ));
    }
    let mut order: Vec<usize> = (0..norms.len()).collect();
    order.sort_by(|&a, &b| best[a].total_cmp(&best[b]).then(align[b].total_cmp(&align[a])));
    Ok(order
        .into_iter()
        .map(|i| {
            alpha.rows[i][1..]
                .iter()
                .map(|v| if norms[i] > 0.0 { v.abs() / norms[i] } else { 0.0 })
                .collect()
        })
        .collect())
}

/// The experiment's name, seed and arm in a run's `manifest.json`.
fn manifest(dir: &Path) -> Result<(String, u64, Option<AugmentationKind>)> {
    let p = dir.join("manifest.json");
    let text = std::fs::read_to_string(&p).map_err(|e| perr(&p, e))?;
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| perr(&p, e))?;
    let s = &v["settings"];
    let name = s["name"]
        .as_str()
        .ok_or_else(|| perr(&p, "no settings.name"))?
        .to_string();
    let seed = v["seed"].as_u64().or_else(|| s["seed"].as_u64()).unwrap_or(0);
    let arm = serde_json::from_value(s["augmentation"]["kind"].clone()).ok();
    Ok((name, seed, arm))
}

/// One run folder.
pub fn run(dir: &Path) -> Result<Run> {
    let alpha = Table::read(&dir.join("alpha.csv"))?;
    let neurons = Table::read(&dir.join("neurons.csv"))?;
    let metrics = Table::read(&dir.join("metrics.csv"))?;
    let curves = Curves {
        step: metrics.col("step")?,
        loss: metrics.col("loss")?,
        align_median: metrics.col(Metric::AlignMedian.name())?,
        noise_cos: metrics.col(Metric::NoiseCosMean.name())?,
    };
    let (name, seed, arm) = manifest(dir)?;
    Ok(Run {
        label: format!("{name} seed {seed}"),
        arm,
        cosines: sorted_cosines(&alpha, &neurons)?,
        curves,
        alignments: neurons.col("alignment")?,
    })
}

/// The `seed_<s>/` folders of `dir`, by seed (none if `dir` is a run folder).
pub fn seed_folders(dir: &Path) -> Vec<(u64, PathBuf)> {
    let mut out: Vec<(u64, PathBuf)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let s = name.strip_prefix("seed_")?.parse::<u64>().ok()?;
            e.path().is_dir().then(|| (s, e.path()))
        })
        .collect();
    out.sort();
    out
}

/// A run folder, or a folder of `seed_<s>/` run folders (every seed, labelled "name,
/// seeds 1–3" or "name, seeds 1, 4, 9").
pub fn run_set(dir: &Path) -> Result<RunSet> {
    let seeds = seed_folders(dir);
    if seeds.is_empty() || dir.join("alpha.csv").is_file() {
        let r = run(dir)?;
        return Ok(RunSet {
            label: r.label.clone(),
            arm: r.arm,
            runs: vec![r],
        });
    }
    let runs = seeds.iter().map(|(_, d)| run(d)).collect::<Result<Vec<_>>>()?;
    let (name, _, arm) = manifest(&seeds[0].1)?;
    let s: Vec<u64> = seeds.iter().map(|x| x.0).collect();
    let consecutive = s.windows(2).all(|w| w[1] == w[0] + 1);
    let list = if consecutive && s.len() > 2 {
        format!("{}–{}", s[0], s[s.len() - 1])
    } else {
        s.iter().map(u64::to_string).collect::<Vec<_>>().join(", ")
    };
    let label = if s.len() == 1 {
        format!("{name} seed {list}")
    } else {
        format!("{name}, seeds {list}")
    };
    Ok(RunSet { label, arm, runs })
}

/// The run sets of `dirs` ([`run_set`]); labels that two sets share get their arm added
/// ("sweep, none seed 1", "sweep, random_mask seed 1").
pub fn run_sets(dirs: &[PathBuf]) -> Result<Vec<RunSet>> {
    let mut sets = dirs.iter().map(|d| run_set(d)).collect::<Result<Vec<_>>>()?;
    let labels: Vec<String> = sets.iter().map(|s| s.label.clone()).collect();
    for s in &mut sets {
        if labels.iter().filter(|l| **l == s.label).count() > 1 {
            let arm = s
                .arm
                .and_then(|a| serde_json::to_value(a).ok())
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_else(|| "?".into());
            s.label = match s.label.split_once(" seed") {
                Some((name, rest)) => format!("{name}, {arm} seed{rest}"),
                None => format!("{}, {arm}", s.label),
            };
        }
    }
    Ok(sets)
}

/// Run folders with labels of the caller's ("RandomMask (baseline)"), one set each.
pub fn labelled_runs(runs: &[(String, PathBuf)]) -> Result<Vec<RunSet>> {
    runs.iter()
        .map(|(label, dir)| {
            let mut s = run_set(dir)?;
            s.label = label.clone();
            Ok(s)
        })
        .collect()
}

/// True for a sweep folder (one with `sweep.json`).
pub fn is_sweep(dir: &Path) -> bool {
    dir.join("sweep.json").is_file()
}

/// A sweep folder's table.
pub fn sweep(dir: &Path) -> Result<SweepTable> {
    SweepTable::read(dir)
}
