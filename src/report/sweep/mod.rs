//! Sweeps: one base experiment, a grid of config values, K seeds per cell (issue #4).
//!
//! # The sweep file
//!
//! ```toml
//! name = "scaling_d_quick"        # output folder: <out>/<name>/
//! seeds = 3                       # seeds base.seed, base.seed+1, ..., base.seed+K-1 per cell
//! base = "../theorem_aug.toml"    # the base experiment: a file (relative to this file) ...
//! # [base]                        # ... or an inline table with the schema of experiments/*.toml
//!
//! [axes]                          # any config key as a dotted path -> list of values
//! "model.d" = [16, 24, 32, 48]
//! "augmentation.kind" = ["none", "random_mask"]
//!
//! [derived]                       # keys computed from d, per cell
//! "model.d1" = "8*d"
//! "network.m" = "4*d"
//! ```
//!
//! Axis keys are dotted paths into the experiment schema (`model.d`, `train.steps`,
//! `augmentation.keep_prob`, ...); quoting them is optional (`model.d = [..]` inside
//! `[axes]` is a nested table and is read the same way). Cells are the Cartesian product of
//! the axes, axes in sorted key order, the first one outermost. `name` and `seed` cannot be
//! axes (the sweep's name and `seeds` set them).
//!
//! Derived keys are sizes computed from the cell's `model.d` by the grammar
//!
//! ```text
//! expr := NUMBER | [NUMBER "*"] "d" ["^" NUMBER]       (spaces ignored)
//! ```
//!
//! e.g. `"8*d"`, `"d"`, `"d^1.5"`, `"0.5*d^2"`, `"1500"`; the value is rounded to the
//! nearest integer (derived keys are for sizes: d1, m, steps, batch, exact_k, ...). Anything
//! else is rejected with the grammar in the message.
//!
//! # Outputs (in `<out>/<name>/`)
//!
//! * `runs/<hash>/`: the tables of one (cell, seed) run as `decouple run` writes them, plus
//!   `record.json` (written last: its presence marks the run finished). `<hash>` is the
//!   FNV-1a 64-bit hash of the canonical JSON of the run's fully resolved
//!   [`Settings`]; a rerun skips every run whose record exists (resume).
//! * `sweep.csv`: one row per (cell, seed), in canonical order (cell index, then seed):
//!   `cell`, the axis values, `seed`, the run's summary metrics, `config_hash`.
//! * `sweep_summary.csv`: per cell and metric, the number of seeds with a finite value, the
//!   mean and a 95% Student-t interval over seeds.
//! * `sweep.json`: what the sweep is (axes, seeds, spec hash, shard), for `merge`.
//!
//! `--shard k/n` runs the tasks whose canonical index i has i mod n = k − 1; `merge`
//! unions shards' rows and records and rewrites the tables, byte-identical to an unsharded
//! run.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::stats::mean_ci95;
use serde::{Deserialize, Serialize};

use crate::config::{Config, Settings};
use crate::error::{Error, Result};
use crate::io::{self, write_atomic};
use crate::parallel;
use crate::sim::summary::{Metric, Summary};
use crate::sim::train::executor::{self, LogRow, RunOutput, Silent};

/// Alignment threshold of the `steps_to_align` metric.
pub const ALIGN_THRESHOLD: f64 = 0.5;

/// FNV-1a, 64 bits.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The hash of fully resolved settings: FNV-1a of their canonical JSON, 16 hex digits.
pub fn settings_hash(s: &Settings) -> Result<String> {
    Ok(format!("{:016x}", fnv1a64(serde_json::to_string(s)?.as_bytes())))
}

/// A derived-key expression `[c*]d[^e]` or a constant (see the module doc).
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    coef: f64,
    power: f64,
    text: String,
}

const GRAMMAR: &str = "expected NUMBER or [NUMBER*]d[^NUMBER], e.g. \"8*d\", \"d^1.5\", \"0.5*d^2\", \"1500\"";

fn number(s: &str) -> Option<f64> {
    let ok = !s.is_empty() && s.chars().all(|c| c.is_ascii_digit() || c == '.');
    s.parse::<f64>().ok().filter(|v| ok && v.is_finite())
}

impl Expr {
    /// Parse; the error message names the text and the grammar.
    pub fn parse(text: &str) -> std::result::Result<Self, String> {
        let s: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let bad = || format!("bad expression {text:?}: {GRAMMAR}");
        if let Some(c) = number(&s) {
            return Ok(Self {
                coef: c,
                power: 0.0,
                text: text.to_string(),
            });
        }
        let (coef, rest) = match s.split_once('*') {
            Some((c, r)) => (number(c).ok_or_else(bad)?, r),
            None => (1.0, s.as_str()),
        };
        let power = match rest.strip_prefix('d').ok_or_else(bad)? {
            "" => 1.0,
            tail => number(tail.strip_prefix('^').ok_or_else(bad)?).ok_or_else(bad)?,
        };
        Ok(Self {
            coef,
            power,
            text: text.to_string(),
        })
    }

    /// The value at `d`, rounded to the nearest integer.
    pub fn eval(&self, d: usize) -> i64 {
        (self.coef * (d as f64).powf(self.power)).round() as i64
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// `--shard k/n`: the k-th (1-based) of n disjoint slices of the tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 1..=n.
    pub k: usize,
    /// Number of shards.
    pub n: usize,
}

impl Shard {
    /// Does this shard run the task with canonical index `index`?
    pub fn selects(&self, index: usize) -> bool {
        index % self.n == self.k - 1
    }
}

impl FromStr for Shard {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let bad = |why: &str| {
            Error::Sweep(format!(
                "bad shard spec {s:?}: {why} (expected k/n with 1 <= k <= n, e.g. 2/4)"
            ))
        };
        let (k, n) = s.split_once('/').ok_or_else(|| bad("no '/'"))?;
        let k: usize = k.trim().parse().map_err(|_| bad("k is not a positive integer"))?;
        let n: usize = n.trim().parse().map_err(|_| bad("n is not a positive integer"))?;
        if n == 0 {
            return Err(bad("n must be at least 1"));
        }
        if k == 0 || k > n {
            return Err(bad("k must be in 1..=n"));
        }
        Ok(Self { k, n })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.k, self.n)
    }
}

/// A parsed sweep file.
#[derive(Debug, Clone)]
pub struct SweepSpec {
    /// Sweep name (output folder).
    pub name: String,
    /// Seeds per cell.
    pub seeds: usize,
    /// The base experiment as a TOML table.
    pub base: toml::Table,
    /// Axes in sorted key order: dotted key, values.
    pub axes: Vec<(String, Vec<toml::Value>)>,
    /// Derived keys: dotted key, expression in d.
    pub derived: Vec<(String, Expr)>,
    /// Where it came from (for messages).
    pub origin: PathBuf,
}

/// One cell: its index in canonical order and its axis values.
#[derive(Debug, Clone)]
pub struct Cell {
    /// Canonical index.
    pub index: usize,
    /// (dotted key, value) per axis.
    pub values: Vec<(String, toml::Value)>,
}

impl Cell {
    /// `key=value key=value` (for messages and tables).
    pub fn label(&self) -> String {
        self.values
            .iter()
            .map(|(k, v)| format!("{k}={}", value_text(v)))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// One (cell, seed) run.
#[derive(Debug, Clone)]
pub struct Task {
    /// Canonical index (cells outer, seeds inner).
    pub index: usize,
    /// The cell's index.
    pub cell: usize,
    /// The seed.
    pub seed: u64,
    /// Fully resolved settings.
    pub settings: Settings,
    /// [`settings_hash`] of them.
    pub hash: String,
}

/// A value as plain text: strings unquoted, numbers and booleans as written.
pub fn value_text(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn flatten(prefix: &str, t: &toml::Table, out: &mut Vec<(String, toml::Value)>) {
    for (k, v) in t {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            toml::Value::Table(inner) => flatten(&key, inner, out),
            other => out.push((key, other.clone())),
        }
    }
}

fn set_path(t: &mut toml::Table, key: &str, value: toml::Value) -> std::result::Result<(), String> {
    let parts: Vec<&str> = key.split('.').collect();
    if parts.iter().any(|p| p.is_empty()) {
        return Err(format!("`{key}` is not a dotted key"));
    }
    let mut cur = t;
    for p in &parts[..parts.len() - 1] {
        let entry = cur
            .entry(p.to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        cur = match entry {
            toml::Value::Table(inner) => inner,
            _ => return Err(format!("`{key}`: `{p}` is a value, not a section")),
        };
    }
    cur.insert(parts[parts.len() - 1].to_string(), value);
    Ok(())
}

impl SweepSpec {
    /// Read and parse a sweep file.
    pub fn from_file(path: &Path) -> Result<Self> {
        Self::from_toml_str(&crate::config::read_text(path)?, path)
    }

    /// Parse a sweep file's text; `origin` names the file and anchors a relative `base`.
    pub fn from_toml_str(text: &str, origin: &Path) -> Result<Self> {
        let err = |m: String| Error::Sweep(format!("sweep file {}: {m}", origin.display()));
        let top: toml::Table = toml::from_str(text).map_err(|e| Error::ConfigParse {
            path: origin.to_path_buf(),
            message: e.to_string(),
        })?;
        for k in top.keys() {
            if !["name", "seeds", "base", "axes", "derived"].contains(&k.as_str()) {
                return Err(err(format!(
                    "unknown top-level key `{k}` (allowed: name, seeds, base, axes, derived)"
                )));
            }
        }
        let name = top
            .get("name")
            .and_then(|v| v.as_str())
            .ok_or_else(|| err("`name` (a string) is required".into()))?
            .to_string();
        let seeds = match top.get("seeds") {
            None => 1,
            Some(v) => v
                .as_integer()
                .filter(|&k| k >= 1)
                .ok_or_else(|| err(format!("`seeds` must be a positive integer, got {v}")))?
                as usize,
        };
        let base = match top.get("base") {
            Some(toml::Value::Table(t)) => t.clone(),
            Some(toml::Value::String(file)) => {
                let p = origin.parent().unwrap_or(Path::new(".")).join(file);
                let t = std::fs::read_to_string(&p).map_err(|source| Error::ConfigRead {
                    path: p.clone(),
                    source,
                })?;
                toml::from_str(&t).map_err(|e| Error::ConfigParse {
                    path: p.clone(),
                    message: e.to_string(),
                })?
            }
            _ => {
                return Err(err(
                    "`base` is required: a path to an experiment file or a [base] table".into(),
                ))
            }
        };
        let mut axes = Vec::new();
        if let Some(a) = top.get("axes") {
            let t = a.as_table().ok_or_else(|| err("`axes` must be a table".into()))?;
            let mut flat = Vec::new();
            flatten("", t, &mut flat);
            for (k, v) in flat {
                let vals = match v {
                    toml::Value::Array(vals) if !vals.is_empty() => vals,
                    _ => return Err(err(format!("axis `{k}` must be a non-empty list of values"))),
                };
                axes.push((k, vals));
            }
        }
        let mut derived = Vec::new();
        if let Some(a) = top.get("derived") {
            let t = a.as_table().ok_or_else(|| err("`derived` must be a table".into()))?;
            let mut flat = Vec::new();
            flatten("", t, &mut flat);
            for (k, v) in flat {
                let s = v
                    .as_str()
                    .ok_or_else(|| err(format!("derived key `{k}` must be a string expression: {GRAMMAR}")))?;
                let e = Expr::parse(s).map_err(|m| err(format!("derived key `{k}`: {m}")))?;
                derived.push((k, e));
            }
        }
        let spec = Self {
            name,
            seeds,
            base,
            axes,
            derived,
            origin: origin.to_path_buf(),
        };
        spec.validate_keys()?;
        Ok(spec)
    }

    fn err(&self, m: String) -> Error {
        Error::Sweep(format!("sweep file {}: {m}", self.origin.display()))
    }

    /// Check every axis and derived key on its own against the experiment schema, so an
    /// unknown key is named as such.
    fn validate_keys(&self) -> Result<()> {
        let keys = self.axes.iter().map(|(k, v)| (k, "axis", v[0].clone())).chain(
            self.derived
                .iter()
                .map(|(k, e)| (k, "derived key", toml::Value::Integer(e.eval(16)))),
        );
        for (key, what, value) in keys {
            if key == "name" || key == "seed" {
                return Err(self.err(format!(
                    "{what} `{key}` cannot be swept (use the sweep's `name` and `seeds`)"
                )));
            }
            let mut t = self.base.clone();
            set_path(&mut t, key, value).map_err(|m| self.err(format!("{what} {m}")))?;
            t.insert("name".into(), toml::Value::String(self.name.clone()));
            if let Err(e) = t.try_into::<Config>() {
                let msg = e.to_string();
                let kind = if msg.contains("unknown field") {
                    "is not a config key"
                } else {
                    "is invalid"
                };
                return Err(self.err(format!("{what} `{key}` {kind}: {}", msg.trim())));
            }
        }
        Ok(())
    }

    /// The cells, in canonical order.
    pub fn cells(&self) -> Vec<Cell> {
        let mut cells = vec![Vec::new()];
        for (k, vals) in &self.axes {
            let mut next = Vec::with_capacity(cells.len() * vals.len());
            for c in &cells {
                for v in vals {
                    let mut c2: Vec<(String, toml::Value)> = c.clone();
                    c2.push((k.clone(), v.clone()));
                    next.push(c2);
                }
            }
            cells = next;
        }
        cells
            .into_iter()
            .enumerate()
            .map(|(index, values)| Cell { index, values })
            .collect()
    }

    fn base_seed(&self) -> u64 {
        self.base.get("seed").and_then(|v| v.as_integer()).unwrap_or(1).max(0) as u64
    }

    /// The fully resolved settings of one cell and seed.
    pub fn resolve(&self, cell: &Cell, seed: u64) -> Result<Settings> {
        let ctx = |m: String| self.err(format!("cell {}: {m}", cell.label()));
        let mut t = self.base.clone();
        t.insert("name".into(), toml::Value::String(self.name.clone()));
        t.insert("seed".into(), toml::Value::Integer(seed as i64));
        for (k, v) in &cell.values {
            set_path(&mut t, k, v.clone()).map_err(ctx)?;
        }
        if !self.derived.is_empty() {
            let d = t
                .get("model")
                .and_then(|m| m.get("d"))
                .and_then(|d| d.as_integer())
                .filter(|&d| d > 0)
                .ok_or_else(|| ctx("derived keys need an integer model.d".into()))? as usize;
            for (k, e) in &self.derived {
                set_path(&mut t, k, toml::Value::Integer(e.eval(d))).map_err(ctx)?;
            }
        }
        let cfg: Config = t.try_into().map_err(|e| ctx(e.to_string()))?;
        cfg.check().map_err(|e| ctx(e.to_string()))
    }

    /// Every (cell, seed) task, in canonical order.
    pub fn tasks(&self) -> Result<Vec<Task>> {
        let mut out = Vec::new();
        for cell in self.cells() {
            for s in 0..self.seeds {
                let seed = self.base_seed() + s as u64;
                let settings = self.resolve(&cell, seed)?;
                let hash = settings_hash(&settings)?;
                out.push(Task {
                    index: out.len(),
                    cell: cell.index,
                    seed,
                    settings,
                    hash,
                });
            }
        }
        Ok(out)
    }

    /// The dotted axis keys.
    pub fn axis_keys(&self) -> Vec<String> {
        self.axes.iter().map(|(k, _)| k.clone()).collect()
    }
}

/// What `sweep.json` holds.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SweepMeta {
    /// Sweep name.
    pub name: String,
    /// Axis keys, in column order.
    pub axes: Vec<String>,
    /// Per cell, its axis values as text.
    pub cells: Vec<Vec<String>>,
    /// Seeds per cell.
    pub seeds: usize,
    /// FNV-1a of all tasks' hashes: two shards of one sweep have the same.
    pub spec_hash: String,
    /// Tasks in the whole sweep.
    pub tasks_total: usize,
    /// `k/n` when these outputs are one shard, else null.
    pub shard: Option<String>,
    /// The per-task hashes, in canonical order.
    pub task_hashes: Vec<String>,
}

/// A finished run, `runs/<hash>/record.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunRecord {
    /// The settings hash (also the folder name).
    pub hash: String,
    /// Seed.
    pub seed: u64,
    /// Metric name, value as text (Rust's shortest round-trip form; `NaN` allowed).
    pub metrics: Vec<(String, String)>,
    /// Wall time of the run (not in `sweep.csv`, which must not depend on the machine).
    pub wall_seconds: f64,
    /// The resolved settings.
    pub settings: serde_json::Value,
}

/// First logged step at which the median alignment exceeds `threshold` (NaN if never).
pub fn steps_to_align(log: &[LogRow], threshold: f64) -> f64 {
    log.iter()
        .find(|r| r.features.align_median > threshold)
        .map_or(f64::NAN, |r| r.step as f64)
}

/// The metrics a sweep records for a run: [`RunOutput::summary`] plus
/// `one_minus_noise_cos` and `steps_to_align` (first logged step with median alignment
/// above [`ALIGN_THRESHOLD`]).
pub fn run_metrics(out: &RunOutput) -> Summary {
    let mut rows = out.summary();
    let cos = out.final_features.summary.noise_cos_mean;
    rows.push(Metric::OneMinusNoiseCos, 1.0 - cos);
    rows.push(Metric::StepsToAlign, steps_to_align(&out.log, ALIGN_THRESHOLD));
    rows
}

/// Options of [`run_sweep`].
#[derive(Debug, Clone, Copy)]
pub struct SweepOptions {
    /// Simulations side by side.
    pub jobs: usize,
    /// Run only this slice.
    pub shard: Option<Shard>,
    /// No per-run lines on stderr.
    pub quiet: bool,
}

/// What [`run_sweep`] did.
#[derive(Debug, Clone)]
pub struct SweepOutcome {
    /// `<out>/<name>`.
    pub dir: PathBuf,
    /// Runs simulated now.
    pub ran: usize,
    /// Runs found finished and skipped.
    pub skipped: usize,
    /// Rows written to `sweep.csv`.
    pub rows: usize,
}

fn load_record(dir: &Path, hash: &str) -> Option<RunRecord> {
    let text = std::fs::read_to_string(dir.join("runs").join(hash).join("record.json")).ok()?;
    let r: RunRecord = serde_json::from_str(&text).ok()?;
    (r.hash == hash).then_some(r)
}

fn run_task(dir: &Path, task: &Task) -> Result<RunRecord> {
    let out = executor::run(&task.settings, &mut Silent)?;
    let run_dir = dir.join("runs").join(&task.hash);
    io::write_run(&run_dir, &out, None)?;
    let rec = RunRecord {
        hash: task.hash.clone(),
        seed: task.seed,
        metrics: run_metrics(&out)
            .rows()
            .iter()
            .map(|(k, v)| (k.name().to_string(), v.to_string()))
            .collect(),
        wall_seconds: out.wall_seconds,
        settings: serde_json::to_value(&task.settings)?,
    };
    write_atomic(&run_dir.join("record.json"), &serde_json::to_vec_pretty(&rec)?)?;
    Ok(rec)
}

/// Run (or resume) a sweep, or one shard of it, into `<out>/<name>/`. `on_done(finished,
/// pending)` is called after each simulation.
pub fn run_sweep(
    spec: &SweepSpec,
    out: &Path,
    opts: &SweepOptions,
    on_done: impl Fn(usize, usize) + Sync,
) -> Result<SweepOutcome> {
    let dir = out.join(&spec.name);
    let tasks = spec.tasks()?;
    let selected: Vec<&Task> = tasks
        .iter()
        .filter(|t| opts.shard.is_none_or(|s| s.selects(t.index)))
        .collect();
    let mut records: BTreeMap<usize, RunRecord> = BTreeMap::new();
    let mut pending = Vec::new();
    for t in &selected {
        match load_record(&dir, &t.hash) {
            Some(r) => {
                records.insert(t.index, r);
            }
            None => pending.push(*t),
        }
    }
    let skipped = records.len();
    let total = pending.len();
    let results = parallel::map(
        &pending,
        opts.jobs,
        |t| {
            let r = run_task(&dir, t);
            if !opts.quiet {
                let cell = &spec.cells()[t.cell];
                match &r {
                    Ok(rec) => eprintln!("  {} seed {} done in {:.1} s", cell.label(), t.seed, rec.wall_seconds),
                    Err(e) => eprintln!("  {} seed {} failed: {e}", cell.label(), t.seed),
                }
            }
            r
        },
        |k| on_done(k, total),
    );
    for (t, r) in pending.iter().zip(results) {
        records.insert(t.index, r?);
    }
    let meta = meta_of(spec, &tasks, opts.shard)?;
    let cells = spec.cells();
    let rows: Vec<Row> = selected
        .iter()
        .map(|t| Row {
            cell: t.cell,
            cell_values: cells[t.cell].values.iter().map(|(_, v)| value_text(v)).collect(),
            seed: t.seed,
            metrics: records[&t.index].metrics.clone(),
            hash: t.hash.clone(),
        })
        .collect();
    let n = rows.len();
    write_tables(&dir, &meta, &rows)?;
    Ok(SweepOutcome {
        dir,
        ran: total,
        skipped,
        rows: n,
    })
}

/// Run (or resume) a list of fully resolved settings into `dir/runs/<hash>/` (the same
/// records as a sweep's): for the report's ablations. Returns the records in order.
pub fn run_or_resume(dir: &Path, runs: &[Settings], jobs: usize, quiet: bool) -> Result<Vec<RunRecord>> {
    let tasks = runs
        .iter()
        .enumerate()
        .map(|(index, s)| {
            Ok(Task {
                index,
                cell: index,
                seed: s.seed,
                settings: s.clone(),
                hash: settings_hash(s)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let pending: Vec<&Task> = tasks.iter().filter(|t| load_record(dir, &t.hash).is_none()).collect();
    let results = parallel::map(
        &pending,
        jobs,
        |t| {
            let r = run_task(dir, t);
            if !quiet {
                if let Ok(rec) = &r {
                    eprintln!(
                        "  {} seed {} done in {:.1} s",
                        t.settings.name, t.seed, rec.wall_seconds
                    );
                }
            }
            r
        },
        |_| {},
    );
    for r in results {
        r?;
    }
    tasks
        .iter()
        .map(|t| {
            load_record(dir, &t.hash).ok_or_else(|| Error::Sweep(format!("record of {} missing after its run", t.hash)))
        })
        .collect()
}

impl RunRecord {
    /// A metric by name (NaN if absent).
    pub fn metric(&self, metric: Metric) -> f64 {
        self.metrics
            .iter()
            .find(|(k, _)| k == metric.name())
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(f64::NAN)
    }
}

fn meta_of(spec: &SweepSpec, tasks: &[Task], shard: Option<Shard>) -> Result<SweepMeta> {
    let joined: String = tasks.iter().map(|t| t.hash.as_str()).collect::<Vec<_>>().join(",");
    Ok(SweepMeta {
        name: spec.name.clone(),
        axes: spec.axis_keys(),
        cells: spec
            .cells()
            .iter()
            .map(|c| c.values.iter().map(|(_, v)| value_text(v)).collect())
            .collect(),
        seeds: spec.seeds,
        spec_hash: format!("{:016x}", fnv1a64(joined.as_bytes())),
        tasks_total: tasks.len(),
        shard: shard.map(|s| s.to_string()),
        task_hashes: tasks.iter().map(|t| t.hash.clone()).collect(),
    })
}

/// One row of `sweep.csv`.
#[derive(Debug, Clone, PartialEq)]
struct Row {
    cell: usize,
    cell_values: Vec<String>,
    seed: u64,
    metrics: Vec<(String, String)>,
    hash: String,
}

fn csv_err(path: &Path, e: impl fmt::Display) -> Error {
    Error::Sweep(format!("{}: {e}", path.display()))
}

fn finish_csv(w: csv::Writer<Vec<u8>>) -> Result<Vec<u8>> {
    w.into_inner().map_err(|e| Error::Write {
        path: PathBuf::from("<csv buffer>"),
        source: e.into_error(),
    })
}

fn sweep_csv_bytes(meta: &SweepMeta, rows: &[Row]) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["cell".to_string()];
    header.extend(meta.axes.iter().cloned());
    header.push("seed".into());
    if let Some(r) = rows.first() {
        header.extend(r.metrics.iter().map(|(k, _)| k.clone()));
    }
    header.push("config_hash".into());
    w.write_record(&header)?;
    for r in rows {
        let mut rec = vec![r.cell.to_string()];
        rec.extend(r.cell_values.iter().cloned());
        rec.push(r.seed.to_string());
        rec.extend(r.metrics.iter().map(|(_, v)| v.clone()));
        rec.push(r.hash.clone());
        w.write_record(&rec)?;
    }
    finish_csv(w)
}

fn summary_csv_bytes(meta: &SweepMeta, rows: &[Row]) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["cell".to_string()];
    header.extend(meta.axes.iter().cloned());
    header.extend(["metric", "n", "mean", "ci95_lo", "ci95_hi"].map(String::from));
    w.write_record(&header)?;
    let mut by_cell: BTreeMap<usize, Vec<&Row>> = BTreeMap::new();
    for r in rows {
        by_cell.entry(r.cell).or_default().push(r);
    }
    for (cell, rs) in by_cell {
        for (k, (name, _)) in rs[0].metrics.iter().enumerate() {
            let vals: Vec<f64> = rs
                .iter()
                .map(|r| r.metrics[k].1.parse::<f64>().unwrap_or(f64::NAN))
                .collect();
            let (n, mean, lo, hi) = mean_ci95(&vals);
            let mut rec = vec![cell.to_string()];
            rec.extend(rs[0].cell_values.iter().cloned());
            rec.extend([
                name.clone(),
                n.to_string(),
                mean.to_string(),
                lo.to_string(),
                hi.to_string(),
            ]);
            w.write_record(&rec)?;
        }
    }
    finish_csv(w)
}

fn write_tables(dir: &Path, meta: &SweepMeta, rows: &[Row]) -> Result<()> {
    let csv = sweep_csv_bytes(meta, rows)?;
    let summary = summary_csv_bytes(meta, rows)?;
    write_atomic(&dir.join("sweep.json"), &serde_json::to_vec_pretty(meta)?)?;
    write_atomic(&dir.join("sweep.csv"), &csv)?;
    write_atomic(&dir.join("sweep_summary.csv"), &summary)
}

fn read_meta(dir: &Path) -> Result<SweepMeta> {
    let p = dir.join("sweep.json");
    let text = std::fs::read_to_string(&p).map_err(|e| {
        Error::Sweep(format!(
            "{}: {e} (pass the folder <out>/<sweep name> that `decouple sweep` wrote)",
            p.display()
        ))
    })?;
    serde_json::from_str(&text).map_err(|e| csv_err(&p, e))
}

fn read_rows(dir: &Path, meta: &SweepMeta) -> Result<Vec<Row>> {
    let p = dir.join("sweep.csv");
    let mut r = csv::Reader::from_path(&p).map_err(|e| csv_err(&p, e))?;
    let header: Vec<String> = r
        .headers()
        .map_err(|e| csv_err(&p, e))?
        .iter()
        .map(String::from)
        .collect();
    let na = meta.axes.len();
    let metric_names: Vec<String> = header[na + 2..header.len() - 1].to_vec();
    let mut rows = Vec::new();
    for rec in r.records() {
        let rec = rec.map_err(|e| csv_err(&p, e))?;
        let f: Vec<String> = rec.iter().map(String::from).collect();
        rows.push(Row {
            cell: f[0].parse().map_err(|e| csv_err(&p, e))?,
            cell_values: f[1..1 + na].to_vec(),
            seed: f[1 + na].parse().map_err(|e| csv_err(&p, e))?,
            metrics: metric_names
                .iter()
                .cloned()
                .zip(f[na + 2..f.len() - 1].iter().cloned())
                .collect(),
            hash: f[f.len() - 1].clone(),
        });
    }
    Ok(rows)
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    let rd = |e: std::io::Error| Error::Sweep(format!("{}: {e}", from.display()));
    for entry in std::fs::read_dir(from).map_err(rd)? {
        let entry = entry.map_err(rd)?;
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        let bytes = std::fs::read(entry.path()).map_err(rd)?;
        write_atomic(&to.join(&name), &bytes)?;
    }
    Ok(())
}

/// Combine the outputs of shards of one sweep (each a `<out>/<name>` folder) into
/// `<out>/<name>/` under `out`: the union of their rows in canonical order, the summary
/// recomputed, and the run records copied (so the merged folder resumes like an unsharded
/// one). Returns the merged folder.
pub fn merge(dirs: &[PathBuf], out: &Path) -> Result<PathBuf> {
    let first = dirs
        .first()
        .ok_or_else(|| Error::Sweep("merge: give at least one sweep folder".into()))?;
    let mut meta = read_meta(first)?;
    let mut rows: BTreeMap<(usize, u64), Row> = BTreeMap::new();
    let target = out.join(&meta.name);
    for dir in dirs {
        let m = read_meta(dir)?;
        if m.spec_hash != meta.spec_hash || m.name != meta.name {
            return Err(Error::Sweep(format!(
                "merge: {} is a different sweep ({} {}) from {} ({} {})",
                dir.display(),
                m.name,
                m.spec_hash,
                first.display(),
                meta.name,
                meta.spec_hash
            )));
        }
        for r in read_rows(dir, &m)? {
            let key = (r.cell, r.seed);
            if let Some(old) = rows.get(&key) {
                if old != &r {
                    return Err(Error::Sweep(format!(
                        "merge: cell {} seed {} differs between shards",
                        r.cell, r.seed
                    )));
                }
            }
            let src = dir.join("runs").join(&r.hash);
            let dst = target.join("runs").join(&r.hash);
            if src.is_dir() && std::fs::canonicalize(&src).ok() != std::fs::canonicalize(&dst).ok() {
                copy_dir(&src, &dst)?;
            }
            rows.insert(key, r);
        }
    }
    meta.shard = None;
    let rows: Vec<Row> = rows.into_values().collect();
    write_tables(&target, &meta, &rows)?;
    Ok(target)
}

/// A sweep's rows as read back for analysis: the axis values and the metrics by name.
#[derive(Debug, Clone)]
pub struct SweepTable {
    /// Axis keys.
    pub axes: Vec<String>,
    /// Per row: axis values (text), seed, metric → value.
    pub rows: Vec<(Vec<String>, u64, BTreeMap<String, f64>)>,
}

impl SweepTable {
    /// Read `<dir>/sweep.csv`.
    pub fn read(dir: &Path) -> Result<Self> {
        let meta = read_meta(dir)?;
        let rows = read_rows(dir, &meta)?
            .into_iter()
            .map(|r| {
                let m = r
                    .metrics
                    .iter()
                    .map(|(k, v)| (k.clone(), v.parse::<f64>().unwrap_or(f64::NAN)))
                    .collect();
                (r.cell_values, r.seed, m)
            })
            .collect();
        Ok(Self { axes: meta.axes, rows })
    }

    /// The value of axis `key` in row `i`.
    pub fn axis(&self, i: usize, key: &str) -> Option<&str> {
        let k = self.axes.iter().position(|a| a == key)?;
        Some(self.rows[i].0[k].as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressions_parse_and_evaluate() {
        assert_eq!(Expr::parse("8*d").unwrap().eval(16), 128);
        assert_eq!(Expr::parse(" 4 * d ").unwrap().eval(10), 40);
        assert_eq!(Expr::parse("d").unwrap().eval(7), 7);
        assert_eq!(Expr::parse("d^1.5").unwrap().eval(16), 64);
        assert_eq!(Expr::parse("0.5*d^2").unwrap().eval(10), 50);
        assert_eq!(Expr::parse("1500").unwrap().eval(3), 1500);
        for bad in ["", "8d", "d*8", "x", "d^", "8*", "ln(d)", "-2*d", "d+1", "2**d"] {
            let e = Expr::parse(bad).unwrap_err();
            assert!(e.contains("expected NUMBER"), "{bad}: {e}");
        }
    }

    #[test]
    fn shard_specs() {
        assert_eq!("2/4".parse::<Shard>().unwrap(), Shard { k: 2, n: 4 });
        for bad in ["0/3", "4/3", "1/0", "a/2", "2", "-1/2"] {
            let e = bad.parse::<Shard>().unwrap_err().to_string();
            assert!(e.contains("bad shard spec"), "{bad}: {e}");
        }
        let s = Shard { k: 2, n: 3 };
        assert!(s.selects(1) && s.selects(4) && !s.selects(0));
    }
}
