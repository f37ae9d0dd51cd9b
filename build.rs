//! Build script: records, at build time, what the binary was built from — the source
//! tree's git commit and whether it had uncommitted changes, the rustc version and the
//! build profile — as environment variables read by `src/io/build_info.rs` (`env!`).
//! Where git or the repository is absent (a crates.io install, a tarball) the commit and
//! the dirty flag are `unknown`. Cargo reruns it when HEAD moves (`HEAD`, the ref it points
//! to, `packed-refs`), the index or the sources change (the dirty flag).

use std::path::{Path, PathBuf};
use std::process::Command;

/// `git ARGS` in the crate's folder, its trimmed stdout if it succeeded.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git").arg("-C").arg(dir).args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// An absolute path from git's answer (relative ones are relative to `dir`).
fn absolute(dir: &Path, p: &str) -> PathBuf {
    let p = PathBuf::from(p);
    if p.is_absolute() {
        p
    } else {
        dir.join(p)
    }
}

/// Tell cargo to rerun when HEAD, the ref it names or the index change.
fn watch_git(dir: &Path) {
    let Some(git_dir) = git(dir, &["rev-parse", "--git-dir"]).map(|p| absolute(dir, &p)) else {
        return;
    };
    let common = git(dir, &["rev-parse", "--git-common-dir"]).map_or_else(|| git_dir.clone(), |p| absolute(dir, &p));
    let head = git_dir.join("HEAD");
    println!("cargo:rerun-if-changed={}", head.display());
    println!("cargo:rerun-if-changed={}", git_dir.join("index").display());
    println!("cargo:rerun-if-changed={}", common.join("packed-refs").display());
    if let Some(r) = std::fs::read_to_string(&head)
        .ok()
        .and_then(|h| h.strip_prefix("ref:").map(|r| r.trim().to_string()))
    {
        // A worktree's branch ref lives in the common folder; watch both places.
        for base in [&git_dir, &common] {
            let f = base.join(&r);
            if f.exists() {
                println!("cargo:rerun-if-changed={}", f.display());
            }
        }
    }
}

fn main() {
    let dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into()));
    // The dirty flag must follow edits of the tracked sources that are not staged yet.
    for watched in ["build.rs", "src", "Cargo.toml", "Cargo.lock"] {
        println!("cargo:rerun-if-changed={watched}");
    }
    watch_git(&dir);
    let commit = git(&dir, &["rev-parse", "HEAD"]).filter(|c| !c.is_empty());
    let dirty = match &commit {
        Some(_) => git(&dir, &["status", "--porcelain", "--untracked-files=no"])
            .map_or("unknown".to_string(), |s| (!s.is_empty()).to_string()),
        None => "unknown".to_string(),
    };
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let rustc_version = Command::new(rustc)
        .arg("-V")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".into());
    let profile = std::env::var("PROFILE").unwrap_or_else(|_| "unknown".into());
    println!(
        "cargo:rustc-env=DECOUPLE_BUILD_COMMIT={}",
        commit.as_deref().unwrap_or("unknown")
    );
    println!("cargo:rustc-env=DECOUPLE_BUILD_DIRTY={dirty}");
    println!("cargo:rustc-env=DECOUPLE_BUILD_RUSTC={rustc_version}");
    println!("cargo:rustc-env=DECOUPLE_BUILD_PROFILE={profile}");
}
