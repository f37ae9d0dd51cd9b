//! A sweep's tables: `sweep.json` ([`SweepMeta`]), `sweep.csv` (one row per (cell, seed))
//! and `sweep_summary.csv` (per cell and metric, mean and 95% t-interval over seeds), and
//! [`SweepTable`], the rows read back for analysis.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::spec::{value_text, SweepSpec, Task};
use crate::error::{Error, Result};
use crate::exec::shard::Shard;
use crate::io::hash::fnv1a64;
use crate::io::{finish_csv, write_atomic};
use crate::stats::mean_ci95;

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

pub(super) fn meta_of(spec: &SweepSpec, tasks: &[Task], shard: Option<Shard>) -> Result<SweepMeta> {
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
pub(super) struct Row {
    /// The cell's index.
    pub(super) cell: usize,
    /// Its axis values as text.
    pub(super) cell_values: Vec<String>,
    /// The seed.
    pub(super) seed: u64,
    /// Metric name, value as text.
    pub(super) metrics: Vec<(String, String)>,
    /// The settings hash.
    pub(super) hash: String,
}

pub(super) fn csv_err(path: &Path, e: impl fmt::Display) -> Error {
    Error::Sweep(format!("{}: {e}", path.display()))
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

pub(super) fn write_tables(dir: &Path, meta: &SweepMeta, rows: &[Row]) -> Result<()> {
    let csv = sweep_csv_bytes(meta, rows)?;
    let summary = summary_csv_bytes(meta, rows)?;
    write_atomic(&dir.join("sweep.json"), &serde_json::to_vec_pretty(meta)?)?;
    write_atomic(&dir.join("sweep.csv"), &csv)?;
    write_atomic(&dir.join("sweep_summary.csv"), &summary)
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

pub(super) fn read_meta(dir: &Path) -> Result<SweepMeta> {
    let p = dir.join("sweep.json");
    let text = std::fs::read_to_string(&p).map_err(|e| {
        Error::Sweep(format!(
            "{}: {e} (pass the folder <out>/<sweep name> that `decouple sweep` wrote)",
            p.display()
        ))
    })?;
    serde_json::from_str(&text).map_err(|e| csv_err(&p, e))
}

pub(super) fn read_rows(dir: &Path, meta: &SweepMeta) -> Result<Vec<Row>> {
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
