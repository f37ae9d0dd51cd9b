//! Where an output came from: the build (git commit and dirty flag of the source tree, the
//! rustc version and profile, captured at build time by `build.rs`), the machine (CPU model
//! and vector extensions, host name), when the command started, its command line, and the
//! experiment files it read with their content hashes. Every `manifest.json` and the top
//! of REPORT.md carry these.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;

use crate::error::{Error, Result};
use crate::io::hash::fnv1a64;

/// `git rev-parse HEAD` of the source tree at build time; `unknown` without git or a repository.
pub const BUILD_COMMIT: &str = env!("DECOUPLE_BUILD_COMMIT");

/// Whether the tracked files differed from that commit at build time: `true`, `false` or
/// `unknown` (`git status --porcelain --untracked-files=no`).
pub const BUILD_DIRTY: &str = env!("DECOUPLE_BUILD_DIRTY");

/// `rustc -V` of the compiler that built the crate.
pub const RUSTC_VERSION: &str = env!("DECOUPLE_BUILD_RUSTC");

/// Cargo's build profile (`release`, `debug`).
pub const BUILD_PROFILE: &str = env!("DECOUPLE_BUILD_PROFILE");

/// The crate's version.
pub const CRATE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The build-time dirty flag as a boolean (`None` if unknown).
pub fn build_dirty() -> Option<bool> {
    BUILD_DIRTY.parse().ok()
}

/// The commit with `-dirty` appended when the tree had changes; `None` if unknown.
pub fn commit_text() -> Option<String> {
    (BUILD_COMMIT != "unknown").then(|| {
        let dirty = if build_dirty() == Some(true) { "-dirty" } else { "" };
        format!("{BUILD_COMMIT}{dirty}")
    })
}

/// One line for `decouple --version`: version, commit (+dirty), rustc.
pub fn version_line() -> &'static str {
    static LINE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    LINE.get_or_init(|| {
        format!(
            "{CRATE_VERSION} (commit {}, {RUSTC_VERSION}, {BUILD_PROFILE})",
            commit_text().unwrap_or_else(|| "unknown".into())
        )
    })
}

/// The vector extensions [`cpu`] looks for.
pub const VECTOR_FLAGS: [&str; 4] = ["avx512f", "avx2", "fma", "neon"];

/// The CPU: its model name and which of [`VECTOR_FLAGS`] it has, from `/proc/cpuinfo`
/// (`unknown` and none where it cannot be read).
pub fn cpu() -> (String, Vec<String>) {
    cpu_of(&std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default())
}

/// [`cpu`] from the text of a `/proc/cpuinfo`.
pub fn cpu_of(cpuinfo: &str) -> (String, Vec<String>) {
    let field = |names: &[&str]| {
        cpuinfo.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            names.contains(&k.trim()).then(|| v.trim().to_string())
        })
    };
    let model = field(&["model name", "Model", "cpu model"])
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| "unknown".into());
    let flags = field(&["flags", "Features"]).unwrap_or_default();
    let present: Vec<&str> = flags.split_whitespace().collect();
    let vector = VECTOR_FLAGS
        .iter()
        .filter(|f| present.contains(f))
        .map(|f| f.to_string())
        .collect();
    (model, vector)
}

/// Seconds since the Unix epoch as RFC 3339 UTC (`2026-12-07T10:21:05Z`).
pub fn rfc3339(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3_600,
        rem % 3_600 / 60,
        rem % 60
    )
}

/// When this process first asked (the binary asks as it starts, so: when the command
/// started), RFC 3339 UTC.
pub fn started_utc() -> &'static str {
    static START: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    START.get_or_init(|| {
        let secs = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        rfc3339(secs)
    })
}

/// The process's command line, arguments joined by spaces.
pub fn command_line() -> String {
    std::env::args().collect::<Vec<_>>().join(" ")
}

/// An experiment file an output was computed from: its path as given and the FNV-1a hash
/// of its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExperimentSource {
    /// The path as given on the command line (or derived from one: a sweep's base file).
    pub path: PathBuf,
    /// FNV-1a (64 bits) of the file's bytes, 16 hex digits.
    pub fnv1a64: String,
}

impl ExperimentSource {
    /// Read and hash the file at `path`.
    pub fn of(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|source| Error::ConfigRead {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(Self::of_bytes(path, &bytes))
    }

    /// The source of a file whose bytes are at hand.
    pub fn of_bytes(path: &Path, bytes: &[u8]) -> Self {
        ExperimentSource {
            path: path.to_path_buf(),
            fnv1a64: format!("{:016x}", fnv1a64(bytes)),
        }
    }
}

/// The files under `dir` (recursively, sorted by path) whose extension is one of `exts`,
/// each with its hash, and one combined hash: FNV-1a of the lines `<relative path> <hash>`.
pub fn folder_sources(dir: &Path, exts: &[&str]) -> Result<(Vec<ExperimentSource>, String)> {
    let mut files = Vec::new();
    collect(dir, exts, &mut files)?;
    files.sort();
    let sources: Vec<ExperimentSource> = files.iter().map(|f| ExperimentSource::of(f)).collect::<Result<_>>()?;
    let mut listing = String::new();
    for s in &sources {
        let rel = s.path.strip_prefix(dir).unwrap_or(&s.path);
        listing.push_str(&format!("{} {}\n", rel.display(), s.fnv1a64));
    }
    Ok((sources, format!("{:016x}", fnv1a64(listing.as_bytes()))))
}

fn collect(dir: &Path, exts: &[&str], out: &mut Vec<PathBuf>) -> Result<()> {
    let wrap = |source| Error::ConfigRead {
        path: dir.to_path_buf(),
        source,
    };
    for entry in std::fs::read_dir(dir).map_err(wrap)? {
        let p = entry.map_err(wrap)?.path();
        if p.is_dir() {
            collect(&p, exts, out)?;
        } else if p
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| exts.contains(&e))
        {
            out.push(p);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_known_instants() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_796_638_865), "2026-12-07T10:21:05Z");
    }

    #[test]
    fn cpu_model_and_vector_flags() {
        let text = "processor : 0\nmodel name\t: Some CPU @ 3GHz\nflags\t\t: fpu sse2 avx2 fma\n";
        assert_eq!(
            cpu_of(text),
            ("Some CPU @ 3GHz".into(), vec!["avx2".into(), "fma".into()])
        );
        assert_eq!(cpu_of(""), ("unknown".into(), vec![]));
    }

    #[test]
    fn build_info_is_set() {
        assert!(!RUSTC_VERSION.is_empty() && !BUILD_COMMIT.is_empty());
        assert!(["true", "false", "unknown"].contains(&BUILD_DIRTY));
    }
}
