//! The docs agree with the code: every repository path that README.md, CONTRIBUTING.md,
//! docs/, the experiment files, the scripts and the sources cite exists.

use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const TOP: [&str; 8] = [
    "src",
    "tests",
    "experiments",
    "benches",
    "scripts",
    "docs",
    "examples",
    "python",
];
const EXTENSIONS: [&str; 9] = [".rs", ".toml", ".md", ".py", ".sh", ".csv", ".sbatch", ".json", ".snap"];

/// Every file to read: the top-level docs and every text file under the cited folders.
fn files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(rd) = std::fs::read_dir(dir) else { return };
        for e in rd.flatten() {
            let p = e.path();
            let name = e.file_name().to_string_lossy().into_owned();
            if p.is_dir() {
                if !name.starts_with('.') && name != "target" && name != "__pycache__" {
                    walk(&p, out);
                }
            } else if [".rs", ".toml", ".md", ".py", ".sh", ".sbatch"]
                .iter()
                .any(|x| name.ends_with(x))
            {
                out.push(p);
            }
        }
    }
    let root = Path::new(ROOT);
    let mut out = vec![
        root.join("README.md"),
        root.join("CONTRIBUTING.md"),
        root.join("Cargo.toml"),
    ];
    for d in TOP {
        walk(&root.join(d), &mut out);
    }
    out
}

/// The repository paths a text cites: `top/…/name.ext` with a known top folder and
/// extension, not a pattern (`*`, `<…>`, `{…}`) nor a path under a run's output folder.
fn cited(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let ok = |c: char| c.is_ascii_alphanumeric() || "_./-".contains(c);
    for top in TOP {
        let needle = format!("{top}/");
        for (k, _) in text.match_indices(&needle) {
            let before = text[..k].chars().next_back();
            if before.is_some_and(|c| ok(c) || c == '$' || c == '}') {
                continue;
            }
            let rest = &text[k..];
            let end = rest.find(|c: char| !ok(c)).unwrap_or(rest.len());
            let mut path = rest[..end].trim_end_matches(['.', '/', '-']).to_string();
            if rest[end..].starts_with(['*', '<', '{']) {
                continue;
            }
            if EXTENSIONS.iter().any(|x| path.ends_with(x)) {
                out.push(std::mem::take(&mut path));
            }
        }
    }
    out
}

#[test]
fn every_cited_path_exists() {
    let root = Path::new(ROOT);
    let mut missing = Vec::new();
    for f in files().into_iter().filter(|f| !f.ends_with("tests/docs.rs")) {
        let text = std::fs::read_to_string(&f).unwrap_or_default();
        for p in cited(&text) {
            if !root.join(&p).exists() {
                missing.push(format!("{}: {p}", f.strip_prefix(root).unwrap_or(&f).display()));
            }
        }
    }
    missing.sort();
    missing.dedup();
    assert!(
        missing.is_empty(),
        "cited paths that do not exist:\n{}",
        missing.join("\n")
    );
}

#[test]
fn the_citation_reader_finds_paths_and_skips_patterns() {
    let t = "see src/exec/launch.rs, `experiments/peer/exact_*.toml` and runs/<hash>/ or tests/fixtures/ and src/a.rs.";
    assert_eq!(cited(t), ["src/exec/launch.rs", "src/a.rs"]);
}
