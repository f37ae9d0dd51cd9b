//! Merging the shards of one sweep, and reading a sweep folder's `sweep.json` and
//! `sweep.csv` back.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::tables::{csv_err, write_tables, Row, SweepMeta};
use crate::error::{Error, Result};
use crate::io::write_atomic;

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
