//! `--set key=value`: a setting of an experiment file changed from the command line.
//!
//! The key is a dotted path into the experiment file (`train.steps`, `model.d1`,
//! `augmentation.kind`, `seed`, `name`); the value is a TOML value (`50`, `0.1`, `"f32"`,
//! `[1, 2]`, `true`), and a bare word that is not one (`none`, `random_mask`, `f32`) is
//! read as a string. An override goes into the file's table before the table is read, so
//! it is type-checked exactly as the file is, and an unknown key or a wrong type is
//! refused naming the override.

use std::path::Path;
use std::str::FromStr;

use crate::config::Config;
use crate::error::{Error, Result};

/// One `--set key=value`.
#[derive(Debug, Clone, PartialEq)]
pub struct Override {
    /// The dotted key.
    pub key: String,
    /// The value.
    pub value: toml::Value,
}

impl std::fmt::Display for Override {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}={}", self.key, self.value)
    }
}

fn bad(text: &str, why: String) -> Error {
    Error::Override {
        text: text.to_string(),
        message: why,
    }
}

impl FromStr for Override {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        let (key, value) = text
            .split_once('=')
            .ok_or_else(|| bad(text, "expected key=value, e.g. train.steps=100".into()))?;
        let key = key.trim();
        if split_key(key).is_none() {
            return Err(bad(text, format!("`{key}` is not a dotted key such as train.steps")));
        }
        let value = value.trim();
        let parsed = toml::from_str::<toml::Table>(&format!("v = {value}"))
            .ok()
            .and_then(|mut t| t.remove("v"));
        let value = match parsed {
            Some(v) => v,
            None if !value.is_empty() && value.chars().all(|c| c.is_alphanumeric() || "_-.".contains(c)) => {
                toml::Value::String(value.to_string())
            }
            None => return Err(bad(text, format!("`{value}` is not a TOML value"))),
        };
        Ok(Override {
            key: key.to_string(),
            value,
        })
    }
}

/// The parts of a dotted key; a part in double quotes may hold dots (`claims."aug.coverage".x`).
/// `None` when a part is empty or a quote is not closed.
pub fn split_key(key: &str) -> Option<Vec<String>> {
    let mut parts = Vec::new();
    let mut rest = key.trim();
    loop {
        let (part, after) = if let Some(q) = rest.strip_prefix('"') {
            let end = q.find('"')?;
            (q[..end].to_string(), &q[end + 1..])
        } else {
            let end = rest.find('.').unwrap_or(rest.len());
            (rest[..end].to_string(), &rest[end..])
        };
        if part.is_empty() || part.contains(char::is_whitespace) && !rest.starts_with('"') {
            return None;
        }
        parts.push(part);
        match after.strip_prefix('.') {
            Some(a) => rest = a,
            None if after.is_empty() => return Some(parts),
            None => return None,
        }
    }
}

/// Set the dotted `key` of `t` to `value`, making the sections on the way; `Err` says why
/// it cannot (an empty part, or a part that is a value rather than a section).
pub fn set_path(t: &mut toml::Table, key: &str, value: toml::Value) -> std::result::Result<(), String> {
    let parts = split_key(key).ok_or_else(|| format!("`{key}` is not a dotted key"))?;
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
    cur.insert(parts[parts.len() - 1].clone(), value);
    Ok(())
}

/// Apply `sets` to an experiment file's table, one at a time, each checked against the
/// experiment schema as it goes in (so an error names the override that caused it).
/// `origin` names the file in errors.
pub fn apply(t: &mut toml::Table, sets: &[Override], origin: &Path) -> Result<()> {
    for o in sets {
        set_path(t, &o.key, o.value.clone()).map_err(|m| bad(&o.to_string(), m))?;
        if let Err(e) = t.clone().try_into::<Config>() {
            return Err(bad(
                &o.to_string(),
                format!("not a valid setting of {}: {e}", origin.display()),
            ));
        }
    }
    Ok(())
}

impl Config {
    /// Read an experiment file and apply `sets` to it (see the module's documentation).
    pub fn from_file_with(path: &Path, sets: &[Override]) -> Result<Self> {
        if sets.is_empty() {
            return Self::from_file(path);
        }
        let text = crate::config::read_text(path)?;
        let mut t: toml::Table = toml::from_str(&text).map_err(|e| Error::ConfigParse {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        apply(&mut t, sets, path)?;
        t.try_into().map_err(|e: toml::de::Error| Error::ConfigParse {
            path: path.to_path_buf(),
            message: e.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tiny_aug.toml");

    #[test]
    fn values_parse_as_toml_or_bare_words() {
        let o: Override = "train.steps=50".parse().unwrap();
        assert_eq!((o.key.as_str(), o.value.as_integer()), ("train.steps", Some(50)));
        let o: Override = "augmentation.kind = none".parse().unwrap();
        assert_eq!(o.value.as_str(), Some("none"));
        let o: Override = "train.tau=0.05".parse().unwrap();
        assert_eq!(o.value.as_float(), Some(0.05));
        let o: Override = "claims.\"aug.coverage\".frac_min=0.8".parse().unwrap();
        assert_eq!(split_key(&o.key).unwrap(), ["claims", "aug.coverage", "frac_min"]);
        for bad in ["train.steps", "=3", "a..b=1", "x=[1,", "train.steps=1 2", "a.\"b=1"] {
            assert!(bad.parse::<Override>().is_err(), "{bad}");
        }
    }

    #[test]
    fn overrides_are_checked_like_the_file() {
        let path = Path::new(FILE);
        let sets = ["train.steps=7".parse().unwrap(), "seed=9".parse().unwrap()];
        let c = Config::from_file_with(path, &sets).unwrap();
        assert_eq!((c.train.steps, c.seed), (7, 9));
        let e = Config::from_file_with(path, &["train.stepz=7".parse().unwrap()])
            .unwrap_err()
            .to_string();
        assert!(e.contains("train.stepz=7") && e.contains("stepz"), "{e}");
        let e = Config::from_file_with(path, &["train.steps=\"many\"".parse().unwrap()])
            .unwrap_err()
            .to_string();
        assert!(e.contains("train.steps"), "{e}");
        let e = Config::from_file_with(path, &["train.steps.x=1".parse().unwrap()])
            .unwrap_err()
            .to_string();
        assert!(e.contains("is a value, not a section"), "{e}");
    }
}
