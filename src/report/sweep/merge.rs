//! Merging the shards of one sweep, and reading a sweep folder's `sweep.json` and
//! `sweep.csv` back.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::tables::{read_meta, read_rows, write_tables, Row};
use crate::error::{Error, Result};
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
