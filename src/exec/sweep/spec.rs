//! A parsed sweep file: its base experiment, axes and derived keys; the cells (Cartesian
//! product of the axes) and the (cell, seed) tasks with their fully resolved settings.
//! The file's format is described in [`super`].

use std::path::{Path, PathBuf};

use super::expr::{Expr, GRAMMAR};
use crate::config::{set_path, Config, Override, Seeds, Settings};
use crate::error::{Error, Result};
use crate::io::hash::settings_hash;
use crate::io::ExperimentSource;

/// The most (cell, seed) runs one sweep file may define.
pub const MAX_RUNS: usize = 100_000;

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
    /// The sweep file and, when `base` names one, the base experiment file, with the hash
    /// of each one's bytes (for every run's manifest).
    pub sources: Vec<ExperimentSource>,
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

/// How a sweep file's parse errors are made (they name the file).
type ErrFn<'a> = &'a dyn Fn(String) -> Error;

fn parse_seeds(v: Option<&toml::Value>, err: ErrFn<'_>) -> Result<usize> {
    match v {
        None => Ok(1),
        Some(v) => {
            Ok(v.as_integer()
                .filter(|&k| k >= 1)
                .ok_or_else(|| err(format!("`seeds` must be a positive integer, got {v}")))? as usize)
        }
    }
}

/// The base table, and the base file's source when `base` names a file.
fn parse_base(
    v: Option<&toml::Value>,
    origin: &Path,
    err: ErrFn<'_>,
) -> Result<(toml::Table, Option<ExperimentSource>)> {
    match v {
        Some(toml::Value::Table(t)) => Ok((t.clone(), None)),
        Some(toml::Value::String(file)) => {
            let p = origin.parent().unwrap_or(Path::new(".")).join(file);
            let t = std::fs::read_to_string(&p)
                .map_err(|e| err(format!("`base` = {file:?}: cannot read {}: {e}", p.display())))?;
            let table =
                toml::from_str(&t).map_err(|e| err(format!("`base` = {file:?}: invalid file {}: {e}", p.display())))?;
            Ok((table, Some(ExperimentSource::of_bytes(&p, t.as_bytes()))))
        }
        _ => Err(err(
            "`base` is required: a path to an experiment file or a [base] table".into(),
        )),
    }
}

fn parse_axes(v: Option<&toml::Value>, err: ErrFn<'_>) -> Result<Vec<(String, Vec<toml::Value>)>> {
    let mut axes = Vec::new();
    if let Some(a) = v {
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
    Ok(axes)
}

fn parse_derived(v: Option<&toml::Value>, err: ErrFn<'_>) -> Result<Vec<(String, Expr)>> {
    let mut derived = Vec::new();
    if let Some(a) = v {
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
    Ok(derived)
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
        crate::config::check_name(&name, "name").map_err(|e| err(e.to_string()))?;
        let (base, base_source) = parse_base(top.get("base"), origin, &err)?;
        let mut sources = vec![ExperimentSource::of_bytes(origin, text.as_bytes())];
        sources.extend(base_source);
        let spec = Self {
            name,
            seeds: parse_seeds(top.get("seeds"), &err)?,
            base,
            axes: parse_axes(top.get("axes"), &err)?,
            derived: parse_derived(top.get("derived"), &err)?,
            origin: origin.to_path_buf(),
            sources,
        };
        spec.validate_keys()?;
        let runs = spec
            .axes
            .iter()
            .try_fold(spec.seeds, |n, (_, v)| n.checked_mul(v.len()))
            .filter(|&n| n <= MAX_RUNS);
        if runs.is_none() {
            return Err(err(format!(
                "`seeds` = {} times the axes' values make more than {MAX_RUNS} runs; split the sweep",
                spec.seeds
            )));
        }
        Ok(spec)
    }

    /// The sweep with `--set` overrides: `name` and `seeds` are the sweep's own; any other
    /// key is a key of the base experiment (`train.steps`, `model.d1`, …), checked like the
    /// file. A key that is an axis or a derived key of the sweep is refused (the sweep
    /// sets it per cell).
    pub fn with_overrides(mut self, sets: &[Override]) -> Result<Self> {
        for o in sets {
            let refuse = |m: String| Error::Override {
                text: o.to_string(),
                message: m,
            };
            match o.key.as_str() {
                "name" => {
                    let name = o
                        .value
                        .as_str()
                        .ok_or_else(|| refuse("the sweep's name is a string".into()))?;
                    crate::config::check_name(name, "name")?;
                    self.name = name.to_string();
                }
                "seeds" => {
                    self.seeds = o
                        .value
                        .as_integer()
                        .filter(|&k| k >= 1)
                        .ok_or_else(|| refuse("`seeds` is a positive integer".into()))?
                        as usize;
                }
                key if self.axes.iter().any(|(k, _)| k == key) || self.derived.iter().any(|(k, _)| k == key) => {
                    return Err(refuse(format!(
                        "`{key}` is an axis or a derived key of sweep {}: it is set per cell",
                        self.origin.display()
                    )));
                }
                _ => {
                    let mut base = self.base.clone();
                    base.insert("name".into(), toml::Value::String(self.name.clone()));
                    crate::config::overrides::apply(&mut base, std::slice::from_ref(o), &self.origin)?;
                    base.remove("name");
                    self.base = base;
                }
            }
        }
        Ok(self)
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
        let seed = i64::try_from(seed).map_err(|_| ctx(format!("`seed` {seed} is above {}", i64::MAX)))?;
        t.insert("seed".into(), toml::Value::Integer(seed));
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
            for seed in Seeds::consecutive(self.base_seed(), self.seeds, "seeds")?.to_vec() {
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
