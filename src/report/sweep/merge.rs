//! Merging the shards of one sweep, and reading a sweep folder's `sweep.json` and
//! `sweep.csv` back.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::tables::{read_meta, read_rows, write_tables, Row, SweepMeta};
use crate::error::{Error, Result};
use crate::io::lock::lock_dir;
use crate::io::write_atomic;

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

/// What [`merge`] wrote.
#[derive(Debug, Clone)]
pub struct Merged {
    /// The merged folder `<out>/<name>`.
    pub dir: PathBuf,
    /// The runs no shard had (only with `partial`): one line each, cell and seed.
    pub missing: Vec<String>,
}

/// The runs of the sweep that `rows` lack, one line each (cell index and values, seed
/// number, run hash), in canonical order.
fn missing_runs(meta: &SweepMeta, rows: &BTreeMap<(usize, u64), Row>) -> Vec<String> {
    let have: BTreeSet<&str> = rows.values().map(|r| r.hash.as_str()).collect();
    let seeds = meta.seeds.max(1);
    meta.task_hashes
        .iter()
        .enumerate()
        .filter(|(_, h)| !have.contains(h.as_str()))
        .map(|(i, h)| {
            let cell = i / seeds;
            let values: Vec<String> = meta
                .axes
                .iter()
                .zip(meta.cells.get(cell).into_iter().flatten())
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            format!(
                "cell {cell} ({}) seed {} of {seeds} (run {h})",
                values.join(" "),
                i % seeds + 1
            )
        })
        .collect()
}

/// Combine the outputs of shards of one sweep (each a `<out>/<name>` folder) into
/// `<out>/<name>/` under `out`: the union of their rows in canonical order, the summary
/// recomputed, and the run records copied (so the merged folder resumes like an unsharded
/// one). When the shards do not cover every run of the sweep, the merge is refused with
/// [`Error::Incomplete`] listing the missing cells and seeds, unless `partial` is set:
/// then what is there is merged and the missing runs are returned.
pub fn merge(dirs: &[PathBuf], out: &Path, partial: bool) -> Result<Merged> {
    let first = dirs
        .first()
        .ok_or_else(|| Error::Sweep("merge: give at least one sweep folder".into()))?;
    let mut meta = read_meta(first)?;
    let mut rows: BTreeMap<(usize, u64), Row> = BTreeMap::new();
    let target = out.join(&meta.name);
    let lock = lock_dir(&target)?;
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
    let missing = missing_runs(&meta, &rows);
    if !missing.is_empty() && !partial {
        return Err(Error::Incomplete {
            missing: missing.len(),
            total: meta.tasks_total,
            cells: missing.join("; "),
        });
    }
    meta.shard = None;
    let rows: Vec<Row> = rows.into_values().collect();
    write_tables(&target, &meta, &rows)?;
    drop(lock);
    Ok(Merged { dir: target, missing })
}
