//! Merging the shards of one sweep, and reading a sweep folder's `sweep.json` and
//! `sweep.csv` back.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::tables::{read_meta, read_rows, write_tables, Row, SweepMeta};
use crate::error::{Error, Result};
use crate::exec::record::{load_record, Found};
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
    /// Shard folders without `sweep.csv` (unfinished), whose recorded runs were taken.
    pub unfinished: Vec<PathBuf>,
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

/// The rows of the runs a shard folder has recorded (`runs/<hash>/record.json`), for each
/// task of `meta`: how an unfinished shard (killed, cancelled, still running) contributes.
fn recorded_rows(dir: &Path, meta: &SweepMeta) -> Vec<Row> {
    let seeds = meta.seeds.max(1);
    meta.task_hashes
        .iter()
        .enumerate()
        .filter_map(|(i, h)| match load_record(dir, h) {
            Found::Record(rec) => Some(Row {
                cell: i / seeds,
                cell_values: meta.cells.get(i / seeds).cloned().unwrap_or_default(),
                seed: rec.seed,
                metrics: rec.metrics,
                hash: h.clone(),
            }),
            _ => None,
        })
        .collect()
}

/// Combine the outputs of shards of one sweep (each a `<out>/<name>` folder) into
/// `<out>/<name>/` under `out`: the union of their rows in canonical order, the summary
/// recomputed, and the run records copied (so the merged folder resumes like an unsharded
/// one). A shard that has not finished (killed, cancelled, still running: no `sweep.csv`
/// yet, or no folder at all) contributes the runs it has recorded. When the shards do not
/// cover every run of the sweep, the merge is refused with [`Error::Incomplete`] listing
/// the missing cells and seeds, unless `partial` is set: then what is there is merged and
/// the missing runs are returned.
pub fn merge(dirs: &[PathBuf], out: &Path, partial: bool) -> Result<Merged> {
    if dirs.is_empty() {
        return Err(Error::Sweep("merge: give at least one sweep folder".into()));
    }
    // The sweep's description (a shard writes it when it starts), from the first shard
    // that has it.
    let metas: Vec<Option<SweepMeta>> = dirs.iter().map(|d| read_meta(d).ok()).collect();
    let Some((first, meta)) = dirs.iter().zip(&metas).find_map(|(d, m)| m.clone().map(|m| (d, m))) else {
        // No shard has started: the first one's error says what is missing.
        return Err(read_meta(&dirs[0]).expect_err("no sweep.json was readable"));
    };
    let mut meta = meta;
    let mut rows: BTreeMap<(usize, u64), Row> = BTreeMap::new();
    let target = out.join(&meta.name);
    let lock = lock_dir(&target)?;
    let mut unfinished = Vec::new();
    for (dir, m) in dirs.iter().zip(&metas) {
        if let Some(m) = m {
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
        }
        let mut found = if dir.join("sweep.csv").exists() && m.is_some() {
            read_rows(dir, &meta)?
        } else {
            unfinished.push(dir.clone());
            Vec::new()
        };
        found.extend(recorded_rows(dir, &meta));
        for r in found {
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
    Ok(Merged {
        dir: target,
        missing,
        unfinished,
    })
}
